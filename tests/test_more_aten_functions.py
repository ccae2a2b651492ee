"""More of PyTorch's top-level functions added with the copies: ``histogramdd``,
``nonzero_static``, ``empty_permuted``, ``grid_sampler``/``grid_sampler_2d``/``3d``,
``affine_grid_generator``, and the legacy norms ``frobenius_norm``, ``nuclear_norm``,
``norm_except_dim``: values and float64 gradients against PyTorch, finite differences and the
error messages."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(11)
X = RNG.standard_normal((2, 3, 4))
IMAGE = RNG.standard_normal((2, 3, 5, 4))
GRID = RNG.uniform(-1.2, 1.2, (2, 3, 2, 2))
VOLUME = RNG.standard_normal((1, 2, 3, 4, 3))
GRID3 = RNG.uniform(-1, 1, (1, 2, 2, 3, 3))
THETA = RNG.standard_normal((2, 2, 3))

CASES = [
    ("frobenius_norm", lambda lib, x: lib.frobenius_norm(x, [0, 2], True), [X]),
    ("frobenius_norm all", lambda lib, x: lib.frobenius_norm(x, []), [X]),
    ("nuclear_norm", lambda lib, x: lib.nuclear_norm(x), [X]),
    ("nuclear_norm dim", lambda lib, x: lib.nuclear_norm(x, [0, 2], True), [X]),
    ("norm_except_dim", lambda lib, x: lib.norm_except_dim(x, 3, 1), [X]),
    ("norm_except_dim -1", lambda lib, x: lib.norm_except_dim(x, 2, -1), [X]),
    ("grid_sampler", lambda lib, x, g: lib.grid_sampler(x, g, 0, 2, False), [IMAGE, GRID]),
    ("grid_sampler_2d", lambda lib, x, g: lib.grid_sampler_2d(x, g, 2, 1, True), [IMAGE, GRID]),
    ("grid_sampler_3d", lambda lib, x, g: lib.grid_sampler_3d(x, g, 0, 0, True),
     [VOLUME, GRID3]),
    ("affine_grid_generator", lambda lib, t: lib.affine_grid_generator(t, [2, 1, 3, 4], False),
     [THETA]),
]


def _inputs(lib, arrays, grad):
    return [lib.tensor(a, requires_grad=grad) for a in arrays]


@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_are_pytorchs(name, call, arrays):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        inputs = _inputs(lib, arrays, True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call(lib, *inputs)
        out.backward(lib.tensor(np.random.default_rng(2).standard_normal(tuple(out.shape))))
        results.append((out.detach().numpy(), [t.grad.numpy() for t in inputs]))
    (ours, our_grads), (theirs, their_grads) = results
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    for our, their in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(our, their, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
def test_gradients_match_finite_differences(name, call, arrays):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert tg.autograd.gradcheck(lambda *t: call(tg, *t), tuple(_inputs(tg, arrays, True)))


def test_deprecated_norms_warn_once_as_pytorch():
    from tinygrad_bn.tensor import legacy_norms
    legacy_norms._WARNED.clear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tg.frobenius_norm(tg.tensor(X), [1])
        tg.frobenius_norm(tg.tensor(X), [1])
    assert len(caught) == 1 and str(caught[0].message).startswith(
        "at::frobenius_norm is deprecated and it is just left for JIT compatibility.")


def test_histogramdd_matches_pytorch():
    torch = pytest.importorskip("torch")
    points = RNG.standard_normal((50, 3))
    weight = RNG.random(50)
    calls = [
        lambda lib, p, w: lib.histogramdd(p, bins=4),
        lambda lib, p, w: lib.histogramdd(p, bins=[2, 3, 4], range=[-1, 1, -2, 2, 0, 3],
                                          weight=w, density=True),
        # edges that do not increase: PyTorch's binary search, which we follow
        lambda lib, p, w: lib.histogramdd(p, bins=[lib.tensor([-1.0, 1.0, 0.0]).double(),
                                                   lib.tensor([-2.0, 0.0, 2.0]).double(),
                                                   lib.tensor([0.5, -0.5, 1.5, 0.0]).double()]),
    ]
    for call in calls:
        ours = call(tg, tg.tensor(points), tg.tensor(weight))
        theirs = call(torch, torch.tensor(points), torch.tensor(weight))
        assert type(ours).__name__ == "histogramdd" and isinstance(ours.bin_edges, tuple)
        np.testing.assert_allclose(ours.hist.numpy(), theirs.hist.numpy(), rtol=1e-12)
        for our, their in zip(ours.bin_edges, theirs.bin_edges, strict=True):
            np.testing.assert_array_equal(our.numpy(), their.numpy())


def test_nonzero_static_and_empty_permuted():
    torch = pytest.importorskip("torch")
    values = np.array([[0, 3, 0], [1, 0, 2]])
    for size, fill in ((2, -1), (5, 9), (0, -1)):
        ours = tg.tensor(values).nonzero_static(size=size, fill_value=fill)
        theirs = torch.nonzero_static(torch.tensor(values), size=size, fill_value=fill)
        assert ours.dtype == tg.int64 and ours.tolist() == theirs.tolist()
        assert tuple(ours.shape) == tuple(theirs.shape)
    for layout in ((2, 0, 1), (0, 1, 2), (1, 2, 0)):
        ours = tg.empty_permuted((2, 3, 4), layout, dtype=tg.int32)
        theirs = torch.empty_permuted((2, 3, 4), layout, dtype=torch.int32)
        assert ours.stride() == theirs.stride() and tuple(ours.shape) == (2, 3, 4)
        assert ours.dtype == tg.int32


ERRORS = [
    ("frobenius_norm of three dims",
     lambda lib: lib.frobenius_norm(lib.zeros(2, 2, 2), [0, 1, 2]), RuntimeError,
     "Expected at most 2 dimensions, but got 3 dimensions instead."),
    ("norm_except_dim of integers", lambda lib: lib.norm_except_dim(lib.ones(2).long()),
     RuntimeError, "norm(): input dtype should be either floating point or complex. Got Long "
                   "instead."),
    ("nuclear_norm of one dim", lambda lib: lib.nuclear_norm(lib.zeros(2, 2), [0]),
     RuntimeError, "linalg.matrix_norm: dim must be a 2-tuple. Got 0"),
    ("histogramdd bins count", lambda lib: lib.histogramdd(lib.zeros(4, 2), bins=[2]),
     RuntimeError, "histogramdd: The size of bins must be equal to the innermost dimension of "
                   "the input."),
    ("histogramdd range length",
     lambda lib: lib.histogramdd(lib.zeros(4, 2), bins=2, range=[0.0, 1.0]), RuntimeError,
     "torch.histogramdd: for a 2-dimensional histogram range should have 4 elements, but got 2"),
    ("histogramdd weight shape",
     lambda lib: lib.histogramdd(lib.zeros(4, 2), bins=2, weight=lib.ones(3)), RuntimeError,
     "torch.histogramdd: if weight tensor is provided it should have the same shape as the input "
     "tensor excluding its innermost dimension, but got input with shape [4, 2] and weight with "
     "shape [3]"),
    ("histogramdd of 1-D", lambda lib: lib.histogramdd(lib.zeros(4), bins=2), RuntimeError,
     "torch.histogramdd: input tensor should have at least 2 dimensions"),
    ("histogramdd bins 0", lambda lib: lib.histogramdd(lib.zeros(4, 2), bins=[2, 0]),
     RuntimeError, "torch.histogram(): bins must be > 0, but got 0 for dimension 1"),
    ("histogramdd bins of another dtype",
     lambda lib: lib.histogramdd(lib.zeros(4, 1).double(), bins=[lib.tensor([0.0, 1.0])]),
     RuntimeError, "torch.histogramdd: input tensor and bins tensors should have the same dtype, "
                   "but got input with dtype double and bins for dimension 0 with dtype float"),
    ("nonzero_static negative size", lambda lib: lib.nonzero_static(lib.ones(2), size=-1),
     RuntimeError, "nonzero_static: 'size' must be an non-negative integer"),
    ("nonzero_static float size", lambda lib: lib.nonzero_static(lib.ones(2), size=1.5),
     TypeError, "nonzero_static(): argument 'size' must be int, not float"),
    ("empty_permuted duplicate", lambda lib: lib.empty_permuted((2, 3), (0, 0)), RuntimeError,
     "Duplicate dim not allowed"),
    ("empty_permuted length", lambda lib: lib.empty_permuted((2, 3), (0,)), RuntimeError,
     "Number of dimensions in size does not match the length of the physical_layout; i.e. "
     "len(size) = 2 is not equal to len(physical_layout) = 1"),
    ("grid_sampler_3d of 4-D",
     lambda lib: lib.grid_sampler_3d(lib.zeros(1, 2, 4, 4), lib.zeros(1, 3, 3, 2), 0, 0, False),
     RuntimeError, "grid_sampler(): expected 5D input and grid with same number of dimensions, "
                   "but got input with sizes [1, 2, 4, 4] and grid with sizes [1, 3, 3, 2]"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
