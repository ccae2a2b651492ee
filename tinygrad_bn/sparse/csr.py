"""Sparse CSR matrices (PyTorch's ``torch.sparse_csr`` layout): 2-D only, no dense
dimensions, no autograd through the sparse operand.

A CSR matrix of ``size (n, m)`` holds ``crow_indices`` (``n + 1`` int64: row ``r``'s entries are
``crow[r]:crow[r + 1]``), ``col_indices`` (one column per entry, sorted within a row) and
``values``. Products with a dense matrix run through the COO product (``coo.py``), whose
gradient for the dense operand this shares.
"""

from __future__ import annotations

import numpy as np

from ..layouts import sparse_csr
from ..tensor import Tensor
from .coo import (
    SparseArray, SparseDenseMatMul, _backend_refusal, _new_object, sparse_repr,
    sparse_tensor,
)


class CsrArray:
    """The storage of a CSR matrix: ``crow`` (``n + 1``), ``col`` and ``values`` (``nnz``) and
    ``shape``. ``coo()`` is the same matrix as a coalesced COO ``SparseArray``."""

    __slots__ = ("crow", "col", "values", "shape")

    def __init__(self, crow, col, values, shape):
        self.crow, self.col, self.values, self.shape = crow, col, values, tuple(shape)

    dtype = property(lambda self: self.values.dtype)
    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    def coo(self):
        rows = np.repeat(np.arange(self.shape[0], dtype=np.int64), np.diff(self.crow))
        return SparseArray(np.stack([rows, self.col]), self.values, self.shape, True)

    # what SparseDenseMatMul reads of its sparse operand
    indices = property(lambda self: self.coo().indices)
    T = property(lambda self: self.coo().T)

    def coalesce(self):
        return self.coo()

    def __matmul__(self, dense):
        return self.coo() @ dense

    def __array__(self, dtype=None, copy=None):
        raise _csr_refusal("aten::view")

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "__call__" and ufunc is np.matmul and inputs[0] is self and not out:
            return self @ inputs[1]  # torch.matmul(csr, dense): ops.MatMul's forward
        raise _csr_refusal(f"aten::{ufunc.__name__}")


def _csr_refusal(name):
    """PyTorch's error for an op it has no CSR kernel for."""
    return NotImplementedError(str(_backend_refusal(name)).replace("SparseCPU", "SparseCsrCPU"))


def csr_of(coo_array):
    """A 2-D COO ``SparseArray`` (no dense dimensions) as a ``CsrArray``."""
    coalesced = coo_array.coalesce()
    rows, columns = coalesced.indices
    crow = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=coo_array.shape[0]))])
    return CsrArray(crow.astype(np.int64), columns.copy(), coalesced.values.copy(),
                    coo_array.shape)


class SparseCsrTensor(Tensor):
    """A matrix in the ``torch.sparse_csr`` layout; its ``_array`` is a ``CsrArray``. Made by
    ``sparse_csr_tensor`` and ``to_sparse_csr()``."""

    is_sparse = False
    is_sparse_csr = True

    @property
    def layout(self):
        """``torch.sparse_csr``."""
        return sparse_csr

    def crow_indices(self) -> Tensor:
        """Where each row's entries start (``n + 1`` int64, the last is nnz)."""
        return Tensor._make(self._array.crow, None)

    def col_indices(self) -> Tensor:
        """Each entry's column."""
        return Tensor._make(self._array.col, None)

    def values(self) -> Tensor:
        """Each entry's value."""
        return Tensor._make(self._array.values, None)

    def _nnz(self) -> int:
        """How many entries are stored."""
        return self._array.values.shape[0]

    def to_dense(self, dtype=None, *, masked_grad=None) -> Tensor:
        """The dense matrix."""
        dense = Tensor._make(self._array.coo().to_dense(), None)
        return dense if dtype is None else dense.to(dtype)

    def to_sparse(self, *args, layout=None, **kwargs):
        """The COO form (``layout`` ``sparse_csr``: itself)."""
        if layout is sparse_csr:
            return self
        return sparse_tensor(self._array.coo())

    to_sparse_coo = to_sparse

    def to_sparse_csr(self, dense_dim=None):
        """Itself."""
        return self

    def matmul(self, other: Tensor) -> Tensor:
        """``self @ other`` with a dense 2-D ``other``: a dense result; the gradient reaches
        ``other`` (``sparse.T @ grad``)."""
        if not isinstance(other, Tensor) or other.is_sparse or other.ndim != 2:
            raise NotImplementedError("tinygrad_bn: a CSR matrix multiplies a dense matrix only")
        if self.shape[1] != other.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({self.shape[0]}x"
                               f"{self.shape[1]} and {other.shape[0]}x{other.shape[1]})")
        return SparseDenseMatMul.apply(self, other, masked_grad=True)

    __matmul__ = matmul

    def mm(self, other: Tensor) -> Tensor:
        """``matmul``."""
        return self.matmul(other)

    def view(self, *shape):
        """Refused, as PyTorch refuses it."""
        raise _csr_refusal("aten::view")

    def numpy(self, *, force=False):
        """Refused, as PyTorch refuses it: ``to_dense().numpy()``."""
        raise TypeError("can't convert SparseCsr layout tensor to numpy. Use Tensor.to_dense() "
                        "first.")

    def __reduce_ex__(self, protocol):
        """``(rebuild_csr, (crow, col, values, size))``: the data only (pickle, ``save``)."""
        array = self._array
        return rebuild_csr, (array.crow, array.col, array.values, array.shape)

    def __deepcopy__(self, memo):
        array = self._array
        copied = memo[id(self)] = csr_tensor(CsrArray(array.crow.copy(), array.col.copy(),
                                                      array.values.copy(), array.shape))
        return copied

    def __repr__(self):
        array = self._array
        return sparse_repr(self, [("crow_indices", array.crow), ("col_indices", array.col),
                                  ("values", array.values)], "sparse_csr")

    __str__ = __repr__


def rebuild_csr(crow, col, values, shape):
    """The CSR matrix a pickle holds (``SparseCsrTensor.__reduce_ex__``)."""
    return csr_tensor(CsrArray(crow, col, values, shape))


def csr_tensor(array):
    """A ``SparseCsrTensor`` around ``array`` (a ``CsrArray``)."""
    tensor = _new_object(SparseCsrTensor)
    tensor._array = array
    tensor._grad = tensor.grad_fn = tensor._version_counter = tensor._base = None
    tensor._hooks = None
    tensor._requires_grad = False
    return tensor


def _integers(value):
    return value._array if isinstance(value, Tensor) else np.asarray(value)


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype=None,
                      device=None, pin_memory=False, requires_grad=False,
                      check_invariants=None):
    """PyTorch's ``torch.sparse_csr_tensor`` for a 2-D matrix: without ``size``,
    ``(len(crow_indices) - 1, max(col_indices) + 1)``. ``requires_grad=True`` is refused here
    (no autograd through CSR matrices)."""
    if requires_grad:
        raise NotImplementedError("tinygrad_bn: CSR tensors do not take requires_grad")
    crow = _integers(crow_indices).astype(np.int64)
    col = _integers(col_indices).astype(np.int64)
    value = values._array if isinstance(values, Tensor) else Tensor(values)._array
    value = np.array(value if dtype is None else value.astype(dtype), copy=True)
    if crow.ndim != 1 or col.ndim != 1 or value.ndim != 1:
        raise NotImplementedError("tinygrad_bn: only 2-D CSR matrices without batch or dense "
                                  "dimensions")
    if col.shape[0] != value.shape[0]:  # (PyTorch checks only with check_invariants=True)
        raise RuntimeError(f"col_indices.shape[-1] must be equal to nnz (={value.shape[0]}) as "
                           f"defined by values.shape[0], but got {col.shape[0]}")
    shape = (crow.shape[0] - 1, int(col.max()) + 1 if col.size else 0) if size is None \
        else tuple(int(s) for s in size)
    return csr_tensor(CsrArray(crow, col, value, shape))


def to_sparse_csr(tensor, dense_dim=None):
    """``Tensor.to_sparse_csr()`` of a 2-D dense or COO tensor (no gradient here)."""
    if isinstance(tensor, SparseCsrTensor):
        return tensor
    if tensor.ndim != 2 or dense_dim:
        raise NotImplementedError("tinygrad_bn: to_sparse_csr of a 2-D tensor only")
    coo = tensor if tensor.is_sparse else tensor.detach().to_sparse()
    return csr_tensor(csr_of(coo._array))

