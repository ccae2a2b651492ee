"""``torch.autograd.graph``'s public API against PyTorch: ``Node`` (``isinstance`` of every
grad_fn, ``name()``, ``metadata``), ``GradientEdge`` / ``get_gradient_edge``,
``increment_version``, ``Tensor.register_post_accumulate_grad_hook``,
``register_multi_grad_hook``, and the saved-tensor hooks (``saved_tensors_hooks``,
``save_on_cpu``, ``disable_saved_tensors_hooks``): what the hooks see, how often they run, the
values backward computes with them, the error messages, and the jit refusing steps that use
them."""

import threading
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim
from tinygrad_bn.autograd import graph as G


def leaves(module, *arrays):
    """Float64 leaves requiring grad made by ``module`` (tinygrad_bn or torch) from arrays."""
    return [module.tensor(a, requires_grad=True) for a in arrays]


def error_of(function):
    try:
        function()
    except Exception as error:  # noqa: BLE001 - the test compares the error itself
        return type(error).__name__, str(error)
    return None


RNG = np.random.default_rng(0)
A, B, C = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)


# --------------------------------------------------------------------------- Node


def test_every_grad_fn_and_accumulate_grad_is_a_node():
    x, w = leaves(tg, A, B)
    y = (x * w).exp().sum()
    assert isinstance(y.grad_fn, G.Node) and issubclass(type(y.grad_fn), G.Node)
    accumulate = y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert isinstance(accumulate, G.Node) and accumulate.variable is x

    class Double(tg.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            return t * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    assert isinstance(Double.apply(x).grad_fn, G.Node)
    assert not isinstance(x, G.Node) and not isinstance(None, G.Node)
    with pytest.raises(TypeError, match="abstract"):
        G.Node()


def test_node_name_is_callable_and_metadata_persists():
    torch = pytest.importorskip("torch")
    x, = leaves(tg, A)
    y = x.exp()
    assert y.grad_fn.name() == "Exp" == y.grad_fn.name and type(y.grad_fn.name()) is str
    y.grad_fn.metadata["label"] = "first"
    assert y.grad_fn.metadata == {"label": "first"}
    assert (x * 2).grad_fn.metadata == {}
    accumulate = y.grad_fn.next_functions[0][0]
    assert accumulate.name() == "AccumulateGrad"  # PyTorch: torch::autograd::AccumulateGrad
    accumulate.metadata["leaf"] = True
    assert y.grad_fn.next_functions[0][0].metadata == {"leaf": True}
    tx = torch.tensor(A, requires_grad=True)
    assert tx.exp().grad_fn.metadata == {}  # PyTorch's is a dict too


def test_accumulate_grad_hooks_run_as_pytorchs():
    torch = pytest.importorskip("torch")
    calls = {}
    for module in (tg, torch):
        log = calls[module.__name__] = []
        p, = leaves(module, A)
        accumulate = (p * 2).grad_fn.next_functions[0][0]
        accumulate.register_prehook(lambda g, log=log: log.append(("pre", g[0].tolist())))
        accumulate.register_hook(lambda gi, go, log=log: log.append(("post", gi,
                                                                      go[0].tolist())))
        (p * 2).sum().backward()
    assert calls["tinygrad_bn"] == calls["torch"]


def test_gradient_edge_stands_for_its_tensor_in_autograd_grad():
    torch = pytest.importorskip("torch")
    results = {}
    for module in (tg, torch):
        x, = leaves(module, A)
        y = x * 2
        edge_x, edge_y = (module.autograd.graph.get_gradient_edge(t) for t in (x, y))
        assert edge_y.node is y.grad_fn and edge_y.output_nr == 0
        assert edge_y.ownership_token is None and edge_x.output_nr == 0
        z = (y ** 3).sum()
        by_edge = module.autograd.grad(z, [edge_y, edge_x], retain_graph=True)
        by_tensor = module.autograd.grad(z, [y, x], retain_graph=True)
        single = module.autograd.grad(z, edge_y)
        results[module.__name__] = [g.detach().numpy() for g in (*by_edge, *by_tensor, *single)]
        assert error_of(lambda: module.autograd.graph.get_gradient_edge(module.ones(2))) == (
            "RuntimeError", "It is not possible to get the gradient edge for a Tensor that "
            "does not require gradients")
    for ours, theirs in zip(results["tinygrad_bn"], results["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_increment_version_counts_as_pytorchs_and_is_caught_by_backward():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        v = module.zeros(2)
        module.autograd.graph.increment_version(v)
        module.autograd.graph.increment_version([v, v])
        assert v._version == 3
    errors = []
    for module in (tg, torch):
        x, = leaves(module, A)
        y = x * 1
        z = (y * y).sum()
        module.autograd.graph.increment_version(y)
        errors.append(error_of(z.backward))
    assert errors[0][0] == errors[1][0] == "RuntimeError"
    assert "modified by an inplace operation" in errors[0][1]
    assert "is at version 1; expected version 0 instead" in errors[0][1]


# --------------------------------------------------------------------------- post-accumulate hooks


def test_post_accumulate_grad_hook_runs_after_the_grad_is_in():
    torch = pytest.importorskip("torch")
    logs = {}
    for module in (tg, torch):
        log = logs[module.__name__] = []
        x, = leaves(module, A)
        x.register_hook(lambda g, log=log: log.append(("hook", g.tolist())))
        handle = x.register_post_accumulate_grad_hook(
            lambda p, x=x, log=log: log.append(("post", p is x, p.grad.tolist())))
        (x * 2).sum().backward()
        (x * 3).sum().backward()                       # accumulated: the hook sees the total
        module.autograd.grad((x * 2).sum(), x)         # no accumulation: no post hook
        (x * 2).sum().backward(inputs=[x])
        handle.remove()
        (x * 2).sum().backward()
        log.append(("grad", x.grad.tolist()))
    assert logs["tinygrad_bn"] == logs["torch"]


def test_post_accumulate_grad_hook_errors_as_pytorchs():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        x, = leaves(module, A)
        assert error_of(lambda: (x * 2).register_post_accumulate_grad_hook(print)) == (
            "RuntimeError", "post accumulate grad hooks cannot be registered on non-leaf "
            "tensors")
        assert error_of(lambda: module.ones(2).register_post_accumulate_grad_hook(print)) == (
            "RuntimeError", "cannot register a hook on a tensor that doesn't require gradient")
        handle = x.register_post_accumulate_grad_hook(lambda p: 5)
        assert error_of((x * 2).sum().backward) == (
            "TypeError", "expected Variable, but hook returned 'int'")
        handle.remove()
        x.register_post_accumulate_grad_hook(lambda p: p.grad.mul_(0.5))
        assert error_of((x * 2).sum().backward) == (
            "RuntimeError", "Tensor post accumulate grad hooks should return None.")


def test_post_accumulate_grad_hook_with_create_graph():
    torch = pytest.importorskip("torch")
    seen = {}
    for module in (tg, torch):
        x, = leaves(module, A)
        log = seen[module.__name__] = []
        x.register_post_accumulate_grad_hook(
            lambda p, log=log: log.append((p.grad.requires_grad, p.grad.tolist())))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (x ** 3).sum().backward(create_graph=True)
    np.testing.assert_allclose(seen["tinygrad_bn"][0][1], seen["torch"][0][1], rtol=1e-14)
    assert seen["tinygrad_bn"][0][0] == seen["torch"][0][0] is True


def optimizer_in_backward(module, steps=5):
    """PyTorch's optimizer-in-backward recipe: one SGD per parameter, stepped by its
    post-accumulate-grad hook; returns the losses and the final parameters."""
    module.manual_seed(0)
    rng = np.random.default_rng(1)
    model = module.nn.Sequential(module.nn.Linear(4, 8), module.nn.Tanh(),
                                 module.nn.Linear(8, 2)).double()
    for p, value in zip(model.parameters(), (rng.standard_normal(tuple(p.shape))
                                             for p in model.parameters())):
        with module.no_grad():
            p.copy_(module.tensor(value))
    optimizers = {p: module.optim.SGD([p], lr=0.1, momentum=0.9) for p in model.parameters()}

    def step(p):
        optimizers[p].step()
        optimizers[p].zero_grad()

    for p in model.parameters():
        p.register_post_accumulate_grad_hook(step)
    losses = []
    for _ in range(steps):
        x = module.tensor(rng.standard_normal((6, 4)))
        loss = model(x).pow(2).mean()
        loss.backward()
        losses.append(loss.item())
    return losses, [p.detach().numpy().copy() for p in model.parameters()]


def test_optimizer_in_backward_trains_as_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = optimizer_in_backward(tg), optimizer_in_backward(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for a, b in zip(ours[1], theirs[1]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


# --------------------------------------------------------------------------- multi-grad hooks


def multi_grad_log(module, mode):
    a, b, c = leaves(module, A, B, C)
    log = []
    if mode == "all":
        fn = lambda grads: log.append([None if g is None else g.tolist() for g in grads])  # noqa: E731
    else:
        fn = lambda grad: log.append(grad.tolist())  # noqa: E731
    handle = module.autograd.graph.register_multi_grad_hook((a, b, c), fn, mode=mode)
    (a * 2 + b).sum().backward()
    (a * 3).sum().backward()
    (b * 7 + c * 5 + a).sum().backward()
    mid = (a * b).exp()
    (mid * c).sum().backward()
    handle.remove()
    (a * 2).sum().backward()
    return log


@pytest.mark.parametrize("mode", ["all", "any"])
def test_multi_grad_hook_as_pytorch(mode):
    torch = pytest.importorskip("torch")
    ours, theirs = multi_grad_log(tg, mode), multi_grad_log(torch, mode)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        if mode == "all":
            assert [g is None for g in a] == [g is None for g in b]
            for g, h in zip(a, b):
                if g is not None:
                    np.testing.assert_allclose(g, h, rtol=1e-14)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-14)


def test_multi_grad_hook_on_intermediate_tensors_and_autograd_grad():
    torch = pytest.importorskip("torch")
    logs = {}
    for module in (tg, torch):
        x, = leaves(module, A)
        u, v = x * 2, x.exp()
        log = logs[module.__name__] = []
        module.autograd.graph.register_multi_grad_hook(
            (u, v), lambda grads, log=log: log.append([None if g is None else g.tolist()
                                                       for g in grads]))
        module.autograd.grad((u * v).sum(), x, retain_graph=True)
        module.autograd.grad(u.sum(), x)
    assert len(logs["tinygrad_bn"]) == len(logs["torch"]) == 2
    for a, b in zip(logs["tinygrad_bn"], logs["torch"]):
        assert [g is None for g in a] == [g is None for g in b]
        for g, h in zip(a, b):
            if g is not None:
                np.testing.assert_allclose(g, h, rtol=1e-14)


def test_multi_grad_hook_errors_as_pytorchs():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        x, = leaves(module, A)
        assert error_of(lambda: module.autograd.graph.register_multi_grad_hook(
            [x], print, mode="x")) == (
            "ValueError", "Expects mode to be one of ('all', 'any') but got x")
        module.autograd.graph.register_multi_grad_hook([x], print)
        assert error_of(lambda: module.autograd.grad((x * 2).sum(), x)) == (
            "RuntimeError", "A leaf node was passed to _will_engine_execute_node but we are "
            "currently running autograd.grad(). This is currently not supported.")


# --------------------------------------------------------------------------- saved-tensor hooks

OPS = {  # name: f(module, x, w), x of shape (3, 4) and w of (4, 5) requiring grad
    "mul": lambda m, x, w: x * x,
    "mul_constant": lambda m, x, w: x * m.ones(3, 4, dtype=x.dtype),
    "scalar_mul": lambda m, x, w: x * 2,
    "add": lambda m, x, w: x + x,
    "matmul": lambda m, x, w: x @ w,
    "relu": lambda m, x, w: x.relu(),
    "sum": lambda m, x, w: x.sum(),
    "mean": lambda m, x, w: x.mean(),
    "tanh": lambda m, x, w: x.tanh(),
    "sigmoid": lambda m, x, w: x.sigmoid(),
    "exp": lambda m, x, w: x.exp(),
    "log": lambda m, x, w: x.abs().log(),
    "div": lambda m, x, w: x / (x.abs() + 1),
    "reshape": lambda m, x, w: x.reshape(12),
    "transpose": lambda m, x, w: x.t(),
    "getitem": lambda m, x, w: x[1:],
    "cat": lambda m, x, w: m.cat([x, x]),
    "linear": lambda m, x, w: m.nn.functional.linear(x, w.t()),
    "softmax": lambda m, x, w: x.softmax(1),
    "log_softmax": lambda m, x, w: x.log_softmax(1),
    "layer_norm": lambda m, x, w: m.nn.functional.layer_norm(x, (4,)),
    "batch_norm": lambda m, x, w: m.nn.functional.batch_norm(x, None, None, training=True),
    "mse_loss": lambda m, x, w: m.nn.functional.mse_loss(x, m.zeros(3, 4, dtype=x.dtype)),
    "conv2d": lambda m, x, w: m.nn.functional.conv2d(x.reshape(1, 1, 3, 4),
                                                     w[:2, :2].reshape(1, 1, 2, 2)),
}
# Where tinygrad_bn's backward formula keeps other tensors than PyTorch's: (ours, PyTorch's).
DIFFERENT_COUNTS = {
    "cross_entropy": (lambda m, x, w: m.nn.functional.cross_entropy(x, m.tensor([0, 1, 2])),
                      1, 4),
    "gelu": (lambda m, x, w: m.nn.functional.gelu(x), 2, 1),
    "silu": (lambda m, x, w: m.nn.functional.silu(x), 3, 1),
    "max_pool2d": (lambda m, x, w: m.nn.functional.max_pool2d(x.reshape(1, 1, 3, 4), 2), 1, 2),
}
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 5))


def pack_counts(module, op):
    """How many times ``pack_hook`` and ``unpack_hook`` run for ``op`` and its backward, and
    the gradients computed."""
    x, w = leaves(module, X, W)
    counts = [0, 0]

    def pack(t):
        counts[0] += 1
        return t

    def unpack(t):
        counts[1] += 1
        return t

    with module.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = op(module, x, w)
    out.sum().backward()
    return counts, [None if t.grad is None else t.grad.numpy() for t in (x, w)]


@pytest.mark.parametrize("name", list(OPS))
def test_pack_and_unpack_counts_and_gradients_as_pytorchs(name):
    torch = pytest.importorskip("torch")
    (ours, our_grads), (theirs, their_grads) = (pack_counts(tg, OPS[name]),
                                                pack_counts(torch, OPS[name]))
    assert ours == theirs
    for a, b in zip(our_grads, their_grads):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(DIFFERENT_COUNTS))
def test_pack_counts_where_the_formulas_differ(name):
    torch = pytest.importorskip("torch")
    op, ours, theirs = DIFFERENT_COUNTS[name]
    assert pack_counts(tg, op)[0] == [ours, ours]
    assert pack_counts(torch, op)[0] == [theirs, theirs]


def test_pack_hook_gets_the_input_and_result_tensors_themselves():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        x, w = leaves(module, X, W)
        seen = []
        with module.autograd.graph.saved_tensors_hooks(lambda t: seen.append(t) or t,
                                                       lambda t: t):
            out = x @ w
            y = x.exp()
        # (PyTorch's mm packs w before x; tinygrad_bn's MatMul x before w)
        assert {id(s) for s in seen[:2]} == {id(x), id(w)}
        assert seen[2] is y and out.grad_fn is not None


def test_unpack_runs_at_each_backward_and_retain_graph_keeps_the_packed_values():
    torch = pytest.importorskip("torch")
    counts = []
    for module in (tg, torch):
        a, = leaves(module, A)
        n = [0]
        with module.autograd.graph.saved_tensors_hooks(
                lambda t: t, lambda t: (n.__setitem__(0, n[0] + 1), t)[1]):
            c = (a * a).sum()
        c.backward(retain_graph=True)
        c.backward()
        counts.append((n[0], a.grad.tolist()))
        error = error_of(c.backward)
        assert error[0] == "RuntimeError" and "backward through the graph a second" in error[1]
    assert counts[0] == counts[1]


def test_values_changed_by_the_hooks_are_what_backward_uses():
    """Packing in float16 and unpacking to float64 (activation compression): backward computes
    with the rounded values, as in PyTorch."""
    torch = pytest.importorskip("torch")
    grads = []
    for module in (tg, torch):
        x, w = leaves(module, X, W)
        with module.autograd.graph.saved_tensors_hooks(lambda t: t.to(module.float16),
                                                       lambda t: t.to(module.float64)):
            loss = ((x @ w).tanh() * 3).sum()
        loss.backward()
        grads.append((x.grad.numpy(), w.grad.numpy()))
    exact_x = leaves(tg, X, W)
    ((exact_x[0] @ exact_x[1]).tanh() * 3).sum().backward()
    assert not np.array_equal(grads[0][0], exact_x[0].grad.numpy())  # the rounding shows
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


def test_identity_hooks_leave_a_training_run_bit_identical():
    def train(hooks):
        tg.manual_seed(0)
        model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 4))
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        rng = np.random.default_rng(3)
        losses = []
        for _ in range(5):
            x = tg.tensor(rng.standard_normal((16, 6)).astype(np.float32))
            y = tg.tensor(rng.integers(0, 4, 16))
            optimizer.zero_grad()
            if hooks:
                with G.saved_tensors_hooks(lambda t: t, lambda t: t):
                    loss = nn.functional.cross_entropy(model(x), y)
            else:
                loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses, [p.detach().numpy() for p in model.parameters()]

    plain, hooked = train(False), train(True)
    assert plain[0] == hooked[0]
    assert all(np.array_equal(a, b) for a, b in zip(plain[1], hooked[1]))


def test_save_on_cpu_packs_as_pytorch_on_cpu():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        for pin_memory in (False, True):
            x, = leaves(module, A)
            hooks = module.autograd.graph.save_on_cpu(pin_memory=pin_memory)
            packed = hooks.pack_hook(x)
            assert packed[0] == x.device
            assert (packed[1] is x) is (not pin_memory)  # a copy only when pinning
            assert np.array_equal(packed[1].detach().numpy(), A)
            assert hooks.unpack_hook(packed) is packed[1]
            with hooks:
                y = (x * x.exp()).sum()
            y.backward()
            np.testing.assert_allclose(x.grad.numpy(), (1 + A) * np.exp(A), rtol=1e-14)


def test_disable_saved_tensors_hooks_messages_as_pytorchs():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        graph = module.autograd.graph

        def enter_hooks(graph=graph):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass

        with graph.disable_saved_tensors_hooks("outer"):
            assert error_of(enter_hooks) == ("RuntimeError", "outer")
            with graph.disable_saved_tensors_hooks("inner"):
                assert error_of(enter_hooks) == ("RuntimeError", "inner")
            assert error_of(enter_hooks) == ("RuntimeError", "outer")
        assert error_of(enter_hooks) is None

        def disable_inside_hooks(graph=graph):
            with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                with graph.disable_saved_tensors_hooks("in use"):
                    pass
        assert error_of(disable_inside_hooks) == ("RuntimeError", "in use")
        assert error_of(enter_hooks) is None


def test_hook_errors_as_pytorchs():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        a, = leaves(module, A)
        with module.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
            c = (a * a).sum()
        assert error_of(c.backward) == (
            "TypeError", "Output of saved tensor unpack_hook expected to be a Tensor but got "
            "result of type int")

        def pack_in_place(module=module, a=a):
            with module.autograd.graph.saved_tensors_hooks(lambda t: t.mul_(2), lambda t: t):
                q = a * 1
                q * q
        error = error_of(pack_in_place)
        assert error[0] == "RuntimeError"
        assert error[1].startswith("A saved tensor pack hook is modifying its input in place.")


def test_no_packing_without_recording_and_no_in_place_check_with_hooks():
    torch = pytest.importorskip("torch")
    for module in (tg, torch):
        a, = leaves(module, A)
        packs = []
        with module.no_grad(), module.autograd.graph.saved_tensors_hooks(
                lambda t: packs.append(t) or t, lambda t: t):
            a * a
        assert packs == []
        b = a * 1
        with module.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
            c = (b * b).sum()
        with module.no_grad():
            b.add_(1)  # PyTorch checks no version with hooks: the packed clones are used
        c.backward()
        np.testing.assert_allclose(a.grad.numpy(), 2 * A, rtol=1e-14)


def test_innermost_hooks_are_used_and_hooks_are_per_thread():
    outer, inner, other_thread = [], [], []
    x, = leaves(tg, A)
    with G.saved_tensors_hooks(lambda t: outer.append(1) or t, lambda t: t):
        x.exp()
        with G.saved_tensors_hooks(lambda t: inner.append(1) or t, lambda t: t):
            x.exp()
            thread = threading.Thread(target=lambda: other_thread.append(
                tg.tensor(A, requires_grad=True).exp().grad_fn.hooks))
            thread.start()
            thread.join()
        x.exp()
    assert len(outer) == 2 and len(inner) == 1 and other_thread == [None]
    assert G._SavedHooks.active == 0 and x.exp().grad_fn.hooks is None


def test_custom_function_saved_tensors_are_packed_after_forward_and_unpacked_at_each_read():
    torch = pytest.importorskip("torch")
    logs = []
    for module in (tg, torch):
        log = []

        class Square(module.autograd.Function):
            @staticmethod
            def forward(ctx, t):
                ctx.save_for_backward(t, None)
                log.append("forward")
                return t * t

            @staticmethod
            def backward(ctx, grad):
                t, nothing = ctx.saved_tensors
                t, nothing = ctx.saved_tensors
                log.append(("backward", nothing))
                return 2 * t * grad

        x, = leaves(module, A)
        with module.autograd.graph.saved_tensors_hooks(
                lambda t: log.append("pack") or t.clone(),
                lambda t: log.append("unpack") or t):
            y = Square.apply(x)
            log.append("after apply")
        y.sum().backward()
        logs.append((log, x.grad.tolist()))
    assert logs[0] == logs[1]


def test_create_graph_backward_unpacks_too():
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        x, = leaves(module, A)
        n = [0]
        with module.autograd.graph.saved_tensors_hooks(
                lambda t: t, lambda t: (n.__setitem__(0, n[0] + 1), t)[1]):
            y = (x.exp() * x).sum()
        (g,) = module.autograd.grad(y, x, create_graph=True)
        (h,) = module.autograd.grad(g.sum(), x)
        results.append((n[0] > 0, g.detach().numpy(), h.numpy()))
    assert results[0][0] and results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-14)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-14)


# --------------------------------------------------------------------------- the jit


def test_jit_runs_a_step_with_saved_tensors_hooks_eagerly():
    from test_jit_soundness import batches, run_both, training_build

    packed = []

    def loss_of(model, x, y, env):
        with G.saved_tensors_hooks(lambda t: packed.append(1) or t.clone(), lambda t: t):
            return nn.functional.cross_entropy(model(x), y)

    step, texts = run_both(training_build(loss_of), batches(6))
    assert step.replays == 0 and len(texts) == 1 and "saved_tensors_hooks" in texts[0]
    assert len(packed) > 0 and len(packed) % 12 == 0  # the same packs, eager and jitted


def test_a_plan_captured_without_hooks_is_not_replayed_inside_them():
    from test_jit_soundness import batches, run_both, training_build

    packed = []
    hooks = G.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t)

    def enter(env):
        hooks.__enter__()

    calls = batches(6)
    calls.insert(4, enter)
    try:
        step, texts = run_both(training_build(lambda m, x, y, env:
                                              nn.functional.cross_entropy(m(x), y)), calls)
    finally:
        while tg.autograd.graph._SavedHooks.active:
            hooks.__exit__(None, None, None)
    assert len(texts) == 1 and "saved_tensors_hooks" in texts[0]
    assert len(packed) % 2 == 0 and len(packed) > 0  # eager and jitted packed alike


def test_jit_runs_post_accumulate_grad_hooks_registered_after_capture():
    from test_jit_soundness import batches, run_both, training_build

    def halve(p):
        p.grad.mul_(0.5)

    def register(env):
        for p in env["model"].parameters():
            p.register_post_accumulate_grad_hook(halve)

    calls = batches(10)
    calls.insert(4, register)
    step, texts = run_both(training_build(lambda m, x, y, env:
                                          nn.functional.cross_entropy(m(x), y)), calls)
    assert len(texts) == 1 and "hook" in texts[0]


def test_jit_step_with_a_multi_grad_hook_runs_eagerly():
    from test_jit_soundness import batches, run_both, training_build

    def extra(model, optimizer):
        seen = []
        G.register_multi_grad_hook(list(model.parameters()), lambda grads: seen.append(
            sum(float(g.sum()) for g in grads if g is not None)))
        return {"seen": seen}

    step, texts = run_both(training_build(lambda m, x, y, env:
                                          nn.functional.cross_entropy(m(x), y),
                                          extra=extra), batches(5))
    assert len(texts) == 1 and "hook" in texts[0]



def test_allow_mutation_on_saved_tensors_as_pytorchs():
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        graph = module.autograd.graph
        with graph.allow_mutation_on_saved_tensors() as ctx:
            a, = leaves(module, A)
            b = a.clone()
            out = (b ** 2).sum() + (b.exp() * a).sum()
            with module.no_grad():
                b.sin_()  # written after it was saved: backward uses the saved value
            out.backward()
            kept = (a.clone() ** 2).sum()

            def nested(graph=graph):
                with graph.allow_mutation_on_saved_tensors():
                    pass
            nested_error = error_of(nested)
        results.append((a.grad.numpy(), type(ctx).__name__, nested_error, error_of(kept.backward)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-14)
    assert results[0][1:] == results[1][1:]
    assert results[0][2] == ("RuntimeError",
                             "allow_mutation_on_saved_tensors contexts cannot be nested")
    assert results[0][3] == (
        "AssertionError", "Trying to backward outside of the 'allow_mutation_on_saved_tensors' "
        "contextin which the graph was originally recorded.")


def test_identity_hooks_read_a_tensor_written_after_it_was_saved_as_pytorch_does():
    """With hooks PyTorch makes no in-place check: the unpacked tensor is the tensor itself,
    with the values written since."""
    torch = pytest.importorskip("torch")
    grads = []
    for module in (tg, torch):
        a, w = leaves(module, A, B)
        with module.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
            b = a * 1
            c = b * w
            d = b.exp()
        with module.no_grad():
            b.mul_(2)
        (c.sum() + d.sum()).backward()
        grads.append((a.grad.numpy(), w.grad.numpy()))
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)


def test_gradient_edges_as_outputs_of_grad_and_backward():
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        x, = leaves(module, A)
        y = x.exp()
        edge = module.autograd.graph.get_gradient_edge(y)
        weights = module.tensor(B)
        (by_edge,) = module.autograd.grad(edge, x, grad_outputs=weights, retain_graph=True)
        module.autograd.backward(edge, grad_tensors=weights)
        scalar_error = error_of(lambda: module.autograd.grad(
            module.autograd.graph.get_gradient_edge(x.exp()), x))
        results.append((by_edge.numpy(), x.grad.numpy(), scalar_error))
    for ours, theirs in zip(results[0][:2], results[1][:2]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    assert results[0][2] == results[1][2]


@pytest.mark.parametrize("use_reentrant", [False, True])
def test_checkpointed_regions_pack_as_pytorchs(use_reentrant):
    """PyTorch's non-reentrant checkpoint keeps what its region saves away from outer hooks
    (they pack its tensor arguments only) and recomputes unseen by them; the reentrant one
    packs its tensor arguments and recomputes inside the backward pass."""
    torch = pytest.importorskip("torch")
    import importlib

    counts = []
    for module in (tg, torch):
        checkpoint = importlib.import_module(module.__name__ + ".utils.checkpoint").checkpoint
        x, w = leaves(module, A, B)
        n = [0, 0]
        with module.autograd.graph.saved_tensors_hooks(
                lambda t: (n.__setitem__(0, n[0] + 1), t)[1],
                lambda t: (n.__setitem__(1, n[1] + 1), t)[1]):
            y = checkpoint(lambda x, w: (x.sin() * w).exp(), x, w, use_reentrant=use_reentrant)
            z = (y * y).sum()
            after_forward = list(n)
            z.backward()
        counts.append((after_forward, n, x.grad.numpy(), w.grad.numpy()))
    assert counts[0][:2] == counts[1][:2]
    for ours, theirs in zip(counts[0][2:], counts[1][2:]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-14)
