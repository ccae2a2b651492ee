"""PyTorch's ``torch.sparse``: COO tensors (``coo.py``) and the functions that take them.

``mm`` and ``addmm`` multiply a 2-D COO tensor by a dense matrix, with a sparse gradient for the
sparse operand (its positions only); ``sum`` adds up all or some dimensions."""

from ..tensor import Tensor
from .coo import (  # noqa: F401
    SparseArray, SparseTensor, _sparse_dense_product, sparse_coo, sparse_coo_tensor, to_sparse,
)


def mm(mat1: Tensor, mat2: Tensor, reduce=None) -> Tensor:
    """``mat1 @ mat2`` for a sparse COO ``mat1`` ``(n, k)`` and a dense ``mat2`` ``(k, m)``:
    a dense ``(n, m)``. As PyTorch's, ``mat1``'s gradient is sparse, ``grad @ mat2.T`` at
    ``mat1``'s coalesced positions. (Two dense operands: ``torch.mm``.)"""
    if reduce is not None:
        raise NotImplementedError("tinygrad_bn: sparse.mm(reduce=...) is not supported")
    if isinstance(mat1, SparseTensor):
        return _sparse_dense_product(mat1, mat2, masked_grad=True)
    if isinstance(mat2, SparseTensor):
        raise NotImplementedError("tinygrad_bn: sparse.mm with a sparse right operand is not "
                                  "supported")
    return mat1.mm(mat2)


def addmm(mat: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1.0,
          alpha: float = 1.0) -> Tensor:
    """``beta * mat + alpha * (mat1 @ mat2)`` with a sparse ``mat1`` (``sparse.mm``'s
    gradients) and dense ``mat`` and ``mat2``."""
    product = mm(mat1, mat2)
    if alpha != 1:
        product = product * alpha
    return product + (mat if beta == 1 else mat * beta)


def sum(input: Tensor, dim=None, dtype=None) -> Tensor:  # noqa: A001 - torch.sparse.sum
    """The sum of a COO tensor's values: over everything (a dense 0-d tensor), or over the
    dimensions ``dim``: a COO tensor over the sparse dimensions left (dense when none are)."""
    import numpy as np

    from ..autograd.grad_mode import no_grad
    from .coo import SparseArray as _SparseArray, _no_sparse_graph, sparse_tensor

    if not isinstance(input, SparseTensor):
        raise RuntimeError("input must be sparse")
    if dim is None:
        return input.to_dense().sum(dtype=dtype)
    _no_sparse_graph(input, "sparse.sum")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = sorted({d % input.ndim for d in dims})
    array = input._array
    sparse_dim = array.sparse_dim
    sparse_dims = [d for d in dims if d < sparse_dim]
    dense_dims = tuple(d - sparse_dim + 1 for d in dims if d >= sparse_dim)
    values = array.values.sum(axis=dense_dims) if dense_dims else array.values
    if dtype is not None:
        values = values.astype(dtype)
    kept = [d for d in range(sparse_dim) if d not in sparse_dims]
    shape = tuple(s for d, s in enumerate(array.shape) if d not in dims)
    if not kept:
        with no_grad():
            return Tensor._make(values.sum(axis=0), None)
    return sparse_tensor(_SparseArray(array.indices[kept], values, shape).coalesce())
