"""The schedules added after the first seven (LinearLR, ConstantLR, PolynomialLR,
MultiplicativeLR, CosineAnnealingWarmRestarts, CyclicLR, SequentialLR, ChainedScheduler):
rates equal to PyTorch's to the last bit when it is installed, and to closed forms without it;
state dicts, ``step(epoch)``, PyTorch's warnings and every error message."""

import copy
import math
import pickle
import re
import warnings

import pytest

import tinygrad_bn as tg


def _schedules(lib):
    """name -> function making the schedule on an optimizer (``lib`` is tinygrad_bn or torch)."""
    L = lib.optim.lr_scheduler
    return {
        "LinearLR": lambda o: L.LinearLR(o),
        "LinearLR_options": lambda o: L.LinearLR(o, start_factor=0.1, end_factor=0.7,
                                                 total_iters=7),
        "ConstantLR": lambda o: L.ConstantLR(o),
        "ConstantLR_options": lambda o: L.ConstantLR(o, factor=0.3, total_iters=4),
        "PolynomialLR": lambda o: L.PolynomialLR(o),
        "PolynomialLR_options": lambda o: L.PolynomialLR(o, total_iters=9, power=2.5),
        "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda e: 0.95),
        "MultiplicativeLR_per_group": lambda o: L.MultiplicativeLR(
            o, [lambda e: 0.9 ** (e % 3), lambda e: 1.01]),
        "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, T_0=4),
        "CosineAnnealingWarmRestarts_mult": lambda o: L.CosineAnnealingWarmRestarts(
            o, T_0=3, T_mult=2, eta_min=0.001),
        "CyclicLR": lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3),
        "CyclicLR_triangular2": lambda o: L.CyclicLR(o, [0.01, 0.02], 0.1, step_size_up=2,
                                                     step_size_down=5, mode="triangular2"),
        "CyclicLR_exp_range": lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=3,
                                                   mode="exp_range", gamma=0.97,
                                                   base_momentum=0.7, max_momentum=0.95),
        "CyclicLR_scale_fn": lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4,
                                                  scale_fn=lambda x: 0.5**x,
                                                  scale_mode="iterations", cycle_momentum=False),
        "SequentialLR_warmup_cosine": lambda o: L.SequentialLR(
            o, [L.LinearLR(o, start_factor=0.1, total_iters=4), L.CosineAnnealingLR(o, T_max=10)],
            milestones=[4]),
        "SequentialLR_four": lambda o: L.SequentialLR(
            o, [L.ConstantLR(o, factor=0.5, total_iters=3), L.ExponentialLR(o, gamma=0.9),
                L.StepLR(o, 3, 0.5), L.MultiStepLR(o, [2, 5, 5], 0.3)], milestones=[3, 7, 12]),
        "SequentialLR_polynomial": lambda o: L.SequentialLR(
            o, [L.LinearLR(o, total_iters=3), L.PolynomialLR(o, total_iters=6, power=2.0)],
            milestones=[2]),
        "ChainedScheduler": lambda o: L.ChainedScheduler(
            [L.ConstantLR(o, factor=0.1, total_iters=2), L.ExponentialLR(o, gamma=0.9)]),
        "ChainedScheduler_restarts": lambda o: L.ChainedScheduler(
            [L.LinearLR(o, total_iters=4), L.CosineAnnealingWarmRestarts(o, T_0=5)], optimizer=o),
    }


NAMES = list(_schedules(tg))


def run_schedule(lib, name, optimizer_name="SGD", steps=40):
    """``steps`` steps of a schedule on an optimizer with two parameter groups: the rates
    (``get_last_lr`` and the groups'), and the momenta (or Adam's betas) after each step."""
    w, b = lib.zeros(2, requires_grad=True), lib.zeros(1, requires_grad=True)
    groups = [{"params": [w]}, {"params": [b], "lr": 0.05}]
    if optimizer_name == "SGD":
        optimizer = lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    else:
        optimizer = lib.optim.Adam(groups, lr=0.1)
    scheduler = _schedules(lib)[name](optimizer)
    history = [list(scheduler.get_last_lr())]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        history.append((list(scheduler.get_last_lr()),
                        [g["lr"] for g in optimizer.param_groups],
                        [g.get("momentum") for g in optimizer.param_groups],
                        [g.get("betas") for g in optimizer.param_groups]))
    return history


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize("name", NAMES)
def test_schedules_match_pytorch_to_the_last_bit(name, optimizer_name):
    torch = pytest.importorskip("torch")
    assert run_schedule(tg, name, optimizer_name) == run_schedule(torch, name, optimizer_name)


def _stepped(scheduler, optimizer, steps):
    rates = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append(scheduler.get_last_lr()[0])
    return rates


def _sgd(lr=0.1, momentum=0.9):
    return tg.optim.SGD([tg.zeros(1, requires_grad=True)], lr=lr, momentum=momentum)


L = tg.optim.lr_scheduler
CLOSED_FORMS = [
    (lambda o: L.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=6),
     lambda e: 0.1 * (0.25 + 0.5 * min(e, 6) / 6)),
    (lambda o: L.ConstantLR(o, factor=0.3, total_iters=4), lambda e: 0.1 * (0.3 if e < 4 else 1)),
    (lambda o: L.PolynomialLR(o, total_iters=8, power=1.5),
     lambda e: 0.1 * (1 - min(e, 8) / 8) ** 1.5),
    (lambda o: L.MultiplicativeLR(o, lambda e: 0.9), lambda e: 0.1 * 0.9**e),
    (lambda o: L.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
     lambda e: 0.01 + 0.09 * (1 + math.cos(math.pi * _sgdr_position(e))) / 2),
    (lambda o: L.CyclicLR(o, 0.02, 0.1, step_size_up=4, step_size_down=2),
     lambda e: 0.02 + 0.08 * _triangle(e % 6, 4, 2)),
    (lambda o: L.CyclicLR(o, 0.02, 0.1, step_size_up=3, mode="triangular2"),
     lambda e: 0.02 + 0.08 * _triangle(e % 6, 3, 3) / 2 ** (e // 6)),
    (lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=0.5, total_iters=2),
                                  L.ExponentialLR(o, gamma=0.8)], milestones=[3]),
     lambda e: 0.1 * (0.5 + 0.5 * min(e, 2) / 2) if e < 3 else 0.1 * 0.8 ** (e - 3)),
    (lambda o: L.ChainedScheduler([L.ConstantLR(o, factor=0.5, total_iters=3),
                                   L.ExponentialLR(o, gamma=0.9)]),
     lambda e: 0.1 * 0.9**e * (0.5 if e < 3 else 1)),
]


def _sgdr_position(epoch):
    """SGDR's ``T_cur / T_i`` with periods 3, 6, 12, ...: the fraction of the current period."""
    start, period = 0, 3
    while epoch >= start + period:
        start, period = start + period, period * 2
    return (epoch - start) / period


def _triangle(position, up, down):
    """The triangular wave: 0 to 1 over ``up`` steps, back to 0 over ``down``."""
    return position / up if position <= up else 1 - (position - up) / down


@pytest.mark.parametrize("make, closed_form", CLOSED_FORMS)
def test_schedules_follow_their_closed_forms(make, closed_form):
    optimizer = _sgd()
    rates = _stepped(make(optimizer), optimizer, 30)
    for epoch, rate in enumerate(rates):
        assert rate == pytest.approx(closed_form(epoch), rel=1e-12, abs=1e-15), epoch


def test_cyclic_momentum_moves_against_the_rate():
    """SGD's momentum (and Adam's beta1) is max_momentum where the rate is base_lr and
    base_momentum where it is max_lr."""
    for optimizer in (_sgd(), tg.optim.Adam([tg.zeros(1, requires_grad=True)], lr=0.1)):
        scheduler = L.CyclicLR(optimizer, 0.01, 0.1, step_size_up=2, base_momentum=0.8,
                               max_momentum=0.9)
        group = optimizer.param_groups[0]

        def momentum():
            return group["momentum"] if "momentum" in group else group["betas"][0]
        seen = [(scheduler.get_last_lr()[0], momentum())]
        for _ in range(4):
            optimizer.step()
            scheduler.step()
            seen.append((scheduler.get_last_lr()[0], momentum()))
        assert seen[0] == (0.01, 0.9) and seen[2] == (0.1, 0.8) and seen[4] == (0.01, 0.9)
        assert seen[1][0] == pytest.approx(0.055) and seen[1][1] == pytest.approx(0.85)


def test_warm_restarts_with_fractional_epochs():
    """``step(epoch)`` with fractions of an epoch, as PyTorch's documentation shows: the rate
    at ``epoch`` is the closed form at that point of the period (equal to PyTorch's)."""
    optimizer = _sgd()
    scheduler = L.CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=2)
    rates = []
    for epoch in range(10):
        for i in range(4):
            scheduler.step(epoch + i / 4)
            rates.append(scheduler.get_last_lr()[0])
            assert scheduler.last_epoch == epoch
    expected = [0.05 * (1 + math.cos(math.pi * _sgdr_position(e + i / 4)))
                for e in range(10) for i in range(4)]
    assert rates == pytest.approx(expected, rel=1e-12, abs=1e-15)
    torch = pytest.importorskip("torch")
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    their_scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(theirs, T_0=3,
                                                                           T_mult=2)
    their_rates = []
    for epoch in range(10):
        for i in range(4):
            their_scheduler.step(epoch + i / 4)
            their_rates.append(their_scheduler.get_last_lr()[0])
    assert rates == their_rates


def test_step_with_an_epoch_uses_the_closed_form_and_warns():
    optimizer = _sgd()
    scheduler = L.ExponentialLR(optimizer, gamma=0.9)
    optimizer.step()
    with pytest.warns(UserWarning, match=re.escape("The epoch parameter in `scheduler.step()` "
                                                   "was not necessary")):
        scheduler.step(3)
    assert scheduler.get_last_lr() == [0.1 * 0.9**3] and scheduler.last_epoch == 3


def test_stepping_the_scheduler_before_the_optimizer_warns_as_pytorch():
    optimizer = _sgd()
    scheduler = L.LinearLR(optimizer)
    with pytest.warns(UserWarning, match=re.escape(
            "Detected call of `lr_scheduler.step()` before `optimizer.step()`.")):
        scheduler.step()
    optimizer = _sgd()
    scheduler = L.LinearLR(optimizer)
    optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()
        scheduler.step()


def test_an_optimizer_with_a_scheduler_still_copies_and_pickles():
    optimizer = _sgd()
    L.StepLR(optimizer, 2)
    for clone in (copy.deepcopy(optimizer), pickle.loads(pickle.dumps(optimizer))):
        clone.param_groups[0]["params"][0].grad = tg.ones(1)
        clone.step()
        assert clone.param_groups[0]["params"][0].item() == pytest.approx(-0.1)
        assert optimizer.param_groups[0]["params"][0].item() == 0


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip_continues_identically(name):
    """A schedule saved after 5 steps and loaded into a fresh one (on an optimizer given the
    same rates, as loading its own state dict would) continues with the same rates."""
    def fresh():
        w, b = tg.zeros(2, requires_grad=True), tg.zeros(1, requires_grad=True)
        optimizer = tg.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.05}], lr=0.1,
                                 momentum=0.9)
        return optimizer, _schedules(tg)[name](optimizer)
    optimizer, scheduler = fresh()
    _stepped(scheduler, optimizer, 5)
    saved_scheduler, saved_optimizer = scheduler.state_dict(), optimizer.state_dict()
    expected = _stepped(scheduler, optimizer, 10)
    other_optimizer, other = fresh()
    other_optimizer.load_state_dict(saved_optimizer)
    other.load_state_dict(saved_scheduler)
    assert _stepped(other, other_optimizer, 10) == expected


ERRORS = [
    (lambda: L.LinearLR(_sgd(), start_factor=0), ValueError,
     "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."),
    (lambda: L.LinearLR(_sgd(), end_factor=1.5), ValueError,
     "Ending multiplicative factor expected to be between 0 and 1."),
    (lambda: L.ConstantLR(_sgd(), factor=2), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1."),
    (lambda: L.MultiplicativeLR(_sgd(), [abs, abs]), ValueError,
     "Expected 1 lr_lambdas, but got 2"),
    (lambda: L.MultiplicativeLR(_sgd(), 0.9), TypeError,
     "lr_lambda should be a function, but got float"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=2, T_mult=1.5), ValueError,
     "Expected integer T_mult >= 1, but got 1.5"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=2, eta_min="0"), ValueError,
     "Expected float or int eta_min, but got 0 of type <class 'str'>"),
    (lambda: L.CosineAnnealingWarmRestarts(_sgd(), T_0=2).step(-1), ValueError,
     "Expected non-negative epoch, but got -1"),
    (lambda: L.CyclicLR("not an optimizer", 0.1, 1.0), TypeError, "str is not an Optimizer"),
    (lambda: L.CyclicLR(_sgd(), 0.1, 1.0, mode="square"), ValueError,
     "mode is invalid and scale_fn is None"),
    (lambda: L.CyclicLR(tg.optim.Adagrad([tg.zeros(1, requires_grad=True)]), 0.1, 1.0),
     ValueError, "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"),
    (lambda: L.SequentialLR(_sgd(), [], milestones=[]), ValueError,
     "SequentialLR expects at least one scheduler, but got no scheduler."),
    (lambda: _sequential_with_milestones([1, 2]), ValueError,
     "Sequential Schedulers expects number of schedulers provided to be one more than the "
     "number of milestone points, but got number of schedulers 2 and the number of milestones "
     "to be equal to 2"),
    (lambda: L.SequentialLR(_sgd(), [object()], milestones=[]), TypeError,
     "SequentialLR at index 0 should have `optimizer` as its attribute."),
    (lambda: _with_plateau(L.ChainedScheduler), ValueError,
     "ChainedScheduler does not support `ReduceLROnPlateau` scheduler as it requires "
     "additional kwargs to be specified when calling `step`, but got one at index 0 in the "
     "given schedulers sequence."),
    (lambda: L.ChainedScheduler([]), ValueError,
     "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler."),
    (lambda: L.ChainedScheduler([L.StepLR(_sgd(), 2), L.StepLR(_sgd(), 2)]), ValueError,
     "ChainedScheduler expects all schedulers to belong to the same optimizer, but got "
     "scheduler StepLR at index 1 has SGD ("),
]


def _sequential_with_milestones(milestones):
    optimizer = _sgd()
    return L.SequentialLR(optimizer, [L.ConstantLR(optimizer), L.ExponentialLR(optimizer, 0.9)],
                          milestones=milestones)


def _with_plateau(kind):
    optimizer = _sgd()
    return kind([L.ReduceLROnPlateau(optimizer)])


@pytest.mark.parametrize("action, error, message", ERRORS)
def test_scheduler_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


@pytest.mark.parametrize("name", ["SequentialLR_warmup_cosine", "CyclicLR_exp_range",
                                  "ChainedScheduler_restarts", "MultiplicativeLR"])
@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
def test_a_jitted_step_with_the_scheduler_replays_as_eager(name, optimizer_name):
    """A jitted training step that steps the optimizer and the schedule: results, weights,
    optimizer state and hyperparameters (CyclicLR moves momentum or betas) bitwise eager's,
    without a TracerWarning: a replay makes the scheduler's step again and reads the rates
    it set."""
    from test_jit_soundness import assert_replayed, batches, model_and_optimizer, run_both, \
        snapshot
    from tinygrad_bn.nn import functional as F

    def build():
        model, _ = model_and_optimizer()
        if optimizer_name == "SGD":
            optimizer = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        else:
            optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
        scheduler = _schedules(tg)[name](optimizer)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            return loss, scheduler.get_last_lr()
        return step, {"state": lambda: snapshot(model, optimizer)}

    step, texts = run_both(build, batches(8))
    assert_replayed(step, texts, 8)


def test_get_lr_called_from_outside_step_warns_as_pytorch():
    optimizer = _sgd()
    for scheduler in (L.StepLR(optimizer, 2), L.LinearLR(optimizer)):
        with pytest.warns(UserWarning, match=re.escape(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.")):
            scheduler.get_lr()
