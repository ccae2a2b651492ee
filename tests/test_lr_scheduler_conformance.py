"""Every scheduler of ``torch.optim.lr_scheduler`` with typical arguments, against PyTorch 2.13
when it is installed: 50 steps (``optimizer.step()`` then ``scheduler.step()``; a metric for
``ReduceLROnPlateau``), comparing ``get_last_lr()``, every group's ``lr`` and its momentum or
betas (CyclicLR and OneCycleLR cycle them) exactly, and the final ``state_dict()`` (keys in
PyTorch's order, values); then the same run interrupted at step 25 by a save and a load into
a new optimizer and scheduler must end where the uninterrupted one does."""

import warnings

import pytest

import tinygrad_bn as tg


def _decay(epoch):
    return 0.95 ** epoch


def _inverse(epoch):
    return 1 / (1 + epoch)


def _constant(epoch):
    return 0.97


class _Warm:
    """A callable object: its ``__dict__`` is what a state dict saves of it."""

    def __init__(self):
        self.factor = 0.9

    def __call__(self, epoch):
        return self.factor ** epoch


def _halving(x):
    return 0.5 ** x


CASES = [
    ("StepLR", "SGD", dict(step_size=7, gamma=0.5)),
    ("MultiStepLR", "SGD", dict(milestones=[5, 15, 15, 30], gamma=0.3)),
    ("ConstantLR", "SGD", dict(factor=0.4, total_iters=8)),
    ("LinearLR", "SGD", dict(start_factor=0.2, end_factor=0.9, total_iters=12)),
    ("ExponentialLR", "SGD", dict(gamma=0.93)),
    ("CosineAnnealingLR", "SGD", dict(T_max=13, eta_min=0.001)),
    ("CosineAnnealingWarmRestarts", "SGD", dict(T_0=7, T_mult=2, eta_min=0.002)),
    ("PolynomialLR", "SGD", dict(total_iters=20, power=1.7)),
    ("LambdaLR", "SGD", dict(lr_lambda=_decay)),
    ("LambdaLR", "two groups", dict(lr_lambda=[_decay, _inverse])),
    ("LambdaLR", "SGD", dict(lr_lambda=_Warm())),
    ("MultiplicativeLR", "SGD", dict(lr_lambda=_constant)),
    ("MultiplicativeLR", "two groups", dict(lr_lambda=[_constant, _Warm()])),
    ("CyclicLR", "SGD momentum", dict(base_lr=0.01, max_lr=0.1, step_size_up=4,
                                      step_size_down=6, mode="triangular2")),
    ("CyclicLR", "SGD momentum", dict(base_lr=0.01, max_lr=0.1, step_size_up=5,
                                      mode="exp_range", gamma=0.97, base_momentum=0.7,
                                      max_momentum=0.95)),
    ("CyclicLR", "Adam", dict(base_lr=0.001, max_lr=0.01, step_size_up=3)),
    ("CyclicLR", "SGD", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, cycle_momentum=False,
                             scale_fn=_halving, scale_mode="iterations")),
    ("OneCycleLR", "SGD momentum", dict(max_lr=0.1, total_steps=60, three_phase=True)),
    ("OneCycleLR", "Adam", dict(max_lr=[0.05], epochs=6, steps_per_epoch=10,
                                anneal_strategy="linear", div_factor=10, final_div_factor=100)),
    ("OneCycleLR", "SGD momentum", dict(max_lr=0.1, total_steps=60, pct_start=0.4,
                                        cycle_momentum=False)),
    ("ReduceLROnPlateau", "two groups", dict(mode="min", factor=0.5, patience=2, threshold=0.01,
                                             cooldown=1, min_lr=[0.001, 0.002])),
    ("ReduceLROnPlateau", "SGD", dict(mode="max", factor=0.3, patience=1, threshold_mode="abs",
                                      threshold=0.1, eps=1e-4)),
    ("SequentialLR", "SGD", "warm-up then cosine"),
    ("SequentialLR", "SGD momentum", "three"),
    ("ChainedScheduler", "SGD", "chained"),
]


def _optimizer(module, kind):
    p, q = module.nn.Parameter(module.ones(2)), module.nn.Parameter(module.ones(3))
    if kind == "two groups":
        return module.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.05}], lr=0.1)
    if kind == "SGD momentum":
        return module.optim.SGD([p], lr=0.1, momentum=0.9)
    if kind == "Adam":
        return module.optim.Adam([p], lr=0.01)
    if kind == "tensor lr":
        return module.optim.SGD([p], lr=module.tensor(0.1))
    if kind == "tensor lr, momentum":
        return module.optim.SGD([p], lr=module.tensor(0.1), momentum=0.9)
    return module.optim.SGD([p], lr=0.1)


def _scheduler(module, name, optimizer, options):
    schedulers = module.optim.lr_scheduler
    if options == "warm-up then cosine":
        return schedulers.SequentialLR(optimizer, [
            schedulers.LinearLR(optimizer, 0.1, total_iters=5),
            schedulers.CosineAnnealingLR(optimizer, T_max=20)], milestones=[5])
    if options == "three":
        return schedulers.SequentialLR(optimizer, [
            schedulers.ConstantLR(optimizer, 0.5, total_iters=3),
            schedulers.ExponentialLR(optimizer, 0.9), schedulers.StepLR(optimizer, 4, 0.5)],
            milestones=[6, 20])
    if options == "chained":
        return schedulers.ChainedScheduler([schedulers.ConstantLR(optimizer, 0.3, total_iters=4),
                                            schedulers.ExponentialLR(optimizer, 0.95)])
    return getattr(schedulers, name)(optimizer, **options)


def _metric(i):
    return [3.0, 2.5, 2.6, 2.55, 2.58, 2.57, 1.0, 1.2, 1.1, 1.05][i % 10] + 0.1 * (i // 10)


def _steps(optimizer, scheduler, name, start, stop):
    record = []
    for i in range(start, stop):
        optimizer.step()
        if name == "ReduceLROnPlateau":
            scheduler.step(_metric(i))
        else:
            scheduler.step()
        record.append((list(scheduler.get_last_lr()), [g["lr"] for g in optimizer.param_groups],
                       [g.get("momentum", g.get("betas")) for g in optimizer.param_groups]))
    return record


def _run(module, name, kind, options, interrupt=False):
    optimizer = _optimizer(module, kind)
    scheduler = _scheduler(module, name, optimizer, options)
    record = _steps(optimizer, scheduler, name, 0, 25)
    if interrupt:
        saved_optimizer, saved_scheduler = optimizer.state_dict(), scheduler.state_dict()
        optimizer = _optimizer(module, kind)
        scheduler = _scheduler(module, name, optimizer, options)
        optimizer.load_state_dict(saved_optimizer)
        scheduler.load_state_dict(saved_scheduler)
    record += _steps(optimizer, scheduler, name, 25, 50)
    return record, scheduler.state_dict()


def _plain(value):
    """A state-dict value with functions as a marker and tensors as their value, for
    comparing."""
    if type(value).__name__ == "Tensor":
        return ("tensor", str(value.dtype).split(".")[-1], value.item())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if callable(value):
        return "function"
    return value


def _assert_same_record(ours, theirs):
    for step, (mine, reference) in enumerate(zip(ours, theirs)):
        assert _plain(mine) == _plain(reference), f"step {step}"


@pytest.mark.parametrize("name, kind, options", CASES)
def test_scheduler_matches_pytorch(name, kind, options):
    torch = pytest.importorskip("torch")
    ours, our_state = _run(tg, name, kind, options)
    theirs, their_state = _run(torch, name, kind, options)
    _assert_same_record(ours, theirs)
    assert list(our_state) == list(their_state)
    assert _plain(our_state) == _plain(their_state)


TENSOR_LR_CASES = [(name, "tensor lr, momentum" if kind == "SGD momentum" else "tensor lr",
                    options) for name, kind, options in CASES
                   if kind in ("SGD", "SGD momentum")]


@pytest.mark.parametrize("name, kind, options", TENSOR_LR_CASES)
def test_scheduler_with_a_tensor_lr_matches_pytorch(name, kind, options):
    """``lr`` given as a (float32) tensor: every scheduler fills that tensor in place, so the
    rates are rounded to float32 at each step, and ``get_last_lr()`` gives tensors, as
    PyTorch's (OneCycleLR, CyclicLR and ReduceLROnPlateau replaced it by a float before, and
    computed unrounded rates; the others put a new tensor in the group)."""
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        optimizer = _optimizer(module, kind)
        tensor = optimizer.param_groups[0]["lr"]
        scheduler = _scheduler(module, name, optimizer, options)
        _steps(optimizer, scheduler, name, 0, 3)
        assert optimizer.param_groups[0]["lr"] is tensor
    ours, our_state = _run(tg, name, kind, options)
    theirs, their_state = _run(torch, name, kind, options)
    _assert_same_record(ours, theirs)
    assert _plain(our_state) == _plain(their_state)


@pytest.mark.parametrize("name, kind, options", CASES)
def test_scheduler_resumes_from_its_state_dict(name, kind, options):
    torch = pytest.importorskip("torch")
    ours, _ = _run(tg, name, kind, options, interrupt=True)
    theirs, _ = _run(torch, name, kind, options)
    _assert_same_record(ours, theirs)


def test_reduce_lr_on_plateau_group_added_later():
    """A group added after the scheduler was made: its ``min_lr`` is the one number given; with
    a list given, PyTorch's error."""
    p, q = tg.nn.Parameter(tg.ones(2)), tg.nn.Parameter(tg.ones(2))
    optimizer = tg.optim.SGD([p], lr=0.1)
    scheduler = tg.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=0.05)
    optimizer.add_param_group({"params": [q], "lr": 0.2})
    scheduler.step(1.0)
    scheduler.step(2.0)
    assert [g["lr"] for g in optimizer.param_groups] == [0.05, pytest.approx(0.05)]
    optimizer = tg.optim.SGD([p], lr=0.1)
    scheduler = tg.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, min_lr=[0.05])
    optimizer.add_param_group({"params": [q], "lr": 0.2})
    scheduler.step(1.0)
    with pytest.raises(RuntimeError, match=r"^The number of param groups in the `optimizer` "
                                           r"\(2\) differs from when `ReduceLROnPlateau` was "
                                           r"initialized \(1\)"):
        scheduler.step(2.0)
    with pytest.raises(ValueError, match="^expected 2 min_lrs, got 1$"):
        tg.optim.lr_scheduler.ReduceLROnPlateau(optimizer, min_lr=[0.1])


def test_reduce_lr_on_plateau_epoch_argument_warns_and_sets_the_epoch():
    optimizer = tg.optim.SGD([tg.nn.Parameter(tg.ones(2))], lr=0.1)
    scheduler = tg.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
        scheduler.step(1.0, epoch=7)
    assert scheduler.last_epoch == 7


def _sgd(module, kind="SGD"):
    p = module.nn.Parameter(module.ones(2))
    if kind == "Adagrad":
        return module.optim.Adagrad([p])
    return module.optim.SGD([p], lr=0.1, momentum=0.9)


BAD_SCHEDULERS = [
    lambda m, s, o: s.StepLR("x", 2),
    lambda m, s, o: s.StepLR(o, 2, last_epoch=3),
    lambda m, s, o: s.LambdaLR(o, [_decay, _decay]),
    lambda m, s, o: s.MultiplicativeLR(o, 3),
    lambda m, s, o: s.ConstantLR(o, factor=1.5),
    lambda m, s, o: s.LinearLR(o, start_factor=0),
    lambda m, s, o: s.LinearLR(o, end_factor=2),
    lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=0),
    lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
    lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=2.5),
    lambda m, s, o: s.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="a"),
    lambda m, s, o: s.CyclicLR(o, 0.1, 1.0, mode="foo"),
    lambda m, s, o: s.CyclicLR(o, [0.1, 0.2], 1.0),
    lambda m, s, o: s.CyclicLR(_sgd(m, "Adagrad"), 0.1, 1.0),
    lambda m, s, o: s.OneCycleLR(o, 0.1),
    lambda m, s, o: s.OneCycleLR(o, 0.1, total_steps=0),
    lambda m, s, o: s.OneCycleLR(o, 0.1, total_steps=10, pct_start=2.0),
    lambda m, s, o: s.OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=2),
    lambda m, s, o: s.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=-1),
    lambda m, s, o: s.OneCycleLR("x", 0.1, total_steps=10),
    lambda m, s, o: s.OneCycleLR(o, 0.1, total_steps=10, anneal_strategy="x"),
    lambda m, s, o: s.OneCycleLR(_sgd(m, "Adagrad"), 0.1, total_steps=10),
    lambda m, s, o: s.OneCycleLR(o, [0.1, 0.2], total_steps=10),
    lambda m, s, o: s.ReduceLROnPlateau(o, factor=1.0),
    lambda m, s, o: s.ReduceLROnPlateau(o, mode="x"),
    lambda m, s, o: s.ReduceLROnPlateau(o, threshold_mode="x"),
    lambda m, s, o: s.SequentialLR(o, [s.StepLR(o, 2)], milestones=[1]),
    lambda m, s, o: s.SequentialLR(o, [], milestones=[]),
    lambda m, s, o: s.SequentialLR(o, [s.StepLR(o, 2), s.StepLR(_sgd(m), 2)], milestones=[1]),
    lambda m, s, o: s.SequentialLR(o, [s.StepLR(o, 2), "x"], milestones=[1]),
    lambda m, s, o: s.ChainedScheduler([]),
    lambda m, s, o: s.ChainedScheduler([s.StepLR(o, 2), s.StepLR(_sgd(m), 2)]),
    lambda m, s, o: s.ChainedScheduler([s.StepLR(o, 2), s.ReduceLROnPlateau(o)]),
]


@pytest.mark.parametrize("case", range(len(BAD_SCHEDULERS)))
def test_scheduler_errors_as_pytorchs(case):
    """Each bad construction's error type and message against PyTorch's (OneCycleLR's epochs
    and steps_per_epoch checks were missing: a ZeroDivisionError, or a schedule of -2 steps;
    the per-group length message and the resume KeyError had older words)."""
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        try:
            BAD_SCHEDULERS[case](module, module.optim.lr_scheduler, _sgd(module))
            results.append(None)
        except Exception as error:  # noqa: BLE001 - the comparison is the point
            results.append((type(error).__name__, str(error)))
    assert results[0] == results[1]


@pytest.mark.parametrize("name, kind, options", [case for case in CASES if case[0] not in (
    "SequentialLR", "ChainedScheduler")])
def test_scheduler_step_with_an_epoch_matches_pytorch(name, kind, options):
    """The deprecated ``step(epoch)`` (jumping back and forth, through the closed forms where
    PyTorch has them; ``ReduceLROnPlateau.step(metrics, epoch)``): the same rates and epochs."""
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        optimizer = _optimizer(module, kind)
        scheduler = _scheduler(module, name, optimizer, options)
        record = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in (3, 7, 2, 15, 15, 40, 1):
                optimizer.step()
                if name == "ReduceLROnPlateau":
                    scheduler.step(1.0, epoch)
                else:
                    scheduler.step(epoch)
                record.append((list(scheduler.get_last_lr()), scheduler.last_epoch))
        results.append(_plain(record))
    assert results[0] == results[1]
