"""Sparse COO tensors (tinygrad_bn/sparse) against PyTorch: making them, their parts and
printing, coalescing, the products with a dense matrix and their gradients, sparse embedding
gradients and the optimizers that take them (SparseAdam, SGD, Adagrad), and the errors."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tests.pytorch_errors import error_tests

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Sparse invariant checks")


def both(make):
    """``make(lib)`` run with PyTorch and with tinygrad_bn."""
    return make(torch), make(tg)


def arr(t):
    return t.detach().numpy() if not t.is_sparse else None


def same_sparse(theirs, ours, exact=True):
    """Two COO tensors with equal size, nnz, stored indices and values (in stored order)."""
    assert ours.is_sparse and theirs.is_sparse
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.is_coalesced() == theirs.is_coalesced()
    assert ours._nnz() == theirs._nnz()
    np.testing.assert_array_equal(ours._indices().numpy(), theirs._indices().numpy())
    values_t, values_o = theirs._values().detach().numpy(), ours._values().numpy()
    assert values_o.dtype == values_t.dtype
    if exact:
        np.testing.assert_array_equal(values_o, values_t)
    else:
        np.testing.assert_allclose(values_o, values_t, rtol=1e-6, atol=1e-7)


INDICES = [[0, 1, 1, 0], [2, 0, 2, 2]]
BLOCKS = np.sin(np.arange(12.0)).reshape(3, 4).astype("float32") * 3


def coo(lib, dtype="float32", **kwargs):
    return lib.sparse_coo_tensor(lib.tensor(INDICES), lib.tensor([3., 4., 5., 1.],
                                 dtype=getattr(lib, dtype)), (2, 3), **kwargs)


# ---------------------------------------------------------------------- making and reading


@pytest.mark.parametrize("make", [
    lambda lib: coo(lib),
    lambda lib: coo(lib).coalesce(),
    lambda lib: coo(lib, "float64"),
    lambda lib: coo(lib, requires_grad=True),
    lambda lib: lib.sparse_coo_tensor(lib.tensor([[0, 2]]), lib.tensor([1, 2])),
    lambda lib: lib.sparse_coo_tensor(lib.tensor([[0, 2]]), lib.tensor([[1., 2.], [3., 4.]]),
                                      (4, 2)),
    lambda lib: lib.sparse_coo_tensor(lib.zeros(2, 0, dtype=lib.long), lib.zeros(0), (2, 3)),
    lambda lib: lib.tensor([[0., 1.5], [2., 0.]]).to_sparse(),
    lambda lib: lib.tensor([[0., 0.], [2., 0.], [0., 0.]]).to_sparse(1),
    lambda lib: coo(lib).t(),
    lambda lib: coo(lib) * 2,
    lambda lib: 2 * coo(lib) / 4,
    lambda lib: coo(lib) + coo(lib),
    lambda lib: coo(lib) + lib.tensor([[0., 3., 0.], [1., 1., 0.]]).to_sparse(),
    lambda lib: coo(lib).coalesce() + lib.tensor([[0., 3., 0.], [1., 1., 0.]]).to_sparse(),
    lambda lib: -coo(lib),
    lambda lib: coo(lib).double(),
    lambda lib: lib.sparse.sum(coo(lib), dim=1),
    lambda lib: lib.sparse.sum(lib.sparse_coo_tensor(lib.tensor(INDICES),
                                                     lib.ones(4, 2), (2, 3, 2)), dim=(0, 2)),
    lambda lib: lib.sparse.softmax(coo(lib), 1),
    lambda lib: lib.sparse.softmax(coo(lib), 0, dtype=lib.float64),
    lambda lib: lib.sparse.log_softmax(coo(lib), -1),
    lambda lib: lib.sparse.log_softmax(lib.sparse_coo_tensor(lib.tensor([[0, 2, 0]]),
                                                             lib.tensor(BLOCKS), (3, 4)), 1),
    lambda lib: lib.sparse.softmax(lib.sparse_coo_tensor(lib.tensor([[0, 2, 0]]),
                                                         lib.tensor(BLOCKS), (3, 4)), 0),
], ids=["uncoalesced", "coalesced", "float64", "requires_grad", "int_values", "dense_dim",
        "empty", "to_sparse", "to_sparse_1", "t", "times_2", "div", "add_same", "add_merge",
        "add_coalesced", "neg", "double", "sum_dim", "sum_dims", "softmax", "softmax_dtype",
        "log_softmax", "log_softmax_dense_dim", "softmax_dense_dim"])
def test_coo_parts_and_print_as_pytorch(make):
    theirs, ours = both(make)
    same_sparse(theirs, ours, exact=False)
    assert repr(ours) == repr(theirs)
    assert (ours.sparse_dim(), ours.dense_dim(), ours.layout is tg.sparse_coo) == \
        (theirs.sparse_dim(), theirs.dense_dim(), True)
    assert repr(ours.layout) == repr(theirs.layout) == "torch.sparse_coo"
    np.testing.assert_allclose(ours.to_dense().detach().numpy(),  # (softmax's exp rounds
                               theirs.to_dense().detach().numpy(),  # otherwise)
                               rtol=1e-6 if ours.dtype == tg.float32 else 4e-16)
    assert ours.dtype == getattr(tg, str(theirs.dtype).split(".")[1])


def test_indices_values_coalesce_and_queries():
    theirs, ours = both(coo)
    assert not ours.is_coalesced() and ours.is_sparse and not tg.ones(2).is_sparse
    coalesced_t, coalesced_o = theirs.coalesce(), ours.coalesce()
    np.testing.assert_array_equal(coalesced_o.indices().numpy(), coalesced_t.indices().numpy())
    np.testing.assert_array_equal(coalesced_o.values().numpy(), coalesced_t.values().numpy())
    assert coalesced_o.coalesce() is coalesced_o
    assert ours.shape == tg.Size([2, 3]) and ours.dim() == 2 and ours._nnz() == 4
    assert tg.sparse_coo_tensor(tg.tensor(INDICES), tg.ones(4)).shape == \
        torch.sparse_coo_tensor(torch.tensor(INDICES), torch.ones(4)).shape
    assert tg.ones(2).to_dense() is not None
    assert ours.to_sparse() is ours


# ---------------------------------------------------------------------- products and gradients


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("product", ["sparse.mm", "mm", "matmul", "@", "addmm"])
def test_sparse_dense_product_and_gradients_as_pytorch(product, dtype):
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((3, 4)).astype(dtype)
    bias = rng.standard_normal((2, 4)).astype(dtype)
    seed = rng.standard_normal((2, 4)).astype(dtype)

    def run(lib):
        s = coo(lib, dtype, requires_grad=True)
        d = lib.tensor(dense, requires_grad=True)
        out = {"sparse.mm": lambda: lib.sparse.mm(s, d), "mm": lambda: lib.mm(s, d),
               "matmul": lambda: lib.matmul(s, d), "@": lambda: s @ d,
               "addmm": lambda: lib.sparse.addmm(lib.tensor(bias), s, d, beta=0.5,
                                                 alpha=2.0)}[product]()
        (out * lib.tensor(seed)).sum().backward()
        return out, s.grad, d.grad

    (out_t, sgrad_t, dgrad_t), (out_o, sgrad_o, dgrad_o) = both(run)
    tol = dict(rtol=1e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(out_o.detach().numpy(), out_t.detach().numpy(), **tol)
    assert out_o.dtype == getattr(tg, dtype) and not out_o.is_sparse
    np.testing.assert_allclose(dgrad_o.numpy(), dgrad_t.numpy(), **tol)
    assert sgrad_o.is_sparse == sgrad_t.is_sparse  # sparse.mm: sparse; mm: dense, as PyTorch
    if sgrad_t.is_sparse:
        same_sparse(sgrad_t, sgrad_o, exact=False)
    else:
        np.testing.assert_allclose(sgrad_o.numpy(), sgrad_t.numpy(), **tol)


def test_to_dense_gradient_is_sparse_as_pytorchs():
    def run(lib):
        s = coo(lib, "float64", requires_grad=True)
        (s.to_dense() * lib.arange(6, dtype=lib.float64).reshape(2, 3)).sum().backward()
        return s.grad
    same_sparse(*both(run))


def test_sparse_mm_dense_gradient_passes_gradcheck():
    s = coo(tg, "float64")
    d = tg.randn(3, 2, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x: tg.sparse.mm(s, x), (d,))


def test_sparse_sum_everything_and_gcn_like_step():
    theirs, ours = both(lambda lib: lib.sparse.sum(coo(lib)))
    assert float(ours) == float(theirs) and not ours.is_sparse


# ---------------------------------------------------------------------- sparse embedding gradients


@pytest.mark.parametrize("options", [{}, {"padding_idx": 1}], ids=["plain", "padding_idx"])
def test_embedding_sparse_gradient_as_pytorchs(options):
    weight = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")

    def run(lib):
        e = lib.nn.Embedding(5, 3, sparse=True, **options)
        with lib.no_grad():
            e.weight.copy_(lib.tensor(weight))
        e(lib.tensor([[1, 3], [1, 0]])).pow(2).sum().backward()
        first = e.weight.grad
        e(lib.tensor([4, 3])).sum().backward()  # a second backward: entries concatenated
        return first, e.weight.grad

    (first_t, second_t), (first_o, second_o) = both(run)
    same_sparse(first_t, first_o, exact=False)
    same_sparse(second_t, second_o, exact=False)


def test_embedding_used_twice_in_one_backward_concatenates_as_pytorch():
    def run(lib):
        e = lib.nn.Embedding(5, 2, sparse=True)
        (e(lib.tensor([1, 3])).sum() + 2 * e(lib.tensor([0, 3])).sum()).backward()
        return e.weight.grad
    same_sparse(*both(run))


def test_functional_embedding_sparse_and_dense_gradient_added():
    def run(lib):
        weight = lib.ones(4, 2, requires_grad=True)
        lib.nn.functional.embedding(lib.tensor([1, 1]), weight, sparse=True).sum().backward()
        (weight * 3).sum().backward()  # dense added to sparse: dense
        return weight.grad
    theirs, ours = both(run)
    assert not ours.is_sparse and not theirs.is_sparse
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---------------------------------------------------------------------- optimizers


def embedding_training(lib, optimizer, options, dtype="float64", steps=6):
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((7, 3))
    batches = [rng.integers(0, 7, 5) for _ in range(steps)]
    e = lib.nn.Embedding(7, 3, sparse=True).to(getattr(lib, dtype))
    with lib.no_grad():
        e.weight.copy_(lib.tensor(weight))
    opt = getattr(lib.optim, optimizer)(e.parameters(), **options)
    for batch in batches:
        opt.zero_grad()
        e(lib.tensor(batch)).pow(2).sum().backward()
        opt.step()
    return e.weight.detach().numpy(), opt


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("optimizer, options", [
    ("SparseAdam", dict(lr=0.1)),
    ("SparseAdam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, maximize=True)),
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, dampening=0.3, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5, maximize=True)),
])
def test_optimizers_with_sparse_gradients_as_pytorch(optimizer, options, dtype):
    (theirs, opt_t), (ours, opt_o) = both(lambda lib: embedding_training(lib, optimizer, options,
                                                                         dtype))
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ours, theirs, **tol)
    state_t = {k: v for k, v in opt_t.state_dict()["state"].get(0, {}).items()
               if v is not None}
    state_o = opt_o.state_dict()["state"].get(0, {})  # (plain SGD keeps no state here)
    assert sorted(state_o) == sorted(state_t)
    for name, value in state_t.items():
        if isinstance(value, torch.Tensor) and value.is_sparse:
            same_sparse(value, state_o[name], exact=False)
        elif isinstance(value, torch.Tensor):
            np.testing.assert_allclose(np.asarray(state_o[name].numpy()), value.numpy(), **tol)
        else:
            assert type(state_o[name]) is type(value) and state_o[name] == value


def test_sparse_adam_is_bit_close_in_float64():
    """Equal for 9 steps; at the tenth two elements differ in their last bit (the moments stay
    equal)."""
    (theirs, _), (ours, _) = both(lambda lib: embedding_training(lib, "SparseAdam",
                                                                 dict(lr=0.1), steps=9))
    np.testing.assert_array_equal(ours, theirs)
    (theirs, _), (ours, _) = both(lambda lib: embedding_training(lib, "SparseAdam",
                                                                 dict(lr=0.1), steps=30))
    np.testing.assert_allclose(ours, theirs, rtol=4e-16, atol=0)


@pytest.mark.parametrize("optimizer", ["Adam", "AdamW", "Adadelta", "Adamax", "NAdam", "RAdam",
                                       "Rprop", "ASGD", "RMSprop", "Adafactor"])
def test_dense_optimizers_refuse_sparse_gradients_as_pytorch(optimizer):
    messages = []
    for lib in (torch, tg):
        e = lib.nn.Embedding(5, 2, sparse=True)
        before = e.weight.detach().clone()
        e(lib.tensor([1, 3, 1])).sum().backward()
        with pytest.raises(RuntimeError) as raised:
            getattr(lib.optim, optimizer)(e.parameters(), lr=0.1).step()
        messages.append(str(raised.value))
        np.testing.assert_array_equal(e.weight.detach().numpy(), before.numpy())
    assert messages[1] == messages[0]


def embedding_grad(lib):
    e = lib.nn.Embedding(5, 2, sparse=True)
    e(lib.tensor([1, 3])).sum().backward()
    return e.weight


def dense_grad(lib):
    w = lib.nn.Parameter(lib.ones(3))
    w.grad = lib.ones(3)
    return w


ERRORS = [
    ("indices_uncoalesced", lambda lib: coo(lib).indices(), RuntimeError,
     "Cannot get indices on an uncoalesced tensor, please call .coalesce() first"),
    ("values_uncoalesced", lambda lib: coo(lib).values(), RuntimeError,
     "Cannot get values on an uncoalesced tensor, please call .coalesce() first"),
    ("add_sparse_dense", lambda lib: coo(lib) + lib.ones(2, 3), RuntimeError,
     "add(sparse, dense) is not supported. Use add(dense, sparse) instead."),
    ("size_inconsistent", lambda lib: lib.sparse_coo_tensor(lib.tensor(INDICES), lib.ones(4),
                                                            (2, 2), check_invariants=True),
     RuntimeError, "size is inconsistent with indices: for dim 1, size is 2 but found index 2"),
    ("nnz_mismatch", lambda lib: lib.sparse_coo_tensor(lib.tensor(INDICES), lib.ones(3),
                                                       (2, 3)),
     RuntimeError, "indices and values must have same nnz, but got nnz from indices: 4, nnz "
     "from values: 3"),
    ("ndim_mismatch", lambda lib: lib.sparse_coo_tensor(lib.tensor(INDICES), lib.ones(4),
                                                        (2, 3, 4)),
     RuntimeError, "'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = 3, "
     "sparse_dim = 2, dense_dim = 0"),
    ("sparse_adam_dense_grad", lambda lib: lib.optim.SparseAdam([dense_grad(lib)]).step(),
     RuntimeError, "SparseAdam does not support dense gradients, please consider Adam instead"),
    ("sparse_adam_lr", lambda lib: lib.optim.SparseAdam([dense_grad(lib)], lr=0.0), ValueError,
     "Invalid learning rate: 0.0"),
    ("sparse_adam_eps", lambda lib: lib.optim.SparseAdam([dense_grad(lib)], eps=0.0), ValueError,
     "Invalid epsilon value: 0.0"),
    ("sparse_adam_beta0", lambda lib: lib.optim.SparseAdam([dense_grad(lib)], betas=(1.0, 0.9)),
     ValueError, "Invalid beta parameter at index 0: 1.0"),
    ("sparse_adam_beta1", lambda lib: lib.optim.SparseAdam([dense_grad(lib)],
                                                           betas=(0.9, -0.1)),
     ValueError, "Invalid beta parameter at index 1: -0.1"),
    ("sparse_adam_sparse_param", lambda lib: lib.optim.SparseAdam(
        [lib.tensor([[1., 0.]]).to_sparse().requires_grad_()]), ValueError,
     "Sparse params at indices [[0, 0]]: SparseAdam requires dense parameter tensors"),
    ("sgd_weight_decay", lambda lib: lib.optim.SGD([embedding_grad(lib)], lr=0.1,
                                                   weight_decay=0.1).step(),
     RuntimeError, "add(sparse, dense) is not supported. Use add(dense, sparse) instead."),
    ("adagrad_weight_decay", lambda lib: lib.optim.Adagrad([embedding_grad(lib)], lr=0.1,
                                                           weight_decay=0.1).step(),
     RuntimeError, "weight_decay option is not compatible with sparse gradients"),
    ("mm_shapes", lambda lib: lib.sparse.mm(coo(lib), lib.ones(2, 2)), RuntimeError,
     "addmm: Argument #3 (dense): Expected dim 0 size 3, got 2"),
    ("scale_grad_by_freq", lambda lib: lib.nn.Embedding(3, 2, sparse=True,
                                                        scale_grad_by_freq=True)(
        lib.tensor([1])).sum().backward(), RuntimeError,
     "embedding_backward: scale_grad_by_freq not supported with sparse gradients"),
    ("numpy", lambda lib: coo(lib).numpy(), TypeError,
     "can't convert Sparse layout tensor to numpy. Use Tensor.to_dense() first."),
    ("reshape", lambda lib: coo(lib).reshape(-1), RuntimeError,
     "reshape is not implemented for sparse tensors"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


@pytest.mark.parametrize("call", [lambda lib: coo(lib).exp(), lambda lib: coo(lib).view(-1),
                                  lambda lib: coo(lib).log()], ids=["exp", "view", "log"])
def test_dense_ops_pytorch_refuses_on_sparse_raise_not_implemented(call):
    for lib in (torch, tg):
        with pytest.raises(NotImplementedError) as raised:
            call(lib)
        assert "with arguments from the 'SparseCPU' backend" in str(raised.value)


@pytest.mark.parametrize("made_by", ["sparse_coo_tensor", "to_sparse"])
@pytest.mark.parametrize("product", ["sparse.mm", "mm", "to_dense"])
def test_gradient_reaches_the_values_a_sparse_tensor_was_made_from(product, made_by):
    def run(lib):
        if made_by == "to_sparse":
            values = lib.tensor([[0., 3., 0.], [-1., 0., 2.]], dtype=lib.float64,
                                requires_grad=True)
            s = values.to_sparse()
        else:
            values = lib.tensor([3., 4., 5., 1.], dtype=lib.float64, requires_grad=True)
            s = lib.sparse_coo_tensor(lib.tensor(INDICES), values, (2, 3))
        assert s.requires_grad and not s.is_leaf
        d = lib.arange(6., dtype=lib.float64).reshape(3, 2).requires_grad_()
        if product == "to_dense":
            out = s.to_dense() * lib.arange(6., dtype=lib.float64).reshape(2, 3)
        else:
            out = (lib.sparse.mm if product == "sparse.mm" else lib.mm)(s, d).pow(2)
        out.sum().backward()
        return values.grad, d.grad

    (values_t, dense_t), (values_o, dense_o) = both(run)
    np.testing.assert_allclose(values_o.numpy(), values_t.numpy(), rtol=1e-14)
    if dense_t is not None:
        np.testing.assert_allclose(dense_o.numpy(), dense_t.numpy(), rtol=1e-14)


def test_values_gradient_passes_gradcheck():
    d = tg.randn(3, 2, dtype=tg.float64)
    indices = tg.tensor(INDICES)
    assert tg.autograd.gradcheck(
        lambda v: tg.sparse.mm(tg.sparse_coo_tensor(indices, v, (2, 3)), d).sin(),
        (tg.randn(4, dtype=tg.float64, requires_grad=True),))
