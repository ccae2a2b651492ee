"""``F.pad`` in its four modes and the padding layers: values (every dtype) and float64
gradients against PyTorch (when installed), finite differences in float64, the ConstantPad op
against the same padding from primitive ops, reprs, and every error path's message."""

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn.functional as F

from pytorch_errors import error_tests

# (input shape, pad, mode)
CASES = [
    ((1, 2, 3), (1, 1), "reflect"), ((1, 2, 3), (2, 2), "reflect"), ((1, 2, 3), (-1, 2), "reflect"),
    ((2, 3), (2, 0), "reflect"), ((1, 2, 3, 4), (1, 2, 2, 1), "reflect"),
    ((1, 1, 2, 3, 4), (1, 1, 1, 1, 1, 1), "reflect"), ((2, 3, 4), (3, 3, 2, 2), "replicate"),
    ((1, 2, 3), (-1, -1), "replicate"), ((1, 2, 3, 4), (1, 1, -2, 1), "replicate"),
    ((1, 2, 3), (3, 1), "circular"), ((1, 2, 3), (-1, 1), "circular"),
    ((1, 2, 3, 4), (1, 2, 2, -1), "circular"), ((1, 2, 3, 4), (1, 1, 0, -3), "circular"),
    ((1, 2, 3, 4, 5), (1, 2, 1, 0, 2, 1), "circular"), ((2, 3), (1, 2), "constant"),
    ((2, 3), (1, 2, 3, 4), "constant"), ((2, 3), (-1, 2, 0, -1), "constant"),
    ((2, 3, 4), (-3, 0), "constant"), ((2, 3), (0, 0), "constant"), ((), (), "constant"),
]
DTYPES = [np.float64, np.float32, np.float16, np.int64, np.int32, np.uint8, np.bool_]


# bool tensors in reflect and replicate modes are refused by both (test_errors)
@pytest.mark.parametrize("case, dtype", [
    (case, dtype) for case in range(len(CASES)) for dtype in DTYPES
    if not (dtype is np.bool_ and CASES[case][2] in ("reflect", "replicate"))],
    ids=lambda value: value.__name__ if isinstance(value, type) else str(value))
def test_values_and_gradients_match_pytorch(case, dtype):
    torch = pytest.importorskip("torch")
    shape, pad, mode = CASES[case]
    array = (np.random.default_rng(case).standard_normal(shape) * 5).astype(dtype)
    grad = dtype is np.float64
    theirs, ours = torch.tensor(array, requires_grad=grad), tg.tensor(array, requires_grad=grad)
    keywords = {"value": 2.5} if mode == "constant" else {}
    expected = torch.nn.functional.pad(theirs, pad, mode, **keywords)
    out = F.pad(ours, pad, mode, **keywords)
    assert tuple(out.shape) == tuple(expected.shape) and str(out.dtype) == str(expected.dtype)[6:]
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    if grad:
        grad_output = np.random.default_rng(1).standard_normal(tuple(out.shape))
        expected.backward(torch.tensor(grad_output))
        out.backward(tg.tensor(grad_output))
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", [0, 2, 4, 5, 6, 8, 9, 10, 13, 15, 16])
def test_gradients_match_finite_differences(case):
    shape, pad, mode = CASES[case]
    x = tg.tensor(np.random.default_rng(case).standard_normal(shape), requires_grad=True)
    assert tg.gradcheck(lambda t: F.pad(t, pad, mode), (x,))


def test_constant_pad_op_equals_primitive_ops():
    """One ConstantPad node against the same padding as a cat of filled blocks."""
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    grad_output = tg.tensor(rng.standard_normal((2, 6, 5)))
    fused = F.pad(x, (0, 1, 1, 2), value=1.5)
    assert type(fused.grad_fn).__name__ == "ConstantPad"
    fused.backward(grad_output)
    fused_grad, x.grad = x.grad.numpy(), None
    rows = tg.cat([tg.full((2, 1, 4), 1.5, dtype=tg.float64), x,
                   tg.full((2, 2, 4), 1.5, dtype=tg.float64)], dim=1)
    composed = tg.cat([rows, tg.full((2, 6, 1), 1.5, dtype=tg.float64)], dim=2)
    composed.backward(grad_output)
    np.testing.assert_array_equal(fused.detach().numpy(), composed.detach().numpy())
    np.testing.assert_array_equal(fused_grad, x.grad.numpy())


def test_result_never_shares_the_inputs_memory():
    x = tg.ones(2, 3)
    out = F.pad(x, (0, 0))
    out.add_(1)
    assert x.sum().item() == 6


MODULES = [
    ("ZeroPad1d", (2,), "ZeroPad1d((2, 2))", (2, 3)),
    ("ZeroPad2d", ((1, 2, 3, 4),), "ZeroPad2d((1, 2, 3, 4))", (2, 3, 4)),
    ("ZeroPad3d", (1,), "ZeroPad3d((1, 1, 1, 1, 1, 1))", (1, 2, 3, 4)),
    ("ConstantPad1d", (1, 2), "ConstantPad1d(padding=(1, 1), value=2)", (3,)),
    ("ConstantPad2d", ((1, 2, 3, 4), 3.5), "ConstantPad2d(padding=(1, 2, 3, 4), value=3.5)",
     (2, 3, 4)),
    ("ConstantPad3d", (1, -1.0), "ConstantPad3d(padding=(1, 1, 1, 1, 1, 1), value=-1.0)",
     (2, 3, 4)),
    ("ReflectionPad1d", (2,), "ReflectionPad1d((2, 2))", (2, 3)),
    ("ReflectionPad2d", ((1, 0, 2, 1),), "ReflectionPad2d((1, 0, 2, 1))", (1, 2, 3, 4)),
    ("ReflectionPad3d", (1,), "ReflectionPad3d((1, 1, 1, 1, 1, 1))", (1, 2, 3, 4)),
    ("ReplicationPad1d", ((3, 1),), "ReplicationPad1d((3, 1))", (1, 2, 3)),
    ("ReplicationPad2d", (2,), "ReplicationPad2d((2, 2, 2, 2))", (2, 3, 4)),
    ("ReplicationPad3d", (1,), "ReplicationPad3d((1, 1, 1, 1, 1, 1))", (1, 1, 2, 3, 4)),
    ("CircularPad1d", (1,), "CircularPad1d((1, 1))", (2, 3)),
    ("CircularPad2d", ((1, 2, 0, 1),), "CircularPad2d((1, 2, 0, 1))", (1, 2, 3, 4)),
    ("CircularPad3d", (1,), "CircularPad3d((1, 1, 1, 1, 1, 1))", (1, 2, 3, 4)),
]


@pytest.mark.parametrize("name, arguments, text, shape", MODULES, ids=[m[0] for m in MODULES])
def test_modules(name, arguments, text, shape):
    module = getattr(tg.nn, name)(*arguments)
    assert repr(module) == text and module.state_dict() == {}
    x = np.random.default_rng(0).standard_normal(shape)
    mode = {"Zero": "constant", "Cons": "constant", "Refl": "reflect", "Repl": "replicate",
            "Circ": "circular"}[name[:4]]
    keywords = {"value": module.value} if mode == "constant" else {}
    np.testing.assert_array_equal(module(tg.tensor(x)).numpy(),
                                  F.pad(tg.tensor(x), module.padding, mode, **keywords).numpy())
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(*arguments)
    assert repr(theirs) == text
    np.testing.assert_array_equal(module(tg.tensor(x)).numpy(), theirs(torch.tensor(x)).numpy())


NOT_SUPPORTED = ("Padding size {} is not supported for {}D input tensor.\n"
                 "Supported combinations for non-constant padding:\n"
                 "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                 "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                 "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _x(m, *shape, dtype=None):
    return m.ones(*shape, dtype=dtype or m.float32)


ERRORS = [
    ("odd", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (1,)), RuntimeError,
     "Padding length must be divisible by 2"),
    ("too_long", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (1,) * 8), RuntimeError,
     "Padding length should be less than or equal to two times the input dimension but got "
     "padding length 8 and input of dimension 3"),
    ("mode", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (1, 1), mode="foo"),
     NotImplementedError, "Unrecognised padding mode foo"),
    ("value", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (1, 1), mode="reflect", value=1.0),
     RuntimeError, "Padding mode \"reflect\" doesn't take in value argument"),
    ("reflect_too_wide", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (3, 3), mode="reflect"),
     RuntimeError, "Argument #4: Padding size should be less than the corresponding input "
                   "dimension, but got: padding (3, 3) at dimension 2 of input [1, 2, 3]"),
    ("reflect_2d_height", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3, 4), (1, 1, 3, 3),
                                                        mode="reflect"),
     RuntimeError, "Argument #6: Padding size should be less than the corresponding input "
                   "dimension, but got: padding (3, 3) at dimension 2 of input [1, 2, 3, 4]"),
    ("reflect_3d_depth", lambda m: m.nn.functional.pad(_x(m, 1, 1, 2, 3, 4), (1, 1, 1, 1, 2, 2),
                                                       mode="reflect"),
     RuntimeError, "Argument #8: Padding size should be less than the corresponding input "
                   "dimension, but got: padding (2, 2) at dimension 2 of input [1, 1, 2, 3, 4]"),
    ("reflect_3_of_3d", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (1,) * 6, mode="reflect"),
     NotImplementedError, NOT_SUPPORTED.format(6, 3)),
    ("reflect_1d", lambda m: m.nn.functional.pad(_x(m, 3), (1, 1), mode="reflect"),
     NotImplementedError, NOT_SUPPORTED.format(2, 1)),
    ("circular_wraps", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (4, 1), mode="circular"),
     RuntimeError, "Padding value causes wrapping around more than once."),
    ("circular_negative", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3, 4), (1, 1, 0, -4),
                                                        mode="circular"),
     RuntimeError, "Negative padding value is resulting in an empty dimension"),
    ("constant_negative", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (-5, 1)), RuntimeError,
     "narrow(): length must be non-negative."),
    ("replicate_negative", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3, 4), (1, 1, 0, -4),
                                                         mode="replicate"),
     RuntimeError, "Trying to create tensor with negative dimension -1: [1, 2, -1, 6]"),
    ("replicate_empty", lambda m: m.nn.functional.pad(_x(m, 1, 2, 0), (1, 1), mode="replicate"),
     RuntimeError, "Expected 2D or 3D (batch mode) tensor with possibly 0 batch size and other "
                   "non-zero dimensions for input, but got: [1, 2, 0]"),
    ("reflect_empty_2d", lambda m: m.nn.functional.pad(_x(m, 1, 2, 0, 4), (1, 1, 1, 1),
                                                       mode="reflect"),
     RuntimeError, "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                   "non-zero dimensions for input, but got: [1, 2, 0, 4]"),
    ("reflect_bool", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3, dtype=m.bool), (1, 1),
                                                   mode="reflect"),
     NotImplementedError, "\"reflection_pad1d\" not implemented for 'Bool'"),
    ("replicate_bool", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3, 4, dtype=m.bool),
                                                     (1, 1, 1, 1), mode="replicate"),
     NotImplementedError, "\"replication_pad2d\" not implemented for 'Bool'"),
    ("float_width", lambda m: m.nn.functional.pad(_x(m, 1, 2, 3), (1.5, 1)), TypeError,
     "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of type "
     "float at pos 0"),
    ("circular_module_rank", lambda m: m.nn.CircularPad1d(1)(_x(m, 3)), ValueError,
     "expected 2D or 3D input (got 1D input)"),
]


test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)
