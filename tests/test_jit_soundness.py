"""The JIT never replays the wrong thing: one test per way a trace-and-replay JIT can go wrong
(data frozen into the plan, Python-side state read once, aliased arguments, threads, failures
mid-step, unbounded plans). Every test changes the data between calls, and the first two calls
(the captures) often see the same batch, the case where comparing two captures cannot tell data
from constants. Each compares the jitted function with the same calls made eagerly from the
same state, bit for bit in float64: a replay either computes exactly that, or the function runs
eagerly with a TracerWarning."""

import threading
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.nn import functional as F
from tinygrad_bn.tracing import TracerWarning


def batches(count, n=16, features=6, classes=4, seed=0, repeat_first=True):
    """``count`` float64 batches ``(x, y)``; with ``repeat_first`` the first two are the same
    batch (what a capture that compares two calls cannot tell from constants)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        if repeat_first and i == 1:
            out.append(out[0])
            continue
        out.append((tg.tensor(rng.standard_normal((n, features))),
                    tg.tensor(rng.integers(0, classes, n))))
    return out


def model_and_optimizer(seed=0, features=6, classes=4, batchnorm=True, lr=0.05):
    tg.manual_seed(seed)
    layers = [nn.Linear(features, 8)]
    if batchnorm:
        layers.append(nn.BatchNorm1d(8))
    layers += [nn.ReLU(), nn.Linear(8, classes)]
    model = nn.Sequential(*layers).double()
    return model, optim.Adam(model.parameters(), lr=lr)


def snapshot(model, optimizer=None):
    """Every parameter, buffer and gradient, and the optimizer's state, as arrays."""
    state = {f"param {k}": v.detach().numpy().copy() for k, v in model.state_dict().items()}
    for name, p in model.named_parameters():
        state[f"grad {name}"] = None if p.grad is None else p.grad.numpy().copy()
    if optimizer is not None:
        for i, moments in enumerate(optimizer.state.values()):
            for k, v in moments.items():
                state[f"opt {i} {k}"] = np.array(v)
        for i, group in enumerate(optimizer.param_groups):
            state[f"group {i}"] = {k: v for k, v in group.items() if k != "params"}
    return state


def assert_same(a, b, where=""):
    """Bitwise equality of nested results: tensors (values, dtype, shape), arrays, Python."""
    if isinstance(a, tg.Tensor) or isinstance(b, tg.Tensor):
        assert isinstance(a, tg.Tensor) and isinstance(b, tg.Tensor), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a.detach().numpy(), b.detach().numpy(), equal_nan=True), where
    elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert np.array_equal(a, b, equal_nan=True), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b or (a != a and b != b), f"{where}: {a!r} != {b!r}"


def run_both(build, calls):
    """Build twice (eager, then jitted) and make the same ``calls``: each a tuple of
    arguments, or a callable ``event(env)`` run between calls on what ``build`` returned.
    ``build()`` returns ``(step, env)`` with ``env["state"]()`` reading the whole state.
    Asserts equal results, errors and state after every call; returns the jitted step and
    the texts of the TracerWarnings it gave."""
    records = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for use_jit in (False, True):
            step, env = build()
            if use_jit:
                step = tg.jit(step)
            env["step"] = step
            record = []
            for call in calls:
                if callable(call):
                    call(env)
                    continue
                try:
                    result = env["step"](*call)
                    record.append(("ok", result, env["state"]()))
                except Exception as error:  # noqa: BLE001 - eager's error must be the jit's
                    record.append(("error", f"{type(error).__name__}: {error}", env["state"]()))
            records.append((record, env["step"]))
    (eager, _), (jitted, step) = records
    for number, (a, b) in enumerate(zip(eager, jitted)):
        assert a[0] == b[0], f"call {number}: eager {a[:2]}, jit {b[:2]}"
        assert_same(a[1], b[1], f"call {number} result")
        assert_same(a[2], b[2], f"call {number} state")
    texts = [str(w.message) for w in caught if issubclass(w.category, TracerWarning)]
    return step, texts


def training_build(loss_of, batchnorm=True, seed=0, extra=None):
    """A build whose step is zero_grad, ``loss_of(model, x, y)``, backward, step."""
    def build():
        model, optimizer = model_and_optimizer(seed, batchnorm=batchnorm)
        env = {"model": model, "optimizer": optimizer,
               "state": lambda: snapshot(model, optimizer)}
        if extra:
            env.update(extra(model, optimizer))

        def step(x, y):
            optimizer.zero_grad()
            loss = loss_of(model, x, y, env)
            loss.backward()
            optimizer.step()
            return loss
        return step, env
    return build


def assert_replayed(step, texts, calls=6):
    assert texts == [], texts
    assert step.replays >= calls - 3, step.replays


# --------------------------------------------------------------------------- dataflow


def picked_loss(model, x, y, env):
    logp = model(x).log_softmax(dim=1)
    return -logp[tg.arange(x.shape[0]), y].mean()


def gather_loss(model, x, y, env):
    logp = F.log_softmax(model(x), dim=1)
    return -logp.gather(1, y[:, None]).mean()


def index_select_loss(model, x, y, env):
    rows = model(x).index_select(0, y)  # data-dependent rows
    return rows.pow(2).mean()


def masked_loss(model, x, y, env):
    out = model(x)
    out = out.masked_fill(x[:, :4] > 0, 0.0)  # the mask is computed from the data
    return F.cross_entropy(out, y)


def where_clamp_loss(model, x, y, env):
    out = model(x)
    low, high = x[:, :4] - 1, x[:, :4] + 1  # tensor bounds from the data
    return tg.where(y[:, None] > 1, out.clamp(min=low, max=high), out * 2).pow(2).mean()


def topk_loss(model, x, y, env):
    values, indices = model(x).topk(2, dim=1)
    return values.mean() + (indices == y[:, None]).sum() * 0.0 + values.std()


def argmax_loss(model, x, y, env):
    out = model(x)
    wrong = (out.argmax(dim=1) != y).to(tg.float64)  # weights from the data
    return (F.cross_entropy(out, y, reduction="none") * (1 + wrong)).mean()


def weighted_loss(model, x, y, env):
    counts = (y[:, None] == tg.arange(4)).sum(dim=0).to(tg.float64)  # class weights per batch
    return F.cross_entropy(model(x), y, weight=1.0 / (counts + 1))


def nll_loss(model, x, y, env):
    return F.nll_loss(F.log_softmax(model(x), dim=1), y)


def unfused_loss(model, x, y, env):
    return F.cross_entropy(model(x), y, label_smoothing=0.1, fused=False)


@pytest.mark.parametrize("loss_of", [
    picked_loss, gather_loss, index_select_loss, masked_loss, where_clamp_loss, topk_loss,
    argmax_loss, weighted_loss, nll_loss, unfused_loss,
], ids=lambda f: f.__name__)
def test_indices_masks_and_bounds_are_read_from_each_call(loss_of):
    step, texts = run_both(training_build(loss_of), batches(7))
    assert_replayed(step, texts, 7)


def test_embedding_ids_are_read_from_each_call():
    def build():
        tg.manual_seed(0)
        model = nn.Sequential(nn.Embedding(10, 5), nn.Flatten(), nn.Linear(15, 4)).double()
        optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(ids, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(ids), y)
            loss.backward()
            optimizer.step()
            return loss
        return step, {"state": lambda: snapshot(model, optimizer)}

    rng = np.random.default_rng(1)
    calls = [(tg.tensor(rng.integers(0, 10, (8, 3))), tg.tensor(rng.integers(0, 4, 8)))
             for _ in range(6)]
    calls[1] = calls[0]
    step, texts = run_both(build, calls)
    assert_replayed(step, texts)


def detach_target_loss(model, x, y, env):
    out = model(x)
    target = out.detach() * 0.5 + x[:, :4].data  # detach and .data: the same arrays, traced
    return (out - target).pow(2).mean()


def copied_loss(model, x, y, env):
    kept = tg.tensor(x)  # a copy of the data: traced as a copy (PyTorch warns as we do)
    return F.cross_entropy(model(kept.clone()), y)


def teacher_loss(model, x, y, env):
    with tg.no_grad():
        soft = env["teacher"](x).detach().softmax(dim=1)
    return F.cross_entropy(model(x), soft)


def teacher(model, optimizer):
    tg.manual_seed(7)
    return {"teacher": nn.Sequential(nn.Linear(6, 4)).double()}


@pytest.mark.parametrize("loss_of", [detach_target_loss, copied_loss, teacher_loss],
                         ids=lambda f: f.__name__)
def test_tensors_entering_by_detach_data_copy_or_a_teacher_are_traced(loss_of):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tensor(t)'s copy-construct advice
        step, texts = run_both(training_build(loss_of, extra=teacher), batches(6))
    assert_replayed(step, texts)


def test_a_numpy_array_made_into_a_tensor_inside_the_function_runs_eagerly():
    shift = np.linspace(0, 1, 4)

    def loss_of(model, x, y, env):
        return F.cross_entropy(model(x) + tg.from_numpy(shift * env["scale"]), y)

    def extra(model, optimizer):
        return {"scale": 1.0}

    def rescale(env):
        env["scale"] = 2.0

    calls = batches(6)
    calls.insert(3, rescale)
    step, texts = run_both(training_build(loss_of, extra=extra), calls)
    assert len(texts) == 1 and "test_jit_soundness.py" in texts[0], texts
    assert "holds values computed outside the recorded ops" in texts[0]
    assert step.replays == 0


def test_random_draws_inside_the_function_are_drawn_again_by_each_replay():
    """Noise, dropout and random indices drawn inside the step come from the generator at
    each replay, in eager mode's order; reseeding between calls is seen."""
    def loss_of(model, x, y, env):
        noisy = x + 0.01 * tg.randn_like(x) + tg.rand(1, 6, dtype=tg.float64)
        picked = noisy[tg.randint(0, x.shape[0], (x.shape[0],))]
        return F.cross_entropy(F.dropout(model(noisy), 0.3), y) + model(picked).mean()

    calls = batches(8)
    calls.insert(5, lambda env: tg.manual_seed(123))
    step, texts = run_both(training_build(loss_of), calls)
    assert_replayed(step, texts, 8)


def test_returned_grads_and_state_dict_values_are_the_current_ones():
    models = []

    def build():
        model, optimizer = model_and_optimizer()
        models.append(model)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss, model[0].weight.grad, model.state_dict()["1.running_mean"], \
                model[3].bias.detach()
        return step, {"state": lambda: snapshot(model, optimizer), "model": model}

    step, texts = run_both(build, batches(6))
    assert_replayed(step, texts)
    loss, grad, running_mean, bias = step(*batches(1)[0])  # a replay: the live objects
    model = models[-1]
    assert grad is model[0].weight.grad
    assert np.array_equal(running_mean.numpy(), model[1].running_mean.numpy())
    assert running_mean.data_ptr() == model[1].running_mean.data_ptr()


# --------------------------------------------------------------------------- Python-side state


def test_grad_set_to_none_inside_the_step_is_replayed():
    def build():
        model, _ = model_and_optimizer(batchnorm=False)
        params = list(model.parameters())

        def step(x, y):
            for p in params:
                p.grad = None
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            with tg.no_grad():
                total = sum((p.grad * p.grad).sum() for p in params)
            return loss, total
        return step, {"state": lambda: snapshot(model)}

    step, texts = run_both(build, batches(6))
    assert_replayed(step, texts)


def test_grad_of_an_argument_set_to_none_inside_the_step_is_replayed():
    """``x.grad = None`` on an argument (input gradients, as for adversarial examples): the
    plan sets the argument's own ``.grad``, and each replay returns that call's gradient."""
    def build():
        model, _ = model_and_optimizer(batchnorm=False)

        def step(x, y):
            x.grad = None
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss, x.grad
        return step, {"state": lambda: snapshot(model)}

    calls = [(x.detach().requires_grad_(), y) for x, y in batches(6)]
    step, texts = run_both(build, calls)
    assert_replayed(step, texts)


def test_gradients_accumulate_without_zero_grad_as_in_eager():
    """The step only accumulates; between calls the gradients are zeroed in place, then set to
    None: each replay adds to whatever .grad holds at that moment."""
    def build():
        model, optimizer = model_and_optimizer()

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss, model[0].weight.grad
        return step, {"state": lambda: snapshot(model, optimizer), "optimizer": optimizer}

    calls = batches(8)
    calls.insert(4, lambda env: env["optimizer"].zero_grad(set_to_none=False))
    calls.insert(7, lambda env: env["optimizer"].zero_grad())
    step, texts = run_both(build, calls)
    assert_replayed(step, texts, 8)


def test_learning_rates_returned_are_the_current_ones():
    def build():
        model, optimizer = model_and_optimizer()
        scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            return loss, scheduler.get_last_lr(), optimizer.param_groups[0]["lr"]
        return step, {"state": lambda: snapshot(model, optimizer)}

    step, texts = run_both(build, batches(8))
    assert_replayed(step, texts, 8)


def test_learning_rate_changed_between_calls_is_used():
    def change(env):
        for group in env["optimizer"].param_groups:
            group["lr"] = 0.5
            group["betas"] = (0.5, 0.9)

    calls = batches(6)
    calls.insert(4, change)
    step, texts = run_both(training_build(lambda m, x, y, e: F.cross_entropy(m(x), y)), calls)
    assert_replayed(step, texts)


@pytest.mark.parametrize("copied", ["deepcopy", "pickle"])
def test_learning_rates_of_a_copied_optimizer_are_read_at_each_call(copied):
    """An optimizer copied mid-training (``copy.deepcopy``, pickle) is watched as one made by
    its constructor: a learning rate changed between calls reaches the replay, both in the
    optimizer's step and where the function reads it. (A copy used to be unknown to captures:
    the replay kept multiplying by the old rate.)"""
    import copy
    import pickle

    def build():
        model, optimizer = model_and_optimizer()
        optimizer = (copy.deepcopy(optimizer) if copied == "deepcopy"
                     else pickle.loads(pickle.dumps(optimizer)))
        params = optimizer.param_groups[0]["params"]  # the copies the optimizer trains

        def step(x, y):
            optimizer.zero_grad()
            loss = (x @ params[0].T).relu().sum() * optimizer.param_groups[0]["lr"]
            loss.backward()
            optimizer.step()
            return loss
        return step, {"optimizer": optimizer, "state": lambda: [p.detach().numpy().copy()
                                                              for p in params]}

    def change(env):
        env["optimizer"].param_groups[0]["lr"] = 0.5

    calls = batches(6)
    calls.insert(4, change)
    step, texts = run_both(build, calls)
    assert_replayed(step, texts)


@pytest.mark.parametrize("change", ["momentum", "eps", "label_smoothing", "reduction",
                                    "dropout", "train_eval", "requires_grad"])
def test_module_settings_changed_after_capture_are_used(change):
    def build():
        model, optimizer = model_and_optimizer()
        model.insert(3, nn.Dropout(0.0))
        criterion = nn.CrossEntropyLoss()

        def step(x, y):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            if criterion.reduction == "none":
                loss = loss.sum()
            loss.backward()
            optimizer.step()
            return loss
        return step, {"state": lambda: snapshot(model, optimizer), "model": model,
                      "criterion": criterion}

    def apply(env):
        model, criterion = env["model"], env["criterion"]
        if change == "momentum":
            model[1].momentum = 0.5
        elif change == "eps":
            model[1].eps = 0.1
        elif change == "label_smoothing":
            criterion.label_smoothing = 0.2
        elif change == "reduction":
            criterion.reduction = "sum"
        elif change == "dropout":
            model[3].p = 0.5  # a random mask from now on, drawn by each replay
        elif change == "train_eval":
            model.eval()
        else:
            model[0].requires_grad_(False)

    calls = batches(8)
    calls.insert(4, apply)
    step, texts = run_both(build, calls)
    assert texts == [] and step.replays >= 4


def test_a_new_model_or_optimizer_bound_to_the_same_name_is_trained():
    namespace = {}
    exec(  # noqa: S102 - a module-level step reading globals, as in a notebook
        "def step(x, y):\n"
        "    optimizer.zero_grad()\n"
        "    loss = criterion(model(x), y)\n"
        "    loss.backward()\n"
        "    optimizer.step()\n"
        "    return loss\n", namespace)

    def build():
        model, optimizer = model_and_optimizer()
        namespace.update(model=model, optimizer=optimizer, criterion=nn.CrossEntropyLoss())
        state = lambda: snapshot(namespace["model"], namespace["optimizer"])  # noqa: E731
        return namespace["step"], {"state": state}

    def new_optimizer(env):
        namespace["optimizer"] = optim.SGD(namespace["model"].parameters(), lr=0.1)

    def new_model(env):
        model, optimizer = model_and_optimizer(seed=3)
        namespace.update(model=model, optimizer=optimizer)

    calls = batches(10)
    calls.insert(4, new_optimizer)
    calls.insert(8, new_model)
    step, texts = run_both(build, calls)
    assert texts == [] and step.replays >= 4


def test_anomaly_mode_switched_on_after_capture_runs_eagerly():
    def switch(env):
        tg.autograd.set_detect_anomaly(True)

    def loss_of(model, x, y, env):
        return (model(x) * tg.tensor(float("nan"))).sum() if env.get("nan") else \
            F.cross_entropy(model(x), y)

    calls = batches(6)
    calls.insert(4, switch)
    try:
        step, texts = run_both(training_build(loss_of), calls)
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert len(texts) == 1 and "anomaly" in texts[0]


def test_a_global_counter_assigned_by_the_function_runs_eagerly():
    namespace = {"tg": tg, "F": F}
    exec(  # noqa: S102
        "calls = 0\n"
        "def step(x, y):\n"
        "    global calls\n"
        "    calls += 1\n"
        "    loss = F.cross_entropy(model(x), y) * calls\n"
        "    loss.backward()\n"
        "    return loss\n", namespace)

    def build():
        model, _ = model_and_optimizer()
        namespace.update(model=model, calls=0)
        return namespace["step"], {"state": lambda: snapshot(model)}

    step, texts = run_both(build, batches(5))
    assert len(texts) == 1 and "assigns the global 'calls'" in texts[0]


# --------------------------------------------------------------------------- aliasing


def test_aliased_arguments_get_their_own_plan():
    def build():
        tg.manual_seed(0)
        layer = nn.Linear(6, 6).double()

        def step(a, b):
            return (layer(a) * b).sum(), a - b
        return step, {"state": lambda: {}}

    x, y, z = (tg.tensor(np.random.default_rng(i).standard_normal((4, 6))) for i in range(3))
    with tg.no_grad():
        step, texts = run_both(build, [(x, x), (x, x), (x, x), (x, y), (x, y), (x, y), (z, z),
                                       (y, y.detach())])
    assert texts == [] and step.replays >= 3


# --------------------------------------------------------------------------- threads


def test_one_jitted_function_from_three_threads_gives_the_sequential_results():
    tg.manual_seed(0)
    layer = nn.Linear(6, 3).double()
    data = batches(30, seed=5, classes=3, repeat_first=False)

    def forward(x, y):
        with tg.no_grad():
            return F.cross_entropy(layer(x), y), layer(x).argmax(dim=1)

    expected = [forward(x, y) for x, y in data]
    jitted = tg.jit(forward)
    results = [None] * len(data)
    errors = []

    def worker(offset):
        try:
            for i in range(offset, len(data), 3):
                results[i] = jitted(*data[i])
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for a, b in zip(expected, results):
        assert_same(a, b)
    assert jitted.replays >= len(data) - 2


def test_two_threads_capturing_at_once_do_not_see_each_other():
    barrier = threading.Barrier(2)
    outcomes = {}
    loss_of = lambda m, x, y, e: F.cross_entropy(m(x), y)  # noqa: E731
    steps = {name: tg.jit(training_build(loss_of, seed=seed)()[0]) for name, seed in
             (("a", 1), ("b", 2))}  # built here: the seed is the process's

    def worker(name, seed):
        step, data = steps[name], batches(6, seed=seed)
        barrier.wait()
        losses = [step(x, y) for x, y in data]
        outcomes[name] = (losses, step.replays)

    threads = [threading.Thread(target=worker, args=(n, s)) for n, s in (("a", 1), ("b", 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for name, seed in (("a", 1), ("b", 2)):
        eager_step, _ = training_build(loss_of, seed=seed)()
        expected = [eager_step(x, y) for x, y in batches(6, seed=seed)]
        losses, replays = outcomes[name]
        assert_same(expected, losses)
        assert replays >= 3


# --------------------------------------------------------------------------- failures


def test_a_replay_that_raises_leaves_the_state_eager_would():
    calls = batches(6)
    bad_labels = calls[4][1].clone()
    bad_labels[3] = 9
    calls.insert(4, (calls[4][0], bad_labels))
    step, texts = run_both(training_build(lambda m, x, y, e: F.cross_entropy(m(x), y)), calls)
    assert texts == [] and step.replays >= 3


def test_the_generated_source_is_valid_whatever_the_names_and_values():
    def build():
        model, optimizer = model_and_optimizer()

        def step(x, y):
            optimizer.zero_grad()
            logp = F.log_softmax(model(x), dim=1)
            loss = -logp[tg.arange(16), y].mean() + logp[[0, 1, 2], [1, 2, 3]].sum() * 0.0
            loss.backward()
            optimizer.step()
            return {"it's \"quoted\"\n": loss, "name\\": [loss, "a\nb"]}
        return step, {"state": lambda: snapshot(model, optimizer)}

    step, texts = run_both(build, batches(6))
    assert_replayed(step, texts)
    compile(step.plan.source, "<check>", "exec")


def test_retain_graph_and_a_second_backward_in_one_step():
    def loss_of(model, x, y, env):
        out = model(x)
        first = F.cross_entropy(out, y)
        first.backward(retain_graph=True)
        return out.pow(2).mean() * 0.1

    step, texts = run_both(training_build(loss_of), batches(6))
    assert_replayed(step, texts)


def test_a_python_float_changing_every_call_is_bounded_and_named():
    tg.manual_seed(0)
    layer = nn.Linear(6, 3).double()

    @tg.jit(max_plans=3)
    def scaled(x, scale):
        with tg.no_grad():
            return layer(x) * scale

    x = batches(1)[0][0]
    with pytest.warns(TracerWarning, match="argument 'scale' is a Python float whose value "
                                           "changes between calls"):
        for i in range(40):
            out = scaled(x, 0.5 + i)
            assert np.array_equal(out.numpy(), (layer(x) * (0.5 + i)).detach().numpy())
    assert len(scaled.plans) <= 3 and len(scaled._first_capture) <= 3


# --------------------------------------------------------------------------- calls made whole


def test_gradient_clipping_and_a_plateau_scheduler_inside_the_step_replay():
    def build():
        model, optimizer = model_and_optimizer()
        scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=0)

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            nn.utils.clip_grad_value_(model.parameters(), 0.03)
            optimizer.step()
            scheduler.step(loss)  # reads this call's loss
            return loss, norm, optimizer.param_groups[0]["lr"]
        return step, {"state": lambda: snapshot(model, optimizer)}

    step, texts = run_both(build, batches(8))
    assert_replayed(step, texts, 8)
    assert "clip_grad_norm_()" in str(step.plan) and "ReduceLROnPlateau.step()" in str(step.plan)


def test_optimizer_step_with_a_closure_returns_each_calls_loss():
    def build():
        model, optimizer = model_and_optimizer(batchnorm=False)
        batch = {}

        def closure():
            optimizer.zero_grad()
            loss = F.cross_entropy(model(batch["x"]), batch["y"])
            loss.backward()
            return loss

        def step(x, y):
            batch.update(x=x, y=y)
            return optimizer.step(closure)
        return step, {"state": lambda: snapshot(model, optimizer)}

    step, texts = run_both(build, batches(6))  # equal results, replayed or not


# --------------------------------------------------------------------------- what to pass


def test_numpy_arrays_as_arguments_are_inputs_of_the_plan():
    """A step given NumPy arrays (made into tensors inside) replays, reading each call's
    arrays: from_numpy shares them, tensor() copies them."""
    def build():
        model, optimizer = model_and_optimizer()

        def step(x, y):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(tg.from_numpy(x)), tg.tensor(y))
            loss.backward()
            optimizer.step()
            return loss
        return step, {"state": lambda: snapshot(model, optimizer)}

    calls = [(x.numpy(), y.numpy()) for x, y in batches(7)]
    step, texts = run_both(build, calls)
    assert_replayed(step, texts, 7)


def test_a_setting_changed_between_the_two_captures_is_captured_again_not_refused():
    def change(env):
        env["model"][1].eps = 1e-3

    calls = batches(7)
    calls.insert(1, change)  # after the first capture
    step, texts = run_both(training_build(lambda m, x, y, e: F.cross_entropy(m(x), y)), calls)
    assert texts == [] and step.replays >= 3


def test_every_tracer_warning_points_at_the_line_that_called_the_function():
    item_read = tg.jit(lambda x: x * float(x.sum().item()))
    varying = tg.jit(lambda x, scale: x * scale, max_plans=1)
    x = tg.ones(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(3):
            item_read(x)
            varying(x, float(i))
    found = [w for w in caught if issubclass(w.category, TracerWarning)]
    assert len(found) == 2
    assert all(w.filename == __file__ for w in found), [(w.filename, w.lineno) for w in found]


def test_the_tensor_arguments_signature_is_flattens():
    """The fast signature of calls with tensors only (``_tensors_signature``) keys plans exactly
    as ``_flatten``'s general walk does: each alias pattern (the same tensor twice, two handles
    on one array, a parameter, requires_grad, a non-leaf) gives the same key, and anything but
    tensors is left to ``_flatten``."""
    from tinygrad_bn.tracing.jit_function import _flatten, _tensors_signature

    x, y = tg.randn(4, 6), tg.randn(4, 6).double()
    w = nn.Parameter(tg.randn(4, 6))
    leaf = tg.randn(4, 6, requires_grad=True)
    calls = [(), (x,), (x, y), (x, x), (x, x.detach()), (x.detach(), x, x), (y, x, y, x),
             (w, w.data, leaf, leaf * 2), (x, tg.randint(0, 5, (4,)))]
    for args in calls:
        assert _tensors_signature(args) == _flatten(args, {})[1], args
    keys = {_tensors_signature(args) for args in calls}
    assert len(keys) == len(calls)  # every pattern its own plan
    for args in [(x, 1.5), (x, x._array), ([x],), (x, x, x, x, x)]:
        assert _tensors_signature(args) is None
