"""Optimizers against the textbook form of their update rules, their options, state dicts and
error messages."""

import copy
import pickle
import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn, optim


def _quadratic_problem(seed=0):
    """A parameter and a fixed sequence of gradients to feed it."""
    rng = np.random.default_rng(seed)
    start = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(6)]
    return start, grads


def _run(optimizer_class, start, grads, **options):
    p = nn.Parameter(tg.tensor(start))
    opt = optimizer_class([p], **options)
    history = []
    for g in grads:
        p.grad = tg.tensor(g)
        opt.step()
        history.append(p.detach().numpy().copy())
    return history, opt


def reference_adam(start, grads, lr, betas, eps, weight_decay=0.0, amsgrad=False,
                   decoupled=False):
    """Kingma and Ba's Algorithm 1 with bias-corrected moments (and the AMSGrad and AdamW
    variants), written independently of the package."""
    p, m, v, v_max = start.copy(), np.zeros_like(start), np.zeros_like(start), np.zeros_like(start)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p - lr * weight_decay * p
        elif weight_decay:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g**2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - betas[0] ** t)
        v_hat = (v_max if amsgrad else v) / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


@pytest.mark.parametrize("options", [
    {},
    {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
    {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.01, "amsgrad": True},
])
def test_adam_matches_the_textbook_update(options):
    start, grads = _quadratic_problem()
    history, _ = _run(optim.Adam, start, grads, **options)
    settings = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, **options}
    for ours, expected in zip(history, reference_adam(start, grads, **settings)):
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15)


def test_adamw_decouples_weight_decay():
    start, grads = _quadratic_problem(1)
    history, opt = _run(optim.AdamW, start, grads, lr=0.01)
    assert opt.param_groups[0]["weight_decay"] == 1e-2
    expected = reference_adam(start, grads, 0.01, (0.9, 0.999), 1e-8, 1e-2, decoupled=True)
    np.testing.assert_allclose(history[-1], expected[-1], rtol=1e-12)


def reference_sgd(start, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                  nesterov=False):
    p, velocity, out = start.copy(), None, []
    for g in grads:
        g = g + weight_decay * p
        if momentum:
            velocity = g if velocity is None else momentum * velocity + (1 - dampening) * g
            g = g + momentum * velocity if nesterov else velocity
        p = p - lr * g
        out.append(p)
    return out


@pytest.mark.parametrize("options", [
    {"lr": 0.1},
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
])
def test_sgd_matches_the_textbook_update(options):
    start, grads = _quadratic_problem(2)
    history, _ = _run(optim.SGD, start, grads, **options)
    for ours, expected in zip(history, reference_sgd(start, grads, **options)):
        np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_default_learning_rates_are_pytorchs():
    p = nn.Parameter(tg.ones(1))
    assert optim.SGD([p]).param_groups[0]["lr"] == 1e-3
    assert optim.Adam([p]).param_groups[0]["betas"] == (0.9, 0.999)


def test_maximize_ascends():
    start, grads = _quadratic_problem(3)
    down, _ = _run(optim.SGD, start, grads, lr=0.1)
    up, _ = _run(optim.SGD, start, grads, lr=0.1, maximize=True)
    np.testing.assert_allclose(up[0] - start, -(down[0] - start))


def test_parameters_updated_in_place_and_none_grads_skipped():
    a, b = nn.Parameter(tg.ones(2)), nn.Parameter(tg.ones(2))
    data = a.detach().numpy()
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = tg.tensor([1.0, -1.0])
    opt.step()
    assert a.detach().numpy() is data and not np.all(a.detach().numpy() == 1)
    assert np.all(b.detach().numpy() == 1) and b not in opt.state


def test_param_groups_with_their_own_options():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1))
    opt = optim.SGD([{"params": model[0].parameters()},
                     {"params": model[1].parameters(), "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert opt.param_groups[1]["momentum"] == 0.9
    model(tg.randn(3, 2)).sum().backward()
    before = model[1].bias.detach().numpy().copy()
    opt.step()
    np.testing.assert_allclose(model[1].bias.detach().numpy(), before - 0.5 * 3, rtol=1e-6)
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_zero_grad_to_zeros():
    p = nn.Parameter(tg.ones(2))
    p.grad = tg.ones(2)
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert p.grad.tolist() == [0.0, 0.0]


def test_state_dict_round_trip_continues_identically():
    start, grads = _quadratic_problem(4)
    full, _ = _run(optim.Adam, start, grads, lr=0.01, amsgrad=True)
    first, opt = _run(optim.Adam, start, grads[:3], lr=0.01, amsgrad=True)
    saved = opt.state_dict()
    assert saved["param_groups"][0]["params"] == [0] and saved["state"][0]["step"] == 3
    assert set(saved["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    p = nn.Parameter(tg.tensor(first[-1]))
    resumed = optim.Adam([p], lr=0.5)
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == 0.01
    for g in grads[3:]:
        p.grad = tg.tensor(g)
        resumed.step()
    np.testing.assert_allclose(p.detach().numpy(), full[-1], rtol=1e-12)


def test_load_state_dict_mismatches_raise():
    p = nn.Parameter(tg.ones(2))
    saved = optim.SGD([p, nn.Parameter(tg.ones(1))], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter group that doesn't match the size"):
        optim.SGD([p], lr=0.1).load_state_dict(saved)
    two_groups = {"state": {}, "param_groups": [{"params": [0]}, {"params": [1]}]}
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([p], lr=0.1).load_state_dict(two_groups)
    q = nn.Parameter(tg.ones(3))
    opt = optim.Adam([q])
    q.grad = tg.ones(3)
    opt.step()
    with pytest.raises(ValueError, match=re.escape("loaded state 'exp_avg' of parameter 0 has "
                                                   "shape (3,), the parameter has shape (2,)")):
        optim.Adam([p]).load_state_dict(opt.state_dict())


def test_repr():
    text = repr(optim.SGD([nn.Parameter(tg.ones(1))], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1" in text


P = [nn.Parameter(tg.ones(1))]
ERRORS = [
    (lambda: optim.Adam([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    (lambda: optim.Adam(P, lr=-1), ValueError, "Invalid learning rate: -1"),
    (lambda: optim.Adam(P, betas=(1.0, 0.9)), ValueError, "Invalid beta parameter at index 0: 1.0"),
    (lambda: optim.Adam(P, betas=(0.9, -0.1)), ValueError,
     "Invalid beta parameter at index 1: -0.1"),
    (lambda: optim.Adam(P, eps=-1), ValueError, "Invalid epsilon value: -1"),
    (lambda: optim.AdamW(P, weight_decay=-0.5), ValueError, "Invalid weight_decay value: -0.5"),
    (lambda: optim.SGD(P, lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda: optim.SGD(P, momentum=-1), ValueError, "Invalid momentum value: -1"),
    (lambda: optim.SGD(P, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    (lambda: optim.SGD(P, lr=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires a momentum and zero dampening"),
    (lambda: optim.SGD(P[0], lr=0.1), TypeError,
     "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
     "torch.FloatTensor"),
    (lambda: optim.SGD([1.0], lr=0.1), TypeError,
     "optimizer can only optimize Tensors, but one of the params is float"),
    (lambda: optim.SGD([P[0] * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda: optim.SGD([{"params": P}, {"params": P}], lr=0.1), ValueError,
     "some parameters appear in more than one parameter group"),
    (lambda: optim.Optimizer(P, {}).step(), NotImplementedError, "Optimizer does not define step"),
]


@pytest.mark.parametrize("action, error, message", ERRORS)
def test_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_parameters_that_skip_steps_keep_their_own_step_counts():
    """Adam updates a group through flat buffers while every parameter steps together, and per
    parameter once their step counts differ; both must give the textbook result."""
    start_a, grads_a = _quadratic_problem(5)
    start_b, grads_b = _quadratic_problem(6)
    a, b = nn.Parameter(tg.tensor(start_a)), nn.Parameter(tg.tensor(start_b))
    opt = optim.Adam([a, b], lr=0.01)
    pattern = [(True, True), (True, False), (True, True), (True, True), (False, True)]
    used_a, used_b = [], []
    for (step_a, step_b), g_a, g_b in zip(pattern, grads_a, grads_b):
        a.grad = tg.tensor(g_a) if step_a else None
        b.grad = tg.tensor(g_b) if step_b else None
        used_a += [g_a] if step_a else []
        used_b += [g_b] if step_b else []
        opt.step()
    settings = dict(lr=0.01, betas=(0.9, 0.999), eps=1e-8)
    np.testing.assert_allclose(a.detach().numpy(), reference_adam(start_a, used_a, **settings)[-1], rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), reference_adam(start_b, used_b, **settings)[-1], rtol=1e-12)
    assert opt.state[a]["step"] == 4 and opt.state[b]["step"] == 4


def test_load_state_dict_rejects_state_for_a_parameter_no_group_holds():
    p = nn.Parameter(tg.ones(2))
    saved = {"state": {5: {"step": 1}}, "param_groups": [{"params": [0], "lr": 0.1}]}
    with pytest.raises(ValueError, match="loaded state dict has state for parameter 5, which no "
                                         "group holds"):
        optim.SGD([p], lr=0.1).load_state_dict(saved)


def test_rmsprop_and_adagrad_follow_their_textbook_updates():
    g = np.array([0.5, -2.0])
    p = tg.tensor([1.0, 1.0], dtype=tg.float64, requires_grad=True)
    opt = tg.optim.RMSprop([p], lr=0.1, alpha=0.9)
    for _ in range(2):
        p.grad = tg.tensor(g)
        opt.step()
    v1 = 0.1 * g * g
    v2 = 0.9 * v1 + 0.1 * g * g
    expected = 1.0 - 0.1 * g / (np.sqrt(v1) + 1e-8) - 0.1 * g / (np.sqrt(v2) + 1e-8)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-12)
    q = tg.tensor([1.0, 1.0], dtype=tg.float64, requires_grad=True)
    opt = tg.optim.Adagrad([q], lr=0.1, lr_decay=0.5)
    for _ in range(2):
        q.grad = tg.tensor(g)
        opt.step()
    expected = 1.0 - 0.1 * g / (np.sqrt(g * g) + 1e-10) - 0.1 / 1.5 * g / (np.sqrt(2 * g * g)
                                                                          + 1e-10)
    np.testing.assert_allclose(q.detach().numpy(), expected, rtol=1e-12)


@pytest.mark.parametrize("action, message", [
    (lambda: tg.optim.RMSprop([tg.zeros(1, requires_grad=True)], lr=-1), "Invalid learning rate: -1"),
    (lambda: tg.optim.RMSprop([tg.zeros(1, requires_grad=True)], alpha=-0.5),
     "Invalid alpha value: -0.5"),
    (lambda: tg.optim.Adagrad([tg.zeros(1, requires_grad=True)], eps=-1.0),
     "Invalid epsilon value: -1.0"),
    (lambda: tg.optim.Adagrad([tg.zeros(1, requires_grad=True)], lr_decay=-1),
     "Invalid lr_decay value: -1"),
])
def test_rmsprop_and_adagrad_errors(action, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        action()


def test_adam_updates_a_large_column_major_parameter_like_a_row_major_one():
    """A parameter over 65,536 elements, stored column-major, updated alone (another parameter
    has no gradient, so the group is not one flat buffer): its moments must be updated in place,
    not in a copy."""
    rng = np.random.default_rng(0)
    values = rng.standard_normal((300, 300)).astype(np.float32)
    grads = [rng.standard_normal((300, 300)).astype(np.float32) for _ in range(3)]
    results = []
    for layout in (np.asfortranarray, np.ascontiguousarray):
        big = tg.nn.Parameter(tg.from_numpy(layout(values)))
        idle = tg.nn.Parameter(tg.zeros(3))
        optimizer = tg.optim.Adam([big, idle], lr=0.01)
        for grad in grads:
            big.grad = tg.from_numpy(layout(grad))
            optimizer.step()
        results.append((big.detach().numpy().copy(), optimizer.state[big]["exp_avg"].copy()))
    assert np.abs(results[0][1]).max() > 0
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


OPTIMIZERS_WITH_STATE = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {}),
                         ("Adam", {"amsgrad": True}), ("AdamW", {}), ("RMSprop", {}),
                         ("RMSprop", {"centered": True, "momentum": 0.5}), ("Adagrad", {})]


@pytest.mark.parametrize("name, options", OPTIMIZERS_WITH_STATE)
@pytest.mark.parametrize("bad", [float("inf"), float("nan")])
def test_a_nonfinite_gradient_makes_nonfinite_weights_without_a_warning(name, options, bad):
    """As PyTorch: inf or nan in, inf or nan out, silently. The test turns warnings into errors
    itself, so the silence cannot come from a filter that pytest's capture would reset."""
    p = nn.Parameter(tg.ones(2))
    optimizer = getattr(optim, name)([p], **{"lr": 0.1, **options})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            p.grad = tg.tensor([bad, 1.0])
            optimizer.step()
    assert not np.isfinite(p[0].item()) and np.isfinite(p[1].item())


def test_nonfinite_steps_match_pytorch():
    torch = pytest.importorskip("torch")
    for name, options in OPTIMIZERS_WITH_STATE:
        results = []
        for lib in (tg, torch):
            p = lib.nn.Parameter(lib.ones(2))
            optimizer = getattr(lib.optim, name)([p], **{"lr": 0.1, **options})
            for _ in range(2):
                p.grad = lib.tensor([float("inf"), 1.0])
                optimizer.step()
            results.append(p.detach().numpy())
        np.testing.assert_allclose(*results, rtol=1e-6, err_msg=f"{name} {options}")


@pytest.mark.parametrize("name, options", OPTIMIZERS_WITH_STATE)
def test_a_parameter_whose_data_changed_shape_gives_pytorchs_error(name, options):
    p = nn.Parameter(tg.ones(3))
    optimizer = getattr(optim, name)([p], **{"lr": 0.1, **options})
    p.grad = tg.ones(3)
    optimizer.step()
    p.data = tg.ones(4)
    p.grad = tg.ones(4)
    with pytest.raises(RuntimeError, match=re.escape(
            "The size of tensor a (3) must match the size of tensor b (4) at non-singleton "
            "dimension 0")):
        optimizer.step()


@pytest.mark.parametrize("change", ["moment replaced", "state dict replaced", "step count",
                                    "dtype", "loaded", "parameter added", "parameters reordered"])
def test_adam_flat_moments_are_rebuilt_whenever_the_state_changes(change):
    """Adam keeps a group's moments in flat buffers between steps and checks each step that
    they still serve (``_FlatMoments.serves``). After each kind of change to the state it must step
    exactly (bitwise) as a twin whose flat buffers are rebuilt before every step."""
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) for shape in ((3, 4), (4,), (2,))]
    grads = [[rng.standard_normal(v.shape) for v in values] for _ in range(5)]
    runs = []
    for rebuild_always in (False, True):
        params = [nn.Parameter(tg.tensor(v)) for v in values]
        opt = optim.Adam(params, lr=0.01)
        for number, step_grads in enumerate(grads):
            if number == 2:
                a = params[0]
                if change == "moment replaced":
                    opt.state[a]["exp_avg"] = opt.state[a]["exp_avg"] * 2
                elif change == "state dict replaced":
                    opt.state[a] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                    for k, v in opt.state[a].items()}
                elif change == "step count":
                    opt.state[a]["step"] += 3
                elif change == "dtype":
                    for p in params:
                        p.data = p.data.float()
                    for state in opt.state.values():
                        for k in ("exp_avg", "exp_avg_sq"):
                            state[k] = state[k].astype(np.float32)
                elif change == "loaded":
                    saved = opt.state_dict()
                    saved["state"][0]["exp_avg"] = saved["state"][0]["exp_avg"] + 1
                    opt.load_state_dict(saved)
                elif change == "parameter added":
                    params.append(nn.Parameter(tg.tensor(values[1] * 3)))
                    opt.param_groups[0]["params"].append(params[-1])
                    step_grads = step_grads + [step_grads[1]]
                elif change == "parameters reordered":
                    group_params = opt.param_groups[0]["params"]
                    group_params[1], group_params[2] = group_params[2], group_params[1]
            for p, g in zip(params, step_grads):
                p.grad = tg.tensor(g).to(p.dtype)
            if rebuild_always:
                opt._flat.clear()
            opt.step()
        runs.append([p.detach().numpy().copy() for p in params]
                    + [np.array(s["step"]) for s in opt.state.values()])
    for mine, reference in zip(*runs):
        assert mine.dtype == reference.dtype
        np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("name, options", [("Adam", {}), ("AdamW", {}),
                                           ("SGD", {"momentum": 0.9})])
@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_adam_steps_as_the_original(name, options, how):
    """A copy of parameters and optimizer made mid-training (``copy.deepcopy`` or pickle)
    continues exactly (bitwise) as the original does: the copy does not keep the flat moments
    (or SGD's flat buffers), which its copied states no longer view, but rebuilds them."""
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape).astype(np.float32) for shape in ((3, 2), (4,))]
    grads = [[rng.standard_normal(v.shape).astype(np.float32) for v in values] for _ in range(6)]
    params = [nn.Parameter(tg.tensor(v)) for v in values]
    opt = getattr(optim, name)(params, lr=0.1, **options)
    for step_grads in grads[:3]:
        for p, g in zip(params, step_grads):
            p.grad = tg.tensor(g)
        opt.step()
    pair = (params, opt)
    copied = copy.deepcopy(pair) if how == "deepcopy" else pickle.loads(pickle.dumps(pair))
    for params, opt in (pair, copied):
        for step_grads in grads[3:]:
            for p, g in zip(params, step_grads):
                p.grad = tg.tensor(g)
            opt.step()
    for mine, original in zip(copied[0], pair[0]):
        np.testing.assert_array_equal(mine.detach().numpy(), original.detach().numpy())
    key = "momentum_buffer" if name == "SGD" else "exp_avg_sq"
    for mine, original in zip(copied[1].state.values(), pair[1].state.values()):
        np.testing.assert_array_equal(mine[key], original[key])


def test_sgd_bumps_the_versions_of_the_parameters_it_updated_before_one_raised():
    """SGD bumps its parameters' versions in one call after the loop; a parameter that raises
    (its ``.data`` changed shape) must not leave the ones updated before it unbumped, or a graph
    that saved them would not notice the write."""
    first, second = nn.Parameter(tg.ones(2)), nn.Parameter(tg.ones(3))
    optimizer = optim.SGD([first, second], lr=0.1, momentum=0.9)
    first.grad, second.grad = tg.ones(2), tg.ones(3)
    optimizer.step()
    second.data = tg.ones(4)
    second.grad = tg.ones(4)
    before = first._version, second._version
    with pytest.raises(RuntimeError, match="must match the size"):
        optimizer.step()
    assert (first._version, second._version) == (before[0] + 1, before[1])


@pytest.mark.parametrize("change", ["buffer replaced", "state dict replaced", "dtype", "loaded",
                                    "parameter added", "parameters reordered",
                                    "gradient skipped"])
@pytest.mark.parametrize("options", [{}, {"nesterov": True, "weight_decay": 0.1},
                                     {"dampening": 0.3, "maximize": True}])
def test_sgd_flat_buffers_are_rebuilt_whenever_the_state_changes(change, options):
    """SGD with momentum keeps a group's buffers in flat arrays (a ``FlatState``) from the
    step after it made them. After each kind of change it must step exactly (bitwise) as a
    twin that never keeps them (its flat buffers dropped before every step)."""
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(shape) for shape in ((3, 4), (4,), (2,))]
    grads = [[rng.standard_normal(v.shape) for v in values] for _ in range(6)]
    runs = []
    for never_flat in (False, True):
        params = [nn.Parameter(tg.tensor(v)) for v in values]
        opt = optim.SGD(params, lr=0.01, momentum=0.9, **options)
        for number, step_grads in enumerate(grads):
            if number == 3:
                a = params[0]
                if change == "buffer replaced":
                    opt.state[a]["momentum_buffer"] = opt.state[a]["momentum_buffer"] * 2
                elif change == "state dict replaced":
                    opt.state[a] = {"momentum_buffer": opt.state[a]["momentum_buffer"].copy()}
                elif change == "dtype":
                    for p in params:
                        p.data = p.data.float()
                    for state in opt.state.values():
                        state["momentum_buffer"] = state["momentum_buffer"].astype(np.float32)
                elif change == "loaded":
                    saved = opt.state_dict()
                    saved["state"][0]["momentum_buffer"] += 1
                    opt.load_state_dict(saved)
                elif change == "parameter added":
                    params.append(nn.Parameter(tg.tensor(values[1] * 3)))
                    opt.param_groups[0]["params"].append(params[-1])
                    step_grads = step_grads + [step_grads[1]]
                elif change == "parameters reordered":
                    group_params = opt.param_groups[0]["params"]
                    group_params[1], group_params[2] = group_params[2], group_params[1]
            for i, (p, g) in enumerate(zip(params, step_grads)):
                skipped = change == "gradient skipped" and number == 3 and i == 1
                p.grad = None if skipped else tg.tensor(g).to(p.dtype)
            if never_flat:
                opt._flat.clear()
            opt.step()
        runs.append([p.detach().numpy().copy() for p in params]
                    + [s["momentum_buffer"].copy() for s in opt.state.values()])
    for mine, reference in zip(*runs):
        assert mine.dtype == reference.dtype
        np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("name, options, key", [("SGD", {"momentum": 0.9}, "momentum_buffer"),
                                                ("Adam", {}, "exp_avg")])
def test_a_state_array_read_after_a_step_is_the_one_the_next_step_updates(name, options, key):
    """As in PyTorch, the arrays in ``optimizer.state`` are updated in place: one read after a
    step (here after the first, which makes them) still shows the state after the next."""
    params = [nn.Parameter(tg.ones(3)), nn.Parameter(tg.ones(2))]
    optimizer = getattr(optim, name)(params, lr=0.1, **options)
    kept = []
    for number in range(3):
        for p in params:
            p.grad = tg.full(p.shape, float(number + 1))
        optimizer.step()
        if number == 0:
            kept = [optimizer.state[p][key] for p in params]
    for p, array in zip(params, kept):
        assert array is optimizer.state[p][key] or np.shares_memory(array, optimizer.state[p][key])
        np.testing.assert_array_equal(array, optimizer.state[p][key])


@pytest.mark.parametrize("first_shape, alias", [((4,), lambda a: a.data),
                                                ((2, 4), lambda a: a.data[0])])
def test_sgd_reads_a_gradient_that_is_another_parameters_storage_as_pytorchs_loop(first_shape,
                                                                                   alias):
    """A gradient sharing memory with an earlier parameter (its array, or a view of it) sees
    that parameter's update, as in PyTorch's loop over the parameters: the flat step, which
    reads every gradient first, must leave such a group to the per-parameter one (bitwise
    against a twin that never keeps flat buffers)."""
    runs = []
    for never_flat in (False, True):
        rng = np.random.default_rng(0)
        params = [nn.Parameter(tg.tensor(rng.standard_normal(first_shape))),
                  nn.Parameter(tg.tensor(rng.standard_normal(4)))]
        opt = optim.SGD(params, lr=0.1, momentum=0.9)
        for number in range(4):
            params[0].grad = tg.tensor(rng.standard_normal(first_shape))
            params[1].grad = alias(params[0]) if number > 1 else tg.tensor(rng.standard_normal(4))
            if never_flat:
                opt._flat.clear()
            opt.step()
        runs.append([p.detach().numpy().copy() for p in params])
    for mine, reference in zip(*runs):
        np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: optim.Adam(ps, lr=0.1),
                                  lambda ps: optim.AdamW(ps, lr=0.1, amsgrad=True)],
                         ids=["SGD", "Adam", "AdamW"])
@pytest.mark.parametrize("first_shape, alias", [((4,), lambda a: a.data),
                                                ((2, 4), lambda a: a.data[0])],
                         ids=["array", "view"])
def test_a_gradient_sharing_an_earlier_parameters_memory_sees_its_update(make, first_shape,
                                                                          alias):
    """PyTorch's optimizers (on the CPU) update one parameter at a time, so a gradient that
    shares memory with an earlier parameter reads that parameter already updated. The flat
    steps (which read every gradient before writing any parameter) leave such a group to the
    per-parameter updates: bitwise as one optimizer per parameter, stepped in order."""
    runs = []
    for separate in (False, True):
        rng = np.random.default_rng(3)
        params = [nn.Parameter(tg.tensor(rng.standard_normal(first_shape))),
                  nn.Parameter(tg.tensor(rng.standard_normal(4)))]
        optimizers = [make([p]) for p in params] if separate else [make(params)]
        for number in range(5):
            params[0].grad = tg.tensor(rng.standard_normal(first_shape))
            params[1].grad = (alias(params[0]) if number > 1 and number != 3 else
                              tg.tensor(rng.standard_normal(4)))
            for optimizer in optimizers:
                optimizer.step()
        runs.append([p.detach().numpy().copy() for p in params])
    for mine, reference in zip(*runs):
        np.testing.assert_array_equal(mine, reference)
