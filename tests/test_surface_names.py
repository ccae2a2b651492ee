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


# ------------------------------------------------------------------ constants, dtype, layouts


def test_constants_vmap_and_the_dtype_class():
    assert (tg.pi, tg.e, tg.inf) == (np.pi, np.e, np.inf) and np.isnan(tg.nan)
    assert tg.newaxis is None and tg.ones(3)[:, tg.newaxis].shape == (3, 1)
    assert tg.vmap is tg.func.vmap
    for dtype in (tg.float32, tg.int64, tg.bool, tg.float16, tg.bfloat16, tg.zeros(1).dtype):
        assert isinstance(dtype, tg.dtype)
    assert not isinstance("float32", tg.dtype) and not isinstance(np.float32, tg.dtype)
    torch = pytest.importorskip("torch")
    assert (tg.pi, tg.e, tg.inf, tg.newaxis) == (torch.pi, torch.e, torch.inf, torch.newaxis)
    assert np.isnan(torch.nan)


def test_layout_and_memory_format_objects():
    formats = (tg.contiguous_format, tg.channels_last, tg.channels_last_3d, tg.preserve_format)
    assert all(isinstance(f, tg.memory_format) for f in formats)
    assert isinstance(tg.strided, tg.layout) and tg.zeros(2).layout is tg.strided
    for obj in formats + (tg.strided,):
        assert pickle.loads(pickle.dumps(obj)) is obj and copy.deepcopy(obj) is obj
    torch = pytest.importorskip("torch")
    assert [repr(f) for f in formats] == [repr(f) for f in (
        torch.contiguous_format, torch.channels_last, torch.channels_last_3d,
        torch.preserve_format)]
    assert repr(tg.strided) == repr(torch.strided) == repr(torch.zeros(1).layout)


def _strides_and_values(lib, x):
    """What the memory-format functions give for the 4-d ``x``: strides and contiguity."""
    cl = lib.channels_last
    made = x.contiguous(memory_format=cl)
    return [
        made.stride(), made.is_contiguous(), made.is_contiguous(memory_format=cl),
        made.contiguous(memory_format=cl) is made, made.contiguous() is made,
        made.contiguous().stride(), (made + 1).stride(), (made * made).stride(),
        x.to(memory_format=cl).stride(), made.to(memory_format=cl) is made,
        made.to(memory_format=lib.contiguous_format).stride(),
        x.to(lib.float64, memory_format=cl).stride(),
        x.to("cpu", lib.float64, False, True, memory_format=cl).stride(),
        x.to(lib.float32, False, False) is x, x.to(lib.float32, True, True) is x,
        made.to(made, False, True, memory_format=cl).stride(),
        x.clone(memory_format=cl).stride(), made.clone(memory_format=lib.contiguous_format).stride(),
        lib.empty(2, 3, 4, 5, memory_format=cl).stride(),
        lib.empty_like(x, memory_format=cl).stride(), lib.zeros_like(x, memory_format=cl).stride(),
        lib.ones_like(x, memory_format=cl).stride(),
        lib.full_like(x, 2.0, memory_format=cl).stride(),
        lib.rand_like(x, memory_format=cl).stride(), lib.randn_like(x, memory_format=cl).stride(),
        lib.randint_like(x, 5, memory_format=cl).stride(),
        x.is_contiguous(memory_format=cl), x.is_contiguous(memory_format=lib.preserve_format),
        x.contiguous(memory_format=lib.preserve_format) is x,
        lib.zeros(2, 1, 4, 5).is_contiguous(memory_format=cl),
        lib.zeros(2, 3, 1, 1).is_contiguous(memory_format=cl),
        lib.zeros(2, 3).is_contiguous(memory_format=cl),
        lib.zeros(2, 3, 4, 5, 6).contiguous(memory_format=lib.channels_last_3d).stride(),
        lib.zeros(0, 3, 4, 5).contiguous(memory_format=cl).is_contiguous(memory_format=cl),
    ]


def test_memory_formats_give_pytorchs_strides_and_the_same_values():
    x = tg.randn(2, 3, 4, 5)
    made = x.contiguous(memory_format=tg.channels_last)
    np.testing.assert_array_equal(made.numpy(), x.numpy())
    assert made.stride() == (60, 1, 15, 3)
    conv = tg.nn.Conv2d(3, 4, 3)
    reference = conv(x).detach().numpy()
    conv.to(memory_format=tg.channels_last)
    assert conv.weight.stride() == (27, 1, 9, 3) and conv.bias.stride() == (1,)
    assert isinstance(conv.weight, tg.nn.Parameter)
    np.testing.assert_allclose(conv(made).detach().numpy(), reference, rtol=1e-6, atol=1e-6)
    leaf = x.detach().requires_grad_()
    (leaf.contiguous(memory_format=tg.channels_last) * 2).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), np.full((2, 3, 4, 5), 2.0, np.float32))
    torch = pytest.importorskip("torch")
    assert _strides_and_values(tg, x) == _strides_and_values(torch, torch.tensor(x.numpy()))
    theirs = torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
    assert theirs.weight.stride() == conv.weight.stride()


MEMORY_FORMAT_ERRORS = [
    ("dtype_instance", lambda lib: lib.dtype(), TypeError, "cannot create 'torch.dtype' instances"),
    ("memory_format_instance", lambda lib: lib.memory_format(), TypeError,
     "cannot create 'torch.memory_format' instances"),
    ("layout_instance", lambda lib: lib.layout(), TypeError,
     "cannot create 'torch.layout' instances"),
    ("channels_last_rank", lambda lib: lib.zeros(2, 3).contiguous(memory_format=lib.channels_last),
     RuntimeError, "required rank 4 tensor to use channels_last format"),
    ("channels_last_3d_rank",
     lambda lib: lib.zeros(2, 3, 4, 5).to(memory_format=lib.channels_last_3d), RuntimeError,
     "required rank 5 tensor to use channels_last_3d format"),
    ("clone_rank", lambda lib: lib.zeros(2, 3).clone(memory_format=lib.channels_last),
     RuntimeError, "required rank 4 tensor to use channels_last format"),
    ("empty_rank", lambda lib: lib.empty(2, 3, memory_format=lib.channels_last), RuntimeError,
     "required rank 4 tensor to use channels_last format"),
    ("empty_preserve", lambda lib: lib.empty(2, 3, memory_format=lib.preserve_format),
     RuntimeError, "unsupported memory format Preserve"),
    ("like_rank", lambda lib: lib.zeros_like(lib.zeros(3), memory_format=lib.channels_last),
     RuntimeError, "required rank 4 tensor to use channels_last format"),
    ("contiguous_preserve",
     lambda lib: lib.zeros(3, 4).t().contiguous(memory_format=lib.preserve_format),
     RuntimeError, "preserve memory format is unsupported by the contiguous operator"),
    ("contiguous_not_a_format", lambda lib: lib.zeros(2).contiguous(memory_format=3), TypeError,
     "contiguous(): argument 'memory_format' must be torch.memory_format, not int"),
    ("clone_not_a_format", lambda lib: lib.zeros(2).clone(memory_format=3), TypeError,
     "clone(): argument 'memory_format' must be torch.memory_format, not int"),
    ("is_contiguous_not_a_format", lambda lib: lib.zeros(2).is_contiguous(memory_format=3),
     TypeError, "is_contiguous(): argument 'memory_format' must be torch.memory_format, not int"),
    ("empty_not_a_format", lambda lib: lib.empty(2, memory_format=3), TypeError,
     "empty(): argument 'memory_format' must be torch.memory_format, not int"),
    ("zeros_like_not_a_format", lambda lib: lib.zeros_like(lib.zeros(2), memory_format=3),
     TypeError, "zeros_like(): argument 'memory_format' must be torch.memory_format, not int"),
]

test_memory_format_errors_are_pytorchs, test_pytorch_raises_the_same_memory_format_errors = (
    error_tests(MEMORY_FORMAT_ERRORS))


# ------------------------------------------------------------------ Tensor flags, legacy methods

FLAGS = ("is_cpu", "is_meta", "is_sparse", "is_sparse_csr", "is_quantized", "is_mkldnn",
         "is_nested", "is_xpu", "is_mps", "is_vulkan", "is_ipu", "is_xla", "is_maia", "is_mtia")


def test_device_and_layout_flags():
    x = tg.zeros(2)
    assert x.is_cpu is True
    assert [getattr(x, name) for name in FLAGS[1:]] == [False] * (len(FLAGS) - 1)
    torch = pytest.importorskip("torch")
    assert [getattr(x, name) for name in FLAGS] == [getattr(torch.zeros(2), n) for n in FLAGS]


def _legacy_results(lib):
    """What the legacy methods give, as plain Python values."""
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
    ints = lib.tensor([1, 2, 3])
    grows = lib.tensor([1.0, 2.0, 3.0]).resize_(2, 2)
    shrunk = lib.tensor([1.0, 2.0, 3.0])
    version = shrunk._version
    shrunk.resize_(2)
    viewed = lib.tensor([1.0, 2.0, 3.0])
    viewed[1:].apply_(lambda v: -v)
    column = lib.ones(2, 2)
    column.t()[0].apply_(lambda v: 5.0)
    source, target = lib.ones(3), lib.zeros(2)
    target.set_(source)
    target.add_(1)
    return [
        tuple(x.new().shape), str(x.new().dtype).replace("torch.", ""), tuple(x.new(2, 3).shape),
        tuple(x.new(lib.Size([4])).shape), x.new((2, 3)).tolist(), x.new([1, 2]).tolist(),
        ints.new([1.5, 2.7]).tolist(), str(ints.new([1.5]).dtype).replace("torch.", ""),
        grows.tolist()[0] + [grows.shape[0]], shrunk.tolist(), shrunk._version - version,
        lib.tensor([1.0, 2.0]).resize_as_(lib.zeros(1, 2)).tolist(),
        lib.zeros(2).resize_(1, 2, 3, 4, memory_format=lib.channels_last).stride(),
        lib.tensor([1.0, 2.0]).apply_(lambda v: v * 2).tolist(),
        ints.clone().apply_(lambda v: v / 2).tolist(), viewed.tolist(), column.tolist(),
        lib.tensor([1.0, 2.0]).map_(lib.tensor(10.0), lambda a, b: a + b).tolist(),
        lib.tensor([1.0, 2.0]).map2_(lib.tensor([1.0, 1.0]), lib.tensor([[2.0], [3.0]])[0],
                                     lambda a, b, c: a * b + c).tolist(),
        target.tolist(), source.tolist(), target.data_ptr() == source.data_ptr(),
        lib.zeros(3).const_data_ptr() != 0,
        lib.zeros(3).dim_order(), lib.zeros(2, 3).t().dim_order(), lib.zeros(2, 1, 3).dim_order(),
        lib.zeros(3, 1).expand(3, 4).dim_order(), lib.zeros(2, 3, 4).transpose(0, 2).dim_order(),
        lib.zeros(2, 3, 4, 5).contiguous(memory_format=lib.channels_last).dim_order(),
        lib.zeros(1, 2, 3, 4).dim_order(ambiguity_check=[lib.contiguous_format,
                                                          lib.channels_last]),
        lib.zeros(2, 3, 4, 5).permute(0, 2, 3, 1).dim_order(ambiguity_check=True),
    ]


def test_legacy_methods_match_pytorch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    alias = tg.zeros(1).new(x)
    assert alias.requires_grad and alias.data_ptr() == x.data_ptr()
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        resized = x.resize(1, 2)
    resized.sum().backward()
    assert resized.shape == (1, 2) and x.grad.tolist() == [1.0, 1.0]
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        assert x.resize_as(tg.zeros(2, 1)).shape == (2, 1)
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        torch.zeros(2).resize(1, 2)
    assert _legacy_results(tg) == _legacy_results(torch)


def test_output_nr_and_as_subclass():
    class Pair(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, a, b):
            return a * 2 + b * 3

    leaf = tg.zeros(3, requires_grad=True)
    first, second = Pair.apply(leaf)
    assert (leaf.output_nr, (leaf * 2).output_nr, first.output_nr, second.output_nr) == (0, 0, 0, 1)
    as_parameter = leaf.as_subclass(tg.nn.Parameter)
    assert type(as_parameter) is tg.nn.Parameter and as_parameter.data_ptr() == leaf.data_ptr()

    class Mine(tg.Tensor):
        pass

    mine = (leaf * 2).as_subclass(Mine)
    assert type(mine) is Mine and mine.grad_fn is not None
    mine.sum().backward()
    assert leaf.grad.tolist() == [2.0, 2.0, 2.0]
    torch = pytest.importorskip("torch")
    theirs = torch.zeros(3, requires_grad=True)
    assert (theirs.output_nr, (theirs * 2).output_nr) == (0, 0)


@pytest.mark.parametrize("name, arguments, check", [
    ("cauchy_", (0.5, 2.0), lambda v: abs(np.median(v) - 0.5) < 0.15),
    ("log_normal_", (0.5, 0.25), lambda v: abs(np.mean(np.log(v)) - 0.5) < 0.02
     and abs(np.std(np.log(v)) - 0.25) < 0.02),
    ("geometric_", (0.25,), lambda v: v.min() >= 1 and abs(v.mean() - 4.0) < 0.2
     and np.all(v == np.round(v))),
])
def test_random_fills_draw_from_their_distributions(name, arguments, check):
    tg.manual_seed(0)
    values = getattr(tg.zeros(20000, dtype=tg.float64), name)(*arguments)
    assert check(values.numpy())
    generator = tg.Generator().manual_seed(3)
    again = tg.Generator().manual_seed(3)
    np.testing.assert_array_equal(
        getattr(tg.zeros(5), name)(*arguments, generator=generator).numpy(),
        getattr(tg.zeros(5), name)(*arguments, generator=again).numpy())
    assert getattr(tg.zeros(4, dtype=tg.int64), "geometric_")(0.5).dtype == tg.int64


def _set_list_of_ints(lib):
    x = lib.tensor([1.0, 2.0])
    x.new([1], [2])


LEGACY_ERRORS = [
    ("new_other_dtype", lambda lib: lib.zeros(2).new(lib.tensor([1, 2])), TypeError,
     "expected TensorOptions(dtype=float, device=cpu, layout=Strided, requires_grad=false "
     "(default), pinned_memory=false (default), memory_format=(nullopt)) (got "
     "TensorOptions(dtype=long int, device=cpu, layout=Strided, requires_grad=false (default), "
     "pinned_memory=false (default), memory_format=(nullopt)))"),
    ("new_number", lambda lib: lib.zeros(2).new(2.5), TypeError,
     "new(): data must be a sequence (got float)"),
    ("new_negative", lambda lib: lib.zeros(2).new(-1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("new_dtype", lambda lib: lib.zeros(2).new(2, dtype=lib.int64), TypeError,
     "new() received an invalid combination of arguments - got (int, dtype=torch.dtype), but "
     "expected one of:"),
    ("new_requires_grad", lambda lib: lib.zeros(2).new(2, requires_grad=True), TypeError,
     "new() received an invalid combination of arguments - got (int, requires_grad=bool), but "
     "expected one of:"),
    ("new_two_lists", _set_list_of_ints, TypeError,
     "new() received an invalid combination of arguments - got (list, list), but expected one "
     "of:"),
    ("resize_negative", lambda lib: lib.zeros(3).resize_(2, -3), RuntimeError,
     "numel: integer multiplication overflow"),
    ("resize_float", lambda lib: lib.zeros(3).resize_(2.5), TypeError,
     "resize_(): argument 'size' (position 1) must be tuple of ints, not float"),
    ("resize_requires_grad", lambda lib: lib.zeros(3, requires_grad=True).resize_(2),
     RuntimeError, "cannot resize variables that require grad"),
    ("resize_non_leaf", lambda lib: (lib.zeros(3, requires_grad=True) * 2).resize_(3),
     RuntimeError, "cannot resize variables that require grad"),
    ("resize_count", lambda lib: lib.zeros(3).resize(2, 3), RuntimeError,
     "requested resize to 2x3 (6 elements in total), but the given tensor has a size of 3 (3 "
     "elements). autograd's resize can only change the shape of a given tensor, while "
     "preserving the number of elements. "),
    ("apply_requires_grad", lambda lib: lib.zeros(3, requires_grad=True).apply_(abs),
     RuntimeError, "Can't call apply_() on Variable that requires grad. Use "
                   "var.detach().apply_() instead."),
    ("apply_string", lambda lib: lib.zeros(3).apply_(lambda v: "a"), TypeError,
     "must be real number, not str"),
    ("apply_none", lambda lib: lib.zeros(3).apply_(lambda v: None), TypeError,
     "must be real number, not NoneType"),
    ("map_requires_grad", lambda lib: lib.zeros(3, requires_grad=True).map_(
        lib.zeros(3), max), RuntimeError,
     "Can't call map_() on Variable that requires grad. Use var.detach().map_() instead."),
    ("map_dtype", lambda lib: lib.zeros(3).map_(lib.tensor([1, 2, 3]), max), TypeError,
     "map_: expected torch.FloatTensor for 'other' (got torch.LongTensor)"),
    ("map_broadcast", lambda lib: lib.tensor(1.0).map_(lib.zeros(3), max), RuntimeError,
     "expand(torch.FloatTensor{[3]}, size=[]): the number of sizes provided (0) must be "
     "greater or equal to the number of dimensions in the tensor (1)"),
    ("map2_requires_grad", lambda lib: lib.zeros(3, requires_grad=True).map2_(
        lib.zeros(3), lib.zeros(3), max), RuntimeError,
     "Can't call map2_() on Variable that requires grad. Use var.detach().map2_() instead."),
    ("map2_x_dtype", lambda lib: lib.zeros(3).map2_(lib.tensor([1, 2, 3]), lib.zeros(3), max),
     TypeError, "map2_: expected torch.FloatTensor for argument 'x' (got torch.LongTensor)"),
    ("map2_y_dtype", lambda lib: lib.zeros(3).map2_(lib.zeros(3), lib.tensor([1, 2, 3]), max),
     TypeError, "map2_: expected torch.FloatTensor for argument 'y' (got torch.LongTensor)"),
    ("cauchy_integer", lambda lib: lib.zeros(3, dtype=lib.int64).cauchy_(), RuntimeError,
     "Cauchy distribution is a continuous probability distribution. dtype must be a floating "
     "point but you specified long int"),
    ("cauchy_sigma", lambda lib: lib.zeros(3).cauchy_(sigma=0), RuntimeError,
     "cauchy_ expects sigma > 0.0, but found sigma=0"),
    ("cauchy_requires_grad", lambda lib: lib.zeros(3, requires_grad=True).cauchy_(),
     RuntimeError, "a leaf Variable that requires grad is being used in an in-place operation."),
    ("geometric_p0", lambda lib: lib.zeros(3).geometric_(0), RuntimeError,
     "geometric_ expects p to be in (0, 1), but got p=0"),
    ("geometric_p1", lambda lib: lib.zeros(3).geometric_(1.5), RuntimeError,
     "geometric_ expects p to be in (0, 1), but got p=1.5"),
    ("geometric_bool", lambda lib: lib.zeros(3, dtype=lib.bool).geometric_(0.5),
     NotImplementedError, "\"geometric_cpu\" not implemented for 'Bool'"),
    ("log_normal_std", lambda lib: lib.zeros(3).log_normal_(1, -1), RuntimeError,
     "log_normal_ expects std > 0.0, but found std=-1"),
    ("log_normal_integer", lambda lib: lib.zeros(3, dtype=lib.int64).log_normal_(),
     NotImplementedError, "\"log_normal_cpu\" not implemented for 'Long'"),
    ("set_dtype", lambda lib: lib.zeros(2).set_(lib.zeros(2, dtype=lib.int64)), RuntimeError,
     "Could not set tensor of type long int to a tensor of type float"),
    ("set_leaf", lambda lib: lib.zeros(2, requires_grad=True).set_(lib.zeros(3)), RuntimeError,
     "a leaf Variable that requires grad is being used in an in-place operation."),
    ("as_subclass_not_tensor", lambda lib: lib.zeros(2).as_subclass(int), TypeError,
     "Creating a Tensor subclass from a class that does not inherit from Tensor is not "
     "possible. Make sure your class inherits from Tensor."),
    ("dim_order_ambiguous", lambda lib: lib.zeros(2, 1, 3).dim_order(ambiguity_check=True),
     RuntimeError, "The tensor does not have unique dim order, or cannot map to exact one of "
                   "the given memory formats."),
    ("dim_order_argument", lambda lib: lib.zeros(2).dim_order(ambiguity_check="ILLEGAL"),
     TypeError, "The ambiguity_check argument must be a bool or a list of memory formats."),
]

test_legacy_errors_are_pytorchs, test_pytorch_raises_the_same_legacy_errors = error_tests(
    LEGACY_ERRORS)


# ------------------------------------------------------------------ process flags


@pytest.fixture
def restored_process_flags():
    """Put back the flags a test changes (the inter-op count may be set once per process)."""
    from tinygrad_bn import process_settings
    saved = (list(process_settings._interop_threads), tg.is_warn_always_enabled(),
             tg.is_anomaly_enabled(), tg.is_anomaly_check_nan_enabled())
    yield process_settings
    process_settings._interop_threads[:] = saved[0]
    tg.set_warn_always(saved[1])
    tg.set_anomaly_enabled(saved[2], saved[3])


def test_interop_threads_may_be_set_once(restored_process_flags):
    restored_process_flags._interop_threads[1] = False
    assert tg.get_num_interop_threads() >= 1
    tg.set_num_interop_threads(3)
    assert tg.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="Error: cannot set number of interop threads after "
                                           "parallel work has started or set_num_interop_threads "
                                           "called"):
        tg.set_num_interop_threads(2)
    assert tg.init_num_threads() is None


def test_warn_always_repeats_once_per_process_warnings(restored_process_flags):
    assert tg.is_warn_always_enabled() is False
    tg.set_warn_always(True)
    assert tg.is_warn_always_enabled() is True
    x = tg.zeros((), requires_grad=True)
    for _ in range(2):
        with pytest.warns(UserWarning, match="Converting a tensor with requires_grad=True"):
            float(x)
    tg.set_warn_always(False)


def test_anomaly_flags(restored_process_flags):
    tg.set_anomaly_enabled(False)
    assert tg.is_anomaly_check_nan_enabled() is True and tg.is_anomaly_enabled() is False
    tg.set_anomaly_enabled(True, False)
    assert tg.is_anomaly_enabled() is True and tg.is_anomaly_check_nan_enabled() is False
    tg.set_anomaly_enabled(True)
    x = tg.tensor([-1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="returned nan values"):
        x.sqrt().mul(0).sum().backward()
    tg.set_anomaly_enabled(False)


def test_storage_distributed_fill_and_build_flags():
    x = tg.zeros(2, requires_grad=True)
    assert tg.is_storage(x) is False and tg.is_distributed(x) is False
    filled = tg.fill(x, 3.0)
    assert filled.tolist() == [3.0, 3.0] and filled.requires_grad and x.tolist() == [0.0, 0.0]
    value = tg.tensor(2.0, requires_grad=True)
    tg.fill(tg.zeros(3), value).sum().backward()
    assert value.grad.item() == 3.0
    assert tg.fill(tg.zeros(2, dtype=tg.int64), 2.7).tolist() == [2, 2]
    assert (tg.has_lapack, tg.has_spectral, tg.has_openmp) == (True, True, False)
    assert isinstance(tg.has_mkl, bool)
    torch = pytest.importorskip("torch")
    assert torch.fill(torch.zeros(2, dtype=torch.int64), 2.7).tolist() == [2, 2]
    assert torch.is_distributed(torch.zeros(2)) is False


PROCESS_ERRORS = [
    ("interop_zero", lambda lib: lib.set_num_interop_threads(0), RuntimeError,
     "set_num_interop_threads expects a positive integer"),
    ("interop_float", lambda lib: lib.set_num_interop_threads(2.0), RuntimeError,
     "set_num_interop_threads expects an int, but got float"),
    ("interop_bool", lambda lib: lib.set_num_interop_threads(True), RuntimeError,
     "set_num_interop_threads expects an int, but got bool"),
    ("warn_always_int", lambda lib: lib.set_warn_always(1), RuntimeError,
     "setWarnOnlyOnce expects a bool, but got int"),
    ("anomaly_int", lambda lib: lib.set_anomaly_enabled(1), TypeError,
     "set_anomaly_enabled(): argument 'enabled' (position 1) must be bool, not int"),
    ("anomaly_check_nan_int", lambda lib: lib.set_anomaly_enabled(False, 1), TypeError,
     "set_anomaly_enabled(): argument 'check_nan' (position 2) must be bool, not int"),
    ("is_distributed_number", lambda lib: lib.is_distributed(3), TypeError,
     "is_distributed(): argument 'input' (position 1) must be Tensor, not int"),
    ("fill_string", lambda lib: lib.fill(lib.zeros(2), "a"), TypeError,
     "fill() received an invalid combination of arguments - got (Tensor, str), but expected one "
     "of:"),
    ("fill_tensor_value", lambda lib: lib.fill(lib.zeros(2), lib.zeros(2)), RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
]

test_process_errors_are_pytorchs, test_pytorch_raises_the_same_process_errors = error_tests(
    PROCESS_ERRORS)


def test_set_under_no_grad_takes_a_parameter_new_memory():
    """How programs swap a parameter's data (PyTorch allows it without grad mode)."""
    for lib in _libraries():
        parameter = lib.zeros(2, requires_grad=True)
        with lib.no_grad():
            parameter.set_(lib.ones(3))
        assert parameter.tolist() == [1.0, 1.0, 1.0] and parameter.requires_grad
