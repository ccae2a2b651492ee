"""``F.normalize``, ``F.cosine_similarity`` (+ ``nn.CosineSimilarity``) and
``F.pairwise_distance`` (+ ``nn.PairwiseDistance``): values and float64 gradients against
PyTorch (when installed), finite differences in float64, PyTorch 2.13's eps rules at zero
vectors, and every error path's message."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F

from pytorch_errors import error_tests
from torch_comparison import assert_matches_torch

CASES = [
    ("normalize", [(2, 3, 4)], {}),
    ("normalize", [(2, 3, 4)], {"p": 1.0, "dim": 2}),
    ("normalize", [(2, 3, 4)], {"p": 0.5, "dim": 0}),
    ("normalize", [()], {"p": 1.2, "dim": 0}),
    ("normalize", [(4, 5)], {"eps": 1e-4, "dim": -1}),
    ("cosine_similarity", [(5, 5), (5, 5)], {}),
    ("cosine_similarity", [(1, 2, 3), (2, 1, 3)], {"dim": -2}),
    ("cosine_similarity", [(5,), (5,)], {"dim": 0, "eps": 0.5}),
    ("cosine_similarity", [(), ()], {"dim": 0}),
    ("pairwise_distance", [(2, 3), (2, 3)], {}),
    ("pairwise_distance", [(3,), (3,)], {"p": -1.0}),
    ("pairwise_distance", [(2, 3), (3,)], {"keepdim": True, "p": 5.0}),
    ("pairwise_distance", [(4, 3), (4, 3)], {"p": float("inf"), "eps": 1.0}),
]


def _arrays(shapes, dtype):
    rng = np.random.default_rng(0)
    return [rng.standard_normal(shape).astype(dtype) for shape in shapes]


@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_values_and_gradients_match_pytorch(case, dtype):
    torch = pytest.importorskip("torch")
    name, shapes, keywords = CASES[case]
    grad = dtype == np.float64
    arrays = _arrays(shapes, dtype)
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    ours = [tg.tensor(a, requires_grad=grad) for a in arrays]
    expected = getattr(torch.nn.functional, name)(*theirs, **keywords)
    out = getattr(F, name)(*ours, **keywords)
    assert_matches_torch(out, expected, ours, theirs, dtype, grad)


@pytest.mark.parametrize("case", [0, 1, 2, 4, 5, 6, 7, 9, 10, 11])
def test_gradients_match_finite_differences(case):
    name, shapes, keywords = CASES[case]
    inputs = tuple(tg.tensor(a, requires_grad=True) for a in _arrays(shapes, np.float64))
    assert tg.gradcheck(lambda *xs: getattr(F, name)(*xs, **keywords), inputs)


def test_zero_vectors_follow_pytorch_2_13():
    """normalize: a zero vector stays zero, its gradient is 1/eps (the clamp is recorded);
    cosine_similarity: 0, and the gradient flows through the norm as if unclamped (PyTorch
    clamps in place under no_grad), x2 / (eps * ||x2||)."""
    x = tg.tensor([[0.0, 0, 0], [1, 2, 3]], dtype=tg.float64, requires_grad=True)
    y = tg.tensor([[1.0, 2, 3], [0, 0, 0]], dtype=tg.float64, requires_grad=True)
    similarity = F.cosine_similarity(x, y)
    similarity.sum().backward()
    np.testing.assert_array_equal(similarity.detach().numpy(), [0, 0])
    expected = np.array([1, 2, 3]) / (1e-8 * np.sqrt(14))
    np.testing.assert_allclose(x.grad.numpy()[0], expected, rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy()[1], expected, rtol=1e-12)
    x.grad = None
    normalized = F.normalize(x)
    normalized.sum().backward()
    np.testing.assert_array_equal(normalized.detach().numpy()[0], [0, 0, 0])
    np.testing.assert_allclose(x.grad.numpy()[0], [1e12] * 3)


def test_integer_inputs():
    ones, zeros = tg.ones(2, 3, dtype=tg.uint8), tg.zeros(2, 3, dtype=tg.uint8)
    distance = F.pairwise_distance(ones, zeros)
    assert distance.dtype == tg.float32
    np.testing.assert_allclose(distance.numpy(), [np.sqrt(3) * (1 + 1e-6)] * 2, rtol=1e-6)
    similarity = F.cosine_similarity(tg.ones(2, 3, dtype=tg.int64), tg.ones(2, 3))
    assert similarity.dtype == tg.float32
    np.testing.assert_allclose(similarity.numpy(), [1, 1], rtol=1e-6)


def test_normalize_out():
    out = tg.empty(2, 3, dtype=tg.float64)
    assert F.normalize(tg.ones(2, 3), out=out) is out
    np.testing.assert_allclose(out.numpy(), np.full((2, 3), 3 ** -0.5))


def test_modules():
    rng = np.random.default_rng(0)
    x1, x2 = (tg.tensor(rng.standard_normal((4, 5))) for _ in range(2))
    assert repr(tg.nn.CosineSimilarity()) == "CosineSimilarity()"
    assert repr(tg.nn.PairwiseDistance()) == "PairwiseDistance()"
    np.testing.assert_array_equal(tg.nn.CosineSimilarity(dim=0, eps=1e-3)(x1, x2).numpy(),
                                  F.cosine_similarity(x1, x2, 0, 1e-3).numpy())
    module = tg.nn.PairwiseDistance(p=1.0, eps=0.0, keepdim=True)
    assert (module.norm, module.eps, module.keepdim) == (1.0, 0.0, True)
    np.testing.assert_array_equal(module(x1, x2).numpy(),
                                  F.pairwise_distance(x1, x2, 1.0, 0.0, True).numpy())
    assert not list(module.parameters()) and module.state_dict() == {}


ERRORS = [
    ("cosine_dim", lambda m: m.nn.functional.cosine_similarity(m.ones(2, 3), m.ones(2, 3), dim=3),
     IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 3)"),
    ("cosine_bool", lambda m: m.nn.functional.cosine_similarity(
        m.ones(2, 3, dtype=m.bool), m.ones(2, 3, dtype=m.bool)), RuntimeError,
     "expected common dtype to be floating point, yet common dtype is Bool"),
    ("cosine_long", lambda m: m.nn.functional.cosine_similarity(
        m.ones(2, 3, dtype=m.int64), m.ones(2, 3, dtype=m.int64)), RuntimeError,
     "expected common dtype to be floating point, yet common dtype is Long"),
    ("cosine_broadcast", lambda m: m.nn.functional.cosine_similarity(m.ones(2, 3), m.ones(4, 3)),
     RuntimeError, "The size of tensor a (2) must match the size of tensor b (4) at "
                   "non-singleton dimension 0"),
    ("normalize_int", lambda m: m.nn.functional.normalize(m.ones(2, 3, dtype=m.int32)),
     RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as input. "
                   "Got Int"),
    ("normalize_dim", lambda m: m.nn.functional.normalize(m.ones(3)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
