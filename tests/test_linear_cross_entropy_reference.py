"""``F.linear_cross_entropy`` (nn/functional_losses.py): PyTorch's reference path
``cross_entropy(linear(...))`` with its K-dimensional weights, class probabilities,
``options`` (chunking, computed in one piece), values and float64 gradients against PyTorch,
finite differences, the warning and the error messages."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(13)
INPUT = RNG.standard_normal((4, 3))
WEIGHT = RNG.standard_normal((5, 3))
WEIGHT_K = RNG.standard_normal((5, 2, 3))
BIAS = RNG.standard_normal(5)
TARGET = np.array([0, 4, 2, 1])
TARGET_K = np.array([[0, 4], [2, 1], [3, 3], [1, 0]])
PROBABILITIES = RNG.dirichlet(np.ones(5), 4)

CASES = [
    ("mean", lambda lib, F, x, w, b: F.linear_cross_entropy(x, w, lib.tensor(TARGET),
                                                            linear_bias=b), [INPUT, WEIGHT, BIAS]),
    ("sum smoothing", lambda lib, F, x, w: F.linear_cross_entropy(
        x, w, lib.tensor(TARGET), reduction="sum", label_smoothing=0.2), [INPUT, WEIGHT]),
    ("none ignore", lambda lib, F, x, w: F.linear_cross_entropy(
        x, w, lib.tensor(TARGET), reduction="none", ignore_index=4), [INPUT, WEIGHT]),
    ("K-dimensional", lambda lib, F, x, w: F.linear_cross_entropy(
        x, w, lib.tensor(TARGET_K)), [INPUT, WEIGHT_K]),
    ("probabilities", lambda lib, F, x, w, p: F.linear_cross_entropy(
        x, w, p, weight=lib.tensor(np.arange(1.0, 6.0))), [INPUT, WEIGHT, PROBABILITIES]),
    ("unbatched", lambda lib, F, x, w: F.linear_cross_entropy(x[0], w, lib.tensor(TARGET[0])),
     [INPUT, WEIGHT]),
]


@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_are_pytorchs(name, call, arrays):
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        tensors = [lib.tensor(a, requires_grad=True) for a in arrays]
        out = call(lib, lib.nn.functional, *tensors)
        out.backward(lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape))))
        results.append((out.detach().numpy(), [t.grad.numpy() for t in tensors]))
    (ours, our_grads), (theirs, their_grads) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
    for our, their in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(our, their, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
def test_gradients_match_finite_differences(name, call, arrays):
    tensors = [tg.tensor(a, requires_grad=True) for a in arrays]
    assert tg.autograd.gradcheck(lambda *t: call(tg, tg.nn.functional, *t), tuple(tensors))


def test_options_warn_where_pytorch_does():
    torch = pytest.importorskip("torch")
    options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    messages = []
    for lib in (tg, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lib.nn.functional.linear_cross_entropy(lib.tensor(INPUT), lib.tensor(WEIGHT),
                                                   lib.tensor(TARGET), label_smoothing=0.1,
                                                   options=options)
        messages.append([str(w.message) for w in caught])
    assert messages[0] == messages[1] and len(messages[0]) == 1


def test_chunked_float16_rounds_once_as_pytorch():
    torch = pytest.importorskip("torch")
    options = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    values = []
    for lib in (tg, torch):
        values.append(lib.nn.functional.linear_cross_entropy(
            lib.tensor(INPUT * 3, dtype=lib.float16), lib.tensor(WEIGHT * 3, dtype=lib.float16),
            lib.tensor(TARGET), reduction="none", options=options).numpy())
    np.testing.assert_array_equal(values[0], values[1])


def _call(lib, x_shape, w_shape, target, **kwargs):
    return lib.nn.functional.linear_cross_entropy(lib.zeros(*x_shape), lib.zeros(*w_shape),
                                                  target(lib), **kwargs)


ERRORS = [
    ("3-D input", lambda lib: _call(lib, (2, 2, 3), (5, 3), lambda l: l.zeros(2).long()),
     RuntimeError, "expected input with dimensionality 1 or 2, got 3"),
    ("1-D weight", lambda lib: _call(lib, (2, 3), (3,), lambda l: l.zeros(2).long()),
     RuntimeError, "expected linear_weight with dimensionality at least 2, got 1"),
    ("in_features", lambda lib: _call(lib, (2, 3), (5, 4), lambda l: l.zeros(2).long()),
     RuntimeError, "expected equal input and linear_weight last dimensions (in_features), got 3 "
                   "and 4, respectively"),
    ("bias shape", lambda lib: _call(lib, (2, 3), (5, 3), lambda l: l.zeros(2).long(),
                                     linear_bias=lib.zeros(4)), RuntimeError,
     "expected linear_bias shape (5,), got (4,)"),
    ("K-dim unbatched", lambda lib: _call(lib, (3,), (5, 2, 3), lambda l: l.zeros(2).long()),
     RuntimeError, "K-dimensional loss defined by linear_weight shape (5, 2, 3) requires batched "
                   "input, (N, 3), got unbatched input with shape (3,)"),
    ("ignore_index with probabilities",
     lambda lib: _call(lib, (2, 3), (5, 3), lambda l: l.zeros(2, 5), ignore_index=1),
     RuntimeError, "ignore_index cannot be specified when target contains probabilities"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
