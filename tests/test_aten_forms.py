"""The top-level ATen forms and ``nn.functional`` aliases added with the copies: the pools'
``*_with_indices`` forms, ``torch.max_pool3d``, ``torch.max_pool1d_with_indices``,
``torch.convolution``, ``torch.conv_transpose3d``, ``torch.constant_pad_nd``,
``torch.bilinear``, ``torch.channel_shuffle``/``native_channel_shuffle``, ``F.pdist``, and the
in-place and feature forms of dropout: values and float64 gradients against PyTorch, finite
differences, and the error messages."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(5)
X1 = RNG.standard_normal((2, 3, 9))
X2 = RNG.standard_normal((2, 3, 7, 6))
X3 = RNG.standard_normal((1, 2, 5, 6, 4))
W1 = RNG.standard_normal((4, 3, 3))
WT3 = RNG.standard_normal((2, 3, 2, 2, 2))
B4 = RNG.standard_normal(4)
P = RNG.standard_normal((5, 3))
BI_W = RNG.standard_normal((2, 3, 4))

# name, call(lib, F, *tensors), arrays (all require grad in float64)
CASES = [
    ("F.max_pool1d_with_indices", lambda lib, F, x: F.max_pool1d_with_indices(x, 3, 2, 1), [X1]),
    ("F.max_pool2d_with_indices", lambda lib, F, x: F.max_pool2d_with_indices(
        x, (3, 2), ceil_mode=True), [X2]),
    ("F.max_pool3d_with_indices", lambda lib, F, x: F.max_pool3d_with_indices(x, 2, dilation=2),
     [X3]),
    ("F.adaptive_max_pool1d_with_indices",
     lambda lib, F, x: F.adaptive_max_pool1d_with_indices(x, 4), [X1]),
    ("F.adaptive_max_pool2d_with_indices",
     lambda lib, F, x: F.adaptive_max_pool2d_with_indices(x, (3, None)), [X2]),
    ("F.adaptive_max_pool3d_with_indices",
     lambda lib, F, x: F.adaptive_max_pool3d_with_indices(x, 2), [X3]),
    ("F.fractional_max_pool2d_with_indices",
     lambda lib, F, x: F.fractional_max_pool2d_with_indices(
         x, 2, output_size=(3, 3), _random_samples=lib.tensor([[[0.3, 0.7]] * 3] * 2,
                                                              dtype=x.dtype)), [X2]),
    ("F.fractional_max_pool3d_with_indices",
     lambda lib, F, x: F.fractional_max_pool3d_with_indices(
         x, 2, output_size=(2, 3, 2), _random_samples=lib.tensor([[[0.3, 0.7, 0.5]] * 2],
                                                                 dtype=x.dtype)), [X3]),
    ("max_pool3d", lambda lib, F, x: lib.max_pool3d(x, 2, (), 1), [X3]),
    ("max_pool1d_with_indices", lambda lib, F, x: lib.max_pool1d_with_indices(x, 2), [X1]),
    ("convolution", lambda lib, F, x, w, b: lib.convolution(x, w, b, [2], [1], [1], False, [0],
                                                            1), [X1, W1, B4]),
    ("convolution transposed", lambda lib, F, x, w: lib.convolution(
        x, w, None, [2, 1], [1, 0], [1, 1], True, [1, 0], 1), [X2, W1.transpose(1, 0, 2)[
            :3, :, :, None].repeat(2, 3)]),
    ("conv_transpose3d", lambda lib, F, x, w: lib.conv_transpose3d(x, w, None, 2, 0, 1, 1),
     [X3, WT3[:, :2] if False else RNG.standard_normal((2, 3, 2, 2, 2))]),
    ("constant_pad_nd", lambda lib, F, x: lib.constant_pad_nd(x, [1, -2, 0, 3], 2.5), [X2]),
    ("bilinear", lambda lib, F, a, b, w: lib.bilinear(a, b, w), [P[:, :3], P[:, :1].repeat(4, 1),
                                                                 RNG.standard_normal((2, 3, 4))]),
    ("channel_shuffle", lambda lib, F, x: lib.channel_shuffle(x.reshape(2, 6, 7, 3), 3), [X2]),
    ("native_channel_shuffle", lambda lib, F, x: lib.native_channel_shuffle(x, 3), [X2]),
    ("F.native_channel_shuffle", lambda lib, F, x: F.native_channel_shuffle(x, 1), [X2]),
    ("F.pdist", lambda lib, F, x: F.pdist(x, 1.5), [P]),
    ("conv_tbc", lambda lib, F, x, w, b: lib.conv_tbc(x, w, b, 1),
     [X1.transpose(2, 0, 1), W1.transpose(2, 1, 0), B4]),
    ("F.conv_tbc", lambda lib, F, x, w, b: F.conv_tbc(x, w, b),
     [X1.transpose(2, 0, 1), W1.transpose(2, 1, 0), B4]),
]


def _inputs(lib, arrays, dtype, grad):
    return [lib.tensor(np.ascontiguousarray(a), dtype=getattr(lib, dtype), requires_grad=grad)
            for a in arrays]


def _pieces(result):
    return list(result) if isinstance(result, tuple) else [result]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_are_pytorchs(name, call, arrays, dtype):
    torch = pytest.importorskip("torch")
    # PyTorch's native_channel_shuffle has no derivative ("not implemented"); ours is
    # channel_shuffle's, compared by value only
    grad = dtype == "float64" and "native" not in name
    results = []
    for lib in (tg, torch):
        inputs = _inputs(lib, arrays, dtype, grad)
        outs = _pieces(call(lib, lib.nn.functional, *inputs))
        if grad:
            floating = [o for o in outs if o.requires_grad]
            seeds = [lib.tensor(np.random.default_rng(1).standard_normal(tuple(o.shape)))
                     for o in floating]
            lib.autograd.backward(floating, seeds)
        results.append((outs, [t.grad for t in inputs] if grad else []))
    (ours, our_grads), (theirs, their_grads) = results
    tolerance = 1e-12 if grad else 2e-5  # (conv_tbc: PyTorch's kernel sums in its own order)
    for our, their in zip(ours, theirs, strict=True):
        assert tuple(our.shape) == tuple(their.shape)
        assert str(our.dtype)[-5:] == str(their.dtype)[-5:]
        np.testing.assert_allclose(our.detach().numpy(), their.detach().numpy(), rtol=tolerance,
                                   atol=tolerance)
    for our, their in zip(our_grads, their_grads, strict=True):
        np.testing.assert_allclose(our.numpy(), their.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, call, arrays", CASES, ids=[c[0] for c in CASES])
def test_gradients_match_finite_differences(name, call, arrays):
    """(``native_channel_shuffle`` too: ours is differentiable, PyTorch's backward raises.)"""
    inputs = _inputs(tg, arrays, "float64", True)

    def values(*tensors):
        return tuple(o for o in _pieces(call(tg, tg.nn.functional, *tensors))
                     if o.dtype == tg.float64)
    assert tg.autograd.gradcheck(values, tuple(inputs))


def test_dropout_forms():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        x = lib.ones(4, 6, 5)
        assert lib.dropout_(x, 0.5, True) is x
        kept = x[:, :, 0] != 0
        assert set(np.unique(x.numpy())) <= {0.0, 2.0}
        y = lib.ones(4, 6, 5)
        out = lib.feature_dropout(y, 0.5, True)
        # whole (sample, channel) slices: each is all zeros or all 2
        assert np.all(out.numpy().min(-1) == out.numpy().max(-1)) and y.numpy().min() == 1
        assert lib.feature_dropout_(y, 0.5, True) is y and np.all(
            y.numpy().min(-1) == y.numpy().max(-1))
        z = lib.ones(3, 4)
        assert lib.alpha_dropout_(z, 0.5, False) is z and z.numpy().min() == 1
        assert lib.feature_alpha_dropout_(z, 0.2, True) is z
        assert kept.numpy().any()


ERRORS = [
    ("convolution of a 2-D weight",
     lambda lib: lib.convolution(lib.zeros(1, 2, 5), lib.zeros(3, 2), None, [1], [0], [1], False,
                                 [0], 1), RuntimeError,
     "weight should have at least three dimensions"),
    ("constant_pad_nd odd pad", lambda lib: lib.constant_pad_nd(lib.ones(2, 2), [1]),
     RuntimeError, "Length of pad must be even but instead it equals 1"),
    ("constant_pad_nd long pad", lambda lib: lib.constant_pad_nd(lib.ones(2, 2), [1] * 6),
     RuntimeError, "Length of pad should be no more than twice the number of dimensions of the "
                   "input. Pad length is 6while the input has 2dimensions."),
    ("feature_dropout of 1-D", lambda lib: lib.feature_dropout(lib.ones(3), 0.5, True),
     RuntimeError, "Feature dropout requires at least 2 dimensions in the input"),
    ("channel_shuffle groups", lambda lib: lib.channel_shuffle(lib.ones(1, 4, 2), 3),
     RuntimeError, "Number of channels must be divisible by groups. Got 4 channels and 3 groups."),
    ("conv_tbc bias", lambda lib: lib.conv_tbc(lib.zeros(7, 2, 3), lib.zeros(3, 3, 4),
                                               lib.zeros(2)), RuntimeError,
     "Bias size must equal dim 2 in the weight tensor (output channels)."),
    ("conv_tbc channels", lambda lib: lib.conv_tbc(lib.zeros(7, 2, 3), lib.zeros(3, 2, 4),
                                                   lib.zeros(4)), RuntimeError,
     "Input dim 2 (input channels) is not == dim 1 in the weight tensor"),
    ("conv_tbc input dims", lambda lib: lib.conv_tbc(lib.zeros(2, 3), lib.zeros(3, 3, 4),
                                                     lib.zeros(4)), RuntimeError,
     "Input must have 3 dims: time, batch, in_channel"),
    ("F.pdist of 3-D", lambda lib: lib.nn.functional.pdist(lib.ones(1, 4, 2)), RuntimeError,
     "pdist only supports 2D tensors, got: 3D"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
