"""``nn.grad`` (convolution gradients), the deprecated ``nn.init`` names and
``nn.utils.clip_grad_norm``, ``nn.init.sparse_`` and the fan helpers, ``nn.utils.skip_init``,
``Module.to_empty`` and ``LazyConvTranspose3d``, against PyTorch."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn import nn
from tinygrad_bn.autograd import gradcheck

torch = pytest.importorskip("torch")

CONV_CASES = [
    (1, (2, 4, 11), (6, 2, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    (1, (1, 3, 7), (2, 3, 2), {}),
    (2, (2, 4, 9, 8), (6, 2, 3, 2), dict(stride=2, padding=1, dilation=(1, 2), groups=2)),
    (2, (1, 2, 5, 5), (3, 2, 3, 3), dict(padding=(2, 0))),
    (3, (1, 2, 5, 4, 6), (4, 1, 2, 3, 2), dict(stride=(1, 2, 2), padding=1, groups=2)),
]


@pytest.mark.parametrize("dims, input_shape, weight_shape, options", CONV_CASES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_conv_input_and_weight_gradients_match_torch(dims, input_shape, weight_shape, options,
                                                     dtype):
    rng = np.random.default_rng(dims)
    x = rng.standard_normal(input_shape).astype(dtype)
    w = rng.standard_normal(weight_shape).astype(dtype)
    conv = getattr(torch.nn.functional, f"conv{dims}d")
    grad_output = rng.standard_normal(tuple(conv(torch.tensor(x), torch.tensor(w),
                                                 **options).shape)).astype(dtype)
    tolerance = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12,
                                                                            atol=1e-12)
    expected = getattr(torch.nn.grad, f"conv{dims}d_input")(
        input_shape, torch.tensor(w), torch.tensor(grad_output), **options)
    got = getattr(nn.grad, f"conv{dims}d_input")(input_shape, tg.tensor(w),
                                                 tg.tensor(grad_output), **options)
    assert got.dtype == getattr(tg, dtype) and got.shape == input_shape
    np.testing.assert_allclose(got.numpy(), expected.numpy(), **tolerance)
    expected = getattr(torch.nn.grad, f"conv{dims}d_weight")(
        torch.tensor(x), weight_shape, torch.tensor(grad_output), **options)
    got = getattr(nn.grad, f"conv{dims}d_weight")(tg.tensor(x), weight_shape,
                                                  tg.tensor(grad_output), **options)
    assert got.shape == weight_shape
    np.testing.assert_allclose(got.numpy(), expected.numpy(), **tolerance)


def test_conv_gradients_are_differentiable():
    """The results carry a graph to the tensors given, checked by finite differences, and
    none when nothing requires grad."""
    rng = np.random.default_rng(5)
    w = tg.tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    grad_output = tg.tensor(rng.standard_normal((1, 3, 3, 3)), requires_grad=True)
    assert gradcheck(lambda w, g: nn.grad.conv2d_input((1, 2, 4, 4), w, g), (w, grad_output))
    x = tg.tensor(rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    assert gradcheck(lambda x, g: nn.grad.conv2d_weight(x, (3, 2, 2, 2), g), (x, grad_output))
    plain = nn.grad.conv2d_input((1, 2, 4, 4), w.detach(), grad_output.detach())
    assert not plain.requires_grad and plain.grad_fn is None
    with tg.no_grad():
        assert not nn.grad.conv2d_input((1, 2, 4, 4), w, grad_output).requires_grad


DEPRECATED = [("uniform", (3, 4), (0.0, 1.0)), ("normal", (3, 4), ()), ("constant", (3, 4), (2.5,)),
              ("eye", (3, 4), ()), ("dirac", (4, 2, 3), ()), ("xavier_uniform", (3, 4), ()),
              ("xavier_normal", (3, 4), ()), ("kaiming_uniform", (3, 4), ()),
              ("kaiming_normal", (3, 4), ()), ("orthogonal", (3, 4), ()),
              ("sparse", (5, 4), (0.4,))]


@pytest.mark.parametrize("name, shape, args", DEPRECATED)
def test_deprecated_init_names_warn_as_pytorch(name, shape, args):
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        getattr(torch.nn.init, name)(torch.empty(shape), *args)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        tensor = tg.empty(shape)
        result = getattr(nn.init, name)(tensor, *args)
    assert [(w.category, str(w.message)) for w in got] == [
        (w.category, str(w.message)) for w in expected]
    assert got[0].filename == __file__
    assert result is tensor
    assert getattr(nn.init, name).__name__ == name
    tg.manual_seed(0)
    first = getattr(nn.init, f"{name}_")(tg.empty(shape), *args).numpy()
    tg.manual_seed(0)
    with pytest.warns(FutureWarning):
        again = getattr(nn.init, name)(tg.empty(shape), *args).numpy()
    np.testing.assert_array_equal(first, again)


def test_sparse_init_as_pytorch():
    """``ceil(sparsity * rows)`` zeros in each column, the rest from N(0, std); PyTorch's
    errors."""
    tensor = tg.empty(10, 6)
    nn.init.sparse_(tensor, sparsity=0.25, std=2.0)
    values = tensor.numpy()
    assert ((values == 0).sum(axis=0) == 3).all()
    assert 0.5 < values[values != 0].std() < 4.0
    with pytest.raises(ValueError) as expected:
        torch.nn.init.sparse_(torch.empty(3), 0.1)
    with pytest.raises(ValueError) as got:
        nn.init.sparse_(tg.empty(3), 0.1)
    assert str(got.value) == str(expected.value)


def test_fan_helpers_as_pytorch():
    for shape in ((3, 4), (5, 2, 3, 3), (2, 7, 0)):
        assert nn.init._calculate_fan_in_and_fan_out(tg.empty(shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        for mode in ("fan_in", "FAN_OUT"):
            assert nn.init._calculate_correct_fan(tg.empty(shape), mode) == \
                torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    for action in (lambda init, t: init._calculate_correct_fan(t((3, 3)), "fan"),
                   lambda init, t: init._calculate_fan_in_and_fan_out(t((3,))),
                   lambda init, t: init.kaiming_uniform_(t((3, 3)), mode="fanin")):
        with pytest.raises(ValueError) as expected:
            action(torch.nn.init, torch.empty)
        with pytest.raises(ValueError) as got:
            action(nn.init, tg.empty)
        assert str(got.value) == str(expected.value)


def test_clip_grad_norm_deprecated_alias():
    def setup(module):
        layer = module.nn.Linear(3, 2)
        layer.weight.grad = module.ones(2, 3) * 2
        layer.bias.grad = module.ones(2)
        return layer
    theirs, ours = setup(torch), setup(tg)
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        total_a = torch.nn.utils.clip_grad_norm(theirs.parameters(), 1.0)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        total_b = nn.utils.clip_grad_norm(ours.parameters(), 1.0)
    assert [(w.category, str(w.message)) for w in got] == [
        (w.category, str(w.message)) for w in expected]
    np.testing.assert_allclose(total_b.item(), total_a.item(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-6)


def test_skip_init_and_to_empty():
    layer = nn.utils.skip_init(nn.Linear, 5, 2, bias=True)
    assert isinstance(layer, nn.Linear) and layer.weight.shape == (2, 5)
    assert layer.weight.requires_grad and layer.bias.shape == (2,)
    layer = nn.utils.skip_init(nn.Conv2d, in_channels=3, out_channels=4, kernel_size=3,
                               device="cpu", dtype=tg.float64)
    assert layer.weight.dtype == tg.float64
    for action, error in ((lambda u, n_: u.skip_init(n_.ReLU), RuntimeError),
                          (lambda u, n_: u.skip_init(int), RuntimeError)):
        with pytest.raises(error) as expected:
            action(torch.nn.utils, torch.nn)
        with pytest.raises(error) as got:
            action(nn.utils, nn)
        assert str(got.value).replace("tinygrad_bn.", "") == str(expected.value).replace(
            "torch.", "")
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    weight, running_mean = model[0].weight, model[1].running_mean
    model(tg.randn(4, 2)).sum().backward()
    assert model.to_empty(device="cpu") is model
    assert model[0].weight is weight and model[1].running_mean is running_mean
    assert model[0].weight.shape == (3, 2) and model[0].weight.grad.shape == (3, 2)
    assert model[1].num_batches_tracked.dtype == tg.int64
    model[0].weight.data.fill_(1.0)  # the new storage is writable and used
    assert model[0](tg.ones(1, 2)).shape == (1, 3)
    outer = nn.Linear(2, 2)
    outer.inner = nn.Linear(2, 2)
    inner_array = outer.inner.weight._array
    outer.to_empty(device=None, recurse=False)
    assert outer.inner.weight._array is inner_array
    with pytest.raises(TypeError):
        outer.to_empty("cpu")  # keyword-only, as PyTorch's


def test_lazy_conv_transpose3d():
    lazy = nn.LazyConvTranspose3d(4, 3, stride=2, output_padding=1, groups=2)
    reference = torch.nn.LazyConvTranspose3d(4, 3, stride=2, output_padding=1, groups=2)
    x = np.random.default_rng(6).standard_normal((1, 6, 2, 3, 2)).astype(np.float32)
    assert lazy(tg.tensor(x)).shape == tuple(reference(torch.tensor(x)).shape)
    assert type(lazy) is nn.ConvTranspose3d and type(reference) is torch.nn.ConvTranspose3d
    assert repr(lazy) == repr(reference)
    assert lazy.weight.shape == tuple(reference.weight.shape) == (6, 2, 3, 3, 3)
