"""The rest of the convolution/pooling family: ``max_pool3d``, ``avg_pool3d``,
``adaptive_avg_pool3d``, ``adaptive_max_pool3d``, ``conv_transpose3d``, ``unfold``/``fold``,
``lp_pool1d/2d/3d``, ``max_unpool1d/2d/3d``, ``fractional_max_pool2d/3d`` and their modules.
Tables of cases, each gradient-checked in float64 against finite differences and compared with
PyTorch in float32 and float64 (values, indices, gradients); ties and NaN as PyTorch's CPU
kernel picks them; float16 rounded where PyTorch's kernels round; every error message; module
reprs."""

import numpy as np
import pytest

import tinygrad_bn as tg
from pooling_checks import check_against_pytorch, check_gradient

from pytorch_errors import error_tests

# (function name, input shape, positional arguments, keyword arguments)
CASES = [
    ("max_pool3d", (2, 2, 4, 5, 6), (2,), {}),
    ("max_pool3d", (2, 2, 5, 6, 5), (3, 2, 1), {"return_indices": True}),
    ("max_pool3d", (1, 2, 7, 6, 5), ((3, 2, 2), (2, 1, 2), (1, 0, 1), (1, 2, 1), True, True), {}),
    ("max_pool3d", (2, 5, 5, 5), (3,), {"stride": 2, "padding": 1, "return_indices": True}),
    ("max_pool3d", (1, 1, 5, 5, 5), (2,), {"ceil_mode": True}),
    ("max_pool3d", (0, 2, 4, 4, 4), (2,), {}),
    ("max_pool3d", (1, 2, 4, 4, 4), (3,), {"stride": 1, "dilation": (1, 1, 1)}),
    ("avg_pool3d", (2, 2, 4, 6, 6), (2,), {}),
    ("avg_pool3d", (1, 2, 7, 7, 7), (3, 2, 1, True, False), {}),
    ("avg_pool3d", (1, 2, 7, 8, 9), ((4, 4, 4), (3, 2, 3), (2, 1, 2), True, True, 3), {}),
    ("avg_pool3d", (1, 2, 5, 5, 5), ((3, 3, 3), (2, 2, 2), 1, True, False), {}),
    ("avg_pool3d", (2, 4, 4, 4), ((2, 2, 2), (), (0,), False, True, -2), {}),
    ("avg_pool3d", (2, 4, 4, 4), (2,), {"divisor_override": 1, "padding": 1}),
    ("adaptive_avg_pool3d", (2, 2, 5, 8, 7), ((3, None, 4),), {}),
    ("adaptive_avg_pool3d", (2, 5, 8, 7), (3,), {}),
    ("adaptive_avg_pool3d", (1, 2, 3, 4, 3), (5,), {}),
    ("adaptive_avg_pool3d", (1, 2, 3, 4, 3), ((1, 1, 1),), {}),
    ("adaptive_max_pool3d", (2, 2, 5, 8, 7), ((3, None, 4), True), {}),
    ("adaptive_max_pool3d", (2, 5, 8, 7), (3,), {}),
    ("adaptive_max_pool3d", (1, 2, 3, 4, 3), (5,), {"return_indices": True}),
    ("adaptive_max_pool3d", (0, 2, 3, 4, 3), (2,), {}),
]
IDS = [f"{name}-{index}" for index, (name, *_) in enumerate(CASES)]


@pytest.mark.parametrize("name, shape, args, kwargs", CASES, ids=IDS)
def test_gradcheck(name, shape, args, kwargs):
    check_gradient(name, shape, args, kwargs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, shape, args, kwargs", CASES, ids=IDS)
def test_matches_pytorch(name, shape, args, kwargs, dtype):
    check_against_pytorch(name, shape, args, kwargs, dtype)


@pytest.mark.parametrize("values, name, args", [
    (np.ones((1, 1, 2, 2, 2)), "max_pool3d", (2,)),  # ties: the first maximum
    (np.full((1, 1, 3, 3, 3), 3.0), "max_pool3d", (2, 1)),  # overlapping windows
    (np.where(np.arange(8).reshape(1, 1, 2, 2, 2) % 3 == 1, np.nan, 1.0), "max_pool3d",
     (2,)),  # a NaN wins, the last one
    (np.full((1, 1, 2, 2, 2), -np.inf), "max_pool3d", (2, 2, 1)),  # padding never
    (np.ones((1, 1, 3, 3, 3)), "adaptive_max_pool3d", (2,)),
    (np.where(np.arange(27).reshape(1, 1, 3, 3, 3) % 5 == 2, np.nan, 1.0),
     "adaptive_max_pool3d", (2,)),
    (np.full((1, 1, 3, 3, 3), -np.inf), "adaptive_max_pool3d", (2,)),
])
def test_max_pool3d_picks_as_pytorch(values, name, args):
    torch = pytest.importorskip("torch")
    results = []
    for module in (tg, torch):
        x = module.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)
        out, indices = getattr(module.nn.functional, name)(x, *args, return_indices=True)
        out.sum().backward()
        results.append((out.detach().numpy(), indices.numpy(), x.grad.numpy()))
    for mine, reference in zip(*results):
        np.testing.assert_array_equal(mine, reference)


def test_integers_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).integers(-9, 9, (2, 3, 5, 5, 5))
    for dtype in ("int64", "int32", "uint8"):
        a = x.astype(dtype) if dtype != "uint8" else np.abs(x).astype(dtype)
        out, indices = tg.nn.functional.max_pool3d(tg.tensor(a), 3, 2, 1, return_indices=True)
        expected = torch.nn.functional.max_pool3d(torch.tensor(a), 3, 2, 1, return_indices=True)
        assert str(out.dtype) == dtype
        np.testing.assert_array_equal(out.numpy(), expected[0].numpy())
        np.testing.assert_array_equal(indices.numpy(), expected[1].numpy())
    for args in ((2,), (3, 1, 1), (3, 2, 1, True, False), (2, None, 0, False, True, -3)):
        out = tg.nn.functional.avg_pool3d(tg.tensor(x), *args)
        expected = torch.nn.functional.avg_pool3d(torch.tensor(x), *args)
        assert out.dtype == tg.int64
        np.testing.assert_array_equal(out.numpy(), expected.numpy())


@pytest.mark.parametrize("name, args", [("max_pool3d", (3, 2, 1)),
                                        ("adaptive_avg_pool3d", ((2, 3, 4),)),
                                        ("adaptive_avg_pool3d", ((3, 1, 5),)),
                                        ("adaptive_avg_pool3d", (1,)),
                                        ("adaptive_max_pool3d", ((2, 3, 4),))])
def test_float16_is_pytorchs_bit_for_bit(name, args):
    """The 3-D adaptive average of float16 sums and divides in float16, as PyTorch's kernel
    (the 1-D/2-D one computes in float32): the same bits, not just close."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 9, 8)).astype(np.float16)
    out = getattr(tg.nn.functional, name)(tg.tensor(x), *args)
    expected = getattr(torch.nn.functional, name)(torch.tensor(x), *args)
    assert out.dtype == tg.float16
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7, 8))
    for name, args, kwargs in [
            ("MaxPool3d", (3,), {"stride": 2, "padding": 1, "return_indices": True}),
            ("MaxPool3d", ((2, 3, 2),), {"ceil_mode": True, "dilation": 2}),
            ("AvgPool3d", (3, 2, 1), {"count_include_pad": False}),
            ("AvgPool3d", (2,), {"divisor_override": 3, "ceil_mode": True}),
            ("AdaptiveAvgPool3d", ((2, None, 3),), {}),
            ("AdaptiveMaxPool3d", (4,), {"return_indices": True})]:
        ours = getattr(tg.nn, name)(*args, **kwargs)
        theirs = getattr(torch.nn, name)(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        out, expected = ours(tg.tensor(x)), theirs(torch.tensor(x))
        for mine, reference in zip(out if isinstance(out, tuple) else (out,),
                                   expected if isinstance(expected, tuple) else (expected,)):
            np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-12, atol=0)


# ---------------------------------------------------------------- errors

X = (2, 3, 4, 5, 6)


def _f(m):
    return m.nn.functional


# (name, call against a module m (tinygrad_bn or torch), error type, PyTorch 2.13's message)
ERRORS = [
    ("max3_kernel_length", lambda m: _f(m).max_pool3d(m.ones(*X), (2, 2)), RuntimeError,
     "max_pool3d: kernel_size must either be a single int, or a tuple of three ints"),
    ("max3_stride_length", lambda m: _f(m).max_pool3d(m.ones(*X), 2, (1, 1)), RuntimeError,
     "max_pool3d: stride must either be omitted, a single int, or a tuple of three ints"),
    ("max3_padding_length", lambda m: _f(m).max_pool3d(m.ones(*X), 2, 2, (1, 1)), RuntimeError,
     "max_pool3d: padding must either be a single int, or a tuple of three ints"),
    ("max3_dilation_length", lambda m: _f(m).max_pool3d(m.ones(*X), 2, 2, 0, (1, 1)),
     RuntimeError, "max_pool3d: dilation must be either a single int, or a tuple of three ints"),
    ("max3_dims", lambda m: _f(m).max_pool3d(m.ones(3, 4, 5), 2), RuntimeError,
     "non-empty 4D or 5D (batch mode) tensor expected for input"),
    ("max3_kernel_zero", lambda m: _f(m).max_pool3d(m.ones(*X), 0), RuntimeError,
     "stride should not be zero"),
    ("max3_stride_negative", lambda m: _f(m).max_pool3d(m.ones(*X), 2, -1), RuntimeError,
     "stride should be greater than zero, but got dT: -1 dH: -1 dW: -1"),
    ("max3_kernel_negative", lambda m: _f(m).max_pool3d(m.ones(*X), -1, 1), RuntimeError,
     "kernel size should be greater than zero, but got kT: -1 kH: -1 kW: -1"),
    ("max3_dilation_zero", lambda m: _f(m).max_pool3d(m.ones(*X), 2, 1, 0, 0), RuntimeError,
     "dilation should be greater than zero, but got dilationT: 0 dilationH: 0 dilationW: 0"),
    ("max3_empty", lambda m: _f(m).max_pool3d(m.ones(2, 0, 4, 5, 6), 2), RuntimeError,
     "max_pool3d_with_indices_out_cpu_template(): Expected input's non-batch dimensions to have "
     "positive length, but input has a shape of [2, 0, 4, 5, 6] and non-batch dimension 0 has "
     "length zero!"),
    ("max3_empty_unbatched", lambda m: _f(m).max_pool3d(m.ones(0, 4, 5, 6), 2), RuntimeError,
     "max_pool3d_with_indices_out_cpu_template(): Expected input's non-batch dimensions to have "
     "positive length, but input has a shape of [0, 4, 5, 6] and non-batch dimension 0 has "
     "length zero!"),
    ("max3_pad_effective", lambda m: _f(m).max_pool3d(m.ones(*X), 2, 1, 2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and "
     "dilation=1"),
    ("max3_pad_negative", lambda m: _f(m).max_pool3d(m.ones(*X), 2, 1, -1), RuntimeError,
     "pad must be non-negative, but got pad: -1"),
    ("max3_pad_half", lambda m: _f(m).max_pool3d(m.ones(*X), 3, 1, 2, 2), RuntimeError,
     "pad should be smaller than or equal to half of kernel size, but got kT: 3 kW: 3 kH: 3 "
     "padT: 2 padW: 2 padH: 2"),
    ("max3_too_small", lambda m: _f(m).max_pool3d(m.ones(*X), 5), RuntimeError,
     "Given input size: (3x4x5x6). Calculated output size: (3x0x1x1). Output size is too "
     "small"),
    ("max3_bool", lambda m: _f(m).max_pool3d(m.ones(*X, dtype=m.bool), 2), NotImplementedError,
     "\"max_pool3d\" not implemented for 'Bool'"),
    ("avg3_kernel_length", lambda m: _f(m).avg_pool3d(m.ones(*X), (2, 2)), RuntimeError,
     "avg_pool3d: kernel_size must be a single int, or a tuple of three ints"),
    ("avg3_stride_length", lambda m: _f(m).avg_pool3d(m.ones(*X), 2, (1, 1)), RuntimeError,
     "avg_pool3d: stride must be omitted, a single int, or a tuple of three ints"),
    ("avg3_padding_length", lambda m: _f(m).avg_pool3d(m.ones(*X), 2, 2, (1, 1)), RuntimeError,
     "avg_pool3d: padding must be a single int, or a tuple of three ints"),
    ("avg3_dims", lambda m: _f(m).avg_pool3d(m.ones(3, 4, 5), 2, divisor_override=0),
     RuntimeError, "non-empty 4D or 5D (batch mode) tensor expected for input"),
    ("avg3_divisor", lambda m: _f(m).avg_pool3d(m.ones(*X), 2, divisor_override=0),
     RuntimeError, "divisor must be not zero"),
    ("avg3_kernel_negative", lambda m: _f(m).avg_pool3d(m.ones(*X), -1), RuntimeError,
     "kernel size should be greater than zero, but got kT: -1 kH: -1 kW: -1"),
    ("avg3_empty", lambda m: _f(m).avg_pool3d(m.ones(2, 0, 4, 5, 6), 2), RuntimeError,
     "avg_pool3d(): Expected input's non-batch dimensions to have positive length, but input "
     "has a shape of [2, 0, 4, 5, 6] and non-batch dimension 0 has length zero!"),
    ("avg3_smaller_than_kernel", lambda m: _f(m).avg_pool3d(m.ones(*X), 5, 1, 2), RuntimeError,
     "input image (T: 4 H: 5 W: 6) smaller than kernel size (kT: 5 kH: 5 kW: 5)"),
    ("avg3_int32", lambda m: _f(m).avg_pool3d(m.ones(*X, dtype=m.int32), 2),
     NotImplementedError, "\"avg_pool3d_out_frame\" not implemented for 'Int'"),
    ("avg3_half", lambda m: _f(m).avg_pool3d(m.ones(*X, dtype=m.float16), 2),
     NotImplementedError, "\"avg_pool3d_out_frame\" not implemented for 'Half'"),
    ("adaptive_avg3_length", lambda m: _f(m).adaptive_avg_pool3d(m.ones(*X), (2, 2)),
     RuntimeError, "adaptive_avg_pool3d: output_size must be 3"),
    ("adaptive_avg3_negative", lambda m: _f(m).adaptive_avg_pool3d(m.ones(*X), (-1, 2, 2)),
     RuntimeError, "adaptive_avg_pool3d: elements of output_size must be greater than or equal "
     "to 0 but received {-1, 2,2}"),
    ("adaptive_avg3_dims", lambda m: _f(m).adaptive_avg_pool3d(m.ones(4, 5, 6), 2),
     RuntimeError, "adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got [4, 5, 6]"),
    ("adaptive_avg3_empty", lambda m: _f(m).adaptive_avg_pool3d(m.ones(2, 3, 0, 5, 6), 2),
     RuntimeError, "adaptive_avg_pool3d(): Expected input to have non-zero size for non-batch "
     "dimensions, but input has sizes [2, 3, 0, 5, 6] with dimension 2 being empty"),
    ("adaptive_avg3_none", lambda m: _f(m).adaptive_avg_pool3d(m.ones(4, 5), (2, None, 3)),
     ValueError, "Input dimension should be at least 4"),
    ("adaptive_avg3_int", lambda m: _f(m).adaptive_avg_pool3d(m.ones(*X, dtype=m.int64), 2),
     NotImplementedError, "\"adaptive_avg_pool3d_cpu\" not implemented for 'Long'"),
    ("adaptive_max3_length", lambda m: _f(m).adaptive_max_pool3d(m.ones(*X), (2, 2)),
     RuntimeError, "adaptive_max_pool3d(): internal error: output_size.size() must be 3"),
    ("adaptive_max3_negative", lambda m: _f(m).adaptive_max_pool3d(m.ones(*X), (2, 2, -1)),
     RuntimeError, "Trying to create tensor with negative dimension -1: [2, 3, 2, 2, -1]"),
    ("adaptive_max3_dims", lambda m: _f(m).adaptive_max_pool3d(m.ones(4, 5, 6), (2, 2)),
     RuntimeError, "adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: [4, 5, 6]"),
    ("adaptive_max3_empty", lambda m: _f(m).adaptive_max_pool3d(m.ones(2, 0, 4, 5, 6), 2),
     RuntimeError, "adaptive_max_pool3d(): Expected input to have non-zero size for non-batch "
     "dimensions, but input has sizes [2, 0, 4, 5, 6] with dimension 1 being empty"),
    ("adaptive_max3_int", lambda m: _f(m).adaptive_max_pool3d(m.ones(*X, dtype=m.int64), 2),
     NotImplementedError, "\"adaptive_max_pool3d_cpu\" not implemented for 'Long'"),
]


# ---------------------------------------------------------------- conv_transpose3d

# (input shape, weight shape, bias, keyword arguments)
TRANSPOSE_CASES = [
    ((2, 4, 3, 4, 5), (4, 2, 2, 3, 2), True, {}),
    ((2, 4, 3, 4, 3), (4, 2, 2, 3, 2), False, {"stride": 2, "output_padding": 1}),
    ((1, 4, 3, 2, 3), (4, 1, 2, 2, 3), True, {"stride": (2, 1, 3), "padding": (1, 0, 1),
                                              "output_padding": (1, 0, 2),
                                              "dilation": (1, 2, 1), "groups": 2}),
    ((4, 3, 4, 5), (4, 2, 2, 3, 2), True, {"stride": 2, "dilation": 3, "output_padding": 2}),
]


@pytest.mark.parametrize("input_shape, weight_shape, bias, kwargs", TRANSPOSE_CASES)
def test_conv_transpose3d_gradcheck(input_shape, weight_shape, bias, kwargs):
    rng = np.random.default_rng(0)
    inputs = [tg.tensor(rng.standard_normal(input_shape), requires_grad=True),
              tg.tensor(rng.standard_normal(weight_shape), requires_grad=True)]
    if bias:
        inputs.append(tg.tensor(rng.standard_normal(weight_shape[1] * kwargs.get("groups", 1)),
                                requires_grad=True))
    assert tg.gradcheck(lambda *a: tg.nn.functional.conv_transpose3d(*a, **kwargs),
                        tuple(inputs))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("input_shape, weight_shape, bias, kwargs", TRANSPOSE_CASES)
def test_conv_transpose3d_matches_pytorch(input_shape, weight_shape, bias, kwargs, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(input_shape), rng.standard_normal(weight_shape)]
    if bias:
        arrays.append(rng.standard_normal(weight_shape[1] * kwargs.get("groups", 1)))
    arrays = [a.astype(dtype) for a in arrays]
    grad = dtype != "float16"
    ours = [tg.tensor(a, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=grad) for a in arrays]
    out = tg.nn.functional.conv_transpose3d(*ours, **kwargs)
    expected = torch.nn.functional.conv_transpose3d(*theirs, **kwargs)
    assert out.dtype == getattr(tg, dtype) and tuple(out.shape) == tuple(expected.shape)
    tolerance = {"float64": 1e-12, "float32": 1e-5, "float16": 1e-3}[dtype]
    np.testing.assert_allclose(out.detach().numpy().astype(np.float64),
                               expected.detach().numpy().astype(np.float64), rtol=tolerance,
                               atol=tolerance)
    if grad:
        grad_output = rng.standard_normal(tuple(expected.shape)).astype(dtype)
        out.backward(tg.tensor(grad_output))
        expected.backward(torch.tensor(grad_output))
        for mine, reference in zip(ours, theirs):
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(),
                                       rtol=tolerance, atol=tolerance)


def test_conv_transpose3d_module_matches_pytorch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose3d(4, 6, (2, 3, 2), stride=2, padding=1, output_padding=1,
                                      groups=2).double()
    ours = tg.nn.ConvTranspose3d(4, 6, (2, 3, 2), stride=2, padding=1, output_padding=1,
                                 groups=2, dtype=tg.float64)
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 4, 5))
    for output_size in (None, [5, 7, 9], [2, 4, 4, 8, 8]):
        out = ours(tg.tensor(x), output_size=output_size)
        expected = theirs(torch.tensor(x), output_size=output_size)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
    assert tg.nn.functional.conv_transpose3d(tg.ones(1, 4, 3, 4, 5), tg.ones(4, 2, 2, 3, 2),
                                             padding=(2, 0, 0)).shape == (1, 2, 0, 6, 6)


def _transpose(m, x=(2, 4, 3, 4, 5), w=(4, 2, 2, 3, 2), dtype=None, **kwargs):
    dtype = dtype or m.float32
    return m.nn.functional.conv_transpose3d(m.ones(*x, dtype=dtype), m.ones(*w, dtype=dtype),
                                            **kwargs)


ERRORS += [
    ("transpose3_output_padding", lambda m: _transpose(m, stride=2, output_padding=2),
     RuntimeError, "output padding must be smaller than either stride or dilation, but got "
     "output_padding_depth: 2 output_padding_height: 2 output_padding_width: 2 stride_depth: 2 "
     "stride_height: 2 stride_width: 2 dilation_depth: 1 dilation_height: 1 dilation_width: 1"),
    ("transpose3_dims", lambda m: _transpose(m, x=(4, 5)), RuntimeError,
     "Expected 4D (unbatched) or 5D (batched) input to conv_transpose3d, but got input of "
     "size: [4, 5]"),
    ("transpose3_dilation_zero", lambda m: _transpose(m, dilation=0), RuntimeError,
     "dimensions are invalid"),
    ("transpose3_negative_size", lambda m: _transpose(m, padding=3), RuntimeError,
     "could not construct a memory descriptor using a format tag"),
    ("transpose3_stride_length", lambda m: _transpose(m, stride=(1, 1)), RuntimeError,
     "expected stride to be a single integer value or a list of 3 values to match the "
     "convolution dimensions, but got stride=[1, 1]"),
    ("transpose3_int_size", lambda m: _transpose(m, dtype=m.int64, padding=(2, 0, 0)),
     RuntimeError, "Given input size per channel: (3 x 4 x 5). Calculated output size per "
     "channel: (0 x 6 x 6). Output size is too small"),
    ("transpose3_int_dilation", lambda m: _transpose(m, dtype=m.int64, dilation=0),
     RuntimeError, "dilation should be greater than zero, but got dilation_depth: 0, "
     "dilation_height: 0, dilation_width: 0"),
    ("transpose3_int32", lambda m: _transpose(m, dtype=m.int32), NotImplementedError,
     "\"slow_conv_transpose3d_out_cpu\" not implemented for 'Int'"),
    ("transpose3_output_size", lambda m: m.nn.ConvTranspose3d(4, 2, 3)(
        m.ones(2, 4, 3, 4, 5), output_size=[1, 2]), ValueError,
     "ConvTranspose3D: for 5D input, output_size must have 3 or 5 elements (got 2)"),
]


# ---------------------------------------------------------------- unfold / fold

# (function, input shape, positional arguments, keyword arguments)
FOLD_CASES = [
    ("unfold", (2, 3, 6, 7), (2,), {}),
    ("unfold", (3, 6, 7), ((2, 3),), {"padding": 1, "stride": (1, 2), "dilation": (2, 1)}),
    ("unfold", (1, 2, 5, 5), (3,), {"stride": 2, "padding": (1, 0)}),
    ("unfold", (0, 2, 5, 5), (3,), {}),
    ("fold", (2, 12, 20), ((5, 6), 2), {}),
    ("fold", (18, 24), ((6, 7), (2, 3)), {"padding": 1, "stride": (1, 2), "dilation": (2, 1)}),
    ("fold", (1, 18, 4), (5, 3), {"stride": 2}),
    ("fold", (0, 12, 20), ((5, 6), 2), {}),
]
FOLD_IDS = [f"{name}-{index}" for index, (name, *_) in enumerate(FOLD_CASES)]


@pytest.mark.parametrize("name, shape, args, kwargs", FOLD_CASES, ids=FOLD_IDS)
def test_fold_gradcheck(name, shape, args, kwargs):
    x = tg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    function = getattr(tg.nn.functional, name)
    if 0 in shape:
        function(x, *args, **kwargs).sum().backward()
        assert x.grad.shape == shape
        return
    assert tg.gradcheck(lambda t: function(t, *args, **kwargs), (x,))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bool"])
@pytest.mark.parametrize("name, shape, args, kwargs", FOLD_CASES, ids=FOLD_IDS)
def test_fold_matches_pytorch_bit_for_bit(name, shape, args, kwargs, dtype):
    """Values in every dtype PyTorch's kernels take (float16 sums in PyTorch's order, bool as
    ``or``) and gradients in float32/float64: the same bits."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape)
    x = x > 0 if dtype == "bool" else x.astype(dtype)
    grad = dtype in ("float32", "float64")
    ours, theirs = tg.tensor(x, requires_grad=grad), torch.tensor(x, requires_grad=grad)
    out = getattr(tg.nn.functional, name)(ours, *args, **kwargs)
    expected = getattr(torch.nn.functional, name)(theirs, *args, **kwargs)
    assert str(out.dtype) == dtype and tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    if grad:
        grad_output = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(tg.tensor(grad_output))
        expected.backward(torch.tensor(grad_output))
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_unfold_is_convolutions_im2col():
    """A convolution is the weight times ``unfold`` of the input; ``fold`` of ``unfold`` counts
    how many blocks read each element."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, 3, 7, 8)))
    weight = tg.tensor(rng.standard_normal((4, 3, 3, 2)))
    columns = tg.nn.functional.unfold(x, (3, 2), padding=1, stride=2)
    out = (weight.reshape(4, -1) @ columns).reshape(2, 4, 4, 5)
    expected = tg.nn.functional.conv2d(x, weight, padding=1, stride=2)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)
    ones = tg.ones(1, 1, 4, 4)
    counts = tg.nn.functional.fold(tg.nn.functional.unfold(ones, 2, stride=1), 4, 2)
    np.testing.assert_array_equal(counts.numpy()[0, 0], [[1, 2, 2, 1], [2, 4, 4, 2],
                                                         [2, 4, 4, 2], [1, 2, 2, 1]])


def test_fold_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 7))
    for ours, theirs in [(tg.nn.Unfold((2, 3), padding=1), torch.nn.Unfold((2, 3), padding=1)),
                         (tg.nn.Unfold(2, 2, 1, 2), torch.nn.Unfold(2, 2, 1, 2))]:
        assert repr(ours) == repr(theirs)
        np.testing.assert_array_equal(ours(tg.tensor(x)).numpy(),
                                      theirs(torch.tensor(x)).numpy())
    ours, theirs = tg.nn.Fold((6, 7), 2, padding=1), torch.nn.Fold((6, 7), 2, padding=1)
    assert repr(ours) == repr(theirs)
    columns = np.random.default_rng(1).standard_normal((2, 12, 56))
    np.testing.assert_array_equal(ours(tg.tensor(columns)).numpy(),
                                  theirs(torch.tensor(columns)).numpy())


C = (2, 12, 20)
X4 = (2, 3, 6, 7)

ERRORS += [
    ("unfold_5d", lambda m: _f(m).unfold(m.ones(1, 2, 3, 4, 5), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [1, 2, 3, 4, 5]"),
    ("unfold_2d", lambda m: _f(m).unfold(m.ones(4, 5), 2), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("unfold_1d", lambda m: _f(m).unfold(m.ones(4), 2), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("unfold_kernel_length", lambda m: _f(m).unfold(m.ones(*X4), (2, 2, 2)), RuntimeError,
     "It is expected kernel_size equals to 2, but got size 3"),
    ("unfold_stride_length", lambda m: _f(m).unfold(m.ones(*X4), 2, stride=(1,)), RuntimeError,
     "It is expected stride equals to 2, but got size 1"),
    ("unfold_kernel_zero", lambda m: _f(m).unfold(m.ones(*X4), 0, dilation=0), RuntimeError,
     "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0"),
    ("unfold_dilation_zero", lambda m: _f(m).unfold(m.ones(*X4), 2, 0, -1, 0), RuntimeError,
     "dilation should be greater than zero, but got dilation_height: 0 dilation_width: 0"),
    ("unfold_padding_negative", lambda m: _f(m).unfold(m.ones(*X4), 2, padding=-1, stride=0),
     RuntimeError, "padding should be non-negative, but got pad_height: -1 pad_width: -1"),
    ("unfold_stride_zero", lambda m: _f(m).unfold(m.ones(*X4), 2, stride=0), RuntimeError,
     "stride should be greater than zero, but got stride_height: 0 stride_width: 0"),
    ("unfold_empty", lambda m: _f(m).unfold(m.ones(2, 3, 0, 7), 2), RuntimeError,
     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
     "dimensions for input, but got: [2, 3, 0, 7]"),
    ("unfold_too_large", lambda m: _f(m).unfold(m.ones(*X4), 9), RuntimeError,
     "Given input with spatial size (6, 7), kernel_size=(9, 9), dilation=(1, 1), padding=(0, "
     "0), calculated shape of the array of sliding blocks as (-2, -1), but its components must "
     "be at least one."),
    ("unfold_int64", lambda m: _f(m).unfold(m.ones(*X4, dtype=m.int64), 2), NotImplementedError,
     "\"im2col_out_cpu\" not implemented for 'Long'"),
    ("fold_4d", lambda m: _f(m).fold(m.ones(1, 2, 3, 4), (5, 6), 2), RuntimeError,
     "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
     "dimensions for input, but got: [1, 2, 3, 4]"),
    ("fold_empty_length", lambda m: _f(m).fold(m.ones(2, 12, 0), (5, 6), 2), RuntimeError,
     "Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
     "dimensions for input, but got: [2, 12, 0]"),
    ("fold_output_size_length", lambda m: _f(m).fold(m.ones(*C), (5, 6, 7), (2, 2, 2)),
     RuntimeError, "It is expected output_size equals to 2, but got size 3"),
    ("fold_kernel_zero", lambda m: _f(m).fold(m.ones(*C), (5, 6), 0, stride=0), RuntimeError,
     "kernel size should be greater than zero, but got kernel_height: 0 kernel_width: 0"),
    ("fold_stride_zero", lambda m: _f(m).fold(m.ones(*C), (5, 6), 2, stride=0, dilation=0),
     RuntimeError, "stride should be greater than zero, but got stride_height: 0 stride_width: "
     "0"),
    ("fold_dilation_zero", lambda m: _f(m).fold(m.ones(*C), (5, 6), 2, padding=-1, dilation=0),
     RuntimeError, "dilation should be greater than zero, but got dilation_height: 0 "
     "dilation_width: 0"),
    ("fold_padding_negative", lambda m: _f(m).fold(m.ones(*C), (5, 6), 2, padding=-1),
     RuntimeError, "padding should be non-negative, but got pad_height: -1 pad_width: -1"),
    ("fold_channels", lambda m: _f(m).fold(m.ones(2, 13, 20), (5, 6), 2), RuntimeError,
     "Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
     "got input.size(1)=13 and kernel_size=(2, 2)."),
    ("fold_blocks", lambda m: _f(m).fold(m.ones(2, 12, 21), (5, 6), 2), RuntimeError,
     "Given output_size=(5, 6), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, "
     "1), expected size of input's dimension 2 to match the calculated number of sliding blocks "
     "4 * 5 = 20, but got input.size(2)=21."),
    ("fold_non_positive", lambda m: _f(m).fold(m.ones(2, 4, 1), (0, 0), 2), RuntimeError,
     "Given output_size=(0, 0), kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, "
     "1), calculated shape of the array of sliding blocks as (-1, -1), which is too small "
     "(non-positive)"),
    ("fold_int64", lambda m: _f(m).fold(m.ones(*C, dtype=m.int64), (5, 6), 2),
     NotImplementedError, "\"col2im_out_cpu\" not implemented for 'Long'"),
]


# ---------------------------------------------------------------- lp_pool / max_unpool

# (function, input shape, positional arguments after the input, keyword arguments); inputs
# are positive where a fractional power of a negative window sum would be NaN
LP_CASES = [
    ("lp_pool1d", (2, 3, 9), (2, 3), {}),
    ("lp_pool1d", (3, 9), (3.0, 2, 1), {"ceil_mode": True}),
    ("lp_pool2d", (2, 3, 6, 7), (2, 2), {}),
    ("lp_pool2d", (3, 6, 7), (1.5, (3, 2), (2, 1)), {"ceil_mode": True}),
    ("lp_pool3d", (1, 2, 4, 5, 6), (2, 2), {}),
    ("lp_pool3d", (2, 4, 5, 6), (3, (2, 3, 2), 1), {}),
    ("lp_pool2d", (2, 3, 6, 6), (float("inf"), 2), {}),
    ("lp_pool1d", (2, 3, 8), (float("-inf"), 2), {}),
]
LP_IDS = [f"{name}-{index}" for index, (name, *_) in enumerate(LP_CASES)]


def _positive(shape):
    return np.random.default_rng(0).uniform(0.2, 2.0, shape)


@pytest.mark.parametrize("name, shape, args, kwargs", LP_CASES, ids=LP_IDS)
def test_lp_pool_gradcheck(name, shape, args, kwargs):
    x = tg.tensor(_positive(shape), requires_grad=True)
    function = getattr(tg.nn.functional, name)
    assert tg.gradcheck(lambda t: function(t, *args, **kwargs), (x,))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, shape, args, kwargs", LP_CASES, ids=LP_IDS)
def test_lp_pool_matches_pytorch(name, shape, args, kwargs, dtype):
    torch = pytest.importorskip("torch")
    x = _positive(shape).astype(dtype)
    x[..., 0] = 0.0  # a zero inside windows (and, for 2 of them, windows of zeros)
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(tg.nn.functional, name)(ours, *args, **kwargs)
    expected = getattr(torch.nn.functional, name)(theirs, *args, **kwargs)
    assert out.dtype == getattr(tg, dtype) and tuple(out.shape) == tuple(expected.shape)
    tolerance = {"rtol": 1e-12, "atol": 1e-12} if dtype == "float64" else \
        {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tolerance)
    grad = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tolerance)


def test_lp_pool_of_zeros_and_negatives_as_pytorch():
    """A window summing to zero has value and gradient zero; a negative sum with a fractional
    1 / p is NaN (PyTorch's composite: sign(out) * relu(|out|))."""
    torch = pytest.importorskip("torch")
    x = np.array([[[0.0, 0.0, -1.0, -2.0, 1.0, 3.0]]])
    results = []
    for module in (tg, torch):
        t = module.tensor(x, requires_grad=True)
        out = module.nn.functional.lp_pool1d(t, 2, 2)
        out.sum().backward()
        results.append((out.detach().numpy(), t.grad.numpy()))
    for mine, reference in zip(*results):
        np.testing.assert_allclose(mine, reference, rtol=1e-12, equal_nan=True)


# (dims, input shape, pool arguments, unpool keyword arguments)
UNPOOL_CASES = [
    (1, (2, 3, 8), (2,), {}),
    (1, (3, 9), (3, 2, 1), {"output_size": [9]}),
    (2, (2, 3, 6, 8), (2,), {}),
    (2, (3, 7, 7), (3, 2, 1), {"output_size": [7, 7]}),
    (2, (1, 2, 6, 6), (3, 1), {}),  # overlapping windows: one position from several inputs
    (3, (1, 2, 4, 6, 6), (2,), {}),
    (3, (1, 2, 4, 5, 6), (2,), {"output_size": [4, 5, 6]}),
    (3, (2, 5, 5, 5), ((2, 3, 2), (2, 1, 2), (1, 1, 0)), {"output_size": [5, 5, 5]}),
    (2, (0, 2, 6, 6), (2,), {}),
]


def _pool_then_unpool(module, x, dims, args, kwargs, requires_grad=False):
    functional = module.nn.functional
    pooled, indices = getattr(functional, f"max_pool{dims}d")(module.tensor(x), *args,
                                                              return_indices=True)
    pooled = pooled.detach().requires_grad_(requires_grad)
    out = getattr(functional, f"max_unpool{dims}d")(pooled, indices, *args, **kwargs)
    return pooled, out


@pytest.mark.parametrize("dims, shape, args, kwargs",
                         [case for case in UNPOOL_CASES if len(case[2]) == 1])
def test_max_unpool_gradcheck(dims, shape, args, kwargs):
    """Windows that do not overlap (``stride`` = ``kernel_size``), so no two inputs share an
    index: where they do, only the later value is written but each gets the gradient at the
    index (PyTorch's rule, tested against it below), which no finite difference measures."""
    x = np.random.default_rng(0).standard_normal(shape)
    pooled, _ = _pool_then_unpool(tg, x, dims, args, kwargs, requires_grad=True)
    _, indices = getattr(tg.nn.functional, f"max_pool{dims}d")(tg.tensor(x), *args,
                                                               return_indices=True)
    function = getattr(tg.nn.functional, f"max_unpool{dims}d")
    if 0 in shape:
        function(pooled, indices, *args, **kwargs).sum().backward()
        assert pooled.grad.shape == pooled.shape
        return
    assert tg.gradcheck(lambda t: function(t, indices, *args, **kwargs), (pooled,))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("dims, shape, args, kwargs", UNPOOL_CASES)
def test_max_unpool_matches_pytorch(dims, shape, args, kwargs, dtype):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    grad = dtype != "float16"
    ours, out = _pool_then_unpool(tg, x, dims, args, kwargs, grad)
    theirs, expected = _pool_then_unpool(torch, x, dims, args, kwargs, grad)
    assert str(out.dtype) == dtype and tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    if grad:
        grad_output = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(tg.tensor(grad_output))
        expected.backward(torch.tensor(grad_output))
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_max_unpool_later_value_wins_a_shared_index():
    torch = pytest.importorskip("torch")
    values = np.array([[[[1.0, 2.0, 3.0, 4.0]]]])
    indices = np.array([[[[0, 0, 1, 0]]]])
    for module in (tg, torch):
        out = module.nn.functional.max_unpool2d(module.tensor(values), module.tensor(indices),
                                                (1, 2), output_size=(1, 8))
        np.testing.assert_array_equal(out.numpy()[0, 0, 0], [4, 3, 0, 0, 0, 0, 0, 0])


def test_pooling_derived_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    x = _positive((2, 3, 6, 6, 6))
    for name, args in [("LPPool1d", (2, 3)), ("LPPool2d", (1.5, (2, 3), 1, True)),
                       ("LPPool3d", (2, 2))]:
        ours, theirs = getattr(tg.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(ours) == repr(theirs)
        dims = int(name[-2])
        data = x.reshape((6,) * 0 + x.shape[:2] + (-1,)) if dims == 1 else \
            x[..., 0] if dims == 2 else x
        np.testing.assert_allclose(ours(tg.tensor(data)).numpy(),
                                   theirs(torch.tensor(data)).numpy(), rtol=1e-12)
    for name, args in [("MaxUnpool1d", (2,)), ("MaxUnpool2d", (3, 2, 1)),
                       ("MaxUnpool3d", ((2, 1, 2),))]:
        ours, theirs = getattr(tg.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(ours) == repr(theirs)


def _unpool(m, dims=2, shape=(2, 3, 2, 2), index_dtype=None, index_shape=None, plus=0,
            **kwargs):
    values = m.ones(*shape)
    indices = m.zeros(*(index_shape or shape), dtype=index_dtype or m.int64) + plus
    return getattr(m.nn.functional, f"max_unpool{dims}d")(values, indices, 2, **kwargs)


ERRORS += [
    ("lp_pool1d_kernel_tuple", lambda m: m.nn.functional.lp_pool1d(m.ones(2, 3, 8), 2, (2,)),
     TypeError, "mul(): argument 'other' (position 1) must be Tensor, not tuple"),
    ("unpool2_index_dtype", lambda m: _unpool(m, index_dtype=m.int32), RuntimeError,
     "elements in indices should be type int64 but got: Int"),
    ("unpool3_index_dtype", lambda m: _unpool(m, 3, (2, 3, 2, 2, 2), m.int32), RuntimeError,
     "elements in indices should be type int64"),
    ("unpool2_index_shape", lambda m: _unpool(m, index_shape=(1, 3, 2, 2)), RuntimeError,
     "Expected shape of indices to be same as that of the input tensor ([2, 3, 2, 2]) but got "
     "indices tensor with shape: [1, 3, 2, 2]"),
    ("unpool2_dims", lambda m: _unpool(m, shape=(1, 2, 3, 2, 2)), RuntimeError,
     "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with 5 "
     "dimensions."),
    ("unpool3_dims", lambda m: _unpool(m, 3, (3, 2, 2)), RuntimeError,
     "Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor with 3 "
     "dimensions."),
    ("unpool2_invalid_index", lambda m: _unpool(m, plus=16), RuntimeError,
     "Found an invalid max index: 16 (output volumes are of size 4x4)"),
    ("unpool3_invalid_index", lambda m: _unpool(m, 3, (2, 3, 2, 2, 2), plus=-1), RuntimeError,
     "Found an invalid max index: -1 (output volumes are of size 4x4x4)"),
    ("unpool2_output_size_length", lambda m: _unpool(m, output_size=(4, 4, 4)), ValueError,
     "output_size should be a sequence containing 2 or 4 elements, but it has a length of '3'"),
    ("unpool2_output_size_range", lambda m: _unpool(m, output_size=(6, 4)), ValueError,
     'invalid output_size "(6, 4)" (dim 0 must be between 2 and 6)'),
    ("unpool2_negative_size", lambda m: _unpool(m, padding=3), ValueError,
     "max_unpooling: output_size must contain non-negative spatial dimensions, but got "
     "output_size[0]=-2"),
    ("unpool2_empty", lambda m: _unpool(m, shape=(2, 0, 2, 2)), RuntimeError,
     "max_unpooling2d_forward_out_cpu(): Expected input to have non-zero size for non-batch "
     "dimensions, but got [2, 0, 2, 2] with dimension 1 being empty."),
    ("unpool3_stride", lambda m: _unpool(m, 3, (2, 3, 2, 2, 2), stride=0), RuntimeError,
     "strides should be greater than zero, but got stride: [0, 0, 0]"),
    ("unpool2_int64", lambda m: m.nn.functional.max_unpool2d(
        m.ones(2, 3, 2, 2, dtype=m.int64), m.zeros(2, 3, 2, 2, dtype=m.int64), 2),
     NotImplementedError, "\"max_unpool2d\" not implemented for 'Long'"),
]


# ---------------------------------------------------------------- fractional_max_pool

# (dims, input shape, kernel_size, output_size)
FRACTIONAL_CASES = [
    (2, (2, 3, 9, 9), 3, 4),
    (2, (2, 3, 9, 11), (2, 3), (5, 4)),
    (2, (3, 9, 9), 2, (8, 8)),  # overlapping windows
    (3, (2, 2, 8, 9, 10), (2, 3, 2), (4, 5, 6)),
    (3, (2, 6, 7, 8), 2, 3),
]


def _samples(shape, dims, dtype):
    batch = shape[0] if len(shape) == dims + 2 else 1
    return np.random.default_rng(2).uniform(0, 1, (batch, shape[-dims - 1], dims)).astype(dtype)


@pytest.mark.parametrize("dims, shape, kernel, out", FRACTIONAL_CASES)
def test_fractional_max_pool_gradcheck(dims, shape, kernel, out):
    x = tg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    samples = tg.tensor(_samples(shape, dims, np.float64))
    function = getattr(tg.nn.functional, f"fractional_max_pool{dims}d")
    assert tg.gradcheck(lambda t: function(t, kernel, out, _random_samples=samples), (x,))


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("dims, shape, kernel, out", FRACTIONAL_CASES)
def test_fractional_max_pool_with_samples_is_pytorchs(dims, shape, kernel, out, dtype):
    """Given the same ``_random_samples``, values, indices and gradients are PyTorch's, bit
    for bit (window starts computed in the input's dtype, as PyTorch's ``scalar_t``)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    samples = _samples(shape, dims, dtype)
    results = []
    for module in (tg, torch):
        t = module.tensor(x, requires_grad=True)
        values, indices = getattr(module.nn.functional, f"fractional_max_pool{dims}d")(
            t, kernel, out, return_indices=True, _random_samples=module.tensor(samples))
        values.backward(module.tensor(np.random.default_rng(1).standard_normal(
            tuple(values.shape)).astype(dtype)))
        results.append((values.detach().numpy(), indices.numpy(), t.grad.numpy()))
    for mine, reference in zip(*results):
        np.testing.assert_array_equal(mine, reference)


@pytest.mark.parametrize("dims", [2, 3])
def test_fractional_max_pool_without_samples(dims):
    """Drawn samples: PyTorch's shapes and dtypes (values are random draws), every output one
    of its window's elements, reproducible under a seed."""
    torch = pytest.importorskip("torch")
    shape = (2, 3) + (10,) * dims
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    name = f"fractional_max_pool{dims}d"
    for kwargs in ({"output_size": 4}, {"output_ratio": (0.5,) * dims}):
        tg.manual_seed(0)
        values, indices = getattr(tg.nn.functional, name)(tg.tensor(x), 3, return_indices=True,
                                                          **kwargs)
        expected = getattr(torch.nn.functional, name)(torch.tensor(x), 3, return_indices=True,
                                                      **kwargs)
        assert values.shape == tuple(expected[0].shape) and values.dtype == tg.float32
        assert indices.dtype == tg.int64
        flat = x.reshape(2, 3, -1)
        np.testing.assert_array_equal(
            values.numpy(), np.take_along_axis(flat, indices.numpy().reshape(2, 3, -1),
                                               2).reshape(values.shape))
        tg.manual_seed(0)
        again = getattr(tg.nn.functional, name)(tg.tensor(x), 3, **kwargs)
        np.testing.assert_array_equal(again.numpy(), values.numpy())


def test_fractional_modules_match_pytorch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 9, 9))
    samples = _samples(x.shape, 3, np.float64)
    ours = tg.nn.FractionalMaxPool3d(2, output_size=(4, 5, 6), return_indices=True,
                                     _random_samples=tg.tensor(samples))
    theirs = torch.nn.FractionalMaxPool3d(2, output_size=(4, 5, 6), return_indices=True,
                                          _random_samples=torch.tensor(samples))
    assert repr(ours) == repr(theirs)
    for mine, reference in zip(ours(tg.tensor(x)), theirs(torch.tensor(x))):
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())
    module = tg.nn.FractionalMaxPool2d(3, output_ratio=0.5)
    assert module.output_ratio == (0.5, 0.5) and module(tg.tensor(x[0, :, 0])).shape == (3, 4, 4)


def _fractional(m, dims=2, shape=(2, 3, 9, 9), kernel=3, samples=None, **kwargs):
    x = m.ones(*shape)
    return getattr(m.nn.functional, f"fractional_max_pool{dims}d")(
        x, kernel, _random_samples=samples, **kwargs)


ERRORS += [
    ("fractional2_no_size", lambda m: _fractional(m), ValueError,
     "fractional_max_pool2d requires specifying either an output_size or an output_ratio"),
    ("fractional3_no_size", lambda m: _fractional(m, 3, (2, 3, 9, 9, 9)), ValueError,
     "fractional_max_pool3d requires specifying either an output_size or an output_ratio"),
    ("fractional2_ratio_length", lambda m: _fractional(m, output_ratio=(0.5, 0.5, 0.5)),
     ValueError, "fractional_max_pool2d requires output_ratio to either be a single Int or "
     "tuple of Ints."),
    ("fractional2_ratio_number", lambda m: _fractional(m, output_ratio=0.5), TypeError,
     "object of type 'float' has no len()"),
    ("fractional2_kernel_length", lambda m: _fractional(m, kernel=(3, 3, 3), output_size=4),
     RuntimeError, "fractional_max_pool2d: kernel_size must either be a single Int or tuple of "
     "Ints"),
    ("fractional3_output_length", lambda m: _fractional(m, 3, (2, 3, 9, 9, 9),
                                                        output_size=(4, 4)),
     RuntimeError, "fractional_max_pool3d: output_size must either be a single Int or tuple of "
     "three Ints"),
    ("fractional2_dims", lambda m: _fractional(m, shape=(9, 9), output_size=4), IndexError,
     "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    ("fractional2_dims5", lambda m: _fractional(m, shape=(1, 2, 3, 9, 9), output_size=4),
     RuntimeError, "fractional_max_pool2d(): Expected 3D or 4D tensor, but got: [1, 2, 3, 9, "
     "9]"),
    ("fractional3_dims6", lambda m: _fractional(m, 3, (1, 2, 3, 9, 9, 9), output_size=4),
     RuntimeError, "fractional_max_pool3d_out(): Expected 4D or 5D tensor, but got: [1, 2, 3, "
     "9, 9, 9]"),
    ("fractional2_empty", lambda m: _fractional(m, shape=(2, 0, 9, 9), output_size=4),
     RuntimeError, "fractional_max_pool2d(): Expected input to have non-zero size for non-batch "
     "dimensions, but got[2, 0, 9, 9] with dimension 1 being empty."),
    ("fractional2_too_large", lambda m: _fractional(m, kernel=(2, 3), output_size=8),
     RuntimeError, "fractional_max_pool2d(): pool width 3 too large relative to input width 9"),
    ("fractional3_too_large", lambda m: _fractional(m, 3, (2, 3, 9, 9, 9), (2, 3, 2),
                                                    output_size=8),
     RuntimeError, "fractional_max_pool3d_out(): pool time 2 too large relative to input time "
     "9"),
    ("fractional2_samples_dtype", lambda m: _fractional(
        m, samples=m.ones(2, 3, 2, dtype=m.float64) / 2, output_size=4), RuntimeError,
     "Expect _random_samples to have the same dtype as input"),
    ("fractional2_samples_batch", lambda m: _fractional(m, samples=m.ones(1, 3, 2) / 2,
                                                        output_size=4),
     RuntimeError, "Expect _random_samples.size(0) no less then input batch size."),
    ("fractional2_samples_channels", lambda m: _fractional(m, samples=m.ones(2, 2, 2) / 2,
                                                           output_size=4),
     RuntimeError, "Expect _random_samples.size(1) equals to input channel size."),
    ("fractional2_samples_dims", lambda m: _fractional(m, samples=m.ones(2, 3, 3) / 2,
                                                       output_size=4),
     RuntimeError, "Expect _random_samples.size(2) equals to 2; got 3."),
    ("fractional2_int", lambda m: m.nn.functional.fractional_max_pool2d(
        m.ones(2, 3, 9, 9, dtype=m.int64), 3, 4), NotImplementedError,
     "\"check_uniform_bounds\" not implemented for 'Long'"),
    ("fractional_module_no_size", lambda m: m.nn.FractionalMaxPool2d(2), ValueError,
     "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio"),
    ("fractional_module_both", lambda m: m.nn.FractionalMaxPool3d(2, 3, 0.5), ValueError,
     "only one of output_size and output_ratio may be specified"),
    ("fractional_module_ratio", lambda m: m.nn.FractionalMaxPool2d(2, output_ratio=1.5),
     ValueError, "output_ratio must be between 0 and 1 (got 1.5)"),
]

test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
