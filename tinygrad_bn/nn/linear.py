"""Layers that map or reshape features without a nonlinearity: ``Linear``, ``Bilinear``,
``Identity``, ``Flatten`` and its inverse ``Unflatten``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import dtypes
from ..device import DeviceLike, check_device
from ..dtypes import DTypeLike
from ..shapes import inferred_and_known, normalize_dim
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    """``y = x @ weight.T + bias``.

    ``weight`` is ``(out_features, in_features)`` and ``bias`` ``(out_features,)``; input
    ``(..., in_features)`` gives ``(..., out_features)``. Initialisation is PyTorch's: weight,
    then bias, each from U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight through
    ``kaiming_uniform_`` with ``a = sqrt(5)``, which gives that same bound).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None) -> None:
        super().__init__()
        check_device(device)
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int, got {value!r}")
        self.in_features, self.out_features = in_features, out_features
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        self.register_parameter(
            "bias", Parameter(np.empty(out_features, dtype=dtype)) if bias else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw new initial values as PyTorch does: the weight from
        ``kaiming_uniform_(a=sqrt(5))``, which is ``U(-1/sqrt(in_features), 1/sqrt(in_features))``,
        and the bias (if any) from the same range. The constructor calls it."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y = x1^T A x2 + b``: ``y[..., o] = sum_ij x1[..., i] weight[o, i, j] x2[..., j] +
    bias[o]`` (``F.bilinear``).

    ``weight`` is ``(out_features, in1_features, in2_features)``, ``bias`` ``(out_features,)``;
    inputs ``(..., in1_features)`` and ``(..., in2_features)`` give ``(..., out_features)``.
    Initialisation is PyTorch's: weight, then bias, each from
    ``U(-1/sqrt(in1_features), 1/sqrt(in1_features))``.
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device: DeviceLike | None = None,
                 dtype: DTypeLike | None = None) -> None:
        super().__init__()
        check_device(device)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.weight = Parameter(np.empty((out_features, in1_features, in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw the weight, then the bias, from ``U(-1/sqrt(in1_features),
        1/sqrt(in1_features))``, as PyTorch; the constructor calls it."""
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1: Tensor, input2: Tensor) -> Tensor:
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. where a norm layer is switched off)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Flatten(Module):
    """Flatten dims ``start_dim`` to ``end_dim`` (default: all but the batch dim)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dim ``dim`` of the input into the sizes ``unflattened_size``: input
    ``(*, S_dim, *)`` gives ``(*, U_1, ..., U_n, *)`` where ``U_1 * ... * U_n == S_dim``; one
    ``U_i`` may be -1, inferred from the others. The inverse of ``Flatten``, as PyTorch's.

    ``unflattened_size`` is a tuple, list or ``Size`` of ints, kept (and printed) as given.
    The output is a reshape of the input, so it shares the input's data.
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be a tuple of ints, but found type "
                            f"{type(unflattened_size).__name__}")
        for position, size in enumerate(unflattened_size):
            if not isinstance(size, int):
                raise TypeError("unflattened_size must be tuple of ints, but found element of "
                                f"type {type(size).__name__} at pos {position}")
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:
        return input.reshape(unflattened_shape(input.shape, self.dim, self.unflattened_size))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def unflattened_shape(shape: Sequence[int], dim: int, sizes: Sequence[int]) -> tuple[int, ...]:
    """The shape ``Tensor.unflatten(dim, sizes)`` gives an input of ``shape``, with PyTorch's
    error for each way ``dim`` or ``sizes`` can be wrong (checked in PyTorch's order)."""
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"unflatten(): argument 'dim' (position 1) must be int, not "
                        f"{type(dim).__name__}")
    for position, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError("unflatten(): argument 'sizes' (position 2) must be tuple of ints, "
                            f"but found element of type {type(size).__name__} at pos {position}")
    dim = normalize_dim(dim, len(shape))
    if not shape:
        raise RuntimeError(f"Dimension specified as {dim} but tensor has no dimensions")
    sizes = [int(size) for size in sizes]
    numel = shape[dim]
    inferred, known = inferred_and_known(sizes)
    if inferred is not None and known == 0 and numel == 0:
        raise RuntimeError(f"cannot reshape tensor of 0 elements into shape {sizes} because "
                           "the unspecified dimension size -1 can be any value and is ambiguous")
    if inferred is not None and known > 0 and numel % known == 0:
        sizes[inferred] = numel // known
    elif known != numel:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of "
                           f"dim {dim} ({numel}) in the input tensor")
    return tuple(shape[:dim]) + tuple(sizes) + tuple(shape[dim + 1:])
