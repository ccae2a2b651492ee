"""The ``*_copy`` functions (``torch.t_copy``, ``torch.expand_copy``, ``torch.split_copy``, ...):
each is its view op followed by a copy into new row-major memory, so the result shares nothing
with its input (PyTorch keeps them for backends without views: functionalization's outputs).

One implementation per concept: every body here is the view (``Tensor.t``, ``Tensor.expand``,
``Tensor.split``, ...) and ``clone``, so values, dtypes, error messages and gradients are the
view's; the gradient of the copy is ``grad_output`` unchanged (``Clone``), and create_graph
works through both ops. ``out=`` follows ``tensor/out_argument.py`` (the result's dtype exactly,
PyTorch's rule for these); the functions returning several tensors (``split_copy``,
``split_with_sizes_copy``, ``unbind_copy``) take a list or tuple ``out`` as PyTorch does: each
piece copied into its ``out`` as ``out.copy_(piece)`` (broadcast and cast as ``copy_``, no
resizing), and None returned.

Known differences from PyTorch: ``detach_copy`` returns a tensor that does not require grad
(PyTorch's requires grad with a node whose backward raises "derivative for aten::detach_copy is
not implemented"); ``out=`` with an input that requires grad is refused with the message of
every other ``out=`` function (PyTorch writes it and gives ``out`` a node whose backward raises
"derivative ... is not implemented")."""

from __future__ import annotations

# ``bool`` and ``int`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int

import functools
from collections.abc import Sequence

import numpy as np

from .. import dtypes
from ..autograd.grad_mode import no_grad
from ..shapes import normalize_dim
from . import out_argument as _out
from .core import Tensor, qualified_type_name


def _copied(result):
    """``result`` (a view, or a tuple of views) in new memory."""
    if isinstance(result, tuple):
        return tuple(piece.clone() for piece in result)
    return result.clone()


def alias_copy(input: Tensor) -> Tensor:
    """A copy of ``input`` (the copy of ``torch.alias``, the view of the whole tensor)."""
    return input.clone()


def as_strided_copy(input: Tensor, size: Sequence[_int], stride: Sequence[_int],
                    storage_offset: _int | None = None) -> Tensor:
    """``input.as_strided(size, stride, storage_offset)`` copied."""
    return _copied(input.as_strided(size, stride, storage_offset))


def detach_copy(input: Tensor) -> Tensor:
    """``input.detach()`` copied: the values, out of the graph."""
    return _copied(input.detach())


def diagonal_copy(input: Tensor, offset: _int = 0, dim1: _int = 0, dim2: _int = 1) -> Tensor:
    """``input.diagonal(offset, dim1, dim2)`` copied."""
    return _copied(input.diagonal(offset, dim1, dim2))


def expand_copy(input: Tensor, size: Sequence[_int], *, implicit: _bool = False) -> Tensor:
    """``input.expand(size)`` copied (every repeated element its own memory). ``implicit``
    is accepted and, as in PyTorch's CPU kernel, changes nothing."""
    return _copied(input.expand(size))


def permute_copy(input: Tensor, dims: Sequence[_int]) -> Tensor:
    """``input.permute(dims)`` copied."""
    return _copied(input.permute(dims))


def select_copy(input: Tensor, dim: _int, index: _int) -> Tensor:
    """``input.select(dim, index)`` copied."""
    return _copied(input.select(dim, index))


def slice_copy(input: Tensor, dim: _int = 0, start: _int | None = None, end: _int | None = None,
               step: _int = 1) -> Tensor:
    """``input[..., start:end:step]`` along ``dim`` copied (``torch.ops.aten.slice``; bounds
    clamped to the dim as Python's slicing does)."""
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    d = normalize_dim(dim, input.ndim)
    return _copied(input[(slice(None),) * d + (slice(start, end, step),)])


def split_copy(input: Tensor, split_size: _int, dim: _int = 0) -> tuple[Tensor, ...]:
    """``input.split(split_size, dim)`` with each piece copied."""
    return _copied(tuple(input.split(split_size, dim)))


def split_with_sizes_copy(input: Tensor, split_sizes: Sequence[_int],
                          dim: _int = 0) -> tuple[Tensor, ...]:
    """``input.split_with_sizes(split_sizes, dim)`` with each piece copied."""
    return _copied(tuple(input.split_with_sizes(split_sizes, dim)))


def squeeze_copy(input: Tensor, dim: _int | Sequence[_int] | None = None) -> Tensor:
    """``input.squeeze(dim)`` copied (every size-1 dim removed when ``dim`` is None)."""
    return _copied(input.squeeze() if dim is None else input.squeeze(dim))


def t_copy(input: Tensor) -> Tensor:
    """``input.t()`` copied."""
    return _copied(input.t())


def transpose_copy(input: Tensor, dim0: _int, dim1: _int) -> Tensor:
    """``input.transpose(dim0, dim1)`` copied."""
    return _copied(input.transpose(dim0, dim1))


def unbind_copy(input: Tensor, dim: _int = 0) -> tuple[Tensor, ...]:
    """``input.unbind(dim)`` with each slice copied."""
    return _copied(tuple(input.unbind(dim)))


def unfold_copy(input: Tensor, dimension: _int, size: _int, step: _int) -> Tensor:
    """``input.unfold(dimension, size, step)`` copied (overlapping windows no longer share
    memory)."""
    return _copied(input.unfold(dimension, size, step))


def unsqueeze_copy(input: Tensor, dim: _int) -> Tensor:
    """``input.unsqueeze(dim)`` copied."""
    return _copied(input.unsqueeze(dim))


def view_copy(input: Tensor, size) -> Tensor:
    """``input.view(size)`` copied. ``size`` may be a dtype (PyTorch's ``view(dtype)``): the
    bytes read as that dtype, the last dim scaled by the ratio of the element sizes; as in
    PyTorch, that form is out of the graph (its result never requires grad)."""
    if isinstance(size, (np.dtype, type)):
        return _bits_as(input, dtypes.canonical(size))
    return _copied(input.view(size))


def _bits_as(input, dtype):
    """A copy of ``input``'s bytes read as ``dtype``, with PyTorch's checks of ``view(dtype)``."""
    array = input._array
    if dtype.itemsize != array.dtype.itemsize:
        names = f"{dtypes.scalar_type_name(array.dtype)} as {dtypes.scalar_type_name(dtype)}"
        if input.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 to view {names} (different element "
                               f"sizes)")
        last_stride = array.strides[-1] // array.itemsize
        if last_stride != 1 and array.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 to view {names} (different element "
                               f"sizes), but got {last_stride}")
        ratio = dtype.itemsize / array.dtype.itemsize
        if ratio > 1 and array.shape[-1] % int(ratio):
            raise RuntimeError(f"self.size(-1) must be divisible by {int(ratio)} to view {names} "
                               f"(different element sizes), but got {array.shape[-1]}")
    return Tensor._make(np.ascontiguousarray(array).view(dtype), None)


def _type_name(value):
    return "Tensor" if isinstance(value, Tensor) else qualified_type_name(value)


def _with_list_out(function, out_name):
    """``function`` (returning a tuple of tensors) taking PyTorch's ``out=``, a list or tuple
    of as many tensors: each result copied into its ``out`` by ``copy_`` (broadcast, cast,
    never resized, out of the graph), and None returned. ``out_name`` is the ATen overload
    named in the count error (PyTorch's own spelling, with or without parentheses)."""

    @functools.wraps(function)
    def function_with_out(*args, out=None, **kwargs):
        if out is None:
            return function(*args, **kwargs)
        if not isinstance(out, (list, tuple)):
            raise TypeError(f"{function.__name__}(): argument 'out' must be tuple of Tensors, "
                            f"not {_type_name(out)}")
        with no_grad():
            results = function(*args, **kwargs)
            if len(out) != len(results):
                raise RuntimeError(f"{out_name} expected an out= argument of size "
                                   f"{len(results)}, got size {len(out)}")
            for target, result in zip(out, results):
                target.copy_(result)
        return None

    function_with_out.__doc__ = (
        (function.__doc__ or "") + "\n\nWith ``out=`` (a list of tensors, one per piece) each "
        "piece is copied into its tensor as ``copy_`` would, and None is returned.")
    return function_with_out


def _with_out(function):
    return _out.with_out(function, dtype=_out.EXACT, overlap=None)


alias_copy = _with_out(alias_copy)
as_strided_copy = _with_out(as_strided_copy)
detach_copy = _with_out(detach_copy)
diagonal_copy = _with_out(diagonal_copy)
expand_copy = _with_out(expand_copy)
permute_copy = _with_out(permute_copy)
select_copy = _with_out(select_copy)
slice_copy = _with_out(slice_copy)
squeeze_copy = _with_out(squeeze_copy)
t_copy = _with_out(t_copy)
transpose_copy = _with_out(transpose_copy)
unfold_copy = _with_out(unfold_copy)
unsqueeze_copy = _with_out(unsqueeze_copy)
view_copy = _with_out(view_copy)
split_copy = _with_list_out(split_copy, "split_copy_Tensor_out()")
split_with_sizes_copy = _with_list_out(split_with_sizes_copy, "split_with_sizes_copy_out")
unbind_copy = _with_list_out(unbind_copy, "unbind_copy_int_out")
