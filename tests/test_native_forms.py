"""ATen's ``native_*`` normalizations and dropout (nn/functional_native.py): outputs, statistics
(shape, dtype, requires_grad) and float64 gradients against PyTorch, finite differences, the
running statistics' update, the dropout mask and the error messages."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4, 5))
W4, B4 = RNG.standard_normal(4), RNG.standard_normal(4)
W5, B5 = RNG.standard_normal(5), RNG.standard_normal(5)


def _tensors(lib, dtype, *arrays, grad=False):
    return [None if a is None else lib.tensor(a, dtype=getattr(lib, dtype), requires_grad=grad)
            for a in arrays]


CALLS = {
    "layer_norm": lambda lib, x, w, b: lib.native_layer_norm(x, [5], w, b, 1e-5),
    "layer_norm_2d": lambda lib, x, w, b: lib.native_layer_norm(x, (4, 5), None, None, 0.5),
    "group_norm": lambda lib, x, w, b: lib.native_group_norm(x, w, b, 3, 4, 5, 2, 1e-5),
    "group_norm_one_group": lambda lib, x, w, b: lib.native_group_norm(x, None, b, 3, 4, 5, 1,
                                                                         1e-3),
    "batch_norm_train": lambda lib, x, w, b: lib.native_batch_norm(x, w, b, None, None, True,
                                                                     0.1, 1e-5),
    "batch_norm_legit": lambda lib, x, w, b: lib._native_batch_norm_legit(x, w, b, True, 0.1,
                                                                            1e-5),
}
PARAMETERS = {"layer_norm": (W5, B5), "layer_norm_2d": (None, None), "group_norm": (W4, B4),
              "group_norm_one_group": (None, None), "batch_norm_train": (W4, B4),
              "batch_norm_legit": (W4, None)}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", list(CALLS))
def test_outputs_and_gradients_are_pytorchs(name, dtype):
    torch = pytest.importorskip("torch")
    grad = dtype == "float64"
    results = []
    for lib in (tg, torch):
        inputs = _tensors(lib, dtype, X, *PARAMETERS[name], grad=grad)
        outs = CALLS[name](lib, *inputs)
        seeds = [np.random.default_rng(i).standard_normal(tuple(o.shape))
                 for i, o in enumerate(outs)]
        differentiable = [(o, lib.tensor(s, dtype=o.dtype)) for o, s in zip(outs, seeds)
                          if o.requires_grad]
        if grad:
            lib.autograd.backward([o for o, _ in differentiable], [s for _, s in differentiable])
        results.append((outs, [t.grad for t in inputs if t is not None] if grad else []))
    tolerance = {"float16": 2e-3, "float32": 2e-5, "float64": 1e-12}[dtype]
    (ours, our_grads), (theirs, their_grads) = results
    for our, their in zip(ours, theirs, strict=True):
        assert tuple(our.shape) == tuple(their.shape)
        assert str(our.dtype)[-7:] == str(their.dtype)[-7:]
        assert our.requires_grad == their.requires_grad
        np.testing.assert_allclose(our.detach().numpy().astype(float),
                                   their.detach().numpy().astype(float), rtol=tolerance,
                                   atol=tolerance)
    for our, their in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(our.numpy(), their.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["layer_norm", "group_norm", "batch_norm_train"])
def test_gradients_match_finite_differences(name):
    inputs = _tensors(tg, "float64", X, *PARAMETERS[name], grad=True)
    assert tg.autograd.gradcheck(lambda *t: CALLS[name](tg, *t), tuple(inputs))


def test_group_norm_statistics_differentiate_twice():
    """create_graph through ``mean`` and ``rstd``: the gradient of the gradient is PyTorch's
    (PyTorch adds the statistics' gradients only when both are used)."""
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(X, requires_grad=True)
        _, mean, rstd = lib.native_group_norm(x, None, None, 3, 4, 5, 2, 1e-5)
        (first,) = lib.autograd.grad((rstd * mean).sum(), x, create_graph=True)
        (first ** 2).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10)


def test_batch_norm_updates_the_running_statistics_and_is_empty_in_eval():
    torch = pytest.importorskip("torch")
    stats = []
    for lib in (tg, torch):
        mean, var = lib.zeros(4, dtype=lib.float32), lib.ones(4, dtype=lib.float32)
        x = lib.tensor(X, dtype=lib.float16)
        out, save_mean, save_invstd = lib.native_batch_norm(x, None, None, mean, var, True, 0.3,
                                                            1e-5)
        assert out.dtype == lib.float16 and save_mean.dtype == lib.float32
        _, empty_mean, empty_invstd = lib.native_batch_norm(x.float(), None, None, mean, var,
                                                            False, 0.3, 1e-5)
        assert tuple(empty_mean.shape) == (0,) and tuple(empty_invstd.shape) == (0,)
        stats.append((mean.numpy(), var.numpy(), save_invstd.numpy()))
    for ours, theirs in zip(*stats):
        np.testing.assert_allclose(ours, theirs, rtol=2e-3)


def test_dropout_mask_and_output():
    torch = pytest.importorskip("torch")
    x = tg.tensor(X, requires_grad=True)
    out, mask = tg.native_dropout(x, 0.25, True)
    assert mask.dtype == tg.bool and not mask.requires_grad and out.requires_grad
    np.testing.assert_allclose(out.detach().numpy(), X * mask.numpy() / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), mask.numpy() / 0.75)
    assert 0.5 < mask.numpy().mean() < 0.95
    for lib in (tg, torch):
        y = lib.tensor(X)
        out, mask = lib.native_dropout(y, 0.25, False)
        assert bool(mask.all()) and np.array_equal(out.numpy(), X)
        out, mask = lib.native_dropout(y, 1.0, None)
        assert not bool(mask.any()) and not out.numpy().any()


ERRORS = [
    ("layer_norm empty shape",
     lambda lib: lib.native_layer_norm(lib.zeros(1, 2), [], None, None, 1e-5), RuntimeError,
     "Expected normalized_shape to be at least 1-dimensional, i.e., containing at least one "
     "element, but got normalized_shape = []"),
    ("group_norm sizes", lambda lib: lib.native_group_norm(lib.zeros(2, 3, 4), None, None, 2, 3,
                                                            5, 1, 1e-5), RuntimeError,
     "Expected X.numel() == N * C * HxW to be true, but got false.  (Could this error message be "
     "improved?  If so, please report an enhancement request to PyTorch.)"),
    ("group_norm groups", lambda lib: lib.native_group_norm(lib.zeros(2, 3, 4), None, None, 2, 3,
                                                             4, 2, 1e-5), RuntimeError,
     "Expected number of channels in input to be divisible by num_groups, but got input of "
     "shape [2, 3, 4] and num_groups=2"),
    ("dropout p", lambda lib: lib.native_dropout(lib.zeros(2), 1.5, True), RuntimeError,
     "bernoulli_ expects p to be in [0, 1], but got p=-0.5"),
    ("dropout of integers", lambda lib: lib.native_dropout(lib.ones(2).long(), 0.5, True),
     RuntimeError, "result type Float can't be cast to the desired output type Long"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
