"""Sparse CSR matrices (tinygrad_bn/sparse/csr.py) against PyTorch: making them, their parts
and print, conversions, products with a dense matrix and the dense operand's gradient."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tests.pytorch_errors import error_tests

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks",
                                        "ignore:Sparse CSR tensor support is in beta")

DENSE = [[0., 0., 4.], [4., 0., 5.], [0., 0., 0.], [1.5, -2., 0.]]


def both(make):
    return make(torch), make(tg)


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor(DENSE).to_sparse_csr(),
    lambda lib: lib.tensor(DENSE, dtype=lib.float64).to_sparse_csr(),
    lambda lib: lib.tensor(DENSE).to_sparse().to_sparse_csr(),
    lambda lib: lib.sparse_csr_tensor(lib.tensor([0, 1, 3]), lib.tensor([2, 0, 2]),
                                      lib.tensor([4., 4., 5.]), (2, 3)),
    lambda lib: lib.sparse_csr_tensor(lib.tensor([0, 1, 3]), lib.tensor([2, 0, 2]),
                                      lib.tensor([4., 4., 5.])),
    lambda lib: lib.zeros(2, 3).to_sparse_csr(),
], ids=["dense", "float64", "from_coo", "made", "size_inferred", "empty"])
def test_csr_parts_and_print_as_pytorch(make):
    theirs, ours = both(make)
    assert repr(ours) == repr(theirs)
    assert repr(ours.layout) == repr(theirs.layout) == "torch.sparse_csr"
    assert (ours.is_sparse, ours.is_sparse_csr, ours._nnz()) == \
        (theirs.is_sparse, theirs.is_sparse_csr, theirs._nnz())
    for part in ("crow_indices", "col_indices", "values"):
        np.testing.assert_array_equal(getattr(ours, part)().numpy(),
                                      getattr(theirs, part)().numpy())
    np.testing.assert_array_equal(ours.to_dense().numpy(), theirs.to_dense().numpy())
    assert repr(ours.to_sparse()) == repr(theirs.to_sparse())
    assert tuple(ours.shape) == tuple(theirs.shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("product", ["@", "mm", "matmul", "sparse.mm"])
def test_csr_dense_product_and_dense_gradient_as_pytorch(product, dtype):
    dense = np.sin(np.arange(6.0)).reshape(3, 2).astype(dtype)

    def run(lib):
        c = lib.tensor(DENSE, dtype=getattr(lib, dtype)).to_sparse_csr()
        d = lib.tensor(dense, requires_grad=True)
        out = {"@": lambda: c @ d, "mm": lambda: lib.mm(c, d),
               "matmul": lambda: lib.matmul(c, d), "sparse.mm": lambda: lib.sparse.mm(c, d)}[
            product]()
        out.pow(2).sum().backward()
        return out.detach().numpy(), d.grad.numpy()

    (out_t, grad_t), (out_o, grad_o) = both(run)
    tol = dict(rtol=1e-6) if dtype == "float32" else dict(rtol=1e-14)
    np.testing.assert_allclose(out_o, out_t, **tol)
    np.testing.assert_allclose(grad_o, grad_t, **tol)
    assert out_o.dtype == out_t.dtype and not tg.ones(1).is_sparse_csr


ERRORS = [
    ("numpy", lambda lib: lib.tensor(DENSE).to_sparse_csr().numpy(), TypeError,
     "can't convert SparseCsr layout tensor to numpy. Use Tensor.to_dense() first."),
    ("nnz", lambda lib: lib.sparse_csr_tensor(lib.tensor([0, 1, 3]), lib.tensor([2, 0]),
                                              lib.tensor([4., 4., 5.]), (2, 3),
                                              check_invariants=True),
     RuntimeError, "col_indices.shape[-1] must be equal to nnz (=3) as defined by "
     "values.shape[0], but got 2"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def test_dense_ops_on_csr_raise_not_implemented():
    for lib in (torch, tg):
        with pytest.raises(NotImplementedError, match="'aten::view' with arguments from the "
                                                      "'SparseCsrCPU' backend"):
            lib.tensor(DENSE).to_sparse_csr().view(-1)
    with pytest.raises(NotImplementedError, match="'SparseCsrCPU' backend"):
        tg.tensor(DENSE).to_sparse_csr().exp()  # (PyTorch: RuntimeError, unsupported layout)
