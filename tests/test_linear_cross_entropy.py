"""``F.linear_cross_entropy``, ``nn.LinearCrossEntropyLoss`` and
``nn.LinearCrossEntropyOptions`` (PyTorch 2.13) against PyTorch: values and gradients (the
OpInfo and module_db samples run too), messages, the options' checks and warning, float64
finite-difference gradients."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.autograd import gradcheck

torch = pytest.importorskip("torch")


def _options(module, **kwargs):
    if "acc_dtype" in kwargs and kwargs["acc_dtype"] is not None:
        kwargs["acc_dtype"] = getattr(module, kwargs["acc_dtype"])
    return module.nn.LinearCrossEntropyOptions(**kwargs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("out_features, bias, options", [
    ((), False, None), ((), True, {}), ((3,), True, None), ((2, 2), False, None),
    ((), False, dict(batch_chunk_size=2)),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_module_matches_torch(dtype, out_features, bias, options, reduction):
    rng = np.random.default_rng(0)
    weight = np.exp(rng.standard_normal(5))
    kwargs = dict(out_features=out_features, bias=bias, reduction=reduction,
                  dtype=getattr(torch, dtype))
    theirs = torch.nn.LinearCrossEntropyLoss(
        4, 5, weight=torch.tensor(weight, dtype=getattr(torch, dtype)), **kwargs,
        options=None if options is None else _options(torch, **options))
    kwargs["dtype"] = getattr(tg, dtype)
    ours = nn.LinearCrossEntropyLoss(
        4, 5, weight=tg.tensor(weight, dtype=getattr(tg, dtype)), **kwargs,
        options=None if options is None else _options(tg, **options))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs).replace("torch.", "")
    ours.load_state_dict({k: tg.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((6, 4)).astype(dtype)
    target = rng.integers(0, 5, (6, *out_features))
    xa, xb = torch.tensor(x, requires_grad=True), tg.tensor(x, requires_grad=True)
    expected, got = theirs(xa, torch.tensor(target)), ours(xb, tg.tensor(target))
    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12,
                                                                            atol=1e-13)
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), **tolerance)
    expected.sum().backward(), got.sum().backward()
    np.testing.assert_allclose(xb.grad.numpy(), xa.grad.numpy(), **tolerance)
    np.testing.assert_allclose(ours.linear.weight.grad.numpy(),
                               theirs.linear.weight.grad.numpy(), **tolerance)


def test_gradcheck_float64():
    rng = np.random.default_rng(1)
    x = tg.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    w = tg.tensor(rng.standard_normal((5, 2, 3)), requires_grad=True)
    b = tg.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    target = tg.tensor(rng.integers(0, 5, (4, 2)))
    assert gradcheck(lambda x, w, b: nn.functional.linear_cross_entropy(
        x, w, target, linear_bias=b, label_smoothing=0.1), (x, w, b))
    probabilities = tg.tensor(rng.dirichlet(np.ones(5), 4))
    assert gradcheck(lambda x, w: nn.functional.linear_cross_entropy(
        x, w[:, 0], probabilities), (x, w))


@pytest.mark.parametrize("shapes, kwargs", [
    (((2, 2, 3), (5, 3), (2,)), {}),
    (((3,), (5,), ()), {}),
    (((2, 3), (5, 4), (2,)), {}),
    (((2, 3), (5, 3), (2,)), dict(linear_bias=(4,))),
    (((3,), (5, 2, 3), (2,)), {}),
    (((2, 3), (5, 3), "probabilities"), dict(ignore_index=1)),
])
def test_functional_errors_as_pytorch(shapes, kwargs):
    input_shape, weight_shape, target_shape = shapes

    def call(module):
        target = (module.softmax(module.ones(2, 5), 1) if target_shape == "probabilities"
                  else module.zeros(target_shape, dtype=module.int64))
        extra = dict(kwargs)
        if "linear_bias" in extra:
            extra["linear_bias"] = module.zeros(extra["linear_bias"])
        return module.nn.functional.linear_cross_entropy(
            module.zeros(input_shape), module.zeros(weight_shape), target, **extra)
    with pytest.raises(RuntimeError) as expected:
        call(torch)
    with pytest.raises(RuntimeError) as got:
        call(tg)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("kwargs", [dict(acc_policy="fast"), dict(chunking_method="rows"),
                                    dict(chunking_method="aspect_ratio:0"),
                                    dict(batch_chunk_size=0), dict(batch_chunk_size=2.0),
                                    dict(acc_dtype="int32")])
def test_options_checks_as_pytorch(kwargs):
    with pytest.raises(ValueError) as expected:
        _options(torch, **kwargs)
    with pytest.raises(ValueError) as got:
        _options(tg, **kwargs)
    if "acc_dtype" in kwargs:  # the dtype's repr is this framework's own
        assert str(got.value).split(", got")[0] == str(expected.value).split(", got")[0]
    else:
        assert str(got.value) == str(expected.value)
    assert _options(tg, chunking_method="aspect_ratio:3").chunking_method == "aspect_ratio:3"
    with pytest.raises(dataclasses_frozen_error()):
        _options(tg).acc_policy = "accurate"


def dataclasses_frozen_error():
    import dataclasses
    return dataclasses.FrozenInstanceError


def test_conflicting_chunk_size_and_ignored_options_as_pytorch():
    def call(module, options, **kwargs):
        return module.nn.functional.linear_cross_entropy(
            module.ones(8, 4), module.ones(5, 4), module.zeros(8, dtype=module.int64),
            options=options, **kwargs)
    with pytest.raises(ValueError) as expected:
        call(torch, _options(torch, batch_chunk_size=3, chunking_method="aspect_ratio"))
    with pytest.raises(ValueError) as got:
        call(tg, _options(tg, batch_chunk_size=3, chunking_method="aspect_ratio"))
    assert str(got.value) == str(expected.value)
    for kwargs in (dict(label_smoothing=0.2), dict(reduction="sum")):
        with warnings.catch_warnings(record=True) as expected:
            warnings.simplefilter("always")
            call(torch, _options(torch), **kwargs)
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            call(tg, _options(tg), **kwargs)
        assert [str(w.message).replace("torch.", "") for w in got] == [
            str(w.message).replace("torch.", "") for w in expected]


def test_half_precision_accumulates_in_float32_with_options():
    """With options, PyTorch's chunked kernel on the CPU computes float16 in float32 and
    rounds once; so does this (without options, the float16 reference path)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 8)).astype(np.float16)
    w = rng.standard_normal((30, 8)).astype(np.float16)
    t = rng.integers(0, 30, 16)
    for options in (None, {}):
        expected = torch.nn.functional.linear_cross_entropy(
            torch.tensor(x), torch.tensor(w), torch.tensor(t),
            options=None if options is None else _options(torch, **options))
        got = nn.functional.linear_cross_entropy(
            tg.tensor(x), tg.tensor(w), tg.tensor(t),
            options=None if options is None else _options(tg, **options))
        assert got.dtype == tg.float16
        np.testing.assert_allclose(got.item(), expected.item(), rtol=2e-3)


def test_module_constructor_errors_as_pytorch():
    for kwargs in (dict(weight="bad"), dict(label_smoothing=1.5)):
        def make(module):
            extra = dict(kwargs)
            if "weight" in extra:
                extra["weight"] = module.ones(4)
            return module.nn.LinearCrossEntropyLoss(3, 5, **extra)
        with pytest.raises(RuntimeError) as expected:
            make(torch)
        with pytest.raises(RuntimeError) as got:
            make(tg)
        assert str(got.value) == str(expected.value)
    assert isinstance(nn.LinearCrossEntropyLoss(3, 5), nn.modules.loss._WeightedLoss)
    assert nn.modules.linear_cross_entropy_options.LinearCrossEntropyOptions is \
        nn.LinearCrossEntropyOptions
