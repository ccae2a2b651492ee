"""The global module hooks of ``nn.modules.module`` (``register_module_forward_pre_hook``,
``register_module_forward_hook``, ``register_module_full_backward_pre_hook``,
``register_module_full_backward_hook``, ``register_module_backward_hook``) against PyTorch's:
which modules they see, in which order relative to the modules' own hooks, what their return
values replace, and their removal."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn

torch = pytest.importorskip("torch")


def _model(module):
    """The same small network in both (ours takes PyTorch's initial weights)."""
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(),
                                    torch.nn.Linear(4, 2))
    if module is torch:
        return reference
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    model.load_state_dict({k: tg.tensor(v.numpy()) for k, v in reference.state_dict().items()})
    return model


def _run(module, x):
    """Register global and local hooks that log what they see and alter values, run forward
    and backward, remove the hooks; the log, output, input gradient."""
    hooks = module.nn.modules.module
    model = _model(module)
    log = []

    def name(m):
        return type(m).__name__

    handles = [
        hooks.register_module_forward_pre_hook(
            lambda m, args: log.append(("global pre", name(m), tuple(args[0].shape)))),
        hooks.register_module_forward_hook(
            lambda m, args, out: (log.append(("global fwd", name(m))),
                                  out * 2 if isinstance(m, module.nn.ReLU) else None)[1]),
        hooks.register_module_forward_hook(
            lambda m, args, kwargs, out: log.append(("global fwd kw", name(m), dict(kwargs))),
            with_kwargs=True),
        hooks.register_module_full_backward_pre_hook(
            lambda m, grad_output: log.append(("global bwd pre", name(m)))),
        hooks.register_module_full_backward_hook(
            lambda m, grad_input, grad_output: (
                log.append(("global bwd", name(m), grad_input[0] is None)),
                tuple(g * 3 for g in grad_input) if isinstance(m, module.nn.ReLU) else None)[1]),
        model[0].register_forward_pre_hook(lambda m, args: log.append(("local pre", name(m)))),
        model[2].register_forward_hook(lambda m, args, out: log.append(("local fwd", name(m)))),
        model[2].register_full_backward_hook(
            lambda m, grad_input, grad_output: log.append(("local bwd", name(m)))),
    ]
    xt = module.tensor(x, requires_grad=True)
    out = model(xt)
    out.sum().backward()
    for handle in handles:
        handle.remove()
    log.append("removed")
    model(xt)
    return log, out.detach().numpy(), xt.grad.numpy()


def test_global_hooks_as_pytorch():
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    theirs_log, theirs_out, theirs_grad = _run(torch, x)
    ours_log, ours_out, ours_grad = _run(tg, x)
    assert ours_log == theirs_log
    np.testing.assert_allclose(ours_out, theirs_out, rtol=1e-6)
    np.testing.assert_allclose(ours_grad, theirs_grad, rtol=1e-6)


def test_global_pre_hook_replaces_args_and_always_call():
    for module in (torch, tg):
        hooks = module.nn.modules.module
        seen = []
        first = hooks.register_module_forward_pre_hook(lambda m, args: (args[0] + 1,))
        second = hooks.register_module_forward_hook(
            lambda m, args, out: seen.append(out is None), always_call=True)

        class Fails(module.nn.Module):
            def forward(self, x):
                raise ValueError("fails")
        try:
            assert module.nn.Identity()(module.zeros(2)).tolist() == [1.0, 1.0]
            with pytest.raises(ValueError, match="fails"):
                Fails()(module.zeros(1))
        finally:
            first.remove(), second.remove()
        assert seen == [False, True]
        assert module.nn.Identity()(module.zeros(2)).tolist() == [0.0, 0.0]


def test_regular_and_full_global_backward_hooks_exclude_each_other():
    """Once a kind of global backward hook was registered the other raises PyTorch's error
    (for the rest of the process, as PyTorch's flag stays set)."""
    messages = []
    for module in (torch, tg):
        hooks = module.nn.modules.module
        handle = hooks.register_module_full_backward_hook(lambda *args: None)
        handle.remove()
        with pytest.raises(RuntimeError) as error:
            hooks.register_module_backward_hook(lambda *args: None)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


def test_a_jit_plan_does_not_replay_past_a_new_global_hook():
    """A step captured before a global hook exists is captured again once one is registered
    (the hook runs on every call: the step runs eagerly while it is registered), and after
    its removal the step values are still eager's."""
    import warnings
    model = nn.Linear(3, 2)
    calls = []

    @tg.jit
    def step(x):
        model.zero_grad()
        loss = model(x).sum()
        loss.backward()
        return loss.detach()
    x = tg.randn(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # captured and replayed without falling back
        for _ in range(3):
            step(x)
    handle = nn.modules.module.register_module_forward_hook(lambda m, a, o: calls.append(1))
    try:
        with pytest.warns(tg.TracerWarning, match="hooks"):
            step(x)
        step(x)
    finally:
        handle.remove()
    assert len(calls) == 2
    expected = model(x).sum().item()
    assert step(x).item() == expected
    assert len(calls) == 2


def test_registration_hooks_as_pytorch():
    """The global parameter, buffer and module registration hooks see what PyTorch's see
    while a model is built and changed (non-None values), and may replace the value."""
    logs = []
    for module in (torch, tg):
        hooks = module.nn.modules.module
        log = []

        def note(kind):
            return lambda m, name, value: log.append((kind, type(m).__name__, name,
                                                      type(value).__name__))
        handles = [hooks.register_module_parameter_registration_hook(note("parameter")),
                   hooks.register_module_buffer_registration_hook(note("buffer")),
                   hooks.register_module_module_registration_hook(note("module"))]
        try:
            model = module.nn.Sequential(module.nn.Linear(2, 3), module.nn.BatchNorm1d(3))
            model.append(module.nn.ReLU())
            model[1].running_mean = module.zeros(3)
            model[1].register_buffer("extra", module.ones(1))
            model[0].scale = module.nn.Parameter(module.ones(1))
            model[0].plain = module.ones(1)  # neither parameter nor buffer: no hook

            class Net(module.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.head = module.nn.Identity()
            Net()
        finally:
            for handle in handles:
                handle.remove()
        module.nn.Linear(1, 1)  # removed: not seen
        logs.append(log)
    assert logs[0] == logs[1]
    for module in (torch, tg):
        replace = module.nn.modules.module.register_module_module_registration_hook(
            lambda m, name, value: module.nn.Tanh() if isinstance(value, module.nn.ReLU)
            else None)
        try:
            model = module.nn.Sequential(module.nn.ReLU())
        finally:
            replace.remove()
        assert isinstance(model[0], module.nn.Tanh)
