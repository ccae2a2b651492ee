"""``nn.AdaptiveLogSoftmaxWithLoss`` and ``nn.CrossMapLRN2d`` against PyTorch: values,
gradients, state-dict keys, messages; finite-difference gradient checks in float64."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.autograd import gradcheck

torch = pytest.importorskip("torch")


def _pair(*args, **kwargs):
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs)
    ours = nn.AdaptiveLogSoftmaxWithLoss(*args, **kwargs)
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_matches_torch(dtype, head_bias):
    ours, theirs = _pair(16, 30, [5, 12, 20], div_value=2.0, head_bias=head_bias)
    ours.to(getattr(tg, dtype)), theirs.to(getattr(torch, dtype))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [tuple(p.shape) for p in ours.parameters()] == [
        tuple(p.shape) for p in theirs.parameters()]
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((9, 16)).astype(dtype)
    target = np.array([0, 4, 5, 11, 12, 19, 20, 29, 3])
    xa, xb = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    expected, got = theirs(xa, torch.tensor(target)), ours(xb, tg.tensor(target))
    assert type(got).__name__ == "_ASMoutput" and got._fields == ("output", "loss")
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got.output.detach().numpy(), expected.output.detach().numpy(),
                               **tolerance)
    np.testing.assert_allclose(got.loss.item(), expected.loss.item(), **tolerance)
    expected.loss.backward(), got.loss.backward()
    np.testing.assert_allclose(xb.grad.numpy(), xa.grad.numpy(), **tolerance)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), **tolerance)
    with tg.no_grad(), torch.no_grad():
        np.testing.assert_allclose(ours.log_prob(xb).numpy(), theirs.log_prob(xa).numpy(),
                                   **tolerance)
        np.testing.assert_array_equal(ours.predict(xb).numpy(), theirs.predict(xa).numpy())
    # unbatched: a 1-D input and a 0-D target
    single_a, single_b = theirs(xa[2], torch.tensor(7)), ours(xb[2], tg.tensor(7))
    assert single_b.output.shape == () and single_b.output.shape == tuple(single_a.output.shape)
    np.testing.assert_allclose(single_b.loss.item(), single_a.loss.item(), **tolerance)


def test_adaptive_log_softmax_predict_paths():
    """``predict`` when every row, no row and some rows fall outside the shortlist (a head
    weighted to pick clusters, or the shortlist)."""
    ours, theirs = _pair(4, 10, [3, 6], div_value=1.0)
    rng = np.random.default_rng(1)
    for bias_to_clusters in (0.0, 50.0, -50.0):
        with torch.no_grad():
            theirs.head.weight[3:] += bias_to_clusters / 10
        ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
        x = np.abs(rng.standard_normal((12, 4))).astype(np.float32)
        np.testing.assert_array_equal(ours.predict(tg.tensor(x)).numpy(),
                                      theirs.predict(torch.tensor(x)).numpy())


def test_adaptive_log_softmax_gradcheck():
    ours, _ = _pair(6, 9, [2, 5], div_value=2.0, head_bias=True)
    ours.double()
    x = tg.tensor(np.random.default_rng(2).standard_normal((5, 6)), requires_grad=True)
    target = tg.tensor([0, 3, 8, 5, 1])
    assert gradcheck(lambda x: ours(x, target).output, (x,))
    assert gradcheck(lambda x: ours.log_prob(x), (x,))


@pytest.mark.parametrize("make, error", [
    (lambda nn_: nn_.AdaptiveLogSoftmaxWithLoss(4, 10, []), ValueError),
    (lambda nn_: nn_.AdaptiveLogSoftmaxWithLoss(4, 10, [5, 3]), ValueError),
    (lambda nn_: nn_.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 10]), ValueError),
    (lambda nn_: nn_.AdaptiveLogSoftmaxWithLoss(4, 10, [3, 3]), ValueError),
    (lambda nn_: nn_.AdaptiveLogSoftmaxWithLoss(4, 10, [0, 3]), ValueError),
])
def test_adaptive_log_softmax_constructor_errors(make, error):
    with pytest.raises(error) as expected:
        make(torch.nn)
    with pytest.raises(error) as got:
        make(nn)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("x_shape, target", [
    ((3, 4), [0, 1]), ((3, 4, 1), [0, 1, 2]), ((4,), [1]), ((3, 4), [[0], [1], [2]]),
    ((3, 4), [0, 10, 2]), ((3, 4), [-1, 0, 1]), ((4,), 1),
])
def test_adaptive_log_softmax_forward_errors(x_shape, target):
    ours, theirs = _pair(4, 10, [3, 6])
    with pytest.raises(RuntimeError) as expected:
        theirs(torch.zeros(x_shape), torch.tensor(target) if x_shape != (4,) or target != 1
               else torch.tensor([1]))
    with pytest.raises(RuntimeError) as got:
        ours(tg.zeros(x_shape), tg.tensor(target) if x_shape != (4,) or target != 1
             else tg.tensor([1]))
    assert str(got.value).replace("tinygrad_bn.", "") == str(expected.value)


@pytest.mark.parametrize("size", [2, 3, 4, 5])
@pytest.mark.parametrize("channels", [1, 3, 6, 9])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_map_lrn2d_matches_torch(size, channels, dtype):
    """Values and gradients equal PyTorch's own forward and closed-form backward (its running
    window sum and its backward's window, quirks included)."""
    x = np.random.default_rng(size * 10 + channels).standard_normal((2, channels, 3, 4))
    x = x.astype(dtype)
    grad = np.random.default_rng(7).standard_normal(x.shape).astype(dtype)
    theirs = torch.nn.CrossMapLRN2d(size, alpha=0.1, beta=0.75, k=1.5)
    ours = nn.CrossMapLRN2d(size, alpha=0.1, beta=0.75, k=1.5)
    assert repr(ours) == repr(theirs)
    xa, xb = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    out_a, out_b = theirs(xa), ours(xb)
    assert out_b.dtype == getattr(tg, dtype)
    tolerance = dict(rtol=2e-6, atol=1e-6) if dtype == "float32" else dict(rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(out_b.detach().numpy(), out_a.detach().numpy(), **tolerance)
    out_a.backward(torch.tensor(grad)), out_b.backward(tg.tensor(grad))
    np.testing.assert_allclose(xb.grad.numpy(), xa.grad.numpy(), **tolerance)


@pytest.mark.parametrize("size", [2, 3, 5])
def test_cross_map_lrn2d_gradcheck_on_one_channel(size):
    """With one channel PyTorch's closed-form backward is the exact gradient (with more, it is
    not, for PyTorch's own as for this one: the test above holds them equal)."""
    x = tg.tensor(np.random.default_rng(3).standard_normal((2, 1, 3, 3)), requires_grad=True)
    assert gradcheck(lambda x: nn.CrossMapLRN2d(size, 0.1, 0.75, 1.0)(x), (x,))


def test_cross_map_lrn2d_errors_as_pytorch():
    with pytest.raises(ValueError) as expected:
        torch.nn.CrossMapLRN2d(3)(torch.zeros(2, 3, 4))
    with pytest.raises(ValueError) as got:
        nn.CrossMapLRN2d(3)(tg.zeros(2, 3, 4))
    assert str(got.value) == str(expected.value)
    xa, xb = torch.ones(1, 3, 2, 2, requires_grad=True), tg.ones(1, 3, 2, 2, requires_grad=True)
    with pytest.raises(RuntimeError) as expected:
        torch.nn.CrossMapLRN2d(1)(xa).sum().backward()
    with pytest.raises(RuntimeError) as got:
        nn.CrossMapLRN2d(1)(xb).sum().backward()
    assert str(got.value) == str(expected.value)
