"""Optimizer hooks, ``step(closure)``, ``add_param_group``'s checks and named parameters, as
``torch.optim.Optimizer`` 2.13 has them: each scenario runs on tinygrad_bn and, when it is
installed, on PyTorch, and the events recorded (which hook ran, in which order, with what)
must be the same."""

import copy
import importlib
import pickle
import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg


def _modules():
    torch = pytest.importorskip("torch")
    return tg, torch


def _step_hooks_scenario(module):
    events = []
    p = module.nn.Parameter(module.ones(2))
    optimizer = module.optim.SGD([p], lr=0.5)
    hooks = importlib.import_module(module.__name__ + ".optim.optimizer")

    def pre(name, replace=None):
        def hook(opt, args, kwargs):
            events.append((name, opt is optimizer, args[0] is optimizer, len(args), dict(kwargs)))
            return replace
        return hook

    def post(name):
        def hook(opt, args, kwargs):
            events.append((name, opt is optimizer, len(args), sorted(kwargs)))
        return hook

    handles = [hooks.register_optimizer_step_pre_hook(pre("global pre")),
               hooks.register_optimizer_step_post_hook(post("global post")),
               optimizer.register_step_pre_hook(pre("pre 1")),
               optimizer.register_step_post_hook(post("post 1"))]
    try:
        p.grad = module.ones(2)
        optimizer.step()
        # a pre-hook returning (args, kwargs) replaces them for later hooks and the step
        closure_calls = []

        def closure():
            closure_calls.append(module.is_grad_enabled())
            return module.tensor(7.0)
        handles.append(optimizer.register_step_pre_hook(
            pre("pre 2", replace=((optimizer,), {"closure": closure}))))
        loss = optimizer.step()
        events.append(("loss", float(loss), closure_calls))
        handles[2].remove()
        handles[-1].remove()
        handles[0].remove()
        optimizer.step()
        events.append(("p", p.detach().numpy().tolist()))
    finally:
        for handle in handles:
            handle.remove()
    optimizer.step()
    return events


def test_step_hooks_order_arguments_and_replacement_as_pytorch():
    ours, torch = _modules()
    assert _step_hooks_scenario(ours) == _step_hooks_scenario(torch)


def test_step_pre_hook_returning_something_else_raises_pytorchs_error():
    p = tg.nn.Parameter(tg.ones(2))
    p.grad = tg.ones(2)
    optimizer = tg.optim.Adam([p])
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: 3)
    with pytest.raises(RuntimeError, match=r"^<function Adam.step at 0x[0-9a-f]+> must return "
                                           r"None or a tuple of \(new_args, new_kwargs\), but "
                                           r"got 3.$"):
        optimizer.step()


def _state_dict_hooks_scenario(module):
    events = []
    p = module.nn.Parameter(module.ones(2))
    optimizer = module.optim.Adam([p], lr=0.1)
    p.grad = module.ones(2)
    optimizer.step()
    optimizer.register_state_dict_pre_hook(lambda opt: events.append("pre a"))
    optimizer.register_state_dict_pre_hook(lambda opt: events.append("pre b"), prepend=True)

    def post(opt, state_dict):
        events.append(("post", sorted(state_dict)))
        state_dict["extra"] = 1

    def replacing_post(opt, state_dict):
        events.append(("replacing post", sorted(state_dict)))
        return {**state_dict, "replaced": True}
    optimizer.register_state_dict_post_hook(post)
    optimizer.register_state_dict_post_hook(replacing_post)
    saved = optimizer.state_dict()
    events.append(sorted(saved))

    def load_pre(opt, state_dict):
        events.append(("load pre", sorted(state_dict)))
        state_dict["param_groups"][0]["lr"] = 0.25  # (the copy is shallow: the group is shared)
        del state_dict["extra"]

    def load_replacing_pre(opt, state_dict):
        events.append(("load replacing pre", sorted(state_dict)))
        return {"state": state_dict["state"], "param_groups": state_dict["param_groups"]}
    optimizer.register_load_state_dict_pre_hook(load_pre)
    handle = optimizer.register_load_state_dict_pre_hook(load_replacing_pre)
    optimizer.register_load_state_dict_post_hook(lambda opt: events.append(
        ("load post", opt.param_groups[0]["lr"])))
    optimizer.register_load_state_dict_post_hook(lambda opt: events.append("load post first"),
                                                 prepend=True)
    optimizer.load_state_dict(saved)
    events.append(("given dict keeps its keys", sorted(saved)))
    handle.remove()
    optimizer.load_state_dict({"state": saved["state"], "param_groups": saved["param_groups"],
                               "extra": 2})
    return events


def test_state_dict_and_load_state_dict_hooks_as_pytorch():
    ours, torch = _modules()
    assert _state_dict_hooks_scenario(ours) == _state_dict_hooks_scenario(torch)


def test_copies_and_pickles_leave_the_hooks_behind():
    """PyTorch's ``__getstate__`` keeps defaults, state and groups only: a copy has no hooks
    (and an optimizer with a lambda hook still pickles)."""
    p = tg.nn.Parameter(tg.ones(2))
    optimizer = tg.optim.SGD([p], lr=0.1)
    calls = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: calls.append(1))
    optimizer.register_state_dict_post_hook(lambda opt, sd: None)
    for other in (copy.deepcopy(optimizer), pickle.loads(pickle.dumps(optimizer))):
        other.param_groups[0]["params"][0].grad = tg.ones(2)
        other.step()
        assert calls == [] and not other._optimizer_state_dict_post_hooks


def _closure_scenario(module, name, options):
    p = module.nn.Parameter(module.tensor([1.0, -2.0, 3.0], dtype=module.float64))
    optimizer = getattr(module.optim, name)([p], **options)
    grad_modes = []

    def closure():
        grad_modes.append(module.is_grad_enabled())
        optimizer.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    losses = [optimizer.step(closure).item() for _ in range(3)]
    return losses, grad_modes, p.detach().numpy().tolist(), optimizer.step() is None


@pytest.mark.parametrize("name, options", [
    ("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1)), ("AdamW", dict(lr=0.1)),
    ("Adamax", {}), ("NAdam", {}), ("RAdam", {}), ("Adagrad", {}), ("Adadelta", {}),
    ("RMSprop", {}), ("Rprop", {}), ("ASGD", {}), ("Adafactor", {}),
])
def test_step_takes_a_closure_as_pytorch(name, options):
    """Every optimizer's ``step(closure)`` calls it with grad enabled and returns its loss
    (``step()`` with no closure returns None); step took no argument before."""
    ours, torch = _modules()
    mine, theirs = _closure_scenario(ours, name, options), _closure_scenario(torch, name, options)
    assert mine[1:2] + mine[3:] == theirs[1:2] + theirs[3:]
    np.testing.assert_allclose(mine[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(mine[2], theirs[2], rtol=1e-12)


def _error(function):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            function()
    except Exception as error:  # noqa: BLE001 - the comparison is the point
        return type(error).__name__, str(error)
    return "ok", [str(w.message) for w in caught]


ADD_PARAM_GROUP_CASES = [
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group([q]),
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group({"params": {q}}),
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group({"params": [q, 1.5]}),
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group({"params": [q * 2]}),
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group({"params": [p]}),
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group({"params": [q, q]}),
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group({"params": [("q", q)]}),
    lambda m, p, q: m.optim.SGD([("p", p)], lr=0.1).add_param_group({"params": [q]}),
    lambda m, p, q: m.optim.SGD([("p", p), q], lr=0.1),
    lambda m, p, q: m.optim.SGD(p, lr=0.1),
    lambda m, p, q: m.optim.SGD([], lr=0.1),
    lambda m, p, q: m.optim.Optimizer(
        [p], {"lr": importlib.import_module(m.__name__ + ".optim.optimizer").required}),
    lambda m, p, q: m.optim.SGD([p], lr=0.1).add_param_group({"params": q, "lr": 0.5}),
]


@pytest.mark.parametrize("case", range(len(ADD_PARAM_GROUP_CASES)))
def test_add_param_group_errors_and_warnings_as_pytorch(case):
    ours, torch = _modules()
    results = []
    for module in (ours, torch):
        p = module.nn.Parameter(module.ones(2))
        q = module.nn.Parameter(module.ones(3))
        results.append(_error(lambda: ADD_PARAM_GROUP_CASES[case](module, p, q)))
    mine, theirs = results
    assert mine == theirs


def _named_scenario(module):
    model = module.nn.Sequential(module.nn.Linear(3, 2), module.nn.Linear(2, 1))
    optimizer = module.optim.Adam(model[0].named_parameters(), lr=0.1)
    optimizer.add_param_group({"params": list(model[1].named_parameters()), "lr": 0.01})
    for p in model.parameters():
        p.grad = module.ones_like(p)
    optimizer.step()
    saved = optimizer.state_dict()
    groups = [{k: v for k, v in g.items()} for g in saved["param_groups"]]
    other = module.optim.Adam([p for p in model.parameters()][:2], lr=0.1)
    other.add_param_group({"params": [p for p in model.parameters()][2:]})
    other.load_state_dict(saved)
    return groups, [list(g) for g in other.param_groups], [g.get("param_names")
                                                           for g in other.param_groups]


def test_named_parameters_give_param_names_as_pytorch():
    ours, torch = _modules()
    assert _named_scenario(ours) == _named_scenario(torch)


def test_state_of_a_parameter_not_stepped_is_an_empty_dict():
    """``optimizer.state`` is a ``defaultdict(dict)``, as PyTorch's."""
    p = tg.nn.Parameter(tg.ones(2))
    optimizer = tg.optim.SGD([p], lr=0.1, momentum=0.9)
    assert optimizer.state[p] == {}
    p.grad = tg.ones(2)
    optimizer.step()
    assert list(optimizer.state[p]) == ["momentum_buffer"]


def test_hook_functions_are_where_pytorch_has_them():
    assert re.search("tinygrad_bn.optim.optimizer",
                     tg.optim.optimizer.register_optimizer_step_pre_hook.__module__)
    assert callable(tg.optim.optimizer.register_optimizer_step_post_hook)
    assert repr(tg.optim.optimizer.required) == "<required parameter>"


def test_a_subclass_step_calling_super_runs_the_hooks_once():
    class Clipped(tg.optim.SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.grad.clamp_(-0.5, 0.5)
            return super().step(closure)

    p = tg.nn.Parameter(tg.ones(2))
    optimizer = Clipped([p], lr=1.0)
    calls = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: calls.append("pre"))
    optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append("post"))
    p.grad = tg.full((2,), 3.0)
    optimizer.step()
    assert calls == ["pre", "post"] and p.detach().numpy().tolist() == [0.5, 0.5]


def _zero_grad_scenario(module):
    p = module.nn.Parameter(module.ones(2))
    q = module.nn.Parameter(module.ones(2))
    optimizer = module.optim.SGD([p, q], lr=0.1)
    p.grad = module.ones(2).requires_grad_()
    (q * q).sum().backward(create_graph=True)
    made_by_an_op = q.grad.grad_fn is not None
    optimizer.zero_grad(set_to_none=False)
    return (made_by_an_op, p.grad.requires_grad, p.grad.tolist(), q.grad.grad_fn is None,
            q.grad.requires_grad, q.grad.tolist())


def test_zero_grad_in_place_takes_the_gradients_out_of_the_graph():
    """``zero_grad(set_to_none=False)`` of a gradient that requires grad (a leaf, or made by
    ``create_graph``): PyTorch detaches it or stops it requiring grad, then zeroes it; the
    in-place zeroing raised "a leaf Variable that requires grad..." before."""
    ours, torch = _modules()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (create_graph's reference-cycle warning)
        assert _zero_grad_scenario(ours) == _zero_grad_scenario(torch)


def _repr_scenario(module):
    p, q = module.nn.Parameter(module.ones(2)), module.nn.Parameter(module.ones(2))
    return [repr(module.optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)),
            repr(module.optim.Adam([("a", p)]))]


def test_repr_as_pytorchs():
    """A blank line between groups (there was none), ``param_names`` among the settings."""
    ours, torch = _modules()
    assert _repr_scenario(ours) == _repr_scenario(torch)


def test_jit_replays_run_the_step_hooks():
    """The hooks run inside the replayable step: every jitted call (capture and replays) runs
    them once, with the step's own arguments."""
    model = tg.nn.Linear(3, 2)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    calls = []
    optimizer.register_step_post_hook(lambda opt, args, kwargs: calls.append(len(args)))

    @tg.jit
    def train_step(x, y):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        return loss
    rng = np.random.default_rng(0)
    for _ in range(5):
        train_step(tg.tensor(rng.standard_normal((4, 3)).astype(np.float32)),
                   tg.tensor(rng.standard_normal((4, 2)).astype(np.float32)))
    assert calls == [1] * 5
