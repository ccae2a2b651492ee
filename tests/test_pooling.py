"""Pooling: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d``,
``adaptive_max_pool1d/2d`` and their modules. One table of cases, each gradient-checked in
float64 against finite differences and compared with PyTorch (values, indices, gradients)
when it is installed; ties, NaN and all--inf windows as PyTorch's CPU kernel picks them; every
error message; module reprs."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pooling_checks import check_against_pytorch, check_gradient

from pytorch_errors import error_tests

# (function name, input shape, positional arguments, keyword arguments)
CASES = [
    ("max_pool2d", (2, 3, 6, 6), (2,), {}),
    ("max_pool2d", (2, 3, 7, 6), (3, 2, 1), {"return_indices": True}),
    ("max_pool2d", (2, 2, 7, 6), ((3, 2), (2, 1), 1, (1, 2), True, True), {}),
    ("max_pool2d", (3, 7, 7), (3,), {"stride": 2, "padding": 1, "return_indices": True}),
    ("max_pool2d", (1, 1, 5, 5), (2,), {"ceil_mode": True}),
    ("max_pool2d", (0, 2, 5, 5), (2,), {}),
    ("max_pool2d", (2, 2, 6, 6), (3,), {"stride": 1}),
    ("max_pool1d", (2, 3, 9), (3, 2, 1), {"return_indices": True}),
    ("max_pool1d", (2, 3, 9), (3, 2, 1, 2, True), {}),
    ("max_pool1d", (3, 8), (2,), {}),
    ("avg_pool2d", (2, 3, 6, 6), (2,), {}),
    ("avg_pool2d", (2, 3, 9, 9), (3, 2, 1, True, False), {}),
    ("avg_pool2d", (1, 3, 9, 9), ((6, 6), (3, 3), (2, 3), True, True, 2), {}),
    ("avg_pool2d", (1, 3, 9, 9), ((4, 4), (2, 3), 1, True, False), {}),
    ("avg_pool2d", (1, 1, 4, 4), ((2, 2), (), (0,), False, True, -2), {}),
    ("avg_pool2d", (3, 6, 6), ((2, 2), (2, 2), (1, 1)), {"divisor_override": 1}),
    ("avg_pool1d", (1, 3, 9), (3, 1, 1, True, False), {}),
    ("avg_pool1d", (2, 3, 9), ((6,), (3,), (2,), True, True), {}),
    ("avg_pool1d", (3, 6), (2,), {}),
    ("adaptive_avg_pool2d", (2, 3, 8, 7), ((5, None),), {}),
    ("adaptive_avg_pool2d", (3, 8, 7), (3,), {}),
    ("adaptive_avg_pool2d", (1, 2, 4, 3), (5,), {}),
    ("adaptive_avg_pool2d", (1, 2, 4, 3), ((1, 1),), {}),
    ("adaptive_avg_pool1d", (3, 8, 7), (3,), {}),
    ("adaptive_avg_pool1d", (8, 7), ((5,),), {}),
    ("adaptive_max_pool2d", (2, 3, 8, 7), ((5, None), True), {}),
    ("adaptive_max_pool2d", (3, 8, 7), (3,), {}),
    ("adaptive_max_pool2d", (1, 2, 4, 3), (5,), {"return_indices": True}),
    ("adaptive_max_pool2d", (2, 2, 5, 6), ((1, 1),), {}),
    ("adaptive_max_pool1d", (3, 8, 7), (3, True), {}),
    ("adaptive_max_pool1d", (8, 7), ((5,),), {}),
]
IDS = [f"{name}-{index}" for index, (name, *_) in enumerate(CASES)]


@pytest.mark.parametrize("name, shape, args, kwargs", CASES, ids=IDS)
def test_gradcheck(name, shape, args, kwargs):
    check_gradient(name, shape, args, kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, shape, args, kwargs", CASES, ids=IDS)
def test_matches_pytorch(name, shape, args, kwargs, dtype):
    check_against_pytorch(name, shape, args, kwargs, dtype)


def _pool_both(values, function, *args, **kwargs):
    """``function`` run on ``values`` in both libraries: (ours, theirs) values, indices and
    input gradients (of the sum)."""
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        x = module.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
        out, indices = getattr(module.nn.functional, function)(x, *args, return_indices=True,
                                                               **kwargs)
        out.sum().backward()
        results.append((out.detach().numpy(), indices.numpy(), x.grad.numpy()))
    return results


@pytest.mark.parametrize("values, args, kwargs", [
    ([[[[1.0, 1.0], [1.0, 1.0]]]], (2,), {}),  # ties: the first maximum takes the gradient
    ([[[[1.0, 2.0, 1.0, 2.0]]]], ((1, 2), 1), {}),  # overlapping windows share an element
    ([[[[3.0, 3.0, 3.0], [3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]]], (2, 1), {}),
    ([[[[np.nan, 1.0], [np.nan, 1.0]]]], (2,), {}),  # a NaN wins, the last one
    ([[[[1.0, np.nan], [5.0, 2.0]]]], (2,), {}),
    ([[[[-np.inf, -np.inf], [-np.inf, -np.inf]]]], (2,), {"padding": 1}),  # padding never
    ([[[[-np.inf, -np.inf, -np.inf]]]], ((1, 3),), {"padding": (0, 1), "stride": 1}),
])
def test_max_pool_picks_as_pytorch(values, args, kwargs):
    (ours, theirs) = _pool_both(values, "max_pool2d", *args, **kwargs)
    for mine, reference in zip(ours, theirs):
        np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("values", [
    [[[[1.0, np.nan, np.nan], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]]]],
    [[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]]],
    [[[[-np.inf] * 3] * 3]],
])
def test_adaptive_max_pool_picks_as_pytorch(values):
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        x = module.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
        out, indices = module.nn.functional.adaptive_max_pool2d(x, 2, return_indices=True)
        out.sum().backward()  # overlapping windows: a shared maximum gets both gradients
        results.append((out.detach().numpy(), indices.numpy(), x.grad.numpy()))
    for mine, reference in zip(*results):
        np.testing.assert_array_equal(mine, reference)


def test_max_pool_integers_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).integers(-5, 5, (2, 3, 7, 7))
    for dtype in ("int64", "int32", "int16", "int8", "uint8"):
        a = x.astype(dtype)
        out, indices = tg.nn.functional.max_pool2d(tg.tensor(a), 3, 2, 1, return_indices=True)
        expected = torch.nn.functional.max_pool2d(torch.tensor(a), 3, 2, 1, return_indices=True)
        assert str(out.dtype) == dtype
        np.testing.assert_array_equal(out.numpy(), expected[0].numpy())
        np.testing.assert_array_equal(indices.numpy(), expected[1].numpy())


def test_avg_pool_int64_rounds_toward_zero_as_pytorch():
    torch = pytest.importorskip("torch")
    x = np.arange(-20, 16).reshape(1, 1, 6, 6)
    for args in ((2,), (3, 1, 1), (3, 2, 1, True, False), ((2, 2), None, 0, False, True, -3)):
        out = tg.nn.functional.avg_pool2d(tg.tensor(x), *args)
        expected = torch.nn.functional.avg_pool2d(torch.tensor(x), *args)
        assert out.dtype == tg.int64
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("name, args", [("avg_pool2d", (3, 2, 1)), ("max_pool2d", (3, 2, 1)),
                                        ("adaptive_avg_pool2d", ((3, 5),))])
def test_float16_matches_pytorch(name, args):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 9)).astype(np.float16)
    out = getattr(tg.nn.functional, name)(tg.tensor(x), *args)
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
    assert out.dtype == tg.float16
    np.testing.assert_allclose(out.numpy().astype(np.float64),
                               expected.numpy().astype(np.float64), rtol=1e-3, atol=1e-5)


def test_indices_are_not_in_the_graph():
    x = tg.randn(1, 2, 4, 4, requires_grad=True)
    out, indices = tg.nn.functional.max_pool2d(x, 2, return_indices=True)
    assert out.grad_fn is not None and indices.grad_fn is None and not indices.requires_grad
    assert repr(out.grad_fn) == ("MaxPool(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0), "
                                 "dilation=(1, 1), ceil_mode=False)")


# ---------------------------------------------------------------- errors

X = (2, 4, 6, 6)

# (name, call against a module m (tinygrad_bn or torch), error type, PyTorch 2.13's message)
ERRORS = [
    ("max2_dims", lambda m: m.nn.functional.max_pool2d(m.ones(6, 6), 2), RuntimeError,
     "non-empty 3D or 4D (batch mode) tensor expected for input"),
    ("max2_empty_plane", lambda m: m.nn.functional.max_pool2d(m.ones(1, 0, 6, 6), 2),
     RuntimeError, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
     "input, but got:[1, 0, 6, 6]"),
    ("max2_empty_unbatched", lambda m: m.nn.functional.max_pool2d(m.ones(0, 6, 6), 2),
     RuntimeError, "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
     "input, but got:[0, 6, 6]"),
    ("max2_kernel_zero", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 0), RuntimeError,
     "stride should not be zero"),
    ("max2_kernel_negative", lambda m: m.nn.functional.max_pool2d(m.ones(*X), -1), RuntimeError,
     "kernel size should be greater than zero, but got kH: -1 kW: -1"),
    ("max2_stride_negative", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 2, -1),
     RuntimeError, "stride should be greater than zero, but got dH: -1 dW: -1"),
    ("max2_kernel_length", lambda m: m.nn.functional.max_pool2d(m.ones(*X), (2, 2, 2)),
     RuntimeError, "max_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    ("max2_stride_length", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 2, (1, 1, 1)),
     RuntimeError, "max_pool2d: stride must either be omitted, a single int, or a tuple of two "
     "ints"),
    ("max2_padding_length", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 2, 2, (1, 1, 1)),
     RuntimeError, "max_pool2d: padding must either be a single int, or a tuple of two ints"),
    ("max2_dilation_length", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 2, 2, 0,
                                                                  (1, 1, 1)), RuntimeError,
     "max_pool2d: dilation must be either a single int, or a tuple of two ints"),
    ("max2_padding_negative", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 2, padding=-1),
     RuntimeError, "pad must be non-negative, but got pad: -1"),
    ("max2_padding_big", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 3, padding=2),
     RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, "
     "kernel_size=3 and dilation=1"),
    ("max2_padding_dilated", lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 9, 9), 3,
                                                                  dilation=2, padding=2),
     RuntimeError, "pad should be smaller than or equal to half of kernel size, but got padW = "
     "2, padH = 2, kW = 3, kH = 3"),
    ("max2_dilation_zero", lambda m: m.nn.functional.max_pool2d(m.ones(*X), 2, dilation=0),
     RuntimeError, "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    ("max2_too_small", lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 1, 6), 2),
     RuntimeError, "Given input size: (1x1x6). Calculated output size: (1x0x3). Output size is "
     "too small"),
    ("max2_bool", lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 4, 4, dtype=m.bool), 2),
     NotImplementedError, "\"max_pool2d\" not implemented for 'Bool'"),
    ("max1_dims", lambda m: m.nn.functional.max_pool1d(m.ones(6), 2), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
     "input, but got:[6]"),
    ("max1_empty", lambda m: m.nn.functional.max_pool1d(m.ones(1, 0, 10), 1), RuntimeError,
     "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
     "input, but got:[1, 0, 10]"),
    ("max1_kernel_length", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), (2, 2)),
     RuntimeError, "max_pool1d() kernel_size must be an int, list of ints or tuple of ints of "
     "size 1 but got size 2"),
    ("max1_stride_length", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 2, (1, 1)),
     RuntimeError, "max_pool1d() stride must be None, an int, list of ints, or tuple of ints of "
     "size 1 but got size 2"),
    ("max1_padding_length", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 2, 2,
                                                                 (1, 1)), RuntimeError,
     "max_pool1d() padding must be an int, list of ints, or tuple of ints of size 1 but got "
     "size 2"),
    ("max1_dilation_length", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 2, 2, 0,
                                                                  (1, 1)), RuntimeError,
     "max_pool1d() dilation must be an int, list of ints or tuple of ints of size 1 but got "
     "size 2"),
    ("max1_kernel_zero", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 0),
     RuntimeError, "max_pool1d() kernel_size must be greater than zero, but got 0"),
    ("max1_stride_zero", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 2, 0),
     RuntimeError, "max_pool1d() stride must be greater than zero, but got 0"),
    ("max1_padding_negative", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 2,
                                                                   padding=-1), RuntimeError,
     "max_pool1d() padding must be non-negative, but got -1"),
    ("max1_padding_big", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 2, 1, 3, 0),
     RuntimeError, "max_pool1d() padding should be at most half of kernel size, but got "
     "padding=3 and kernel_size=2"),
    ("max1_dilation_zero", lambda m: m.nn.functional.max_pool1d(m.ones(1, 2, 10), 2,
                                                                dilation=0), RuntimeError,
     "max_pool1d() dilation must be greater than zero, but got 0"),
    ("max1_too_small", lambda m: m.nn.functional.max_pool1d(m.ones(2, 2, 2), 5, 1), RuntimeError,
     "max_pool1d() Invalid computed output size: -2"),
    ("max1_integer", lambda m: m.nn.functional.max_pool1d(m.ones(1, 1, 4, dtype=m.int64), 2),
     NotImplementedError, "\"max_pool1d_impl\" not implemented for 'Long'"),
    ("max1_indices_kernel_length", lambda m: m.nn.functional.max_pool1d(
        m.ones(1, 2, 10), (2, 2), return_indices=True), RuntimeError,
     "max_pool1d() argument 'kernel_size' should contain one int (got 2)"),
    ("max1_indices_dims", lambda m: m.nn.functional.max_pool1d(m.ones(10), 2,
                                                               return_indices=True),
     RuntimeError, "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 "
     "'self' (while checking arguments for max_pool1d)"),
    ("max1_indices_dilation", lambda m: m.nn.functional.max_pool1d(
        m.ones(1, 2, 10), 2, 2, 0, 0, return_indices=True), RuntimeError,
     "dilation should be greater than zero, but got dilationH: 1 dilationW: 0"),
    ("max1_indices_dims_first", lambda m: m.nn.functional.max_pool1d(m.ones(3), (2, 2),
                                                                     return_indices=True),
     RuntimeError, "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 "
     "'self' (while checking arguments for max_pool1d)"),
    ("max1_indices_stride_length", lambda m: m.nn.functional.max_pool1d(
        m.ones(1, 3, 6), 2, (1, 1), return_indices=True), RuntimeError,
     "max_pool1d() argument 'stride' should contain one int (got 2)"),
    ("max1_indices_padding_length", lambda m: m.nn.functional.max_pool1d(
        m.ones(1, 3, 6), 2, 2, (1, 1), return_indices=True), RuntimeError,
     "max_pool1d() argument 'padding' should contain one int (got 2)"),
    ("max1_indices_dilation_length", lambda m: m.nn.functional.max_pool1d(
        m.ones(1, 3, 6), 2, 2, 0, (1, 1), return_indices=True), RuntimeError,
     "max_pool1d() argument 'dilation' should contain one int (got 2)"),
    ("avg1_dims_first", lambda m: m.nn.functional.avg_pool1d(m.ones(3), (2, 2)), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while "
     "checking arguments for avg_pool1d)"),
    ("adaptive1_dims_first", lambda m: m.nn.functional.adaptive_avg_pool1d(m.ones(3), ()),
     RuntimeError, "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 "
     "'self' (while checking arguments for adaptive_avg_pool1d)"),
    ("avg2_kernel_zero", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), 0), RuntimeError,
     "stride should not be zero"),
    ("avg2_kernel_negative", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), -1),
     RuntimeError, "kernel size should be greater than zero, but got kH: -1 kW: -1"),
    ("avg2_kernel_length", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), (2, 2, 2)),
     RuntimeError, "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    ("avg2_stride_length", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), 2, (1, 1, 1)),
     RuntimeError, "avg_pool2d: stride must either be omitted, a single int, or a tuple of two "
     "ints"),
    ("avg2_padding_length", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), 2, 2, (1, 1, 1)),
     RuntimeError, "avg_pool2d: padding must either be a single int, or a tuple of two ints"),
    ("avg2_padding_negative", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), 2, 2, -1),
     RuntimeError, "pad must be non-negative, but got pad: -1"),
    ("avg2_padding_big", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), 2, 2, 2),
     RuntimeError, "pad should be at most half of effective kernel size, but got pad=2, "
     "kernel_size=2 and dilation=1"),
    ("avg2_divisor_zero", lambda m: m.nn.functional.avg_pool2d(m.ones(*X), 2,
                                                               divisor_override=0),
     RuntimeError, "divisor must be not zero"),
    ("avg2_dims", lambda m: m.nn.functional.avg_pool2d(m.ones(6, 6), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("avg2_5d", lambda m: m.nn.functional.avg_pool2d(m.ones(1, 1, 1, 6, 6), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
     "got:[1, 1, 1, 6, 6]"),
    ("avg2_too_small", lambda m: m.nn.functional.avg_pool2d(m.ones(1, 1, 1, 6), 2),
     RuntimeError, "Given input size: (1x1x6). Calculated output size: (1x0x3). Output size is "
     "too small"),
    ("avg2_uint8", lambda m: m.nn.functional.avg_pool2d(m.ones(1, 1, 4, 4, dtype=m.uint8), 2),
     NotImplementedError, "\"avg_pool2d\" not implemented for 'Byte'"),
    ("avg2_int32", lambda m: m.nn.functional.avg_pool2d(m.ones(1, 1, 4, 4, dtype=m.int32), 2),
     NotImplementedError, "\"avg_pool2d\" not implemented for 'Int'"),
    ("avg1_kernel_length", lambda m: m.nn.functional.avg_pool1d(m.ones(1, 2, 10), (2, 2)),
     RuntimeError, "avg_pool1d() argument 'kernel_size' should contain one int (got 2)"),
    ("avg1_stride_length", lambda m: m.nn.functional.avg_pool1d(m.ones(1, 2, 10), 2, (1, 1)),
     RuntimeError, "avg_pool1d() argument 'stride' should contain one int (got 2)"),
    ("avg1_padding_length", lambda m: m.nn.functional.avg_pool1d(m.ones(1, 2, 10), 2, 2,
                                                                 (1, 1)), RuntimeError,
     "avg_pool1d() argument 'padding' should contain one int (got 2)"),
    ("avg1_dims", lambda m: m.nn.functional.avg_pool1d(m.ones(1, 2, 3, 6), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 4-dimensional tensor for argument #1 'self' (while "
     "checking arguments for avg_pool1d)"),
    ("avg1_kernel_negative", lambda m: m.nn.functional.avg_pool1d(m.ones(1, 2, 10), -1),
     RuntimeError, "kernel size should be greater than zero, but got kH: 1 kW: -1"),
    ("avg1_empty", lambda m: m.nn.functional.avg_pool1d(m.ones(1, 0, 10), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
     "got:[1, 0, 1, 10]"),
    ("adaptive2_dims", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(6, 6), 2),
     RuntimeError, "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [6, 6]"),
    ("adaptive2_dims_pair", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(6, 6), (2, 2)),
     ValueError, "Input dimension should be at least 3"),
    ("adaptive2_length", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(*X), (2, 2, 2)),
     RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    ("adaptive2_empty_size", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(*X), ()),
     RuntimeError, "adaptive_avg_pool2d: output_size must be 2"),
    ("adaptive2_negative", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(*X), (-1, 0)),
     RuntimeError, "adaptive_avg_pool2d: elements of output_size must be greater than or equal "
     "to 0 but received {-1, 0}"),
    ("adaptive2_empty_input", lambda m: m.nn.functional.adaptive_avg_pool2d(m.ones(1, 2, 0, 3),
                                                                            2), RuntimeError,
     "adaptive_avg_pool2d(): Expected input to have non-zero size for non-batch dimensions, but "
     "input has sizes [1, 2, 0, 3] with dimension 2 being empty"),
    ("adaptive2_integer", lambda m: m.nn.functional.adaptive_avg_pool2d(
        m.ones(1, 2, 3, 3, dtype=m.int64), 2), NotImplementedError,
     "\"adaptive_avg_pool2d\" not implemented for 'Long'"),
    ("adaptive_max2_dims", lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(6, 6), 2),
     RuntimeError, "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [6, 6]"),
    ("adaptive_max2_length", lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(*X), ()),
     RuntimeError, "adaptive_max_pool2d(): internal error: output_size.size() must be 2"),
    ("adaptive_max2_negative", lambda m: m.nn.functional.adaptive_max_pool2d(m.ones(1, 1, 1, 1),
                                                                             (2, -3)),
     RuntimeError, "Trying to create tensor with negative dimension -3: [1, 1, 2, -3]"),
    ("adaptive_max2_empty_plane", lambda m: m.nn.functional.adaptive_max_pool2d(
        m.ones(1, 0, 3, 3), 2), RuntimeError,
     "adaptive_max_pool2d(): Expected input to have non-zero size for non-batch dimensions, but "
     "input has sizes [1, 0, 3, 3] with dimension 1 being empty"),
    ("adaptive_max2_integer", lambda m: m.nn.functional.adaptive_max_pool2d(
        m.ones(1, 2, 3, 3, dtype=m.int64), 2, True), NotImplementedError,
     "\"adaptive_max_pool2d\" not implemented for 'Long'"),
    ("adaptive_max1_length", lambda m: m.nn.functional.adaptive_max_pool1d(m.ones(1, 2, 3), ()),
     RuntimeError, "adaptive_max_pool1d() argument 'output_size' should contain one int (got "
     "0)"),
    ("adaptive_max1_negative", lambda m: m.nn.functional.adaptive_max_pool1d(m.ones(1, 1, 1),
                                                                             (-1,)),
     RuntimeError, "Trying to create tensor with negative dimension -1: [1, 1, 1, -1]"),
    ("adaptive_max1_empty", lambda m: m.nn.functional.adaptive_max_pool1d(m.ones(1, 2, 0), 2),
     RuntimeError, "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch "
     "dimensions, but input has sizes [1, 2, 0] with dimension 2 being empty"),
    ("adaptive1_length", lambda m: m.nn.functional.adaptive_avg_pool1d(m.ones(1, 2, 3), ()),
     RuntimeError, "adaptive_avg_pool1d() argument 'output_size' should contain one int (got "
     "0)"),
    ("adaptive1_negative", lambda m: m.nn.functional.adaptive_avg_pool1d(m.ones(1, 2, 3), (-1,)),
     RuntimeError, "adaptive_avg_pool2d: elements of output_size must be greater than or equal "
     "to 0 but received {1, -1}"),
    ("adaptive1_dims", lambda m: m.nn.functional.adaptive_avg_pool1d(m.ones(3), 2), RuntimeError,
     "Expected 2 to 3 dimensions, but got 1-dimensional tensor for argument #1 'self' (while "
     "checking arguments for adaptive_avg_pool1d)"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


# ---------------------------------------------------------------- modules


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.nn.MaxPool2d(2), (2, 3, 6, 6)),
    (lambda m: m.nn.MaxPool2d((3, 3), (2, 2), (1, 1), return_indices=True), (1, 3, 7, 7)),
    (lambda m: m.nn.MaxPool2d(3, ceil_mode=True, dilation=2, padding=1), (1, 3, 9, 9)),
    (lambda m: m.nn.MaxPool1d(4, 4, return_indices=True), (2, 10, 4)),
    (lambda m: m.nn.AvgPool2d((2, 2), (2, 2), (1, 1), divisor_override=1), (2, 3, 6, 6)),
    (lambda m: m.nn.AvgPool2d(3, ceil_mode=True, count_include_pad=False), (3, 7, 7)),
    (lambda m: m.nn.AvgPool1d(2, 2, 1), (2, 3, 6)),
    (lambda m: m.nn.AvgPool1d(kernel_size=2), (3, 6)),
    (lambda m: m.nn.AdaptiveAvgPool2d((3, None)), (1, 3, 5, 6)),
    (lambda m: m.nn.AdaptiveAvgPool2d(1), (3, 5, 6)),
    (lambda m: m.nn.AdaptiveAvgPool1d(3), (1, 3, 5)),
    (lambda m: m.nn.AdaptiveMaxPool2d((3, None), return_indices=True), (1, 3, 5, 6)),
    (lambda m: m.nn.AdaptiveMaxPool1d(3), (3, 5)),
])
def test_modules_match_pytorch(make, shape):
    torch = pytest.importorskip("torch")
    ours, theirs = make(tg), make(torch)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    out, expected = ours(tg.tensor(x)), theirs(torch.tensor(x))
    if isinstance(expected, tuple):
        np.testing.assert_array_equal(out[1].numpy(), expected[1].numpy())
        out, expected = out[0], expected[0]
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)
