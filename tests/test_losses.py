"""Losses: cross-entropy over every option against a NumPy reference, fused against composed
against finite differences, stability, NLL and MSE, and the error messages."""

import itertools
import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F


def reference_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean",
                            smoothing=0.0):
    """Row by row, from the definitions in PyTorch's documentation."""
    n, c = x.shape
    w = np.ones(c) if weight is None else weight
    log_p = x - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)) - x.max(
        1, keepdims=True)
    losses, divisor = [], 0.0
    for i in range(n):
        if target.ndim == 2:
            t = target[i] * (1 - smoothing) + smoothing / c
            losses.append(-(w * t * log_p[i]).sum())
            divisor += 1
        elif target[i] == ignore_index:
            losses.append(0.0)
        else:
            y = target[i]
            nll = -w[y] * log_p[i, y]
            smooth = -(w * log_p[i]).sum()
            losses.append((1 - smoothing) * nll + smoothing / c * smooth)
            divisor += w[y]
    losses = np.array(losses)
    if reduction == "none":
        return losses
    return losses.sum() / divisor if reduction == "mean" else losses.sum()


OPTIONS = list(itertools.product(
    ["mean", "sum", "none"],     # reduction
    [False, True],               # class weights
    [0.0, 0.2],                  # label smoothing
    ["indices", "ignored", "probabilities"],
))


def _case(kind, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 4))
    if kind == "probabilities":
        p = rng.random((6, 4))
        return x, p / p.sum(1, keepdims=True)
    target = rng.integers(0, 4, 6)
    if kind == "ignored":
        target[[1, 4]] = -100
    return x, target


@pytest.mark.parametrize("reduction, weighted, smoothing, kind", OPTIONS)
def test_cross_entropy_matches_the_reference_fused_and_composed(reduction, weighted, smoothing,
                                                                kind):
    x, target = _case(kind)
    weight = np.array([0.5, 2.0, 1.0, 3.0]) if weighted else None
    expected = reference_cross_entropy(x, target, weight, reduction=reduction, smoothing=smoothing)
    kwargs = dict(weight=None if weight is None else tg.tensor(weight), reduction=reduction,
                  label_smoothing=smoothing)
    grads = []
    for fused in (True, False):
        xt = tg.tensor(x, requires_grad=True)
        out = F.cross_entropy(xt, tg.tensor(target), fused=fused, **kwargs)
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
        out.sum().backward()
        grads.append(xt.grad.detach().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)
    xt = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t: F.cross_entropy(t, tg.tensor(target), **kwargs), xt)


def test_gradient_with_respect_to_probability_targets():
    x, p = _case("probabilities")
    inputs = (tg.tensor(x, requires_grad=True), tg.tensor(p, requires_grad=True))
    weight = tg.tensor([0.5, 2.0, 1.0, 3.0])
    for reduction in ("mean", "sum", "none"):
        assert tg.gradcheck(lambda a, b: F.cross_entropy(a, b, weight=weight, reduction=reduction,
                                                         label_smoothing=0.1), inputs)


def test_unweighted_gradient_is_softmax_minus_onehot_over_n():
    x, target = _case("indices")
    xt = tg.tensor(x, requires_grad=True)
    F.cross_entropy(xt, tg.tensor(target)).backward()
    softmax = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(xt.grad.detach().numpy(), (softmax - np.eye(4)[target]) / 6, rtol=1e-12)


def test_custom_ignore_index():
    x, target = _case("indices")
    target[0] = 3
    loss = F.cross_entropy(tg.tensor(x), tg.tensor(target), ignore_index=3)
    kept = target != 3
    expected = reference_cross_entropy(x[kept], target[kept])
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-12)


@pytest.mark.parametrize("ignore_index", [-1, 2])
def test_ignored_rows_as_pytorch_treats_them(ignore_index):
    """Ignored rows (a language model's padding) count nothing: a -inf logit in one leaves the
    loss finite, every row ignored gives a nan mean and a zero gradient (PyTorch's), and the
    fused node's gradient is the composed computation's (log_softmax, pick, mask)."""
    x = np.random.default_rng(1).normal(size=(5, 4))
    x[1, 0] = -np.inf
    target = np.array([ignore_index, ignore_index, 3, 0, 1 if ignore_index != 1 else 3])
    for reduction in ("mean", "sum", "none"):
        grads = []
        for fused in (True, False):
            xt = tg.tensor(x, requires_grad=True)
            loss = F.cross_entropy(xt, tg.tensor(target), ignore_index=ignore_index,
                                   reduction=reduction, fused=fused)
            expected = reference_cross_entropy(np.where(np.isinf(x), -1e300, x), target,
                                               ignore_index=ignore_index, reduction=reduction)
            np.testing.assert_allclose(loss.detach().numpy(), expected, rtol=1e-12)
            loss.sum().backward()
            grads.append(xt.grad.detach().numpy())
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-15)
        assert np.all(grads[0][:2] == 0)
    finite = np.where(np.isinf(x), 0.0, x)
    assert tg.gradcheck(lambda t: F.cross_entropy(t, tg.tensor(target), ignore_index=ignore_index),
                        tg.tensor(finite, requires_grad=True))
    xt = tg.tensor(x, requires_grad=True)
    loss = F.cross_entropy(xt, tg.tensor(np.full(5, ignore_index)), ignore_index=ignore_index)
    loss.backward()
    assert np.isnan(loss.item()) and np.all(xt.grad.detach().numpy() == 0)


def test_huge_logits_give_finite_loss_and_gradient():
    x = tg.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 5e3]], requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([1, 1]))
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx(1e4, rel=1e-6)
    loss.backward()
    assert np.all(np.isfinite(x.grad.detach().numpy()))


def test_single_sample_input():
    x = np.array([1.0, 2.0, 0.5])
    loss = F.cross_entropy(tg.tensor(x), tg.tensor(1))
    np.testing.assert_allclose(loss.item(), reference_cross_entropy(x[None], np.array([1])))


def test_module_is_one_fused_node_in_float32():
    loss = nn.CrossEntropyLoss()(tg.randn(8, 5, requires_grad=True), tg.randint(0, 5, (8,)))
    assert loss.grad_fn.name == "CrossEntropy" and repr(loss.grad_fn) == \
        "CrossEntropy(reduction='mean')"
    assert loss.dtype == tg.float32 and loss.shape == ()


def test_nll_loss_matches_cross_entropy_of_log_softmax():
    x, target = _case("ignored", seed=2)
    weight = tg.tensor([0.5, 2.0, 1.0, 3.0])
    for reduction in ("mean", "sum", "none"):
        a = F.nll_loss(tg.tensor(x).log_softmax(dim=1), tg.tensor(target), weight=weight,
                       reduction=reduction)
        b = F.cross_entropy(tg.tensor(x), tg.tensor(target), weight=weight, reduction=reduction)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)
    xt = tg.tensor(x, requires_grad=True)
    assert tg.gradcheck(lambda t: nn.NLLLoss(weight=weight)(t.log_softmax(dim=1),
                                                          tg.tensor(target)), xt)


def test_mse_loss():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(nn.MSELoss()(tg.tensor(a), tg.tensor(b)).item(),
                               ((a - b) ** 2).mean())
    np.testing.assert_allclose(F.mse_loss(tg.tensor(a), tg.tensor(b), reduction="sum").item(),
                               ((a - b) ** 2).sum())
    assert F.mse_loss(tg.tensor(a), tg.tensor(b), reduction="none").shape == (4, 3)
    at = tg.tensor(a, requires_grad=True)
    assert tg.gradcheck(lambda t: F.mse_loss(t, tg.tensor(b)), at)
    with pytest.warns(UserWarning, match=re.escape("Using a target size ((3,)) that is different "
                                                   "to the input size ((4, 3))")):
        F.mse_loss(tg.tensor(a), tg.tensor(b[0]))


ERRORS = [
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([0, 7, 1])), IndexError,
     "Target 7 is out of bounds."),
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([0, -1, 1])), IndexError,
     "Target -1 is out of bounds."),
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([0.0, 1.0, 1.0])), RuntimeError,
     "expected target dtype to be Long (int64 class indices of shape (3,)), but got float32 of "
     "shape (3,); float targets are read as class probabilities only when shaped like the input "
     "(3, 5)"),
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([0, 1])), ValueError,
     "Expected input batch_size (3) to match target batch_size (2)."),
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([[0, 1, 1]] * 3)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([0, 1, 1]), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([0, 1, 1]), weight=tg.ones(3)),
     RuntimeError, "weight tensor should be defined either for all 5 classes or no classes but "
     "got weight tensor of shape: [3]"),
    (lambda: F.cross_entropy(tg.randn(3, 5), tg.tensor([0, 1, 1]), label_smoothing=1.5),
     RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.cross_entropy(tg.randn(3, 5, 2), tg.tensor([0, 1, 1])), RuntimeError,
     "Expected target size [3, 2], got [3]"),
    (lambda: F.cross_entropy(tg.randn(3, 5), [0, 1, 1]), TypeError,
     "target must be a Tensor, got list"),
    (lambda: F.nll_loss(tg.randn(3, 5), tg.tensor([0, 5, 1])), IndexError,
     "Target 5 is out of bounds."),
    (lambda: F.nll_loss(tg.randn(3, 5), tg.rand(3, 5)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.nll_loss(tg.randn(5), tg.tensor([1, 2])), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 2"),
    (lambda: F.mse_loss(tg.randn(3), tg.randn(3), reduction="all"), ValueError,
     "all is not a valid value for reduction"),
]


@pytest.mark.parametrize("action, error, message", ERRORS)
def test_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


# ---------------------------------------------------------------------- the other losses


def test_loss_modules_match_their_functions_and_reprs():
    x, t = tg.tensor([[0.2, -1.0], [2.0, 0.5]]), tg.tensor([[0.0, 1.0], [1.0, 0.0]])
    pairs = [(nn.L1Loss(), F.l1_loss(x, t)), (nn.SmoothL1Loss(beta=0.5),
                                              F.smooth_l1_loss(x, t, beta=0.5)),
             (nn.HuberLoss(delta=2.0), F.huber_loss(x, t, delta=2.0)),
             (nn.BCEWithLogitsLoss(), F.binary_cross_entropy_with_logits(x, t)),
             (nn.BCELoss(), F.binary_cross_entropy(x.sigmoid(), t)),
             (nn.KLDivLoss(reduction="batchmean"), F.kl_div(x.log_softmax(1), t, "batchmean"))]
    inputs = [x, x, x, x, x.sigmoid(), x.log_softmax(1)]
    for (module, expected), given in zip(pairs, inputs):
        assert module(given, t).item() == expected.item()
    assert repr(nn.SmoothL1Loss()) == "SmoothL1Loss()" and repr(nn.KLDivLoss()) == "KLDivLoss()"


def test_bce_clamps_its_logs_at_minus_100_as_pytorch():
    loss = F.binary_cross_entropy(tg.tensor([0.0, 1.0]), tg.tensor([1.0, 0.0]), reduction="none")
    assert loss.tolist() == [100.0, 100.0]


@pytest.mark.parametrize("action, error, message", [
    (lambda: F.binary_cross_entropy(tg.tensor([0.5]), tg.tensor([[1.0]])), ValueError,
     "Using a target size (torch.Size([1, 1])) that is different to the input size "
     "(torch.Size([1])) is deprecated. Please ensure they have the same size."),
    (lambda: F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0])), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy_with_logits(tg.ones(3), tg.ones(3, 1)), ValueError,
     "Target size (torch.Size([3, 1])) must be the same as input size (torch.Size([3]))"),
    (lambda: F.binary_cross_entropy_with_logits(
        tg.ones(2), tg.ones(2), pos_weight=tg.ones(2, requires_grad=True)), RuntimeError,
     "is not differentiable with respect to argument 'pos_weight'"),
    (lambda: F.smooth_l1_loss(tg.ones(2), tg.ones(2), beta=-1.0), RuntimeError,
     "smooth_l1_loss does not support negative values for beta."),
    (lambda: F.huber_loss(tg.ones(2), tg.ones(2), delta=0.0), RuntimeError,
     "huber_loss does not support non-positive values for delta."),
    (lambda: nn.KLDivLoss(reduction="average"), ValueError,
     "average is not a valid value for reduction"),
    (lambda: nn.L1Loss(reduction="avg"), ValueError, "avg is not a valid value for reduction"),
])
def test_other_loss_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_l1_loss_warns_when_shapes_broadcast():
    with pytest.warns(UserWarning, match=re.escape("Using a target size ((2, 1)) that is "
                                                   "different to the input size ((2,))")):
        F.l1_loss(tg.ones(2), tg.ones(2, 1))


def test_bce_gradients_at_zero_and_one_are_pytorchs_not_nan():
    def run(lib):
        x = lib.tensor([0.0, 1.0, 0.5, 0.3], requires_grad=True)
        t = lib.tensor([1.0, 0.0, 1.0, 0.2], requires_grad=True)
        lib.nn.functional.binary_cross_entropy(x, t).backward()
        return x.grad.numpy(), t.grad.numpy()

    grad_x, grad_t = run(tg)
    assert np.isfinite(grad_x).all() and grad_x[0] == pytest.approx(-1 / 4 / 1e-12)
    assert np.isinf(grad_t[:2]).all()
    torch = pytest.importorskip("torch")
    their_x, their_t = run(torch)
    np.testing.assert_allclose(grad_x, their_x, rtol=1e-6)
    np.testing.assert_allclose(grad_t, their_t, rtol=1e-6)
