"""Module methods PyTorch programs call that were missing: ``state_dict(destination=,
prefix=, keep_vars=)`` (and its deprecated positional form), ``get_extra_state`` /
``set_extra_state``, ``register_state_dict_pre_hook``,
``register_load_state_dict_post_hook``, ``load_state_dict(assign=)``, ``_apply``, ``type``,
``bfloat16``, ``set_submodule``, ``_get_name`` and the class attributes, against PyTorch."""

import warnings
from collections import OrderedDict

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn

torch = pytest.importorskip("torch")


def _net(module):
    return module.nn.Sequential(module.nn.Linear(2, 3), module.nn.BatchNorm1d(3))


def test_state_dict_keywords_and_positional_form():
    for module in (torch, tg):
        model = _net(module)
        kept = model.state_dict(keep_vars=True)
        assert kept["0.weight"] is model[0].weight and kept["1.running_mean"] is \
            model[1].running_mean
        assert model.state_dict()["0.weight"] is not model[0].weight
        destination = OrderedDict()
        result = model.state_dict(destination=destination, prefix="net.")
        assert result is destination and list(destination)[0] == "net.0.weight"
        assert not hasattr(destination, "_metadata")
    ours, theirs = _net(tg), _net(torch)
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        reference = theirs.state_dict(None, "p.", True)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        result = ours.state_dict(None, "p.", True)
    assert [(w.category, str(w.message)) for w in got] == [
        (w.category, str(w.message)) for w in expected]
    assert list(result) == list(reference) and result["p.0.weight"] is ours[0].weight
    assert list(result._metadata) == list(reference._metadata)


def _with_extra_state(module):
    class Counter(module.nn.Linear):
        def __init__(self):
            super().__init__(2, 2)
            self.calls = 0

        def get_extra_state(self):
            return {"calls": self.calls}

        def set_extra_state(self, state):
            self.calls = state["calls"]
    return module.nn.Sequential(Counter(), module.nn.ReLU())


def test_extra_state_as_pytorch():
    ours, theirs = _with_extra_state(tg), _with_extra_state(torch)
    ours[0].calls = theirs[0].calls = 7
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "0.weight", "0.bias", "0._extra_state"]
    assert ours.state_dict()["0._extra_state"] == {"calls": 7}
    fresh = _with_extra_state(tg)
    fresh.load_state_dict(ours.state_dict())
    assert fresh[0].calls == 7
    state = ours.state_dict()
    del state["0._extra_state"]
    for model, module in ((ours, tg), (theirs, torch)):
        reference_state = {k: v for k, v in theirs.state_dict().items() if k != "0._extra_state"}
        state_in = state if module is tg else reference_state
        result = model.load_state_dict(state_in, strict=False)
        assert result.missing_keys == ["0._extra_state"] and result.unexpected_keys == []
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0._extra_state"'):
        ours.load_state_dict(state)
    plain_ours, plain_theirs = _net(tg), _net(torch)
    state = dict(plain_ours.state_dict(), **{"0._extra_state": 1})
    result = plain_ours.load_state_dict(state, strict=False)
    reference = plain_theirs.load_state_dict(
        dict(plain_theirs.state_dict(), **{"0._extra_state": 1}), strict=False)
    assert result.unexpected_keys == reference.unexpected_keys == ["0._extra_state"]
    for method, args in (("get_extra_state", ()), ("set_extra_state", (1,))):
        with pytest.raises(RuntimeError) as expected:
            getattr(torch.nn.Linear(1, 1), method)(*args)
        with pytest.raises(RuntimeError) as got:
            getattr(nn.Linear(1, 1), method)(*args)
        assert str(got.value) == str(expected.value)


def test_state_dict_pre_hook_and_load_post_hook_as_pytorch():
    logs = []
    for module in (torch, tg):
        log = []
        model = _net(module)
        for index, child in enumerate([model, model[0], model[1]]):
            child.register_state_dict_pre_hook(
                lambda m, prefix, keep_vars, index=index: log.append(("pre", index, prefix,
                                                                      keep_vars)))
            child.register_load_state_dict_post_hook(
                lambda m, keys, index=index: log.append(("post", index, list(keys.missing_keys),
                                                         list(keys.unexpected_keys))))
        state = model.state_dict(keep_vars=False)
        del state["1.running_var"]
        state["extra"] = module.zeros(1)
        result = model.load_state_dict(state, strict=False)
        log.append((result.missing_keys, result.unexpected_keys))
        logs.append(log)
    assert logs[0] == logs[1]


def test_load_post_hook_may_forgive_strict_keys():
    for module in (torch, tg):
        model = _net(module)

        def forgive(m, keys):
            keys.missing_keys.clear()
            keys.unexpected_keys.clear()
        model.register_load_state_dict_post_hook(forgive)
        state = model.state_dict()
        del state["0.bias"]
        state["other"] = module.zeros(1)
        assert model.load_state_dict(state) == ([], [])
        model.register_load_state_dict_post_hook(lambda m, keys: 1)
        with pytest.raises(AssertionError, match="not expected to return new values"):
            model.load_state_dict(model.state_dict())


def test_load_state_dict_assign_as_pytorch():
    for module in (torch, tg):
        model = _net(module)
        model[0].bias.requires_grad_(False)
        weight = module.ones(3, 2, dtype=module.float64)
        bias = module.nn.Parameter(module.zeros(3))
        mean = module.full((3,), 2.0)
        state = dict(model.state_dict(), **{"0.weight": weight, "0.bias": bias,
                                            "1.running_mean": mean})
        model.load_state_dict(state, assign=True)
        assert isinstance(model[0].weight, module.nn.Parameter)
        assert model[0].weight.dtype == module.float64 and model[0].weight.requires_grad
        assert model[0].bias is bias and not bias.requires_grad
        assert model[1].running_mean is mean
        assert [k for k, _ in model.named_buffers()] == ["1.running_mean", "1.running_var",
                                                          "1.num_batches_tracked"]
        with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
            model.load_state_dict(dict(state, **{"0.weight": module.ones(2, 2)}), assign=True)


def test_apply_type_bfloat16():
    for module in (torch, tg):
        model = _net(module)
        weight = model[0].weight
        model(module.ones(4, 2)).sum().backward()
        buffer = model[1].running_mean
        assert model._apply(lambda t: t * 2) is model
        assert model[0].weight is weight and model[0].weight.grad is not None
        assert model[1].running_mean is not buffer  # buffers replaced, as PyTorch's
        np.testing.assert_allclose(model[1].running_mean.numpy(), buffer.numpy() * 2)
        model.type(module.float64)
        assert model[0].weight.dtype == module.float64
        assert model[1].num_batches_tracked.dtype == module.float64  # every tensor, as PyTorch
        assert model[0].weight.grad.dtype == module.float64
        if module is torch:
            model.bfloat16()
            assert model[0].weight.dtype == module.bfloat16
        else:  # NumPy has no bfloat16: the conversion refuses, as Tensor.to(bfloat16) does
            with pytest.raises(TypeError, match="unsupported dtype bfloat16"):
                model.bfloat16()
        only_own = _net(module)
        only_own._apply(lambda t: t.double(), recurse=False)
        assert only_own[0].weight.dtype == module.float32


def test_set_submodule_and_names_as_pytorch():
    for module in (torch, tg):
        model = module.nn.Sequential(module.nn.Sequential(module.nn.Linear(1, 1)))
        model.set_submodule("0.0", module.nn.ReLU())
        assert isinstance(model[0][0], module.nn.ReLU)
        model.set_submodule("0.extra", module.nn.Tanh())
        assert isinstance(model[0].extra, module.nn.Tanh)
        assert model._get_name() == "Sequential"
        assert module.nn.Module.call_super_init is False and module.nn.Module.dump_patches is False
    cases = [(lambda m, M: m.set_submodule("", M.nn.ReLU()), ValueError),
             (lambda m, M: m.set_submodule("0.0", 3), ValueError),
             (lambda m, M: m.set_submodule("0.missing", M.nn.ReLU(), strict=True),
              AttributeError),
             (lambda m, M: m.set_submodule("x.y", M.nn.ReLU()), AttributeError),
             (lambda m, M: m.set_submodule("0.0.weight", M.nn.ReLU()), AttributeError)]
    for action, error in cases:
        messages = []
        for module in (torch, tg):
            model = module.nn.Sequential(module.nn.Sequential(module.nn.Linear(1, 1)))
            with pytest.raises(error) as raised:
                action(model, module)
            messages.append(str(raised.value).replace("torch.", "").replace("tinygrad_bn.", ""))
        assert messages[0] == messages[1]


def _renaming(module):
    """The pattern of layers that load old checkpoints: ``_load_from_state_dict`` renames a
    key, then calls the base; and one that saves an extra entry from ``_save_to_state_dict``."""
    class Renamed(module.nn.Linear):
        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                                  missing_keys, unexpected_keys, error_msgs):
            old = prefix + "kernel"
            if old in state_dict:
                state_dict[prefix + "weight"] = state_dict.pop(old)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict,
                                          missing_keys, unexpected_keys, error_msgs)

    class Saves(module.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = module.nn.Parameter(module.ones(1))

        def _save_to_state_dict(self, destination, prefix, keep_vars):
            super()._save_to_state_dict(destination, prefix, keep_vars)
            destination[prefix + "scale_copy"] = self.scale.detach() * 2
    return module.nn.Sequential(Renamed(2, 2), module.nn.BatchNorm1d(2), Saves())


def test_load_and_save_overrides_as_pytorch():
    results = []
    for module in (torch, tg):
        model = _renaming(module)
        saved = model.state_dict()
        keys = list(saved)
        state = OrderedDict((("0.kernel" if k == "0.weight" else k), v) for k, v in saved.items())
        state["0.kernel"] = module.full((2, 2), 3.0)
        state["1.stray"] = module.zeros(1)
        del state["1.running_var"]
        result = model.load_state_dict(state, strict=False)
        assert "0.kernel" in state  # the caller's dict is left as it was
        assert model[0].weight.detach().numpy().tolist() == [[3.0, 3.0], [3.0, 3.0]]
        with pytest.raises(RuntimeError) as error:
            model.load_state_dict(state)
        bad = dict(state, **{"0.kernel": module.zeros(3, 3)})
        with pytest.raises(RuntimeError) as size_error:
            model.load_state_dict(bad, strict=False)
        results.append((keys, result.missing_keys, result.unexpected_keys, str(error.value),
                        str(size_error.value).replace("torch.Size", "Size")))
    assert results[0] == results[1]


def test_private_member_dicts_as_pytorch():
    """``_modules``, ``_parameters``, ``_buffers``, ``_non_persistent_buffers_set`` and the
    hook dicts, read and written as programs do (swapping a layer through ``_modules``)."""
    summaries = []
    for module in (torch, tg):
        class Net(module.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = module.nn.Linear(2, 2)
                self.bn = module.nn.BatchNorm1d(2)
                self.register_buffer("scratch", module.zeros(1), persistent=False)
        net = Net()
        net._modules["fc"] = module.nn.Linear(2, 3)
        net.bn._parameters["extra"] = module.nn.Parameter(module.ones(1))
        net._buffers["scratch"] = module.ones(2)
        sequence = module.nn.Sequential(module.nn.ReLU())
        sequence._modules["1"] = module.nn.Tanh()
        handle = net.fc.register_forward_hook(lambda *args: None)
        hooks_while = len(net.fc._forward_hooks)
        handle.remove()
        summaries.append((
            list(net._modules), type(net._modules["fc"]).__name__, net.fc.out_features,
            list(net.bn._parameters), list(net.bn._buffers), list(net._buffers),
            sorted(net._non_persistent_buffers_set), list(net.state_dict()),
            len(sequence), type(sequence[1]).__name__, "fc" in net._modules,
            "weight" in net.bn._parameters, hooks_while, len(net.fc._forward_hooks),
            len(net.bn._forward_pre_hooks), len(net.bn._backward_hooks)))
        del net.bn._parameters["extra"]
        assert "extra" not in dict(net.bn.named_parameters())
        with pytest.raises(KeyError):
            del net.bn._parameters["missing"]
    assert summaries[0] == summaries[1]
