"""How a tensor's values lie in memory: PyTorch's ``torch.layout`` (``strided``, dense;
``sparse_coo`` and ``sparse_csr``, the sparse tensors of ``tinygrad_bn/sparse``) and ``torch.memory_format`` (``contiguous_format``, ``channels_last``,
``channels_last_3d``, ``preserve_format``), the objects ``memory_format=`` arguments take.

A tensor's array is a NumPy array, which may have any strides, so the formats are real: a
``channels_last`` tensor of shape ``(N, C, H, W)`` keeps its values in ``(N, H, W, C)`` order,
its ``stride()`` is PyTorch's ``(H*W*C, 1, W*C, C)``, and NumPy's elementwise functions keep
that order in their results, as PyTorch's do. Values never depend on the format; only
``stride()``, ``is_contiguous()`` and speed do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["channels_last", "channels_last_3d", "contiguous_format", "layout", "memory_format",
           "preserve_format", "sparse_coo", "sparse_csr", "strided"]


class _Named:
    """An object known by its name (``torch.channels_last``), one per process: it prints as
    PyTorch prints it and pickles as the module attribute."""

    __slots__ = ("name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"cannot create 'torch.{cls.__name__}' instances")

    @classmethod
    def _make(cls, name: str):
        made = object.__new__(cls)
        made.name = name
        return made

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self) -> str:
        return self.name


class memory_format(_Named):  # noqa: N801 - PyTorch's class name
    """The order a tensor's values are kept in (PyTorch's ``torch.memory_format``); its four
    instances are the module's ``contiguous_format``, ``channels_last``, ``channels_last_3d``
    and ``preserve_format``."""

    __slots__ = ()


class layout(_Named):  # noqa: N801 - PyTorch's class name
    """How a tensor is stored (PyTorch's ``torch.layout``): ``strided``, a dense array with a
    stride per dimension; ``sparse_coo`` (indices and values) and ``sparse_csr`` (compressed
    rows)."""

    __slots__ = ()


contiguous_format = memory_format._make("contiguous_format")
channels_last = memory_format._make("channels_last")
channels_last_3d = memory_format._make("channels_last_3d")
preserve_format = memory_format._make("preserve_format")
strided = layout._make("strided")
sparse_coo = layout._make("sparse_coo")
sparse_csr = layout._make("sparse_csr")


class _Made:
    """Whether any sparse tensor was ever made: the optimizers look for sparse gradients (to
    refuse them) only then. It lives here, below the optimizers, so that they need not import
    the sparse package (loaded on first use)."""

    __slots__ = ("made",)

    def __init__(self):
        self.made = False


SPARSE_GRADIENTS = _Made()

# The order of the dimensions in memory, outermost first, for the formats that fix one rank.
_ORDERS = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}


def check(value, function: str) -> memory_format:
    """``value`` when it is a memory format, else PyTorch's ``TypeError`` for ``function``."""
    if not isinstance(value, memory_format):
        raise TypeError(f"{function}(): argument 'memory_format' must be torch.memory_format, "
                        f"not {type(value).__name__}")
    return value


def order(format: memory_format, ndim: int) -> tuple[int, ...] | None:
    """The dimensions of an ``ndim``-dimensional tensor from outermost to innermost in memory
    under ``format``: None for ``contiguous_format`` (row-major), the channels-last order
    otherwise; PyTorch's ``RuntimeError`` when the rank does not fit."""
    if format not in _ORDERS:
        return None
    rank, dims = _ORDERS[format]
    if ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {format.name} format")
    return dims


def is_contiguous_as(shape: Sequence[int], strides: Sequence[int], format: memory_format) -> bool:
    """Whether elements with these PyTorch ``strides`` (in elements) lie densely in the order of
    ``format``; dimensions of size 1 may have any stride (PyTorch's rule). A tensor of the wrong
    rank is not channels-last, and ``preserve_format`` asks for row-major, as PyTorch's
    ``is_contiguous`` answers."""
    if format in _ORDERS:
        rank, dims = _ORDERS[format]
        if len(shape) != rank:
            return False
    else:
        dims = range(len(shape))
    if 0 in shape:
        return True
    expected = 1
    for dim in reversed(tuple(dims)):
        if shape[dim] != 1:
            if strides[dim] != expected:
                return False
            expected *= shape[dim]
    return True


def laid_out(array: np.ndarray, format: memory_format) -> np.ndarray:
    """A copy of ``array`` kept in the order of ``format`` (same shape and values)."""
    dims = order(format, array.ndim)
    if dims is None:
        return np.array(array, copy=True, order="C")
    return np.ascontiguousarray(array.transpose(dims)).transpose(np.argsort(dims))
