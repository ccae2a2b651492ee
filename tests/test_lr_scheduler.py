"""Learning-rate schedules step by step over 100 steps, and nn.utils (gradient clipping,
parameters as a vector), compared with PyTorch when it is installed and with closed forms
otherwise."""

import math
import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg

SCHEDULES = {
    "StepLR": lambda lib, opt: lib.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5),
    "MultiStepLR": lambda lib, opt: lib.optim.lr_scheduler.MultiStepLR(opt, [10, 30, 30, 80],
                                                                       gamma=0.3),
    "ExponentialLR": lambda lib, opt: lib.optim.lr_scheduler.ExponentialLR(opt, gamma=0.97),
    "CosineAnnealingLR": lambda lib, opt: lib.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=30, eta_min=0.001),
    "LambdaLR": lambda lib, opt: lib.optim.lr_scheduler.LambdaLR(opt, lambda e: 1 / (1 + e)),
    "OneCycleLR": lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5,
                                                                     total_steps=101),
    "OneCycleLR_linear_three_phase": lambda lib, opt: lib.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=[0.5, 0.2], epochs=10, steps_per_epoch=11, anneal_strategy="linear",
        three_phase=True),
}


def run_schedule(lib, name, optimizer_name="SGD"):
    """100 steps of a schedule on an optimizer with two parameter groups: the rates, and the
    momenta (or Adam's beta1) OneCycleLR moves."""
    w, b = lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)
    groups = [{"params": [w]}, {"params": [b], "lr": 0.05}]
    if optimizer_name == "SGD":
        optimizer = lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    else:
        optimizer = lib.optim.Adam(groups, lr=0.1)
    scheduler = SCHEDULES[name](lib, optimizer)
    rates, momenta = [scheduler.get_last_lr()], []
    for _ in range(100):
        optimizer.step()
        scheduler.step()
        rates.append(list(scheduler.get_last_lr()))
        group = optimizer.param_groups[0]
        momenta.append(group["momentum"] if optimizer_name == "SGD" else group["betas"][0])
    return rates, momenta


@pytest.mark.parametrize("name", SCHEDULES)
def test_schedules_match_pytorch_step_by_step(name):
    torch = pytest.importorskip("torch")
    for optimizer_name in ("SGD", "Adam"):
        ours, theirs = run_schedule(tg, name, optimizer_name), run_schedule(torch, name,
                                                                            optimizer_name)
        assert ours == theirs  # the same recurrences: equal to the last bit


def test_schedules_follow_their_closed_forms():
    rates, _ = run_schedule(tg, "StepLR")
    assert rates[0] == [0.1, 0.05] and rates[7][0] == pytest.approx(0.05) and \
        rates[14][0] == pytest.approx(0.025)
    rates, _ = run_schedule(tg, "CosineAnnealingLR")
    for epoch in (0, 10, 30):
        expected = 0.001 + (0.1 - 0.001) * (1 + math.cos(math.pi * epoch / 30)) / 2
        assert rates[epoch][0] == pytest.approx(expected)
    rates, momenta = run_schedule(tg, "OneCycleLR")
    assert rates[0][0] == pytest.approx(0.5 / 25) and max(r[0] for r in rates) == pytest.approx(
        0.5, rel=1e-3)  # the peak falls between steps 29 and 30
    assert rates[-1][0] == pytest.approx(0.5 / 25 / 1e4) and min(momenta) == pytest.approx(
        0.85, rel=1e-4)


def test_reduce_on_plateau_matches_pytorch():
    losses = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8]

    def run(lib):
        optimizer = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=1.0)
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2,
                                                             cooldown=1, min_lr=0.2)
        seen = []
        for loss in losses:
            scheduler.step(loss)
            seen.append(optimizer.param_groups[0]["lr"])
        return seen

    ours = run(tg)
    # 0.9 is the best; three epochs without a relative improvement of 1e-4 (patience 2) halve
    # the rate, the cooldown skips an epoch, and it never goes below min_lr
    assert ours[:4] == [1.0] * 4 and ours[4] == 0.5 and ours[-1] == 0.2
    torch = pytest.importorskip("torch")
    assert ours == run(torch)


def clip(lib, norm_type):
    rng = np.random.default_rng(0)
    layer = lib.nn.Linear(4, 3).double()
    with lib.no_grad():
        for p in layer.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape))))
    layer(lib.tensor(rng.standard_normal((5, 4)))).pow(2).sum().backward()
    total = lib.nn.utils.clip_grad_norm_(layer.parameters(), max_norm=1.5, norm_type=norm_type)
    vector = lib.nn.utils.parameters_to_vector([p.grad for p in layer.parameters()])
    lib.nn.utils.clip_grad_value_(layer.parameters(), 0.1)
    return total.item(), vector.numpy(), [p.grad.numpy() for p in layer.parameters()]


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf")])
def test_gradient_clipping_matches_pytorch(norm_type):
    total, vector, grads = clip(tg, norm_type)
    assert total > 1.5 and np.abs(np.concatenate([g.ravel() for g in grads])).max() <= 0.1
    torch = pytest.importorskip("torch")
    their_total, their_vector, their_grads = clip(torch, norm_type)
    assert total == pytest.approx(their_total, rel=1e-12)
    np.testing.assert_allclose(vector, their_vector, rtol=1e-12)
    for a, b in zip(grads, their_grads):
        np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("norm_type", [2.0, float("inf")])
def test_clipping_an_infinite_gradient_gives_nan_without_a_warning(norm_type):
    """PyTorch: the total norm is inf, the coefficient 0, and inf * 0 = nan, silently. The test
    turns warnings into errors itself, so it holds under pytest's own warning capture."""
    p = tg.nn.Parameter(tg.ones(2))
    p.grad = tg.tensor([float("inf"), 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = tg.nn.utils.clip_grad_norm_([p], 1.0, norm_type=norm_type)
    assert total.item() == math.inf
    assert np.isnan(p.grad[0].item()) and p.grad[1].item() == 0.0


@pytest.mark.parametrize("norm_type", [2.0, 1, float("inf")])
def test_total_norm_then_clipping_is_clip_grad_norm(norm_type):
    """``get_total_norm`` of the gradients and ``clip_grads_with_norm_`` with it (PyTorch 2.6's
    split of ``clip_grad_norm_``) give ``clip_grad_norm_``'s norm and gradients, bit for bit;
    the norm of no tensors is 0 and clipping no parameters does nothing."""
    runs = []
    for split in (False, True):
        tg.manual_seed(0)
        layer = tg.nn.Linear(4, 3)
        layer(tg.randn(5, 4)).pow(2).sum().backward()
        params = list(layer.parameters())
        if split:
            total = tg.nn.utils.get_total_norm([p.grad for p in params], norm_type)
            tg.nn.utils.clip_grads_with_norm_(params, 0.5, total)
        else:
            total = tg.nn.utils.clip_grad_norm_(params, 0.5, norm_type)
        runs.append((total.item(), [p.grad.numpy().copy() for p in params]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)
    assert tg.nn.utils.get_total_norm([]).item() == 0.0
    assert tg.nn.utils.get_total_norm(tg.tensor([3.0, 4.0])).item() == 5.0
    assert tg.nn.utils.clip_grads_with_norm_([], 1.0, tg.tensor(5.0)) is None
    p = tg.nn.Parameter(tg.tensor([3.0, 4.0]))
    p.grad = tg.tensor([3.0, 4.0])
    tg.nn.utils.clip_grads_with_norm_([p], 1.0, tg.tensor(5.0))
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-6)


def test_vector_to_parameters_round_trip():
    layer = tg.nn.Linear(2, 2)
    vector = tg.nn.utils.parameters_to_vector(layer.parameters()).detach() * 0 + 3
    tg.nn.utils.vector_to_parameters(vector, layer.parameters())
    assert layer.weight.tolist() == [[3.0, 3.0], [3.0, 3.0]] and layer.bias.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("action, error, message", [
    (lambda: tg.optim.lr_scheduler.StepLR("not an optimizer", 3), TypeError,
     "str is not an Optimizer"),
    (lambda: tg.optim.lr_scheduler.ReduceLROnPlateau(_sgd(), factor=1.0), ValueError,
     "Factor should be < 1.0."),
    (lambda: tg.optim.lr_scheduler.ReduceLROnPlateau(_sgd(), mode="up"), ValueError,
     "mode up is unknown!"),
    (lambda: tg.optim.lr_scheduler.OneCycleLR(_sgd(), max_lr=1.0), ValueError,
     "You must define either total_steps OR (epochs AND steps_per_epoch)"),
    (lambda: tg.optim.lr_scheduler.OneCycleLR(_sgd(), 1.0, total_steps=10, pct_start=2), ValueError,
     "Expected float between 0 and 1 pct_start, but got 2"),
    (lambda: tg.optim.lr_scheduler.OneCycleLR(_sgd(), 1.0, total_steps=10,
                                              anneal_strategy="step"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got step"),
    (lambda: _overstep(), ValueError,
     "Tried to step 3 times. The specified number of total steps is 2"),
    (lambda: tg.optim.lr_scheduler.LambdaLR(_sgd(), [abs, abs]), ValueError,
     "Expected 1 lr_lambdas, but got 2"),
    (lambda: tg.nn.utils.vector_to_parameters([1.0], []), TypeError,
     "expected torch.Tensor, but got: list"),
])
def test_scheduler_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def _sgd():
    return tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)


def _overstep():
    scheduler = tg.optim.lr_scheduler.OneCycleLR(_sgd(), 1.0, total_steps=2)
    for _ in range(3):
        scheduler.step()
