"""The activations and losses beyond the common ones (nn/functional_activations.py,
nn/functional_losses.py): values, shapes and float64 gradients against PyTorch (when installed),
finite-difference gradient checks, the kinks where PyTorch's backward picks a side, in-place
forms, module reprs, the deprecated reduction flags and the error messages."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.nn import functional as F

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 6)) * 4
X[0] = [-3.0, 3.0, 0.0, 0.5, -0.5, 25.0]  # the kinks of hardswish, hardshrink, logsigmoid

ACTIVATIONS = {
    "mish": {}, "hardswish": {}, "hardsigmoid": {}, "selu": {}, "celu": {"alpha": 0.7},
    "softsign": {}, "logsigmoid": {}, "softmin": {"dim": 1}, "glu": {}, "tanhshrink": {},
    "threshold": {"threshold": 0.5, "value": -2.0}, "hardshrink": {"lambd": 0.5},
    "softshrink": {"lambd": 0.5}, "rrelu": {},
}


def _grad_output(shape):
    size = int(np.prod(shape))
    return np.linspace(-1, 1, max(size, 1)).reshape(shape)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
def test_activation_matches_pytorch(name, dtype):
    torch = pytest.importorskip("torch")
    kwargs = ACTIVATIONS[name]
    a = X.astype(dtype)
    ours_x = tg.tensor(a, requires_grad=dtype == "float64")
    theirs_x = torch.tensor(a, requires_grad=dtype == "float64")
    ours = getattr(F, name)(ours_x, **kwargs)
    theirs = getattr(torch.nn.functional, name)(theirs_x, **kwargs)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    tolerance = {"float16": 1e-3, "float32": 1e-6, "float64": 1e-12}[dtype]
    np.testing.assert_allclose(ours.detach().numpy().astype(float),
                               theirs.detach().numpy().astype(float), rtol=tolerance, atol=1e-5)
    if dtype == "float64":
        grad = _grad_output(tuple(theirs.shape))
        ours.backward(tg.tensor(grad))
        theirs.backward(torch.tensor(grad))
        np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("name", sorted(set(ACTIVATIONS) - {"rrelu"}))
def test_activation_gradcheck(name):
    x = tg.tensor(RNG.standard_normal((3, 4)) * 3, requires_grad=True)  # no kinks hit
    assert tg.gradcheck(lambda t: getattr(F, name)(t, **ACTIVATIONS[name]), x)


def test_prelu_gradcheck_and_matches_pytorch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 4))
    w = np.array([0.1, 0.2, 0.3])
    ours_x, ours_w = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
    assert tg.gradcheck(F.prelu, (ours_x, ours_w))
    theirs_x, theirs_w = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    F.prelu(ours_x, ours_w).sum().backward()
    torch.nn.functional.prelu(theirs_x, theirs_w).sum().backward()
    np.testing.assert_allclose(ours_w.grad.numpy(), theirs_w.grad.numpy())
    np.testing.assert_allclose(ours_x.grad.numpy(), theirs_x.grad.numpy())


def test_rrelu_training_draws_slopes_within_bounds_and_eval_uses_the_mean():
    x = tg.tensor(-np.ones(1000), requires_grad=True)
    tg.manual_seed(0)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    slopes = -y.detach().numpy()
    assert (slopes >= 0.1).all() and (slopes < 0.3).all() and slopes.std() > 0.03
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes)
    np.testing.assert_allclose(F.rrelu(x, 0.1, 0.3).detach().numpy(), -0.2)
    module = nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(module(x).detach().numpy(), -0.2)


@pytest.mark.parametrize("name", ["mish", "hardswish", "hardsigmoid", "selu", "celu", "rrelu",
                                  "threshold"])
def test_inplace_writes_into_the_input(name):
    kwargs = {"threshold": 0.5, "value": -2.0} if name == "threshold" else {}
    x = tg.tensor(X.copy())
    expected = getattr(F, name)(x, **kwargs).numpy()
    out = getattr(F, name)(x, inplace=True, **kwargs)
    assert out is x
    np.testing.assert_array_equal(x.numpy(), expected)


def test_module_reprs_match_pytorch():
    reprs = [(nn.Mish(True), "Mish(inplace=True)"), (nn.Hardswish(True), "Hardswish()"),
             (nn.SELU(), "SELU()"), (nn.CELU(0.5, True), "CELU(alpha=0.5, inplace=True)"),
             (nn.Softmin(1), "Softmin(dim=1)"), (nn.GLU(), "GLU(dim=-1)"),
             (nn.Threshold(0.1, 20), "Threshold(threshold=0.1, value=20)"),
             (nn.Hardshrink(), "Hardshrink(0.5)"), (nn.Softshrink(0.3), "Softshrink(0.3)"),
             (nn.PReLU(3), "PReLU(num_parameters=3)"), (nn.Softmax2d(), "Softmax2d()"),
             (nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)")]
    for module, text in reprs:
        assert repr(module) == text


@pytest.mark.parametrize("call, error, message", [
    (lambda: F.glu(tg.tensor(1.0)), RuntimeError,
     "glu does not support scalars because halving size must be even"),
    (lambda: F.glu(tg.ones(3)), RuntimeError,
     "Halving dimension must be even, but dimension 0 is size 3"),
    (lambda: F.softshrink(tg.ones(2), -1), RuntimeError,
     r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but found -1"),
    (lambda: F.hardshrink(tg.ones(2, dtype=tg.int64)), NotImplementedError,
     "\"hardshrink_cpu\" not implemented for 'Long'"),
    (lambda: F.prelu(tg.ones(2, 3), tg.ones(2)), RuntimeError,
     "Mismatch of parameter numbers and input channel size. Found parameter numbers = 2 and "
     "channel size = 3."),
    (lambda: F.celu(tg.ones(2), 0.0), RuntimeError, "alpha cannot be 0 for CELU"),
    (lambda: nn.Softmax2d()(tg.ones(2, 3)), ValueError,
     "Softmax2d: expected input to be 3D or 4D, got 2D instead"),
    (lambda: F.margin_ranking_loss(tg.ones(3), tg.ones(3), tg.ones(3, 1)), RuntimeError,
     r"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
     r"input1: torch.Size\(\[3\]\), input2: torch.Size\(\[3\]\), target: torch.Size\(\[3, 1\]\)"),
    (lambda: F.cosine_embedding_loss(tg.ones(2, 3), tg.ones(2, 3), tg.ones(2, 1)), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cosine_embedding_loss(tg.ones(3), tg.ones(3), tg.ones(2)), RuntimeError,
     r"1D target tensor expects 2D input tensors, but found inputs with sizes \[3\] and \[3\]."),
    (lambda: F.triplet_margin_loss(tg.ones(2, 3), tg.ones(2, 3), tg.ones(3)), RuntimeError,
     "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda: F.triplet_margin_loss(tg.ones(3), tg.ones(3), tg.ones(3), margin=0), ValueError,
     "margin must be greater than 0, got 0"),
    (lambda: F.multi_margin_loss(tg.ones(2, 3), tg.tensor([0, 1]), p=3), ValueError,
     "only p == 1 and p == 2 supported"),
    (lambda: F.multi_margin_loss(tg.ones(2, 3), tg.tensor([0, 1, 2])), RuntimeError,
     r"Expected target size \[2\], but got \[3\]. Input has shape \[2, 3\]."),
    (lambda: F.multilabel_margin_loss(tg.ones(2, 3), tg.tensor([[0, 5, -1], [0, 1, 2]])),
     RuntimeError, "argument #2 'target' is out of range"),
    (lambda: F.rrelu(tg.ones(2), 0.3, 0.1), RuntimeError,
     "Lower bound should be less than or equal to the upper bound"),
    (lambda: F.multi_margin_loss(tg.ones(2, 3), tg.tensor([0, 3])), RuntimeError,
     "target out of range"),
    (lambda: F.multilabel_margin_loss(tg.ones(2, 3), tg.tensor([0, 1])), RuntimeError,
     r"inconsistent target size: \[2\] for input of size: \[2, 3\]"),
    (lambda: F.gaussian_nll_loss(tg.ones(2, 3), tg.ones(2, 3), tg.ones(3, 2)), ValueError,
     "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(tg.ones(2), tg.ones(2), -tg.ones(2)), ValueError,
     "var has negative entry/entries"),
    (lambda: F.poisson_nll_loss(tg.ones(2), tg.ones(2), reduction="avg"), ValueError,
     "avg is not a valid value for reduction"),
    (lambda: nn.TripletMarginLoss(margin=-1.0), ValueError,
     "TripletMarginLoss: expected margin to be greater than 0, got -1.0 instead"),
])
def test_errors_like_pytorch(call, error, message):
    with pytest.raises(error, match=message):
        call()


def _loss_cases():
    x1, x2, x3 = (RNG.standard_normal((5, 4)) for _ in range(3))
    sign = np.sign(RNG.standard_normal((5, 4)))
    labels = np.array([0, 3, 2, 1, 1])
    multilabels = np.array([[3, 0, -1, 1], [0, 1, 2, 3], [1, -1, 0, 0], [2, 2, -1, 0],
                            [-1, 1, 1, 1]])
    return [
        ("margin_ranking_loss", [x1[:, 0], x2[:, 0], sign[:, 0]], [1, 1, 0], {"margin": 0.3}),
        ("hinge_embedding_loss", [x1, sign], [1, 0], {"margin": 0.8}),
        ("soft_margin_loss", [x1, sign], [1, 0], {}),
        ("multilabel_soft_margin_loss", [x1, (sign > 0) * 1.0], [1, 0], {}),
        ("cosine_embedding_loss", [x1, x2, sign[:, 0]], [1, 1, 0], {"margin": 0.2}),
        ("cosine_embedding_loss", [x1[0], x2[0], np.array(-1.0)], [1, 1, 0], {"margin": -0.5}),
        ("triplet_margin_loss", [x1, x2, x3], [1, 1, 1], {"swap": True}),
        ("triplet_margin_loss", [x1, x2, x3], [1, 1, 1], {"p": 1, "margin": 2.0}),
        ("triplet_margin_with_distance_loss", [x1, x2, x3], [1, 1, 1], {"swap": True}),
        ("multi_margin_loss", [x1, labels], [1, 0], {}),
        ("multi_margin_loss", [x1, labels], [1, 0], {"p": 2, "margin": 0.7}),
        ("multi_margin_loss", [x1[0], np.array(2)], [1, 0], {}),
        ("multilabel_margin_loss", [x1, multilabels], [1, 0], {}),
        ("multilabel_margin_loss", [x1[0], multilabels[0]], [1, 0], {}),
        ("poisson_nll_loss", [x1, np.abs(x2) * 3], [1, 0], {}),
        ("poisson_nll_loss", [np.abs(x1), np.abs(x2) * 3], [1, 0],
         {"log_input": False, "full": True}),
        ("gaussian_nll_loss", [x1, x2, np.abs(x3)], [1, 0, 1], {}),
        ("gaussian_nll_loss", [x1, x2, np.abs(x3[:, :1]) * 1e-7], [1, 0, 1], {"full": True}),
        ("gaussian_nll_loss", [x1, x2, np.abs(x3[:, 0])], [1, 0, 1], {}),
    ]


LOSS_CASES = _loss_cases()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("case", LOSS_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(LOSS_CASES)])
def test_loss_matches_pytorch(case, reduction):
    torch = pytest.importorskip("torch")
    name, arrays, grads, kwargs = case
    ours_in = [tg.tensor(a, requires_grad=bool(g)) for a, g in zip(arrays, grads)]
    theirs_in = [torch.tensor(a, requires_grad=bool(g)) for a, g in zip(arrays, grads)]
    ours = getattr(F, name)(*ours_in, reduction=reduction, **kwargs)
    theirs = getattr(torch.nn.functional, name)(*theirs_in, reduction=reduction, **kwargs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    grad = _grad_output(tuple(theirs.shape))
    ours.backward(tg.tensor(grad))
    theirs.backward(torch.tensor(grad))
    for o, t, g in zip(ours_in, theirs_in, grads):
        if g:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), atol=1e-12)


# finite differences would step the variances clamped at eps (1e-7 here) below zero
SMOOTH_CASES = [c for c in LOSS_CASES if not (c[0] == "gaussian_nll_loss" and c[3])]


@pytest.mark.parametrize("case", SMOOTH_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(SMOOTH_CASES)])
def test_loss_gradcheck(case):
    name, arrays, grads, kwargs = case
    inputs = [tg.tensor(a, requires_grad=bool(g)) for a, g in zip(arrays, grads)]
    differentiable = [i for i, g in enumerate(grads) if g]

    def loss(*tensors):
        full = list(inputs)
        for i, t in zip(differentiable, tensors):
            full[i] = t
        return getattr(F, name)(*full, reduction="sum", **kwargs)
    assert tg.gradcheck(loss, tuple(inputs[i] for i in differentiable))


def test_loss_modules_and_legacy_flags():
    x, y = tg.tensor(RNG.standard_normal((3, 4))), tg.tensor(np.sign(RNG.standard_normal((3, 4))))
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        module = nn.SoftMarginLoss(size_average=False)
    assert module.reduction == "sum"
    np.testing.assert_allclose(module(x, y).numpy(), F.soft_margin_loss(x, y, reduction="sum")
                               .numpy())
    with pytest.warns(UserWarning, match="reduction='none' instead"):
        out = F.hinge_embedding_loss(x, y, reduce=False)
    assert tuple(out.shape) == (3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.MultiMarginLoss(p=2, margin=0.5)(x, tg.tensor([0, 1, 3])).shape == ()
    assert repr(nn.TripletMarginLoss()) == "TripletMarginLoss()"


@pytest.mark.parametrize("loss_name", ["multi_margin_loss", "multilabel_soft_margin_loss",
                                       "multilabel_margin_loss"])
def test_jit_replays_agree_with_eager(loss_name):
    """New data every call; RReLU's training slopes are drawn anew in each replay, as eager."""
    def run(use_jit):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 32), nn.RReLU(), nn.Linear(32, 16), nn.Mish(),
                              nn.PReLU(16), nn.Linear(16, 5))
        optimizer = tg.optim.SGD(model.parameters(), lr=0.05)

        def step(x, y):
            optimizer.zero_grad()
            out = model(x)
            if loss_name == "multi_margin_loss":
                loss = F.multi_margin_loss(out, y, p=2)
            elif loss_name == "multilabel_soft_margin_loss":
                loss = F.multilabel_soft_margin_loss(out, F.one_hot(y, 5).float())
            else:
                loss = F.multilabel_margin_loss(out, tg.stack([y, -tg.ones_like(y), y, y, y], 1))
            loss.backward()
            optimizer.step()
            return loss
        if use_jit:
            step = tg.jit(step)
        rng = np.random.default_rng(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            losses = [step(tg.tensor(rng.standard_normal((16, 20)).astype(np.float32)),
                           tg.tensor(rng.integers(0, 5, 16))).item() for _ in range(6)]
        return losses, step
    eager, _ = run(False)
    jitted, step = run(True)
    assert jitted == eager and len(set(eager)) == 6
    assert step.replays == 4


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_matches_pytorch_gradient_quirk_included(reduction, zero_infinity):
    """Values and float64 gradients, with a shorter input, an empty target and an impossible
    alignment (target longer than its input); PyTorch's gradient carries exp(log_probs)."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    steps, batch, classes = 12, 4, 6
    log_probs = torch.randn(steps, batch, classes, dtype=torch.float64).log_softmax(2)
    targets = torch.randint(1, classes, (batch, 8))
    input_lengths, target_lengths = [12, 9, 12, 3], [5, 0, 8, 6]
    theirs_in = log_probs.detach().requires_grad_()
    ours_in = tg.tensor(log_probs.numpy(), requires_grad=True)
    theirs = torch.nn.functional.ctc_loss(theirs_in, targets, input_lengths, target_lengths,
                                          reduction=reduction, zero_infinity=zero_infinity)
    ours = nn.CTCLoss(reduction=reduction, zero_infinity=zero_infinity)(
        ours_in, tg.tensor(targets.numpy()), tg.tensor(input_lengths), tg.tensor(target_lengths))
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10)
    if zero_infinity:
        grad = _grad_output(tuple(theirs.shape))
        theirs.backward(torch.tensor(grad))
        ours.backward(tg.tensor(grad))
        np.testing.assert_allclose(ours_in.grad.numpy(), theirs_in.grad.numpy(), atol=1e-12)


def test_ctc_loss_concatenated_and_unbatched_targets():
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    log_probs = torch.randn(10, 3, 5, dtype=torch.float64).log_softmax(2)
    targets, lengths = torch.randint(1, 5, (9,)), [4, 0, 5]
    ours = F.ctc_loss(tg.tensor(log_probs.numpy()), tg.tensor(targets.numpy()), [10] * 3, lengths,
                      reduction="none")
    theirs = torch.nn.functional.ctc_loss(log_probs, targets, [10] * 3, lengths,
                                          reduction="none")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)
    ours = F.ctc_loss(tg.tensor(log_probs[:, 0].numpy()), tg.tensor(targets[:4].numpy()), 10, 4)
    theirs = torch.nn.functional.ctc_loss(log_probs[:, 0], targets[:4], torch.tensor(10),
                                          torch.tensor(4))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)
