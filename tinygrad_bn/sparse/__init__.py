"""PyTorch's ``torch.sparse``: COO tensors (``coo.py``), CSR matrices (``csr.py``) and the
functions that take them.

``mm`` and ``addmm`` multiply a 2-D COO tensor by a dense matrix, with a sparse gradient for the
sparse operand (its positions only); ``sum`` adds up all or some dimensions."""

from ..tensor import Tensor
from .coo import (  # noqa: F401
    SparseArray, SparseTensor, _sparse_dense_product, sparse_coo, sparse_coo_tensor, to_sparse,
)
from .csr import SparseCsrTensor, sparse_csr, sparse_csr_tensor  # noqa: F401


def mm(mat1: Tensor, mat2: Tensor, reduce=None) -> Tensor:
    """``mat1 @ mat2`` for a sparse COO ``mat1`` ``(n, k)`` and a dense ``mat2`` ``(k, m)``:
    a dense ``(n, m)``. As PyTorch's, ``mat1``'s gradient is sparse, ``grad @ mat2.T`` at
    ``mat1``'s coalesced positions. (Two dense operands: ``torch.mm``.)"""
    if reduce is not None:
        raise NotImplementedError("tinygrad_bn: sparse.mm(reduce=...) is not supported")
    if isinstance(mat1, SparseTensor):
        return _sparse_dense_product(mat1, mat2, masked_grad=True)
    if isinstance(mat1, SparseCsrTensor):
        return mat1.matmul(mat2)
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


def _softmax(input, dim, dtype, logarithm):
    """Softmax (or its logarithm) of a COO tensor along ``dim`` over the stored elements only
    (the unspecified ones count as minus infinity): a coalesced COO tensor of the same
    positions. ``exp(v - max) / sum`` per group of positions equal but along ``dim``."""
    import numpy as np

    from .coo import SparseArray as _SparseArray, _backend_refusal, _no_sparse_graph, \
        sparse_tensor

    if not isinstance(input, SparseTensor):
        raise _backend_refusal("aten::_sparse_softmax" if not logarithm
                               else "aten::_sparse_log_softmax")
    _no_sparse_graph(input, "sparse.log_softmax" if logarithm else "sparse.softmax")
    array = input._array.coalesce()
    values = array.values if dtype is None else array.values.astype(dtype)
    dim = dim % input.ndim
    if dim >= array.sparse_dim:  # along a dense dimension: within each stored block
        axis = dim - array.sparse_dim + 1
        shifted = values - values.max(axis=axis, keepdims=True)
        total = np.exp(shifted).sum(axis=axis, keepdims=True)
    else:
        others = [d for d in range(array.sparse_dim) if d != dim]
        keys = np.ravel_multi_index(tuple(array.indices[others]),
                                    tuple(array.shape[d] for d in others)) if others else \
            np.zeros(array.nnz, np.int64)
        _, groups = np.unique(keys, return_inverse=True)
        count = int(groups.max()) + 1 if groups.size else 0
        peak = np.full((count,) + values.shape[1:], -np.inf, values.dtype)
        np.maximum.at(peak, groups, values)
        shifted = values - peak[groups]
        total = np.zeros((count,) + values.shape[1:], values.dtype)
        np.add.at(total, groups, np.exp(shifted))
        total = total[groups]
    result = shifted - np.log(total)
    if not logarithm:  # exp of the logarithm: PyTorch's roundings more often than a division
        result = np.exp(result)
    return sparse_tensor(_SparseArray(array.indices, result.astype(values.dtype), array.shape,
                                      True))


def softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """PyTorch's ``torch.sparse.softmax``: softmax along ``dim`` over the stored elements of a
    COO tensor (unspecified ones are minus infinity, not zero); a COO tensor of its coalesced
    positions. Not differentiable here."""
    return _softmax(input, dim, dtype, False)


def log_softmax(input: Tensor, dim: int, *, dtype=None) -> Tensor:
    """PyTorch's ``torch.sparse.log_softmax``: ``softmax``'s logarithm, computed as
    ``(v - max) - log(sum(exp(v - max)))`` (``softmax`` is its ``exp``). Not differentiable
    here."""
    return _softmax(input, dim, dtype, True)
