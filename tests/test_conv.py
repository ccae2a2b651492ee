"""Convolution: ``F.conv1d``/``conv2d``/``conv3d`` and ``nn.Conv1d``/``Conv2d``/``Conv3d``. One
table of cases (stride, padding, dilation, groups, non-square kernels, batch 1, one channel,
unbatched input), each gradient-checked in float64 against finite differences and compared with
PyTorch (values and gradients) when it is installed; every error message, and the modules'
initialisation, ``extra_repr`` and padding modes."""

import math

import numpy as np
import pytest

import tinygrad_bn as tg

from pytorch_errors import error_tests

# (name, input shape, weight shape, keyword arguments, bias)
CASES = [
    ("plain", (2, 3, 6, 5), (4, 3, 3, 3), {}, True),
    ("no_bias", (2, 3, 6, 5), (4, 3, 3, 3), {}, False),
    ("stride", (2, 2, 7, 7), (3, 2, 3, 3), {"stride": 2}, True),
    ("stride_pair", (1, 2, 7, 6), (3, 2, 2, 3), {"stride": (3, 1)}, True),
    ("padding", (2, 2, 5, 5), (3, 2, 3, 3), {"padding": 1}, True),
    ("padding_pair", (2, 2, 5, 4), (3, 2, 3, 2), {"padding": (2, 1)}, True),
    ("dilation", (1, 2, 8, 7), (2, 2, 3, 2), {"dilation": (2, 3)}, True),
    ("everything", (2, 4, 8, 8), (2, 2, 3, 3),
     {"stride": (3, 2), "padding": (2, 1), "dilation": (4, 4), "groups": 2}, True),
    ("groups", (2, 4, 6, 5), (6, 2, 3, 2), {"groups": 2}, True),
    ("depthwise", (2, 4, 6, 6), (8, 1, 3, 3), {"groups": 4}, True),
    ("batch_1_channel_1", (1, 1, 5, 5), (1, 1, 3, 3), {}, True),
    ("kernel_1x1", (2, 3, 4, 4), (5, 3, 1, 1), {}, True),
    ("kernel_fills_input", (2, 2, 3, 4), (3, 2, 3, 4), {}, True),
    ("same_odd", (2, 2, 5, 6), (3, 2, 3, 3), {"padding": "same"}, True),
    ("same_even_dilated", (1, 2, 6, 6), (2, 2, 4, 2), {"padding": "same", "dilation": (1, 3)},
     True),
    ("valid", (1, 2, 6, 5), (2, 2, 2, 3), {"padding": "valid", "stride": 2}, True),
    ("unbatched", (3, 5, 5), (2, 3, 3, 3), {"padding": 1}, True),
    ("empty_batch", (0, 3, 5, 5), (2, 3, 3, 3), {}, True),
    ("remainder_unread", (1, 1, 7, 7), (1, 1, 2, 2), {"stride": 3}, True),
    ("1d", (2, 3, 9), (4, 3, 3), {"stride": 2, "padding": 2}, True),
    ("1d_groups_dilation", (2, 4, 8), (2, 2, 3), {"stride": 3, "padding": 1, "groups": 2,
                                                  "dilation": 2}, True),
    ("1d_same", (2, 2, 7), (2, 1, 4), {"padding": "same", "groups": 2, "dilation": 2}, True),
    ("1d_unbatched", (3, 6), (2, 3, 2), {}, False),
    ("3d", (2, 2, 4, 5, 4), (3, 2, 2, 3, 2), {"stride": (1, 2, 1), "padding": 1}, True),
    ("3d_groups_same", (1, 4, 4, 4, 5), (2, 2, 2, 3, 2), {"padding": "same", "groups": 2},
     True),
    ("3d_unbatched", (2, 4, 4, 4), (3, 2, 2, 2, 2), {"dilation": (1, 2, 1)}, False),
]
IDS = [case[0] for case in CASES]


def _function(module, weight_shape):
    return getattr(module.nn.functional, f"conv{len(weight_shape) - 2}d")


def _arrays(input_shape, weight_shape, bias, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(input_shape), rng.standard_normal(weight_shape)]
    if bias:
        arrays.append(rng.standard_normal(weight_shape[0]))
    return [a.astype(dtype) for a in arrays]


@pytest.mark.parametrize("name, input_shape, weight_shape, kwargs, bias", CASES, ids=IDS)
def test_gradcheck(name, input_shape, weight_shape, kwargs, bias):
    conv = _function(tg, weight_shape)
    tensors = [tg.tensor(a, requires_grad=True)
               for a in _arrays(input_shape, weight_shape, bias)]
    if 0 in input_shape:  # nothing to perturb in the input: check the shapes only
        out = conv(*tensors, **kwargs)
        out.sum().backward()
        assert tensors[0].grad.shape == input_shape
        np.testing.assert_array_equal(tensors[1].grad.numpy(), 0)
        return
    assert tg.gradcheck(lambda *xs: conv(*xs, **kwargs), tensors)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, input_shape, weight_shape, kwargs, bias", CASES, ids=IDS)
def test_matches_pytorch(name, input_shape, weight_shape, kwargs, bias, dtype):
    torch = pytest.importorskip("torch")
    arrays = _arrays(input_shape, weight_shape, bias, np.dtype(dtype))
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = _function(tg, weight_shape)(*ours, **kwargs)
    expected = _function(torch, weight_shape)(*theirs, **kwargs)
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == "float64" else \
        {"rtol": 1e-5, "atol": 1e-5}
    assert out.dtype == getattr(tg, dtype) and tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tolerance)
    grad = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    for mine, reference in zip(ours, theirs):
        assert mine.grad.dtype == mine.dtype
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), **tolerance)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float16"])
def test_other_dtypes_match_pytorch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, (2, 4, 6, 5)).astype(dtype)
    w = rng.integers(0, 3, (6, 2, 3, 2)).astype(dtype)
    b = rng.integers(0, 3, 6).astype(dtype)
    out = tg.nn.functional.conv2d(tg.tensor(x), tg.tensor(w), tg.tensor(b), padding=1,
                                  groups=2)
    expected = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b),
                                          padding=1, groups=2)
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_only_needed_gradients_are_computed():
    x = tg.randn(2, 3, 5, 5, requires_grad=True)
    w = tg.randn(4, 3, 3, 3)
    tg.nn.functional.conv2d(x, w).sum().backward()
    assert x.grad.shape == (2, 3, 5, 5) and w.grad is None
    x = tg.randn(2, 3, 5, 5)
    w = tg.randn(4, 3, 3, 3, requires_grad=True)
    out = tg.nn.functional.conv2d(x, w)
    assert out.grad_fn.saved[1] is None  # the weight is kept only for the input's gradient
    out.sum().backward()
    assert w.grad.shape == (4, 3, 3, 3) and x.grad is None


def test_graph_node_names_its_arguments():
    x = tg.randn(1, 2, 5, 5, requires_grad=True)
    out = tg.nn.functional.conv2d(x, tg.randn(3, 2, 3, 3), stride=2, padding=1)
    assert repr(out.grad_fn) == ("Convolution(stride=(2, 2), padding=((1, 1), (1, 1)), "
                                 "dilation=(1, 1), groups=1)")


# ---------------------------------------------------------------- errors

X = (2, 4, 6, 6)
W = (8, 4, 3, 3)

# (name, call against a module m (tinygrad_bn or torch), error type, PyTorch 2.13's message)
ERRORS = [
    ("input_dims", lambda m: m.nn.functional.conv2d(m.ones(4, 6), m.ones(*W)), RuntimeError,
     "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: [4, 6]"),
    ("input_dims_1d", lambda m: m.nn.functional.conv1d(m.ones(1, 3, 6, 6), m.ones(8, 3, 3)),
     RuntimeError, "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of "
     "size: [1, 3, 6, 6]"),
    ("groups_divide", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(8, 2, 3, 3),
                                                       groups=3), RuntimeError,
     "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of "
     "size [[8, 2, 3, 3]] instead"),
    ("groups_at_least", lambda m: m.nn.functional.conv2d(m.ones(2, 2, 4, 3), m.ones(2, 2, 1, 3),
                                                         groups=3), RuntimeError,
     "Given groups=3, expected weight to be at least 3 at dimension 0, but got weight of size "
     "[2, 2, 1, 3] instead"),
    ("groups_zero", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), groups=0),
     RuntimeError, "non-positive groups is not supported"),
    ("channels", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(8, 3, 3, 3)), RuntimeError,
     "Given groups=1, weight of size [8, 3, 3, 3], expected input[2, 4, 6, 6] to have 3 "
     "channels, but got 4 channels instead"),
    ("channels_unbatched", lambda m: m.nn.functional.conv2d(m.ones(3, 6, 6), m.ones(*W)),
     RuntimeError, "Given groups=1, weight of size [8, 4, 3, 3], expected input[1, 3, 6, 6] to "
     "have 4 channels, but got 3 channels instead"),
    ("bias_size", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), m.ones(7)),
     RuntimeError, "Given weight of size [8, 4, 3, 3], expected bias to be 1-dimensional with 8 "
     "elements, but got bias of size [7] instead"),
    ("bias_2d", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), m.ones(8, 1)),
     RuntimeError, "Given weight of size [8, 4, 3, 3], expected bias to be 1-dimensional with 8 "
     "elements, but got bias of size [8, 1] instead"),
    ("kernel_too_big", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(8, 4, 3, 3),
                                                        dilation=3), RuntimeError,
     "Calculated padded input size per channel: (6 x 6). Kernel size: (7 x 7). Kernel size "
     "can't be greater than actual input size"),
    ("weight_dims", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(8, 4, 3)), RuntimeError,
     "expected stride to be a single integer value or a list of 1 values to match the "
     "convolution dimensions, but got stride=[1, 1]"),
    ("weight_2d", lambda m: m.nn.functional.conv1d(m.ones(1, 1, 4), m.ones(1, 2)), RuntimeError,
     "weight should have at least three dimensions"),
    ("weight_input_dims", lambda m: m.nn.functional.conv1d(m.ones(1, 4, 6), m.ones(*W)),
     RuntimeError, "Expected 4-dimensional input for 4-dimensional weight [8, 4, 3, 3], but got "
     "3-dimensional input of size [1, 4, 6] instead"),
    ("stride_length", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), stride=(1, 1, 1)),
     RuntimeError, "expected stride to be a single integer value or a list of 2 values to match "
     "the convolution dimensions, but got stride=[1, 1, 1]"),
    ("padding_length", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W),
                                                        padding=(1, 1, 1)), RuntimeError,
     "expected padding to be a single integer value or a list of 2 values to match the "
     "convolution dimensions, but got padding=[1, 1, 1]"),
    ("dilation_length", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W),
                                                         dilation=(1, 1, 1)), RuntimeError,
     "expected dilation to be a single integer value or a list of 2 values to match the "
     "convolution dimensions, but got dilation=[1, 1, 1]"),
    ("stride_zero", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), stride=0),
     RuntimeError, "non-positive stride is not supported"),
    ("padding_negative", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), padding=-1),
     RuntimeError, "negative padding is not supported"),
    ("dilation_negative", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(8, 3, 3, 3),
                                                           dilation=-1), RuntimeError,
     "dilation should be greater than zero"),
    ("dilation_zero", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), dilation=0),
     RuntimeError, "non-positive dilation is not supported"),
    ("padding_string", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), padding="foo"),
     RuntimeError, "Invalid padding string: 'foo'"),
    ("same_strided", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), padding="same",
                                                      stride=2), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    ("same_stride_length", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W),
                                                            padding="same", stride=(2, 1, 1)),
     RuntimeError, "stride cannot broadcast to 2 dimensions"),
    ("same_dilation_length", lambda m: m.nn.functional.conv2d(
        m.ones(*X), m.ones(*W), padding="same", dilation=(2, 1, 1)), RuntimeError,
     "dilation cannot broadcast to 2 dimensions"),
    ("same_groups", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(*W), padding="same",
                                                     groups=0), RuntimeError,
     "non-positive groups is not supported"),
    ("same_weight_dims", lambda m: m.nn.functional.conv2d(m.ones(1, 1, 4, 3), m.ones(1, 2, 2),
                                                          padding="same"), RuntimeError,
     "Expected 3-dimensional input for 3-dimensional weight[1, 2, 2], but got 4-dimensional "
     "input of size [1, 1, 4, 3] instead"),
    ("same_weight_2d", lambda m: m.nn.functional.conv1d(m.ones(1, 1, 4), m.ones(1, 2),
                                                        padding="same"), RuntimeError,
     "weight should have at least three dimensions"),
    ("bias_dtype", lambda m: m.nn.functional.conv2d(m.ones(*X), m.ones(8, 3, 3, 3),
                                                    m.ones(8, dtype=m.float64)), RuntimeError,
     "Input type (float) and bias type (double) should be the same"),
    ("integer_input_float_weight", lambda m: m.nn.functional.conv2d(
        m.ones(*X, dtype=m.int64), m.ones(*W)), RuntimeError,
     "expected scalar type Long but found Float"),
    ("bool", lambda m: m.nn.functional.conv2d(m.ones(*X, dtype=m.bool), m.ones(*W, dtype=m.bool)),
     NotImplementedError, "\"slow_conv2d_cpu\" not implemented for 'Bool'"),
    # the modules' constructors
    ("module_groups", lambda m: m.nn.Conv2d(4, 8, 3, groups=0), ValueError,
     "groups must be a positive integer"),
    ("module_in_channels", lambda m: m.nn.Conv2d(4, 8, 3, groups=3), ValueError,
     "in_channels must be divisible by groups"),
    ("module_out_channels", lambda m: m.nn.Conv2d(4, 6, 3, groups=4), ValueError,
     "out_channels must be divisible by groups"),
    ("module_same_strided", lambda m: m.nn.Conv2d(4, 6, 3, padding="same", stride=(1, 2)),
     ValueError, "padding='same' is not supported for strided convolutions"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def test_weight_dtype_names_both_tensor_types():
    # PyTorch's message names its own types (torch.FloatTensor); ours names tinygrad_bn's
    with pytest.raises(RuntimeError) as info:
        tg.nn.functional.conv2d(tg.ones(*X), tg.ones(*W, dtype=tg.float64))
    assert str(info.value) == (
        "Input type (tinygrad_bn.FloatTensor) and weight type (tinygrad_bn.DoubleTensor) should "
        "be the same or input should be a MKLDNN tensor and weight is a dense tensor")


@pytest.mark.parametrize("argument, value, message", [
    ("input", [1.0], "conv2d(): argument 'input' (position 1) must be Tensor, not list"),
    ("weight", 3, "conv2d(): argument 'weight' (position 2) must be Tensor, not int"),
    ("bias", 3, "conv2d(): argument 'bias' (position 3) must be Tensor, not int"),
    ("stride", 1.5, "conv2d(): argument 'stride' (position 4) must be tuple of ints, not float"),
    ("padding", 1.0, "conv2d(): argument 'padding' (position 5) must be tuple of ints, not "
                     "float"),
    ("dilation", (1, 2.0), "conv2d(): argument 'dilation' (position 6) must be tuple of ints, "
                           "not tuple"),
    ("groups", 1.0, "conv2d(): argument 'groups' (position 7) must be int, not float"),
])
def test_argument_types(argument, value, message):
    arguments = {"input": tg.ones(*X), "weight": tg.ones(*W), "bias": None}
    arguments[argument] = value
    with pytest.raises(TypeError) as info:
        tg.nn.functional.conv2d(**arguments)
    assert str(info.value) == message


def test_module_padding_string_error():
    # PyTorch prints a set of the two strings, in an order that varies with the hash seed
    with pytest.raises(ValueError) as info:
        tg.nn.Conv1d(4, 6, 3, padding="full")
    assert str(info.value) == ("Invalid padding string 'full', should be one of {'valid', "
                               "'same'}")


def test_padding_mode_error():
    with pytest.raises(ValueError) as info:
        tg.nn.Conv2d(4, 6, 3, padding_mode="mirror")
    assert str(info.value) == ("padding_mode must be one of ['zeros', 'reflect', 'replicate', "
                               "'circular'], but got padding_mode='mirror'")


# ---------------------------------------------------------------- modules


@pytest.mark.parametrize("make", [
    lambda m: m.nn.Conv2d(3, 8, 3),
    lambda m: m.nn.Conv2d(4, 8, (3, 2), stride=(2, 1), padding=1, dilation=2, groups=2,
                          bias=False),
    lambda m: m.nn.Conv2d(4, 8, 3, padding="same", padding_mode="reflect"),
    lambda m: m.nn.Conv2d(4, 8, 3, padding="valid"),
    lambda m: m.nn.Conv1d(3, 6, 5, stride=2, padding=2, padding_mode="circular"),
    lambda m: m.nn.Conv1d(3, 6, 4, padding="same", dilation=2, bias=False),
])
def test_module_repr_and_parameters_match_pytorch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(tg), make(torch)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    for name in ("kernel_size", "stride", "padding", "dilation", "groups", "padding_mode",
                 "in_channels", "out_channels", "transposed", "output_padding"):
        assert getattr(ours, name) == getattr(theirs, name), name


def test_initialisation_bounds_and_order():
    """kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in)); the weight is
    drawn before the bias, as in PyTorch."""
    tg.manual_seed(3)
    layer = tg.nn.Conv2d(6, 8, (3, 2), groups=2)
    bound = 1 / math.sqrt(3 * 3 * 2)
    for parameter in (layer.weight, layer.bias):
        values = parameter.detach().numpy()
        assert np.all(np.abs(values) <= bound) and values.std() > bound / 4
    tg.manual_seed(3)
    weight = tg.empty(8, 3, 3, 2)
    tg.nn.init.kaiming_uniform_(weight, a=math.sqrt(5))
    bias = tg.empty(8).uniform_(-bound, bound)
    np.testing.assert_array_equal(layer.weight.detach().numpy(), weight.numpy())
    np.testing.assert_array_equal(layer.bias.detach().numpy(), bias.numpy())


@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("dims", [1, 2])
def test_padding_modes_match_pytorch(padding_mode, dims):
    torch = pytest.importorskip("torch")
    kind = {1: "Conv1d", 2: "Conv2d"}[dims]
    padding = 2 if dims == 1 else (1, 2)
    ours = getattr(tg.nn, kind)(3, 4, 3, padding=padding, padding_mode=padding_mode,
                                dtype=tg.float64)
    theirs = getattr(torch.nn, kind)(3, 4, 3, padding=padding, padding_mode=padding_mode,
                                     dtype=torch.float64)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 3) + (5,) * dims)
    mine, reference = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(mine), theirs(reference)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    grad = np.linspace(-1, 1, expected.numel()).reshape(tuple(expected.shape))
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=1e-12)


def test_module_trains_a_step():
    tg.manual_seed(0)
    model = tg.nn.Sequential(tg.nn.Conv2d(1, 4, 3, padding=1), tg.nn.ReLU(), tg.nn.Flatten(),
                             tg.nn.Linear(4 * 5 * 5, 3))
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)
    x, y = tg.randn(8, 1, 5, 5), tg.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    losses = []
    for _ in range(5):
        optimizer.zero_grad()
        loss = tg.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def _conv2d_composed(x, weight, stride, dilation):
    """The convolution written with primitive ops (slices and einsum, no padding, groups 1):
    one term per kernel offset, ``x`` read at ``o * stride + k * dilation``."""
    (sh, sw), (dh, dw) = stride, dilation
    kh, kw = weight.shape[2:]
    oh = (x.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (x.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = None
    for i in range(kh):
        for j in range(kw):
            window = x[:, :, i * dh: i * dh + (oh - 1) * sh + 1: sh,
                       j * dw: j * dw + (ow - 1) * sw + 1: sw]
            term = tg.einsum("nchw,fc->nfhw", window, weight[:, :, i, j])
            out = term if out is None else out + term
    return out


@pytest.mark.parametrize("stride, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 2)), ((3, 2), (2, 1))])
def test_fused_op_equals_what_autograd_derives_from_primitive_ops(stride, dilation):
    rng = np.random.default_rng(0)
    x_array, w_array = rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 2))
    grad = None
    results = []
    for function in (lambda x, w: tg.nn.functional.conv2d(x, w, stride=stride,
                                                          dilation=dilation),
                     lambda x, w: _conv2d_composed(x, w, stride, dilation)):
        x, w = tg.tensor(x_array, requires_grad=True), tg.tensor(w_array, requires_grad=True)
        out = function(x, w)
        if grad is None:
            grad = rng.standard_normal(tuple(out.shape))
        out.backward(tg.tensor(grad))
        results.append((out.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
    for fused, composed in zip(*results):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda m: m.nn.Conv2d(2, 3, (3, 4), padding="same", dilation=(1, 3), padding_mode="reflect"),
    lambda m: m.nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"),
    lambda m: m.nn.Conv1d(2, 3, 3, padding=2),
])
def test_padding_for_padding_modes_is_kept_as_pytorch_keeps_it(make):
    torch = pytest.importorskip("torch")
    assert make(tg)._reversed_padding_repeated_twice == make(torch)._reversed_padding_repeated_twice


def test_reflect_padding_wider_than_the_input_is_refused_as_pytorch_does():
    torch = pytest.importorskip("torch")
    messages = []
    for m in (tg, torch):
        layer = m.nn.Conv1d(1, 1, 3, padding=4, padding_mode="reflect")
        with pytest.raises(RuntimeError) as info:
            layer(m.ones(1, 1, 3))
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# ---------------------------------------------------------------- transposed convolution

# (name, input shape, weight shape (C_in, C_out / groups, *kernel), keyword arguments, bias)
TRANSPOSED = [
    ("plain", (2, 3, 4, 4), (3, 2, 3, 3), {}, True),
    ("stride_padding_output_padding", (1, 3, 4, 4), (3, 3, 3, 3),
     {"stride": 2, "padding": 2, "output_padding": 1}, True),
    ("everything", (2, 2, 4, 4), (2, 2, 4, 5),
     {"stride": (3, 2), "padding": (1, 2), "output_padding": (2, 3), "groups": 2,
      "dilation": (4, 4)}, True),
    ("dilation", (1, 1, 4, 5), (1, 1, 4, 3),
     {"stride": 2, "padding": 1, "output_padding": 1, "dilation": (2, 3)}, False),
    ("depthwise", (2, 4, 4, 4), (4, 1, 3, 3), {"groups": 4}, True),
    ("unbatched", (2, 5, 5), (2, 4, 3, 3), {}, True),
    ("1d", (2, 2, 4), (2, 2, 4), {"stride": 3, "padding": 1, "output_padding": 2, "groups": 2,
                                  "dilation": 4}, True),
    ("1d_unbatched", (4, 5), (4, 8, 3), {}, False),
]
TRANSPOSED_IDS = [case[0] for case in TRANSPOSED]


def _transposed(module, weight_shape):
    return module.nn.functional.conv_transpose1d if len(weight_shape) == 3 else \
        module.nn.functional.conv_transpose2d


def _transposed_arrays(input_shape, weight_shape, kwargs, bias, dtype=np.float64):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(input_shape), rng.standard_normal(weight_shape)]
    if bias:
        arrays.append(rng.standard_normal(weight_shape[1] * kwargs.get("groups", 1)))
    return [a.astype(dtype) for a in arrays]


@pytest.mark.parametrize("name, input_shape, weight_shape, kwargs, bias", TRANSPOSED,
                         ids=TRANSPOSED_IDS)
def test_transposed_gradcheck(name, input_shape, weight_shape, kwargs, bias):
    tensors = [tg.tensor(a, requires_grad=True)
               for a in _transposed_arrays(input_shape, weight_shape, kwargs, bias)]
    function = _transposed(tg, weight_shape)
    assert tg.gradcheck(lambda *xs: function(*xs, **kwargs), tensors)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, input_shape, weight_shape, kwargs, bias", TRANSPOSED,
                         ids=TRANSPOSED_IDS)
def test_transposed_matches_pytorch(name, input_shape, weight_shape, kwargs, bias, dtype):
    torch = pytest.importorskip("torch")
    arrays = _transposed_arrays(input_shape, weight_shape, kwargs, bias, np.dtype(dtype))
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = _transposed(tg, weight_shape)(*ours, **kwargs)
    expected = _transposed(torch, weight_shape)(*theirs, **kwargs)
    tolerance = {"rtol": 1e-10, "atol": 1e-12} if dtype == "float64" else \
        {"rtol": 1e-5, "atol": 1e-5}
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tolerance)
    grad = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), **tolerance)


def test_transposed_is_the_adjoint_of_convolution():
    """<conv2d(x, w), y> = <x, conv_transpose2d(y, w)>: the transposed convolution is the
    gradient of the convolution with respect to its input."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, 3, 9, 8)))
    w = tg.tensor(rng.standard_normal((4, 3, 3, 2)))
    arguments = {"stride": (2, 3), "padding": (1, 1), "dilation": (1, 2)}
    y = tg.tensor(rng.standard_normal(tuple(tg.nn.functional.conv2d(x, w, **arguments).shape)))
    back = tg.nn.functional.conv_transpose2d(y, w, output_padding=(0, 1), **arguments)
    assert back.shape == x.shape
    left = (tg.nn.functional.conv2d(x, w, **arguments) * y).sum().item()
    assert left == pytest.approx((x * back).sum().item(), rel=1e-12)


TRANSPOSED_ERRORS = [
    ("input_dims", lambda m: m.nn.functional.conv_transpose2d(m.ones(4, 5), m.ones(4, 3, 3, 3)),
     RuntimeError, "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got "
     "input of size: [4, 5]"),
    ("channels", lambda m: m.nn.functional.conv_transpose2d(m.ones(2, 4, 5, 5),
                                                            m.ones(3, 3, 3, 3)), RuntimeError,
     "Given transposed=1, weight of size [3, 3, 3, 3], expected input[2, 4, 5, 5] to have 3 "
     "channels, but got 4 channels instead"),
    ("bias", lambda m: m.nn.functional.conv_transpose2d(m.ones(2, 4, 5, 5), m.ones(4, 3, 3, 3),
                                                        m.ones(4)), RuntimeError,
     "Given transposed=1, weight of size [4, 3, 3, 3], expected bias to be 1-dimensional with 3 "
     "elements, but got bias of size [4] instead"),
    ("groups", lambda m: m.nn.functional.conv_transpose2d(m.ones(2, 4, 5, 5), m.ones(4, 3, 3, 3),
                                                          groups=3), RuntimeError,
     "Given groups=3, expected weight to be divisible by 3 at dimension 0, but got weight of "
     "size [[4, 3, 3, 3]] instead"),
    ("groups_zero", lambda m: m.nn.functional.conv_transpose2d(m.ones(2, 4, 5, 5),
                                                               m.ones(4, 3, 3, 3), groups=0),
     RuntimeError, "non-positive groups is not supported"),
    ("output_padding_negative", lambda m: m.nn.functional.conv_transpose2d(
        m.ones(2, 4, 5, 5), m.ones(4, 3, 3, 3), output_padding=-1), RuntimeError,
     "negative output_padding is not supported"),
    ("output_padding_big", lambda m: m.nn.functional.conv_transpose2d(
        m.ones(2, 4, 5, 5), m.ones(4, 3, 3, 3), stride=2, output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation, but got "
     "output_padding_height: 2 output_padding_width: 2 stride_height: 2 stride_width: 2 "
     "dilation_height: 1 dilation_width: 1"),
    ("output_padding_length", lambda m: m.nn.functional.conv_transpose2d(
        m.ones(2, 4, 5, 5), m.ones(4, 3, 3, 3), output_padding=(1, 1, 1)), RuntimeError,
     "expected output_padding to be a single integer value or a list of 2 values to match the "
     "convolution dimensions, but got output_padding=[1, 1, 1]"),
    ("output_too_small", lambda m: m.nn.functional.conv_transpose2d(
        m.ones(1, 4, 1, 1), m.ones(4, 3, 3, 3), padding=2), RuntimeError,
     "Given input size per channel: (1 x 1). Calculated output size per channel: (-1 x -1). "
     "Output size is too small"),
    ("weight_input_dims", lambda m: m.nn.functional.conv_transpose1d(m.ones(1, 4, 5),
                                                                     m.ones(4, 3, 3, 3)),
     RuntimeError, "Expected 4-dimensional input for 4-dimensional weight [4, 3, 3, 3], but got "
     "3-dimensional input of size [1, 4, 5] instead"),
    ("integer_input_float_weight", lambda m: m.nn.functional.conv_transpose2d(
        m.ones(2, 4, 5, 5, dtype=m.int64), m.ones(4, 3, 3, 3)), RuntimeError,
     "expected scalar type Long but found Float"),
    ("int32", lambda m: m.nn.functional.conv_transpose2d(m.ones(2, 4, 5, 5, dtype=m.int32),
                                                         m.ones(4, 3, 3, 3, dtype=m.int32)),
     NotImplementedError, "\"slow_conv_transpose2d_out_cpu\" not implemented for 'Int'"),
    ("dilation_zero", lambda m: m.nn.functional.conv_transpose2d(
        m.ones(2, 4, 5, 5), m.ones(4, 3, 3, 3), dilation=0), RuntimeError,
     "could not create a primitive descriptor for the deconvolution forward propagation "
     "primitive. Run workload with environment variable ONEDNN_VERBOSE=all to get additional "
     "diagnostic information."),
    ("module_padding_mode", lambda m: m.nn.ConvTranspose2d(4, 6, 3, padding_mode="reflect"),
     ValueError, 'Only "zeros" padding mode is supported for ConvTranspose2d'),
    ("module_output_size", lambda m: m.nn.ConvTranspose2d(4, 6, 3, stride=2)(
        m.ones(2, 4, 5, 5), output_size=(14, 14)), ValueError,
     "requested an output size of (14, 14), but valid sizes range from [11, 11] to [12, 12] "
     "(for an input of torch.Size([5, 5]))"),
]


@pytest.mark.parametrize("name, call, error, message", TRANSPOSED_ERRORS,
                         ids=[e[0] for e in TRANSPOSED_ERRORS])
def test_transposed_error(name, call, error, message):
    with pytest.raises(error) as info:
        call(tg)
    assert str(info.value) == message


@pytest.mark.parametrize("name, call, error, message", TRANSPOSED_ERRORS,
                         ids=[e[0] for e in TRANSPOSED_ERRORS])
def test_transposed_pytorch_raises_the_same(name, call, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as info:
        call(torch)
    assert str(info.value).split("\n")[0] == message


@pytest.mark.parametrize("make", [
    lambda m: m.nn.ConvTranspose2d(4, 6, 3),
    lambda m: m.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                                   bias=False, dilation=2),
    lambda m: m.nn.ConvTranspose1d(4, 6, 3, stride=3, output_padding=2),
])
def test_transposed_module_matches_pytorch(make):
    torch = pytest.importorskip("torch")
    ours, theirs = make(tg).double(), make(torch).double()
    assert repr(ours) == repr(theirs)
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4) + (5,) * ours._dims)
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    target = tuple(theirs(torch.tensor(x)).shape[2:])
    wanted = tuple(size - extra for size, extra in zip(target, ours.output_padding))
    np.testing.assert_allclose(
        ours(tg.tensor(x), output_size=wanted).detach().numpy(),
        theirs(torch.tensor(x), output_size=wanted).detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("kwargs", [
    {"stride": 2, "padding": 1, "output_padding": 1},  # PyTorch's oneDNN path: rounded once
    {"stride": (3, 2), "padding": (1, 2), "output_padding": (2, 3), "groups": 2,
     "dilation": (4, 4)},  # its fallback (output_padding >= stride): every addition rounded
])
def test_transposed_float16_rounds_as_pytorch(kwargs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 2, 6, 6)) * 4).astype(np.float16)
    w = (rng.standard_normal((2, 4 // kwargs.get("groups", 1), 4, 5)) * 4).astype(np.float16)
    out = tg.nn.functional.conv_transpose2d(tg.tensor(x), tg.tensor(w), **kwargs)
    expected = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w), **kwargs)
    assert out.dtype == tg.float16
    np.testing.assert_allclose(out.numpy().astype(np.float64),
                               expected.numpy().astype(np.float64), rtol=1e-3, atol=1e-5)
