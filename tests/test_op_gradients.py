"""Every differentiable op, gradient-checked in float64 against finite differences, plus
broadcasting and reductions over shapes hypothesis draws, and float32 kept float32."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import tinygrad_bn as tg
from op_cases import CASES, make_inputs

CASE_IDS = [case[0] for case in CASES]


def _tensors(arrays):
    return [tg.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=CASE_IDS)
def test_gradcheck(name, fn, shapes, domain):
    inputs = _tensors(make_inputs(shapes, domain, np.float64))
    assert tg.gradcheck(lambda *xs: fn(tg, *xs), inputs)


@pytest.mark.parametrize("name, fn, shapes, domain", CASES, ids=CASE_IDS)
def test_float32_stays_float32(name, fn, shapes, domain):
    inputs = _tensors(make_inputs(shapes, domain, np.float32))
    out = fn(tg, *inputs)
    assert out.dtype == tg.float32
    out.sum().backward()
    for x in inputs:
        assert x.grad is not None and x.grad.dtype == tg.float32 and x.grad.shape == x.shape


BINARY_OPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "maximum": lambda a, b: tg.maximum(a, b),
    "where": lambda a, b: tg.where(a.detach() > 0, a, b),
}


@settings(max_examples=40, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
    op=st.sampled_from(sorted(BINARY_OPS)),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_gradients(shapes, op, seed):
    a, b = _tensors(make_inputs(shapes.input_shapes, "any", np.float64, seed))
    out = BINARY_OPS[op](a, b)
    assert out.shape == shapes.result_shape
    assert tg.gradcheck(BINARY_OPS[op], (a, b))


REDUCTIONS = {
    "sum": lambda x, dim, keepdim: x.sum(dim=dim, keepdim=keepdim),
    "mean": lambda x, dim, keepdim: x.mean(dim=dim, keepdim=keepdim),
    "var": lambda x, dim, keepdim: x.var(dim=dim, keepdim=keepdim, correction=0),
    "amax": lambda x, dim, keepdim: x.amax(dim=dim, keepdim=keepdim),
    "logsumexp": lambda x, dim, keepdim: x.logsumexp(dim=dim, keepdim=keepdim),
}


@st.composite
def shape_and_dims(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    dims = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                         unique_by=lambda d: d % len(shape)))
    return shape, tuple(dims)


@settings(max_examples=40, deadline=None)
@given(case=shape_and_dims(), op=st.sampled_from(sorted(REDUCTIONS)), keepdim=st.booleans(),
       seed=st.integers(0, 2**16))
def test_reduction_gradients(case, op, keepdim, seed):
    shape, dims = case
    (x,) = _tensors(make_inputs([shape], "any", np.float64, seed))
    out = REDUCTIONS[op](x, dims, keepdim)
    expected = np.sum(x.detach().numpy(), axis=dims, keepdims=keepdim).shape
    assert out.shape == expected
    assert tg.gradcheck(lambda t: REDUCTIONS[op](t, dims, keepdim), x)


def test_tied_maxima_share_the_gradient_evenly():
    x = tg.tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0.0, 0.5, 0.5, 0.0])


def test_max_along_dim_sends_the_gradient_to_the_returned_index():
    x = tg.tensor([[1.0, 3.0, 3.0], [5.0, 0.0, 5.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert indices.tolist() == [1, 0]
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [[0, 1, 0], [1, 0, 0]])


def test_maximum_tie_splits_the_gradient():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([1.0, 0.0], requires_grad=True)
    tg.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.detach().numpy(), [0.5, 1.0])
    np.testing.assert_array_equal(b.grad.detach().numpy(), [0.5, 0.0])


def test_relu_and_abs_have_zero_gradient_at_zero():
    x = tg.tensor([0.0, 0.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0.0, 0.0])


def test_pow_with_zero_exponent_has_zero_gradient_at_zero_base():
    x = tg.tensor([0.0, 2.0], dtype=tg.float64, requires_grad=True)
    (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0.0, 0.0])


def test_softmax_family_is_finite_for_huge_logits():
    x = tg.tensor([[1e4, 0.0, -1e4]], requires_grad=True)
    for out in (x.softmax(dim=1), x.log_softmax(dim=1), x.logsumexp(dim=1), x.sigmoid()):
        assert np.all(np.isfinite(out.detach().numpy()) | (out.detach().numpy() == -np.inf) | (out.detach().numpy() == 0))
    x.logsumexp(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [[1.0, 0.0, 0.0]])
    assert x.log_softmax(dim=1).detach().numpy()[0, 0] == 0.0


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    x = tg.tensor([[-np.inf, -np.inf]])
    assert x.logsumexp(dim=1).item() == -np.inf


def test_integer_ops_make_no_graph_and_keep_integer_dtypes():
    i = tg.tensor([1, 2, 3])
    assert (i + 1).dtype == tg.int64
    assert (i * 2).dtype == tg.int64
    assert (i / 2).dtype == tg.float32  # true division of integers, as in PyTorch
    assert (i * 0.5).dtype == tg.float32
    assert i.sum().dtype == tg.int64


def test_cast_passes_the_gradient_back_in_the_input_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = x.double() * 3
    assert y.dtype == tg.float64 and y.grad_fn.name == "Mul"
    y.sum().backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_array_equal(x.grad.detach().numpy(), [3.0, 3.0])
    # through float32 and back: finite differences need a step float32 can resolve
    z = tg.tensor([0.7, -1.3], dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda t: (t.float() * 2).double(), z, eps=1e-3, atol=1e-3)


def test_cast_to_an_integer_ends_the_graph():
    x = tg.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad and x.long().tolist() == [1, 2]
