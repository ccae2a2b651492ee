"""The dense tensor's side of the sparse layout: the conversions ``to_sparse``/
``to_sparse_coo``/``to_sparse_csr``/``to_dense`` (``is_sparse`` is False: ``legacy.py``). The COO tensor itself lives in
``tinygrad_bn/sparse``."""

from __future__ import annotations


class SparseMethods:
    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        """This tensor's non-zero elements as a coalesced COO tensor (PyTorch's ``to_sparse``;
        ``sparse_dim`` leading dimensions indexed, the rest kept as dense blocks)."""
        from ..sparse.coo import to_sparse  # the sparse package builds on the tensor

        return to_sparse(self, sparse_dim, layout=layout, blocksize=blocksize,
                         dense_dim=dense_dim)

    def to_sparse_coo(self, sparse_dim=None):
        """``to_sparse(sparse_dim)`` (the COO layout)."""
        return self.to_sparse(sparse_dim)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """A dense tensor is its own dense form (PyTorch returns it as is)."""
        return self if dtype is None else self.to(dtype)

    def to_sparse_csr(self, dense_dim=None):
        """This 2-D tensor as a CSR matrix (PyTorch's ``to_sparse_csr``)."""
        from ..sparse.csr import to_sparse_csr  # the sparse package builds on the tensor

        return to_sparse_csr(self, dense_dim)
