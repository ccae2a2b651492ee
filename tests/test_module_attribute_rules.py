"""PyTorch's rules for assigning and registering module members, compared with PyTorch 2.13:
``Module.__setattr__``'s type checks, name clashes in ``register_*``/``add_module``, assigning
before ``Module.__init__()``, de-duplicated children, ``load_state_dict``'s result repr, the
``_LRScheduler`` and ``utils.hooks`` names, and ``autograd.grad``'s unused-input message."""
from collections import OrderedDict

import pytest

import tinygrad_bn as tg

BACKENDS = ["tg", "torch"]


def lib(name):
    return tg if name == "tg" else pytest.importorskip("torch")


def outcome(fn):
    """``(exception type name, message)`` or ``("ok", result)``."""
    try:
        return "ok", fn()
    except Exception as error:  # noqa: BLE001 - compared as data
        message = error.args[0] if isinstance(error, KeyError) else str(error)
        return type(error).__name__, message


def names(pairs):
    return [name for name, _ in pairs]


def both(fn):
    """``fn(library)`` for tinygrad_bn and PyTorch, with 'tinygrad_bn.nn.x' module paths
    written as PyTorch's class names for comparison."""
    results = []
    for name in BACKENDS:
        result = outcome(lambda: fn(lib(name)))
        results.append(result)
    return results


def test_plain_tensor_over_parameter_raises():
    def run(torch):
        layer = torch.nn.Linear(2, 2)
        layer.weight = layer.weight.detach() * 2
    got, want = both(run)
    assert got == want == ("TypeError", "cannot assign 'torch.FloatTensor' as parameter 'weight' "
                           "(torch.nn.Parameter or None expected)")


def test_module_over_parameter_raises():
    for name in BACKENDS:
        torch = lib(name)
        layer = torch.nn.Linear(2, 2)
        kind, message = outcome(lambda: setattr(layer, "weight", torch.nn.ReLU()))
        assert kind == "TypeError"
        assert message.startswith("cannot assign '") and message.endswith(
            "ReLU' as parameter 'weight' (torch.nn.Parameter or None expected)")
        assert names(layer.named_parameters()) == ["weight", "bias"]


def test_non_module_over_submodule_raises_and_none_unsets():
    def run(torch, value):
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(8, 3)
        net = Net()
        result = outcome(lambda: setattr(net, "fc", value(torch)))
        return result, names(net.named_children()), list(net.state_dict())
    for value in (lambda torch: 3, lambda torch: torch.ones(1)):
        assert run(tg, value) == run(lib("torch"), value)
    got = run(tg, lambda torch: 3)
    assert got[0] == ("TypeError", "cannot assign 'int' as child module 'fc' "
                      "(torch.nn.Module or None expected)")
    assert run(tg, lambda torch: None) == run(lib("torch"), lambda torch: None)


def test_parameter_and_tensor_over_buffer():
    def run(torch):
        bn = torch.nn.BatchNorm1d(2)
        bn.running_mean = torch.ones(2) * 3  # same kind: stays a buffer
        first = (names(bn.named_buffers()), list(bn.state_dict()))
        bn.running_mean = torch.nn.Parameter(torch.ones(2))
        return first, names(bn.named_parameters()), names(bn.named_buffers()), \
            list(bn.state_dict())
    assert run(tg) == run(lib("torch"))


def test_module_over_buffer_and_non_tensor_over_buffer():
    def run(torch):
        bn = torch.nn.BatchNorm1d(2)
        error = outcome(lambda: setattr(bn, "running_var", 3))
        bn.running_mean = torch.nn.Identity()
        return error, names(bn.named_children()), names(bn.named_buffers()), \
            list(bn.state_dict())
    got, want = run(tg), run(lib("torch"))
    assert got == want
    assert got[0] == ("TypeError", "cannot assign 'int' as buffer 'running_var' "
                      "(torch.nn.Buffer, torch.Tensor or None expected)")


def test_parameter_over_plain_attribute_goes_last():
    def run(torch):
        module = torch.nn.Module()
        module.w = 3
        module.a = torch.nn.Parameter(torch.ones(1))
        module.w = torch.nn.Parameter(torch.ones(1))
        return names(module.named_parameters())
    assert run(tg) == run(lib("torch")) == ["a", "w"]


def test_register_name_clashes():
    def run(torch):
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(2, 2)
                self.setting = 1
        results = []
        for call in (lambda n: n.register_buffer("fc", torch.zeros(1)),
                     lambda n: n.register_parameter("fc", torch.nn.Parameter(torch.zeros(1))),
                     lambda n: n.register_buffer("setting", torch.zeros(1)),
                     lambda n: n.register_parameter("setting", None),
                     lambda n: n.add_module("setting", torch.nn.ReLU()),
                     lambda n: n.fc.register_buffer("weight", torch.zeros(1)),
                     lambda n: n.fc.register_parameter("weight", None),
                     lambda n: n.register_buffer("b", 3),
                     lambda n: n.register_parameter("p", torch.zeros(1))):
            results.append(outcome(lambda: call(Net())))
        return results
    got, want = run(tg), run(lib("torch"))
    assert got == want
    assert got[0] == ("KeyError", "attribute 'fc' already exists")


def test_assigning_before_init_raises():
    def run(torch, make):
        class Early(torch.nn.Module):
            def __init__(self):
                self.member = make(torch)
                super().__init__()
        return outcome(Early)
    for make in (lambda torch: torch.nn.Parameter(torch.ones(1)),
                 lambda torch: torch.nn.Linear(1, 1),
                 lambda torch: torch.nn.Buffer(torch.ones(1))):
        assert run(tg, make)[0] == "AttributeError"
        assert run(tg, make) == run(lib("torch"), make)
    assert run(tg, lambda torch: torch.nn.Linear(1, 1))[1] == \
        "cannot assign module before Module.__init__() call"


def test_children_skip_a_submodule_registered_twice():
    def run(torch):
        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = torch.nn.Linear(2, 2)
                self.shared = self.fc
        net = Net()
        pair = torch.nn.Sequential(net.fc, net.fc)
        return (names(net.named_children()), len(list(net.children())),
                names(net.named_modules()), names(net.named_modules(remove_duplicate=False)),
                list(net.state_dict()), len(list(net.parameters())),
                names(pair.named_children()), len(list(pair.modules())), repr(net).count("Linear"))
    got, want = run(tg), run(lib("torch"))
    assert got == want
    assert got[0] == ["fc"] and got[6] == ["0"]


def test_load_state_dict_result_repr():
    results = {}
    for name in BACKENDS:
        torch = lib(name)
        layer = torch.nn.Linear(2, 2)
        matched = layer.load_state_dict(layer.state_dict())
        state = dict(layer.state_dict(), extra=torch.zeros(1))
        del state["bias"]
        partial = layer.load_state_dict(state, strict=False)
        results[name] = (repr(matched), str(matched), repr(partial), tuple(partial),
                         type(matched).__name__)
    assert results["tg"] == results["torch"]
    assert results["tg"][0] == "<All keys matched successfully>"


def test_lr_scheduler_old_base_class_name():
    rates = {}
    for name in BACKENDS:
        torch = lib(name)
        from importlib import import_module
        schedulers = import_module(f"{torch.__name__}.optim.lr_scheduler")
        assert issubclass(schedulers._LRScheduler, schedulers.LRScheduler)

        class Halving(schedulers._LRScheduler):
            def get_lr(self):
                return [group["lr"] * 0.5 for group in self.optimizer.param_groups]
        weight = torch.nn.Parameter(torch.ones(1))
        optimizer = torch.optim.SGD([weight], lr=1.0)
        scheduler = Halving(optimizer)
        rates[name] = [scheduler.get_last_lr()]
        for _ in range(2):
            optimizer.step()
            scheduler.step()
            rates[name].append(scheduler.get_last_lr())
    assert rates["tg"] == rates["torch"]


def test_utils_hooks():
    import warnings
    from importlib import import_module
    seen = {}
    for name in BACKENDS:
        torch = lib(name)
        hooks = import_module(f"{torch.__name__}.utils.hooks")
        assert torch.utils.hooks is hooks
        registry, extra = OrderedDict(), OrderedDict()  # PyTorch holds them weakly
        handle = hooks.RemovableHandle(registry, extra_dict=extra)
        registry[handle.id] = extra[handle.id] = print
        with handle:
            pass
        assert registry == {} and extra == {}
        leaf = torch.ones(2, requires_grad=True)
        plain = lambda grad: grad  # noqa: E731
        quiet = hooks.unserializable_hook(lambda grad: grad)
        assert quiet.__torch_unserializable__ is True
        leaf.register_hook(plain)
        leaf.register_hook(quiet)
        inner = leaf * 2
        inner.register_hook(plain)
        messages = []
        for tensor in (leaf, inner, torch.ones(1)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                hooks.warn_if_has_hooks(tensor)
            messages.append([str(w.message).replace(repr(plain), "HOOK") for w in caught])
        seen[name] = messages
    assert seen["tg"] == seen["torch"]
    assert len(seen["tg"][0]) == 1 and seen["tg"][0][0].startswith("backward hook HOOK on tensor")


def test_autograd_grad_unused_and_no_grad_messages():
    results = {}
    for name in BACKENDS:
        torch = lib(name)
        x = torch.ones(2, requires_grad=True)
        unused = torch.ones(1, requires_grad=True)
        results[name] = [
            outcome(lambda: torch.autograd.grad((x * 2).sum(), [x, unused])),
            outcome(lambda: torch.autograd.grad((x * 2).sum(), [unused, x])),
            outcome(lambda: torch.autograd.grad((x * 2).sum(), [x, torch.ones(1)])),
            outcome(lambda: torch.autograd.grad((x * 2).sum(), [x, unused], allow_unused=False,
                                                materialize_grads=True)),
        ]
    assert results["tg"] == results["torch"]
    assert results["tg"][0] == ("RuntimeError", "The differentiated Tensor at index 1 appears to "
                                "not have been used in the graph. Set allow_unused=True if this "
                                "is the desired behavior.")


def test_none_parameter_and_submodule_slots_keep_their_kind():
    def run(torch):
        results = []
        for make in (lambda: torch.nn.Linear(2, 2, bias=False),
                     lambda: torch.nn.BatchNorm1d(2, affine=False),
                     lambda: torch.nn.LayerNorm(2, bias=False),
                     lambda: torch.nn.Conv1d(1, 2, 1, bias=False),
                     lambda: torch.nn.Bilinear(2, 2, 2, bias=False)):
            layer = make()
            results.append(outcome(lambda: setattr(layer, "bias", torch.zeros(2))))
        layer = torch.nn.Linear(2, 2)
        layer.weight = None
        results.append(outcome(lambda: setattr(layer, "weight", 3)))
        layer.weight = torch.nn.Parameter(torch.ones(2, 2))
        results.append(names(layer.named_parameters()))
        del layer.bias
        layer.bias = 3  # deleted: a plain attribute now
        results.append((layer.bias, names(layer.named_parameters())))
        net = torch.nn.Module()
        net.add_module("fc", None)
        results.append(outcome(lambda: setattr(net, "fc", 3)))
        net.fc = torch.nn.ReLU()
        net.fc = None
        results.append(outcome(lambda: setattr(net, "fc", 3)))
        return results
    got, want = run(tg), run(lib("torch"))
    assert got == want
    assert got[0] == ("TypeError", "cannot assign 'torch.FloatTensor' as parameter 'bias' "
                      "(torch.nn.Parameter or None expected)")
