"""``tinygrad_bn.jit`` as PyTorch's ``torch.jit`` namespace (tracing/torch_jit.py): the same
program, written for PyTorch, run with ``torch`` and with ``tinygrad_bn`` must compute the same
numbers; the decorator ``tg.jit(step)`` keeps working (tests/test_jit*.py cover it)."""

import io
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg


def program(torch):
    """A typical program using torch.jit: a scripted activation, a model with exported and
    ignored methods. Returns the activation and the model class."""

    @torch.jit.script
    def swish(x):
        return x * torch.sigmoid(x)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(4, 8)
            self.bn = torch.nn.BatchNorm1d(8)
            self.fc2 = torch.nn.Linear(8, 3)

        def forward(self, x):
            return self.fc2(swish(self.bn(self.fc1(x))))

        @torch.jit.export
        def embed(self, x):
            return self.fc1(x) * 2.0

        @torch.jit.ignore
        def debug(self, x):
            return x.shape[0]

    return swish, Net


def same_weights(ours, theirs):
    """Copy a PyTorch module's state into ours (same keys)."""
    ours.load_state_dict({key: tg.tensor(value.detach().numpy())
                          for key, value in theirs.state_dict().items()})


def close(ours, theirs, tolerance=1e-6):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tolerance,
                               atol=tolerance)


def test_jit_is_still_the_trace_and_replay_decorator():
    model = tg.nn.Linear(3, 2).requires_grad_(False)

    @tg.jit
    def step(x):
        return model(x).sum()

    x = tg.randn(4, 3)
    results = [step(x).item() for _ in range(4)]
    assert isinstance(step, tg.tracing.JitFunction) and step.replays == 2
    assert results == [model(x).sum().item()] * 4
    assert isinstance(tg.jit(max_plans=2)(lambda x: x), tg.tracing.JitFunction)
    import tinygrad_bn.jit as namespace
    from tinygrad_bn.jit import script
    assert namespace is tg.jit and script is tg.jit.script


def test_scripted_function_and_scripted_model_train_as_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        t_swish, TNet = program(torch)
        g_swish, GNet = program(tg)
        t_model, g_model = TNet(), GNet()
        same_weights(g_model, t_model)
        t_scripted, g_scripted = torch.jit.script(t_model), tg.jit.script(g_model)
    assert isinstance(g_swish, tg.jit.ScriptFunction) and g_swish.name == "swish"
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    close(g_swish(tg.tensor(x)), t_swish(torch.tensor(x)))
    assert isinstance(g_scripted, tg.jit.ScriptModule) and isinstance(g_scripted, tg.nn.Module)
    assert type(g_scripted).__name__ == type(t_scripted).__name__ == "RecursiveScriptModule"
    assert g_scripted.original_name == "Net" and g_scripted.bn.original_name == "BatchNorm1d"
    assert list(g_scripted.state_dict()) == list(t_scripted.state_dict())
    assert g_scripted.fc1.weight is g_model.fc1.weight  # shared, as PyTorch's
    assert repr(g_scripted) == repr(t_scripted)
    t_opt = torch.optim.SGD(t_scripted.parameters(), lr=0.1, momentum=0.9)
    g_opt = tg.optim.SGD(g_scripted.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(1)
    for _ in range(5):
        xb = rng.standard_normal((8, 4)).astype(np.float32)
        yb = rng.integers(0, 3, 8)
        t_loss = torch.nn.functional.cross_entropy(t_scripted(torch.tensor(xb)), torch.tensor(yb))
        g_loss = tg.nn.functional.cross_entropy(g_scripted(tg.tensor(xb)), tg.tensor(yb))
        close(g_loss, t_loss, 1e-5)
        t_opt.zero_grad(); t_loss.backward(); t_opt.step()
        g_opt.zero_grad(); g_loss.backward(); g_opt.step()
    for key, value in t_scripted.state_dict().items():  # the original sees the training too
        close(g_model.state_dict()[key].float(), value.float(), 1e-5)
    t_scripted.eval(); g_scripted.eval()
    assert g_model.training and not g_scripted.bn.training and t_model.training
    close(g_scripted(tg.tensor(x)), t_scripted(torch.tensor(x)), 1e-5)
    close(g_scripted.embed(tg.tensor(x)), t_scripted.embed(torch.tensor(x)), 1e-5)
    assert g_scripted.debug(tg.tensor(x)) == t_scripted.debug(torch.tensor(x)) == 6


def test_trace_runs_once_while_tracing_then_infers_and_round_trips(tmp_path):
    torch = pytest.importorskip("torch")
    seen = []

    def scaled(x):
        seen.append(tg.jit.is_tracing())
        return x * 3.0 + 1.0

    x = tg.randn(2, 3)
    with pytest.warns(DeprecationWarning, match="`torch.jit.trace` is deprecated"):
        traced = tg.jit.trace(scaled, x)
    assert seen == [True] and not tg.jit.is_tracing() and not tg.jit.is_scripting()
    assert isinstance(traced, tg.jit.ScriptFunction)
    close(traced(x), scaled(x))

    torch.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, TNet = program(torch)
        t_model = TNet().eval()
        g_model = GlobalNet().eval()
        same_weights(g_model, t_model)
        example = np.random.default_rng(2).standard_normal((5, 4)).astype(np.float32)
        t_traced = torch.jit.trace(t_model, torch.tensor(example))
        g_traced = tg.jit.trace(g_model, tg.tensor(example))
    assert type(g_traced).__name__ == type(t_traced).__name__ == "RecursiveScriptModule"  # export
    assert list(g_traced.state_dict()) == list(t_traced.state_dict())
    with tg.no_grad(), torch.no_grad():
        close(g_traced(tg.tensor(example)), t_traced(torch.tensor(example)), 1e-5)
    path = tmp_path / "traced.pt"
    tg.jit.save(g_traced, path)
    buffer = io.BytesIO()
    g_traced.save(buffer)
    buffer.seek(0)
    for loaded in (tg.jit.load(path), tg.jit.load(buffer)):
        assert type(loaded).__name__ == "RecursiveScriptModule" and not loaded.training
        assert list(loaded.state_dict()) == list(t_traced.state_dict())
        close(loaded(tg.tensor(example)), t_traced(torch.tensor(example)), 1e-5)
        close(loaded.embed(tg.tensor(example)), t_traced.embed(torch.tensor(example)), 1e-5)


class GlobalNet(tg.nn.Module):
    """``program``'s Net at module level, so that pickling finds its class."""

    def __init__(self):
        super().__init__()
        self.fc1 = tg.nn.Linear(4, 8)
        self.bn = tg.nn.BatchNorm1d(8)
        self.fc2 = tg.nn.Linear(8, 3)

    def forward(self, x):
        hidden = self.bn(self.fc1(x))
        return self.fc2(hidden * tg.sigmoid(hidden))

    @tg.jit.export
    def embed(self, x):
        return self.fc1(x) * 2.0


def test_trace_in_training_mode_updates_running_statistics_once():
    model = GlobalNet()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tg.jit.trace(model, (tg.randn(4, 4),))  # PyTorch's check_trace runs it more often
    assert model.bn.num_batches_tracked.item() == 1


def test_trace_module_calls_each_method_once():
    calls = []

    class Twice(tg.nn.Module):
        def forward(self, x):
            calls.append(("forward", tg.jit.is_tracing()))
            return x * 2

        def half(self, x, y):
            calls.append(("half", tg.jit.is_tracing()))
            return (x + y) / 2

    traced = tg.jit.trace_module(Twice(), {"forward": tg.ones(2),
                                           "half": (tg.ones(2), tg.zeros(2))})
    assert calls == [("forward", True), ("half", True)]
    assert traced.half(tg.ones(1), tg.ones(1)).item() == 1.0
    with pytest.raises(AttributeError, match="expected torch.nn.Module as the first argument"):
        tg.jit.trace_module(lambda x: x, {"forward": tg.ones(1)})


def test_markers_and_small_names_behave_as_torch():
    torch = pytest.importorskip("torch")
    for jit in (torch.jit, tg.jit):
        def f(x):
            return x
        assert jit.ignore(f) is f and jit.unused(f) is f and jit.export(f) is f
        assert jit.ignore(drop=True)(f) is f
        assert jit.annotate(list, [1, 2]) == [1, 2]
        assert jit.Final is torch.jit.Final
        future = jit.fork(lambda a, b: a + b, 1, b=2)
        assert jit.wait(future) == 3 and future.value() == 3 and future.done()
        assert not jit.is_scripting() and not jit.is_tracing()
        assert jit.set_fusion_strategy([("DYNAMIC", 3)]) == [("STATIC", 2), ("DYNAMIC", 10)]
        assert jit.set_fusion_strategy([("STATIC", 2), ("DYNAMIC", 10)]) == [("DYNAMIC", 3)]
        assert jit.enable_onednn_fusion(True) is None and jit.onednn_fusion_enabled()
        jit.enable_onednn_fusion(False)
        assert not jit.onednn_fusion_enabled()

        class Interface:
            pass
        assert jit.interface(Interface) is Interface
        assert issubclass(jit.TracerWarning, Warning)
    with pytest.raises(ValueError,
                       match="FusionBehavior only supported 'STATIC' or 'DYNAMIC', got: FOO"):
        tg.jit.set_fusion_strategy([("FOO", 1)])
    with pytest.raises(TypeError, match="<class 'int'> is a built-in class"):
        tg.jit.script(3)


def test_freeze_and_optimize_for_inference():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = GlobalNet()
        scripted = tg.jit.script(model)
        t_scripted = torch.jit.script(torch.nn.Linear(2, 2))
        for jit, plain, script in ((tg.jit, GlobalNet(), scripted),
                                   (torch.jit, torch.nn.Linear(2, 2), t_scripted)):
            with pytest.raises(RuntimeError, match="Freezing expects a ScriptModule as input"):
                jit.freeze(plain.eval())
            with pytest.raises(RuntimeError, match="only implemented for modules in eval mode"):
                jit.freeze(script.train())
            with pytest.raises(RuntimeError, match="optimize_for_inference expects a ScriptModule"):
                jit.optimize_for_inference(plain)
        x = tg.randn(3, 4)
        expected = scripted.eval()(x)
        frozen = tg.jit.freeze(scripted)
        assert list(frozen.parameters()) == [] and list(frozen.state_dict()) == []
        close(frozen(x), expected)
        with tg.no_grad():
            model.fc1.weight.mul_(0)  # constants: the frozen copy keeps the old values
        close(frozen(x), expected)
        optimized = tg.jit.optimize_for_inference(scripted.train())
        assert not scripted.training and list(optimized.state_dict()) == []


def test_missing_ir_save_and_load_errors(tmp_path):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scripted = tg.jit.script(GlobalNet())
        t_scripted = torch.jit.script(torch.nn.Linear(2, 2))
    for name in ("code", "graph"):
        assert not hasattr(scripted, name) and hasattr(t_scripted, name)
    with pytest.raises(AttributeError, match="no TorchScript compiler"):
        scripted.code
    for jit, plain in ((tg.jit, GlobalNet()), (torch.jit, torch.nn.Linear(2, 2))):
        with pytest.raises(AttributeError, match="object has no attribute 'save_to_buffer'"):
            jit.save(plain, io.BytesIO())
        with pytest.raises(ValueError, match="The provided filename .* does not exist"):
            jit.load(str(tmp_path / "missing.pt"))
        with pytest.raises(ValueError, match="The provided filename .* is a directory"):
            jit.load(str(tmp_path))
    torchscript = tmp_path / "torchscript.pt"
    torch.jit.save(t_scripted, torchscript)
    with pytest.raises(RuntimeError, match="TorchScript archive written by PyTorch"):
        tg.jit.load(torchscript)
    other = tmp_path / "module.pt"
    tg.save(GlobalNet(), other)
    with pytest.raises(RuntimeError,
                       match="holds a GlobalNet, not a module or function written by"):
        tg.jit.load(other)
    assert tg.jit.script(scripted) is scripted
    with pytest.warns(UserWarning, match="already a ScriptModule"):
        assert tg.jit.trace(scripted, tg.ones(1, 4)) is scripted


def test_traced_module_types_follow_torch():
    torch = pytest.importorskip("torch")

    def classes(torch):
        class Exported(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.inner = torch.nn.Linear(2, 2)

            def forward(self, x):
                return self.inner(x)

            @torch.jit.export
            def identity(self, x):
                return x

        class Outer(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.exported = Exported()
                self.linear = torch.nn.Linear(2, 2)

            def forward(self, x):
                return self.exported(self.linear(x))
        return Outer

    names = []
    for library in (torch, tg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            traced = library.jit.trace(classes(library)(), library.ones(1, 2))
        names.append([type(m).__name__ for m in (traced, traced.linear, traced.exported,
                                                  traced.exported.inner)])
    assert names[0] == names[1] == ["TopLevelTracedModule", "TracedModule",
                                    "RecursiveScriptModule", "RecursiveScriptModule"]


def double(x):
    return x * 2


def test_deprecation_warnings_as_torch(tmp_path):
    torch = pytest.importorskip("torch")

    def warned(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return [(w.category, str(w.message)) for w in caught]

    for jit, nn in ((torch.jit, torch.nn), (tg.jit, tg.nn)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scripted = jit.script(nn.Linear(2, 2))
        path = str(tmp_path / f"{jit.__name__}.pt")
        calls = {
            "script": lambda: jit.script(double),
            "freeze": lambda: jit.freeze(scripted.eval()),
            "save": lambda: jit.save(scripted, path),
            "load": lambda: jit.load(path),
            "fork": lambda: jit.fork(abs, -1),
            "set_fusion_strategy":
                lambda: jit.set_fusion_strategy([("STATIC", 2), ("DYNAMIC", 10)]),
            "export": lambda: jit.export(lambda x: x),
            "ignore": lambda: jit.ignore(drop=True),
            "method save": lambda: scripted.save(path),
        }
        results = {name: warned(call) for name, call in calls.items()}
        if jit is torch.jit:
            expected = results
        else:
            assert results == expected


def test_a_scripted_model_under_the_trace_and_replay_jit_trains_as_eagerly():
    def run(use_jit):
        tg.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            model = tg.jit.script(GlobalNet())
        optimizer = tg.optim.Adam(model.parameters(), lr=0.01)

        def step(x, y):
            optimizer.zero_grad()
            loss = tg.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            return loss.detach()

        step = tg.jit(step) if use_jit else step
        rng = np.random.default_rng(3)
        losses = [step(tg.tensor(rng.standard_normal((8, 4)).astype(np.float32)),
                       tg.tensor(rng.integers(0, 3, 8))).item() for _ in range(6)]
        return losses, model.state_dict(), step

    eager_losses, eager_state, _ = run(False)
    jit_losses, jit_state, step = run(True)
    assert step.replays == 4 and jit_losses == eager_losses
    for key, value in eager_state.items():
        assert np.array_equal(jit_state[key].numpy(), value.numpy())


def test_script_module_subclass_with_script_method():
    torch = pytest.importorskip("torch")
    outputs = []
    for library in (torch, tg):
        class Affine(library.jit.ScriptModule):
            def __init__(self):
                super().__init__()
                self.scale = library.nn.Parameter(library.tensor([2.0, 3.0]))

            @library.jit.script_method
            def forward(self, x):
                return x * self.scale + 1.0

        module = Affine()
        assert isinstance(module, library.jit.ScriptModule)
        assert list(module.state_dict()) == ["scale"]
        outputs.append(module(library.ones(2)).tolist())
    assert outputs[0] == outputs[1] == [3.0, 4.0]


def containers(torch):
    """A model with every container and a non-persistent buffer, for ``repr``/``state_dict``."""

    class Holder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.d = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 2)})
            self.l = torch.nn.ModuleList([torch.nn.Linear(2, 2)])
            self.seq = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
            self.p = torch.nn.Parameter(torch.ones(2))
            self.register_buffer("b", torch.zeros(2))
            self.register_buffer("nb", torch.zeros(1), persistent=False)

        def forward(self, x):
            for layer in self.l:
                x = layer(x)
            return self.seq(self.d["a"](x)) * self.p + self.b + self.nb
    return Holder


def test_containers_repr_and_state_dict_keys_as_torch():
    torch = pytest.importorskip("torch")
    seen = []
    for library in (torch, tg):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scripted = library.jit.script(containers(library)())
            traced = library.jit.trace(containers(library)(), library.ones(1, 2))
        seen.append([repr(scripted), list(scripted.state_dict()), repr(traced),
                     list(traced.state_dict()), tuple(scripted(library.ones(3, 2)).shape)])
    assert seen[0] == seen[1]
    assert "nb" in seen[1][1]  # a script module's state_dict keeps non-persistent buffers


def test_isinstance_attribute_optimized_execution_and_scripted_function_save(tmp_path):
    torch = pytest.importorskip("torch")
    from typing import Dict, List, Optional, Tuple, Union
    for jit, tensor in ((torch.jit, torch.ones(1)), (tg.jit, tg.ones(1))):
        checks = [([1, 2], List[int]), ([1, "a"], List[int]),
                  ({"a": tensor}, Dict[str, type(tensor)]),
                  (None, Optional[int]), ((1, "a"), Tuple[int, str]), ((1,), Tuple[int, str]),
                  (3, Union[int, str]), ([], List[int]), (3, int), ("3", int)]
        assert [jit.isinstance(obj, kind) for obj, kind in checks] == [
            True, False, True, True, True, False, True, True, True, False]
        attribute = jit.Attribute(3, int)
        assert attribute == (3, int) and attribute.value == 3 and attribute.type is int
        with jit.optimized_execution(False):
            pass
        assert issubclass(jit.ScriptWarning, Warning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = tg.jit.script(double)
        tg.jit.save(scripted, tmp_path / "double.pt")
        loaded = tg.jit.load(tmp_path / "double.pt")
    assert isinstance(loaded, tg.jit.ScriptFunction) and loaded.name == "double"
    assert loaded(tg.tensor([1.5])).item() == 3.0


def test_trace_errors_as_torch(tmp_path):
    torch = pytest.importorskip("torch")
    for jit, ones in ((torch.jit, torch.ones(1)), (tg.jit, tg.ones(1))):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(TypeError, match="'NoneType' object is not iterable"):
                jit.trace(double)
            with pytest.raises(RuntimeError, match="Only tensors, lists, tuples of tensors, or "
                                                   "dictionary of tensors can be output"):
                jit.trace(lambda x: (x, 3), ones)
            with pytest.raises(RuntimeError, match="Could not get name of python class object"):
                jit.trace(3, ones)
            with pytest.raises(RuntimeError, match="didn't return any values"):
                jit.trace(lambda x: None, ones)
            with pytest.raises(RuntimeError, match="Encountering a dict at the output"):
                jit.trace(lambda x: (x, {"a": x}), ones)
            assert list(jit.trace(lambda x: {"a": x}, ones, strict=False)(ones)) == ["a"]
            traced = jit.trace(lambda x: (x, [x * 2, x]), ones)
            assert traced(ones)[1][0].tolist() == [2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        path = tmp_path / "model.safetensors"  # the suffix does not pick the format
        tg.jit.save(tg.jit.script(GlobalNet()), path)
        assert type(tg.jit.load(path)).__name__ == "RecursiveScriptModule"
