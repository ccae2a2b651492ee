"""ATen's older norm entries that PyTorch keeps at top level for TorchScript and for
``weight_norm``: ``torch.frobenius_norm``, ``torch.nuclear_norm`` (both deprecated, with
PyTorch's warning, given once per process as its ``TORCH_WARN_ONCE``) and
``torch.norm_except_dim``. Each is ``linalg.vector_norm`` or ``linalg.matrix_norm``, so values,
gradients and create_graph are theirs."""

from __future__ import annotations

import warnings

from .. import dtypes
from ..shapes import normalize_dim
from .core import Tensor

_WARNED = set()
_DEPRECATED = {
    "frobenius_norm": ("at::frobenius_norm is deprecated and it is just left for JIT "
                       "compatibility. It will be removed in a future PyTorch release. Please use "
                       "`linalg.vector_norm(A, 2., dim, keepdim)` instead"),
    "nuclear_norm": ("at::nuclear_norm is deprecated and it is just left for JIT compatibility. "
                     "It will be removed in a future PyTorch release. Please use "
                     "`linalg.matrix_norm(A, 'nuc', dim, keepdim)` instead"),
}


def _warn_once(name):
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(_DEPRECATED[name], UserWarning, stacklevel=3)


def _check_floating(input):
    """``Tensor.norm``'s refusal of integer and bool tensors, in ATen's words."""
    if not dtypes.is_floating(input._array.dtype):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {dtypes.scalar_type_name(input._array.dtype)} instead.")


def frobenius_norm(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """The 2-norm over at most two dims ``dim`` (every dim when empty):
    ``linalg.vector_norm(input, 2, dim, keepdim)``. Deprecated in PyTorch."""
    _warn_once("frobenius_norm")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dims)} dimensions "
                           f"instead.")
    _check_floating(input)
    from ..linalg import vector_norm  # the linalg namespace imports this package's tensors
    return vector_norm(input, 2, dims or None, keepdim)


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False) -> Tensor:
    """The sum of the singular values of the matrices over ``dim`` (default the last two):
    ``linalg.matrix_norm(input, 'nuc', dim, keepdim)``; ``nuclear_norm(input, keepdim)`` as
    ATen's first overload. Deprecated in PyTorch."""
    _warn_once("nuclear_norm")
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    from ..linalg import matrix_norm  # the linalg namespace imports this package's tensors
    return matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:  # noqa: A002 - ATen's
    """The ``pow``-norm of ``v`` over every dim but ``dim``, that dim kept and the others left
    as size 1 (``weight_norm``'s ``g``); ``dim`` -1 means over every dim (a 0-d result)."""
    _check_floating(v)
    if dim == -1:
        return v.norm(pow)
    kept = normalize_dim(dim, v.ndim)
    others = tuple(d for d in range(v.ndim) if d != kept)
    from ..linalg import vector_norm  # the linalg namespace imports this package's tensors
    return vector_norm(v, pow, others, keepdim=True)
