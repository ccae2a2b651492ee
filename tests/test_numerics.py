"""Numerical edge cases where a naive implementation goes silently wrong, each with PyTorch's
answer: cross-entropy with ``-inf`` logits, weights and ignored rows (never ``0 * -inf``),
batches with every row ignored, zero variance, and BatchNorm's edge cases. The expected values
are PyTorch 2.13's; with PyTorch installed each case is also compared live."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg

INF = float("inf")

# (logits, target, keyword arguments, PyTorch's loss, PyTorch's input gradient)
CROSS_ENTROPY = [
    ([[0.0, -INF, 1.0], [2.0, 0.0, -INF]], [0, 1], {"weight": [1.0, 2.0, 0.5]},
     1.8557058572769165, [[-0.24368620, 0.0, 0.24368620], [0.58719802, -0.58719808, 0.0]]),
    ([[0.0, -INF, 1.0], [-INF, 0.0, 1.0]], [0, -100], {},
     1.31326162815094, [[-0.73105860, 0.0, 0.73105860], [0.0, 0.0, 0.0]]),
    ([[-INF, -1.0, 1.0], [-INF, 0.0, 1.0]], [1, -100], {"weight": [0.0, 1.0, 1.0]},
     2.1269280910491943, [[0.0, -0.88079703, 0.88079703], [0.0, 0.0, 0.0]]),
    ([[0.0, 1.0, 1.0], [2.0, 0.0, 3.0]], [-100, -100], {}, float("nan"), [[0.0] * 3] * 2),
    ([[0.0, 1.0, 1.0], [2.0, 0.0, 3.0]], [-100, -100], {"weight": [1.0, 2.0, 3.0]},
     float("nan"), [[0.0] * 3] * 2),
]


def _cross_entropy(lib, logits, target, keywords, **extra):
    x = lib.tensor(logits, requires_grad=True)
    keywords = {k: lib.tensor(v) if k == "weight" else v for k, v in keywords.items()}
    loss = lib.nn.functional.cross_entropy(x, lib.tensor(target), **keywords, **extra)
    loss.backward()
    return loss.item(), x.grad.numpy()


@pytest.mark.parametrize("logits, target, keywords, loss, grad", CROSS_ENTROPY)
@pytest.mark.parametrize("fused", [True, False])
def test_cross_entropy_edge_cases_as_pytorch(logits, target, keywords, loss, grad, fused):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning leaks out either
        ours, our_grad = _cross_entropy(tg, logits, target, keywords, fused=fused)
    np.testing.assert_allclose(ours, loss, rtol=1e-6)
    np.testing.assert_allclose(our_grad, grad, atol=1e-6)


@pytest.mark.parametrize("logits, target, keywords, loss, grad", CROSS_ENTROPY)
def test_cross_entropy_edge_cases_live(logits, target, keywords, loss, grad):
    torch = pytest.importorskip("torch")
    ours, our_grad = _cross_entropy(tg, logits, target, keywords)
    theirs, their_grad = _cross_entropy(torch, logits, target, keywords)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(our_grad, their_grad, atol=1e-6)


def test_nll_loss_with_ignored_minus_inf_rows_is_finite():
    log_p = tg.tensor([[-0.5, -1.0], [-INF, -0.1]], requires_grad=True)
    loss = tg.nn.functional.nll_loss(log_p, tg.tensor([0, -100]))
    loss.backward()
    assert loss.item() == 0.5 and log_p.grad.tolist() == [[-1.0, 0.0], [0.0, 0.0]]


# ---------------------------------------------------------------------- zero variance

# (shape of a constant input, std/var keywords, PyTorch's gradient of the result's sum)
SPREAD = [
    ("std", 3, {}, [0.0, 0.0, 0.0]),
    ("std", 3, {"unbiased": False}, [0.0, 0.0, 0.0]),
    ("std", 1, {}, [float("nan")]),
    ("std", 1, {"unbiased": False}, [0.0]),
    ("var", 1, {}, [float("nan")]),
    ("var", 3, {}, [0.0, 0.0, 0.0]),
    ("std", 3, {"dim": 0}, [0.0, 0.0, 0.0]),
]


@pytest.mark.parametrize("name, n, keywords, grad", SPREAD)
def test_gradients_of_a_constant_spread_as_pytorch(name, n, keywords, grad):
    x = tg.full((n,), 2.0, dtype=tg.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no degrees of freedom: PyTorch warns too
        getattr(x, name)(**keywords).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), grad)


def test_std_gradient_elsewhere_is_unchanged():
    data = np.array([[1.0, 2.0, 4.0], [3.0, 3.0, 3.0]])
    x = tg.tensor(data, requires_grad=True)
    x.std(dim=1).sum().backward()
    centred = data[0] - data[0].mean()
    expected_row = centred / (data[0].std(ddof=1) * 2)
    np.testing.assert_allclose(x.grad.numpy()[0], expected_row, rtol=1e-12)
    assert x.grad.numpy()[1].tolist() == [0.0, 0.0, 0.0]
    assert tg.gradcheck(lambda t: t.std(dim=1), (tg.tensor(data[:1] * 1.5, requires_grad=True),))


def test_no_degrees_of_freedom_warns_as_pytorch():
    with pytest.warns(UserWarning, match=re.escape(
            "std(): degrees of freedom is <= 0. Correction should be strictly less than the "
            "reduction factor (input numel divided by output numel).")):
        assert np.isnan(tg.ones(1).std().item())


@pytest.mark.parametrize("name, n, keywords, grad", SPREAD)
def test_spread_gradients_live(name, n, keywords, grad):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        x = torch.full((n,), 2.0, dtype=torch.float64, requires_grad=True)
        getattr(x, name)(**keywords).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), grad)


def test_clamp_of_integers_with_float_bounds_promotes_as_pytorch():
    clamped = tg.tensor([1, 5, 9]).clamp(2.5, 7.5)
    assert clamped.dtype == tg.float32 and clamped.tolist() == [2.5, 5.0, 7.5]
    assert tg.tensor([1, 5, 9]).clamp(min=2).dtype == tg.int64


def test_out_of_domain_values_are_silent_as_in_pytorch():
    """nan and inf come out without NumPy's RuntimeWarnings, even under ``-W error``; the
    user's own NumPy calls still warn. (In a fresh interpreter: the test runner's own warning
    filters would hide the difference.)"""
    import subprocess
    import sys

    program = (
        "import numpy as np, tinygrad_bn as tg\n"
        "x = tg.tensor([-1.0, 0.0, 1000.0], requires_grad=True)\n"
        "y = x.log().sum() + x.sqrt().sum() + x.exp().sum() + (1 / x).sum() + x.rsqrt().sum()\n"
        "y.backward()\n"
        "print(x.log().tolist())\n"
        "try:\n    np.log(np.array([-1.0]))\nexcept RuntimeWarning:\n    print('numpy warns')\n"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", program], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["[nan, -inf, 6.907755374908447]", "numpy warns"]


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_counted_rows_of_zero_total_weight_give_nan_as_pytorch(fused, smoothing):
    x = tg.tensor([[0.5, 1.0], [2.0, -1.0]], requires_grad=True)
    loss = tg.nn.functional.cross_entropy(x, tg.tensor([0, 0]), weight=tg.tensor([0.0, 1.0]),
                                          label_smoothing=smoothing, fused=fused)
    loss.backward()
    assert np.isnan(loss.item()) and np.all(np.isnan(x.grad.numpy()))


def test_nll_counted_rows_of_zero_total_weight_give_nan():
    log_p = tg.tensor([[-0.5, -1.0]], requires_grad=True)
    loss = tg.nn.functional.nll_loss(log_p, tg.tensor([0]), weight=tg.tensor([0.0, 1.0]))
    loss.backward()  # PyTorch: nan where the label picked, 0 elsewhere
    assert np.isnan(loss.item()) and np.isnan(log_p.grad.numpy()[0, 0])
    assert log_p.grad.numpy()[0, 1] == 0
