"""tinygrad_bn.jit: replays give exactly eager mode's results, and whatever a replay could not
reproduce makes the function run eagerly with a TracerWarning that says why."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.tracing import TracerWarning


def article_mlp(dtype, batchnorm=True, seed=42):
    """The article's 20-64-64-5 MLP (bias-free Linear before BatchNorm), Adam lr 0.01."""
    tg.manual_seed(seed)
    layers = []
    for fan_in, fan_out in ((20, 64), (64, 64)):
        layers.append(nn.Linear(fan_in, fan_out, bias=not batchnorm))
        if batchnorm:
            layers.append(nn.BatchNorm1d(fan_out))
        layers.append(nn.ReLU())
    model = nn.Sequential(*layers, nn.Linear(64, 5)).to(dtype)
    return model, optim.Adam(model.parameters(), lr=0.01), nn.CrossEntropyLoss()


def make_step(model, optimizer, criterion):
    def step(x, y):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def the_data(dtype, samples=1000):
    tg.manual_seed(0)
    return tg.randn(samples, 20).to(dtype), tg.randint(0, 5, (samples,))


def train(dtype, use_jit, steps=200, batch=32, samples=1000, batchnorm=True):
    """``steps`` steps over the data in order (a last batch of 8 each epoch of 1,000 samples);
    the losses, and the state every parameter, buffer and moment ends in."""
    X, Y = the_data(dtype, samples)
    model, optimizer, criterion = article_mlp(dtype, batchnorm)
    step = make_step(model, optimizer, criterion)
    if use_jit:
        step = tg.jit(step)
    losses, start = [], 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no TracerWarning: every signature is replayed
        for _ in range(steps):
            losses.append(step(X[start:start + batch], Y[start:start + batch]).item())
            start = 0 if start + batch >= samples else start + batch
    state = {name: t.numpy().copy() for name, t in model.state_dict().items()}
    for i, moments in enumerate(optimizer.state.values()):
        state.update({f"adam{i}.{k}": np.array(v) for k, v in moments.items()})
    return losses, state, step


@pytest.mark.parametrize("batchnorm", [True, False])
def test_200_steps_under_jit_are_bit_identical_to_eager_in_float64(batchnorm):
    eager_losses, eager_state, _ = train(tg.float64, False, batchnorm=batchnorm)
    jit_losses, jit_state, step = train(tg.float64, True, batchnorm=batchnorm)
    assert jit_losses == eager_losses
    assert eager_state.keys() == jit_state.keys()
    for name in eager_state:
        assert np.array_equal(eager_state[name], jit_state[name]), name
    # two signatures (batches of 32, the last of 8), each captured twice, the rest replayed
    assert len(step.plans) == 2
    assert step.replays == 200 - 4
    if batchnorm:
        assert jit_state["1.num_batches_tracked"] == 200


def test_float32_under_jit_agrees_with_eager_to_float32_rounding():
    eager_losses, eager_state, _ = train(tg.float32, False)
    jit_losses, jit_state, step = train(tg.float32, True)
    np.testing.assert_allclose(jit_losses, eager_losses, rtol=1e-6, atol=0)
    for name in eager_state:
        np.testing.assert_allclose(jit_state[name], eager_state[name], rtol=1e-5, atol=1e-7,
                                   err_msg=name)
    assert step.replays == 196


def test_the_plan_lists_the_kernels_and_the_generated_source():
    _, _, step = train(tg.float32, True, steps=4, samples=128)
    text = str(step.plan)
    assert text.startswith("Plan of step: ")
    for kernel in ("forward", "Linear()", "BatchNorm(eps=1e-05, training=True)", "ReLU()",
                   "CrossEntropy(reduction='mean')", "backward", "Adam.zero_grad()",
                   "Adam.step()", "_count_batch", "0.weight"):
        assert kernel in text, kernel
    assert text.index("Adam.zero_grad()") < text.index("Linear()") < text.index("backward")
    assert text.index("backward") < text.index("Adam.step()")
    assert "def replay(A0, A1):" in step.plan.source and "return MISS" in step.plan.source


def test_replays_return_fresh_tensors_and_set_fresh_gradients():
    X, Y = the_data(tg.float32, 64)
    model, optimizer, criterion = article_mlp(tg.float32)
    step = tg.jit(make_step(model, optimizer, criterion))
    losses = [step(X[:32], Y[:32]) for _ in range(4)]
    assert step.replays == 2
    assert len({id(loss._array) for loss in losses}) == 4  # a kept loss is never overwritten
    assert not losses[-1].requires_grad and losses[-1].grad_fn is None
    grad = model[0].weight.grad
    step(X[:32], Y[:32])
    assert model[0].weight.grad is not grad  # zero_grad set it to None, backward a new one


def test_labels_out_of_range_raise_in_a_replay_too():
    X, Y = the_data(tg.float32, 64)
    model, optimizer, criterion = article_mlp(tg.float32)
    step = tg.jit(make_step(model, optimizer, criterion))
    for _ in range(3):
        step(X[:32], Y[:32])
    bad = Y[:32].clone()
    bad[5] = 7
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        step(X[:32], bad)


def run_both(make, calls, *arguments):
    """Results of ``calls`` calls of the step built by ``make()``, eagerly and under jit (each
    from a fresh ``make()``), and the warnings the jitted run gave."""
    results = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for use_jit in (False, True):
            step, read = make()
            if use_jit:
                step = tg.jit(step)
            results.append([read(step(*arguments)) for _ in range(calls)])
    return results, [w for w in caught if issubclass(w.category, TracerWarning)], step


def check_eager_fallback(make, reason, *arguments):
    (eager, jitted), tracer_warnings, step = run_both(make, 5, *arguments)
    assert jitted == eager
    assert len(tracer_warnings) == 1, [str(w.message) for w in tracer_warnings]
    assert reason in str(tracer_warnings[0].message)
    assert step.replays == 0 and not step.plans


X8, Y8 = tg.randn(8, 20), tg.randint(0, 5, (8,))


def test_item_inside_the_function_runs_eagerly():
    def make():
        model, optimizer, criterion = article_mlp(tg.float32)
        step = make_step(model, optimizer, criterion)
        return (lambda x, y: step(x, y).item()), float
    check_eager_fallback(make, "Tensor.item() reads a tensor's values into Python", X8, Y8)


def test_dropout_replays_drawing_each_calls_mask_as_eager_mode_does():
    def make():
        tg.manual_seed(1)
        model = nn.Sequential(nn.Linear(20, 16), nn.Dropout(0.5), nn.Linear(16, 5))
        return make_step(model, optim.SGD(model.parameters(), lr=0.1),
                         nn.CrossEntropyLoss()), tg.Tensor.item
    (eager, jitted), tracer_warnings, step = run_both(make, 6, X8, Y8)
    assert jitted == eager and len(set(eager)) == 6  # a new mask every call
    assert not tracer_warnings and step.replays == 4
    assert "Dropout(p=0.5)" in str(step.plan)


def test_custom_function_runs_eagerly():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    def make():
        tg.manual_seed(1)
        layer = nn.Linear(20, 1)
        optimizer = optim.SGD(layer.parameters(), lr=0.1)

        def step(x):
            optimizer.zero_grad()
            loss = Square.apply(layer(x)).mean()
            loss.backward()
            optimizer.step()
            return loss
        return step, tg.Tensor.item
    check_eager_fallback(make, "custom autograd.Function Square", X8)


def test_in_place_write_inside_the_function_runs_eagerly():
    def make():
        tg.manual_seed(1)
        layer = nn.Linear(20, 1)

        def step(x):
            loss = layer(x).pow(2).mean()
            loss.backward()
            with tg.no_grad():  # a hand-written SGD step
                layer.weight -= 0.1 * layer.weight.grad
                layer.weight.grad = None
            return loss
        return step, tg.Tensor.item
    check_eager_fallback(make, "an in-place write to a tensor", X8)


def test_module_hooks_and_momentum_none_run_eagerly():
    def make_hooked():
        model, optimizer, criterion = article_mlp(tg.float32)
        seen = []
        model[2].register_forward_hook(lambda module, args, out: seen.append(1))
        return make_step(model, optimizer, criterion), tg.Tensor.item
    check_eager_fallback(make_hooked, "the ReLU module has hooks", X8, Y8)

    def make_cumulative():
        model, optimizer, criterion = article_mlp(tg.float32)
        model[1].momentum = None
        return make_step(model, optimizer, criterion), tg.Tensor.item
    check_eager_fallback(make_cumulative, "BatchNorm1d(momentum=None)", X8, Y8)


def test_python_counter_in_the_function_makes_the_captures_differ():
    def make():
        tg.manual_seed(1)
        layer = nn.Linear(20, 1)
        calls = []

        def scaled(x):
            calls.append(1)
            return layer(x).sum() * len(calls)
        return scaled, tg.Tensor.item
    check_eager_fallback(make, "it returns a tensor to differentiate", X8)

    def make_no_grad():
        tg.manual_seed(1)
        layer = nn.Linear(20, 1)
        calls = []

        def scaled(x):
            calls.append(1)
            with tg.no_grad():
                return layer(x).sum() * len(calls)
        return scaled, tg.Tensor.item
    check_eager_fallback(make_no_grad, "a constant made inside the function has other values",
                         X8)


def test_a_function_returning_a_graph_without_backward_runs_eagerly():
    tg.manual_seed(1)
    layer = nn.Linear(20, 1)
    forward = tg.jit(lambda x: layer(x).sum())
    with pytest.warns(TracerWarning, match="call backward\\(\\) inside the function"):
        for _ in range(3):
            out = forward(X8)
            out.backward()  # eager results keep their graph
    assert layer.weight.grad is not None


def test_unhashable_argument_runs_eagerly():
    calls = []
    step = tg.jit(lambda x, extra: calls.append(1) or x * 2)
    with pytest.warns(TracerWarning, match="neither a tensor nor hashable"):
        for _ in range(3):
            out = step(X8, {1, 2})  # a set: unhashable
    assert len(calls) == 3 and np.array_equal(out.numpy(), (X8 * 2).numpy())


def test_inference_under_no_grad_replays():
    model, _, _ = article_mlp(tg.float32)
    model.eval()
    predict = tg.jit(lambda x: model(x).argmax(dim=1))
    with tg.no_grad():
        eager = model(X8).argmax(dim=1).tolist()
        assert [predict(X8).tolist() for _ in range(4)] == [eager] * 4
    assert predict.replays == 2


def test_switching_to_eval_captures_again_and_matches_eager():
    def make():
        model, optimizer, criterion = article_mlp(tg.float32)

        def evaluate(x):
            return model(x).sum()

        def run(step, x, y, phase):
            if phase == "train":
                model.train()
                return step(x, y).item()
            model.eval()
            with tg.no_grad():
                return evaluate(x).item()
        return make_step(model, optimizer, criterion), run

    results = []
    for use_jit in (False, True):
        step, run = make()
        if use_jit:
            step = tg.jit(step)
        results.append([run(step, X8, Y8, phase) for phase in ["train"] * 4 + ["eval", "train"]
                        + ["train"] * 3])
    assert results[0] == results[1]


def test_guards_capture_again_after_data_replacement_hooks_and_new_modules():
    X, Y = the_data(tg.float32, 64)

    def session(use_jit):
        model, optimizer, criterion = article_mlp(tg.float32)
        step = make_step(model, optimizer, criterion)
        if use_jit:
            step = tg.jit(step)
        out = [step(X[:32], Y[:32]).item() for _ in range(3)]
        model[0].weight.data = model[0].weight.data * 0.5  # a new array for a parameter
        out += [step(X[:32], Y[:32]).item() for _ in range(3)]
        seen = []
        model[6].bias.register_hook(lambda g: seen.append(g.shape) or g * 2)
        out += [step(X[:32], Y[:32]).item() for _ in range(3)]
        model[6] = nn.Linear(64, 5)  # a new layer: its parameters are not the optimizer's
        out += [step(X[:32], Y[:32]).item() for _ in range(3)]
        return out, len(seen), [p.detach().numpy().copy() for p in model.parameters()]

    eager = session(False)
    with pytest.warns(TracerWarning, match="a gradient hook on a leaf tensor"):
        jitted = session(True)  # the hook is seen when capturing again: eager from then on
    assert jitted[0] == eager[0] and jitted[1] == eager[1] == 3  # the old bias's hook
    for a, b in zip(eager[2], jitted[2]):
        assert np.array_equal(a, b)


def test_schedulers_and_sgd_momentum_replay_with_the_current_state():
    def session(use_jit):
        X, Y = the_data(tg.float64, 64)
        model, _, criterion = article_mlp(tg.float64)
        optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
        scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

        def step(x, y):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            return loss

        if use_jit:
            step = tg.jit(step)
        losses = [step(X[:32], Y[:32]).item() for _ in range(10)]
        return losses, optimizer.param_groups[0]["lr"], getattr(step, "replays", None)

    eager, jitted = session(False), session(True)
    assert jitted[:2] == eager[:2] and jitted[1] == 0.1 * 0.5 ** 5
    assert jitted[2] == 8


def test_outputs_keep_their_structure_and_constants_are_frozen_copies():
    tg.manual_seed(3)
    layer = nn.Linear(20, 2)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)

    def step(x):
        optimizer.zero_grad()
        out = layer(x) * 2.5 + tg.ones(2)
        loss = out.pow(2).mean()
        loss.backward()
        optimizer.step()
        return {"loss": loss, "parts": [out, x], "note": "done"}

    jitted = tg.jit(step)
    for _ in range(4):
        result = jitted(X8)
    assert jitted.replays == 2
    assert result["note"] == "done" and result["parts"][1] is X8
    assert result["parts"][0].shape == (8, 2)
    expected = layer(X8).detach() * 2.5 + 1  # the parameters after the last step, then one
    assert not np.array_equal(result["parts"][0].numpy(), expected.numpy())  # step earlier


def test_reset_forgets_the_plans():
    X, Y = the_data(tg.float32, 64)
    step = tg.jit(make_step(*article_mlp(tg.float32)))
    for _ in range(3):
        step(X[:32], Y[:32])
    assert step.plan is not None and "1 plan" in repr(step)
    step.reset()
    assert step.plan is None and not step.plans and step.replays == 0


def test_losses_that_build_label_masks_replay_them_from_each_call():
    def make(loss):
        def build():
            tg.manual_seed(1)
            layer = nn.Linear(20, 5)
            optimizer = optim.SGD(layer.parameters(), lr=0.1)

            def step(x, y):
                optimizer.zero_grad()
                out = loss(layer(x), y)
                out.backward()
                optimizer.step()
                return out
            return step, tg.Tensor.item
        return build
    for loss in (lambda out, y: nn.functional.nll_loss(out.log_softmax(1), y),
                 lambda out, y: nn.functional.cross_entropy(out, y, fused=False)):
        results = []
        for use_jit in (False, True):
            step, read = make(loss)()
            if use_jit:
                step = tg.jit(step)
            # labels change every call: the masks are ops on them, replayed from each call's
            results.append([read(step(X8, Y8[(i + np.arange(8)) % 8])) for i in range(6)])
        assert results[0] == results[1] and step.replays == 4


def test_batchnorm_from_primitive_ops_replays_its_running_statistics():
    results = []
    for use_jit in (False, True):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(20, 8), nn.BatchNorm1d(8, fused=False), nn.ReLU(),
                              nn.Linear(8, 3)).double()
        step = make_step(model, optim.Adam(model.parameters()), nn.CrossEntropyLoss())
        if use_jit:
            step = tg.jit(step)
        x, y = tg.randn(16, 20).double(), tg.randint(0, 3, (16,))
        losses = [step(x, y).item() for _ in range(6)]
        results.append((losses, model[1].running_var.numpy().copy(),
                        int(model[1].num_batches_tracked)))
    assert step.replays == 4
    assert results[0][0] == results[1][0] and results[0][2] == results[1][2] == 6
    assert np.array_equal(results[0][1], results[1][1])


def test_a_replay_lets_each_result_go_after_its_last_use():
    """A chain of ops on a 4 MiB array holds two or three arrays at a time in eager mode; the
    replay too (its plan drops each local after the last statement that reads it), not all
    twelve results to the end."""
    import tracemalloc

    x = tg.randn(1024, 1024)

    def chain(x):
        for _ in range(12):
            x = (x * 0.5).tanh()
        return x.sum()

    jitted = tg.jit(chain)
    for _ in range(3):
        expected, replayed = chain(x), jitted(x)
        assert replayed.numpy().tobytes() == expected.numpy().tobytes()
    assert jitted.replays >= 1
    tracemalloc.start()
    try:
        jitted(x)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * x.numpy().nbytes


@pytest.mark.parametrize("reverse", [False, True])
def test_a_replay_sums_a_values_gradients_as_the_engine_does(reverse):
    """A value read by many ops gets its gradients in the engine's order and way (into a new
    array the node made, into its own sum in place, a view's or a pass-through's copied, a
    slice's gradient into its slice), and a leaf read twice sums them as the engine does: the
    replay's gradients are eager's, bit for bit, and own their memory."""
    def f(x, w):
        h = x @ w
        terms = [(h + h).sum(),                      # Add passes its grad_output on, twice
                 (h + x[:, :3] * 2).sum(),           # ... to h and to another value
                 (h.reshape(-1) * 0.3).sum(),        # a view of the gradient
                 (h[:, :2] * 3).sum(),               # PartialGradients, overlapping
                 h[:, 1:].tanh().sum(),
                 (h * h).sum(),                      # new arrays
                 (w * w).sum()]                      # the leaf w read twice
        loss = terms[0]
        for term in (terms[:0:-1] if reverse else terms[1:]):
            loss = loss + term
        loss.backward()
        return loss

    w = tg.randn(4, 3, requires_grad=True)
    jitted = tg.jit(f)
    for call in range(4):
        x = tg.randn(5, 4, requires_grad=True)
        x_grads = []
        for run in (f, jitted):
            w.grad = None
            x.grad = None
            loss = run(x, w)
            x_grads.append((loss.detach().numpy().tobytes(), x.grad.numpy().tobytes(),
                            w.grad.numpy().tobytes()))
        assert x_grads[0] == x_grads[1], f"call {call}"
        assert not np.shares_memory(x.grad.numpy(), w.grad.numpy())
    assert jitted.replays == 2
