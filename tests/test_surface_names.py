"""The small top-level and Tensor names PyTorch programs touch: ``torch.compile`` (run eagerly)
with ``torch._dynamo`` and ``torch.compiler``; the constants, ``dtype``, ``layout`` and
``memory_format`` objects; the Tensor flags and legacy methods; the process flags. Each is
compared with PyTorch where it is installed, and each error path asserts PyTorch's message."""

import copy
import pickle

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests


def _linear_pair(torch):
    """A tinygrad_bn Linear and a PyTorch one with the same weights."""
    ours = tg.nn.Linear(3, 2)
    theirs = torch.nn.Linear(3, 2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.detach().numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.detach().numpy()))
    return ours, theirs


def _libraries():
    """tinygrad_bn, and PyTorch when it is installed."""
    try:
        import torch
    except ImportError:
        return (tg,)
    return (tg, torch)


# ------------------------------------------------------------------ torch.compile


def test_compiled_module_is_an_optimized_module_around_the_original():
    model = tg.nn.Sequential(tg.nn.Linear(3, 4), tg.nn.ReLU(), tg.nn.Linear(4, 2))
    compiled = tg.compile(model)
    assert isinstance(compiled, tg._dynamo.eval_frame.OptimizedModule)
    assert isinstance(compiled, tg.nn.Module) and compiled._orig_mod is model
    assert list(compiled.state_dict()) == ["_orig_mod.0.weight", "_orig_mod.0.bias",
                                           "_orig_mod.2.weight", "_orig_mod.2.bias"]
    assert [name for name, _ in compiled.named_modules()] == ["", "_orig_mod", "_orig_mod.0",
                                                              "_orig_mod.1", "_orig_mod.2"]
    assert repr(compiled).startswith("OptimizedModule(\n  (_orig_mod): Sequential(\n")
    assert len(compiled) == 3
    with pytest.raises(TypeError, match="'OptimizedModule' object is not subscriptable"):
        compiled[0]
    x = tg.randn(5, 3)
    np.testing.assert_array_equal(compiled(x).detach().numpy(), model(x).detach().numpy())


def test_compiled_module_forwards_attributes_and_mode_to_the_original():
    model = tg.nn.Linear(3, 2)
    compiled = tg.compile(model)
    assert compiled.weight is model.weight and compiled.in_features == 3
    compiled.note = "set through the wrapper"
    assert model.note == "set through the wrapper" and "note" not in compiled.__dict__
    del compiled.note
    assert not hasattr(model, "note")
    compiled.eval()
    assert model.training is False and compiled.training is False
    model.train()
    assert compiled.training is True
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'missing'"):
        compiled.missing
    assert len(list(compiled.parameters())) == 2


def test_compiled_module_runs_the_originals_hooks_and_backward():
    model = tg.nn.Linear(3, 2)
    calls = []
    model.register_forward_hook(lambda module, args, output: calls.append(module))
    compiled = tg.compile(model)
    x = tg.randn(4, 3)
    compiled(x).sum().backward()
    assert calls == [model]
    expected = x.sum(0).numpy()
    np.testing.assert_allclose(model.weight.grad.numpy(), np.stack([expected, expected]),
                               rtol=1e-6)


def test_compiled_module_copies_and_pickles_with_its_original():
    compiled = tg.compile(tg.nn.Linear(3, 2))
    for clone in (copy.deepcopy(compiled), pickle.loads(pickle.dumps(compiled))):
        assert type(clone) is type(compiled) and clone._orig_mod is not compiled._orig_mod
        assert list(clone.state_dict()) == ["_orig_mod.weight", "_orig_mod.bias"]
        np.testing.assert_array_equal(clone.weight.detach().numpy(), compiled.weight.detach().numpy())


def test_nanogpt_checkpoint_pattern_strips_the_orig_mod_prefix():
    """nanoGPT's train.py saves a compiled model's state dict and, to resume, strips the
    prefix before loading it into a fresh model."""
    model = tg.nn.Linear(3, 2)
    state_dict = tg.compile(model).state_dict()
    unwanted_prefix = "_orig_mod."
    for k, v in list(state_dict.items()):
        if k.startswith(unwanted_prefix):
            state_dict[k[len(unwanted_prefix):]] = state_dict.pop(k)
    fresh = tg.nn.Linear(3, 2)
    fresh.load_state_dict(state_dict)
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), model.weight.detach().numpy())
    compiled = tg.compile(tg.nn.Linear(3, 2))
    compiled.load_state_dict(tg.compile(model).state_dict())
    np.testing.assert_array_equal(compiled._orig_mod.bias.detach().numpy(), model.bias.detach().numpy())


def test_compile_matches_pytorchs_structure_and_values():
    torch = pytest.importorskip("torch")
    ours, theirs = _linear_pair(torch)
    compiled_ours = tg.compile(ours)
    compiled_theirs = torch.compile(theirs, backend="eager")
    assert list(compiled_ours.state_dict()) == list(compiled_theirs.state_dict())
    assert repr(compiled_ours) == repr(compiled_theirs)
    assert ([n for n, _ in compiled_ours.named_parameters()]
            == [n for n, _ in compiled_theirs.named_parameters()])
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(compiled_ours(tg.tensor(x)).detach().numpy(),
                               compiled_theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)


def test_compile_of_functions_decorators_and_disable():
    def double(x):
        """Twice x."""
        return x * 2

    compiled = tg.compile(double)
    assert compiled.__wrapped__ is double and compiled.__name__ == "double"
    assert compiled.__doc__ == "Twice x." and compiled(tg.tensor(3.0)).item() == 6.0

    @tg.compile
    def plus_one(x):
        return x + 1

    @tg.compile(fullgraph=True, dynamic=False, mode="max-autotune")
    def plus_two(x):
        return x + 2

    assert plus_one(tg.tensor(1.0)).item() == 2.0 and plus_two(tg.tensor(1.0)).item() == 3.0
    assert tg.compile(double, disable=True) is double
    model = tg.nn.Linear(2, 2)
    assert tg.compile(model, disable=True) is model
    assert model.compile() is None and list(model.state_dict()) == ["weight", "bias"]


def test_module_compile_in_place_checks_arguments_as_pytorch():
    for lib in _libraries():
        model = lib.nn.Linear(2, 2)
        with pytest.raises(RuntimeError, match="Unrecognized mode=fast"):
            model.compile(mode="fast")


def test_dynamo_and_compiler_namespaces():
    assert tg._dynamo.reset() is None and tg.compiler.reset() is None
    assert tg._dynamo.is_compiling() is False and tg.compiler.is_compiling() is False
    assert tg.compiler.is_dynamo_compiling() is False and tg.compiler.is_exporting() is False
    assert tg._dynamo.config.suppress_errors is False and tg._dynamo.config.cache_size_limit == 8
    tg._dynamo.config.suppress_errors = True
    try:
        assert tg._dynamo.config.suppress_errors is True
    finally:
        tg._dynamo.config.suppress_errors = False

    def f(x):
        return x + 1

    assert tg._dynamo.allow_in_graph(f) is f and tg.compiler.allow_in_graph(f) is f
    eager = tg._dynamo.disable(f)
    assert eager is not f and eager.__wrapped__ is f and eager(tg.tensor(1.0)).item() == 2.0
    assert tg.compiler.disable(recursive=False)(f)(tg.tensor(2.0)).item() == 3.0
    assert tg.compiler.assume_constant_result(f) is f and f._dynamo_marked_constant is True
    assert tg._dynamo.list_backends() == ["cudagraphs", "inductor", "openxla", "tvm"]
    assert tg.compiler.compile is tg.compile


def test_dynamo_names_match_pytorchs():
    torch = pytest.importorskip("torch")
    assert tg._dynamo.list_backends() == torch._dynamo.list_backends()
    # PyTorch's full list also has backends that fail on purpose (``*_TESTING_ONLY``)
    assert set(tg._dynamo.list_backends(exclude_tags=())) == {
        name for name in torch._dynamo.list_backends(exclude_tags=())
        if not name.endswith("TESTING_ONLY")}
    for name in ("suppress_errors", "verbose", "cache_size_limit", "recompile_limit",
                 "accumulated_cache_size_limit", "accumulated_recompile_limit", "optimize_ddp",
                 "capture_scalar_outputs", "capture_dynamic_output_shape_ops",
                 "automatic_dynamic_shapes", "assume_static_by_default", "specialize_int",
                 "force_parameter_static_shapes"):
        assert getattr(tg._dynamo.config, name) == getattr(torch._dynamo.config, name), name


def _set_unknown_config(lib):
    lib._dynamo.config.no_such_setting = 1


def _compiled_none(lib):
    lib.compile()(None)


COMPILE_ERRORS = [
    ("mode_and_options", lambda lib: lib.compile(lambda x: x, mode="default", options={}),
     RuntimeError, "Either mode or options can be specified, but both can't be specified at "
                   "the same time."),
    ("unknown_mode", lambda lib: lib.compile(lambda x: x, mode="fast"), RuntimeError,
     "Unrecognized mode=fast, should be one of: default, lite, reduce-overhead, "
     "max-autotune-no-cudagraphs, max-autotune"),
    ("unknown_backend", lambda lib: lib.compile(lambda x: x, backend="nonexistent"),
     RuntimeError, "Invalid backend: 'nonexistent', see `torch._dynamo.list_backends()` for "
                   "available backends."),
    ("not_callable", lambda lib: lib.compile(3), AssertionError,
     "A callable function is expected, but <class 'int'> is provided."),
    ("decorating_none", _compiled_none, RuntimeError, "Model can't be None"),
    ("unknown_config_write", _set_unknown_config, AttributeError,
     "torch._dynamo.config.no_such_setting does not exist"),
    ("unknown_config_read", lambda lib: lib._dynamo.config.no_such_setting, AttributeError,
     "torch._dynamo.config.no_such_setting does not exist"),
    ("allow_in_graph_not_callable", lambda lib: lib._dynamo.allow_in_graph(3), AssertionError,
     "allow_in_graph expects a callable"),
    ("assume_constant_builtin", lambda lib: lib.compiler.assume_constant_result(len),
     AttributeError, "'builtin_function_or_method' object has no attribute "
                     "'_dynamo_marked_constant'"),
]

test_compile_errors_are_pytorchs, test_pytorch_raises_the_same_compile_errors = error_tests(
    COMPILE_ERRORS)
