"""The nine dtypes and PyTorch's promotion: result dtypes of binary ops for every pair, with
0-d tensors and Python scalars; conversions; the legacy typed constructors; integer inputs
that PyTorch refuses. Compared with PyTorch when installed, and with PyTorch's recorded
answers otherwise."""

import itertools
import re

import numpy as np
import pytest

import tinygrad_bn as tg

NAMES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]

# (left, right, shapes) -> PyTorch's result, for cases where NumPy alone would differ.
RECORDED = [
    ("uint8", "int8", ((2,), (2,)), "int16"),
    ("int16", "float16", ((2,), (2,)), "float16"),
    ("int32", "int64", ((2,), ()), "int32"),        # a 0-d tensor never widens within a category
    ("float32", "float64", ((2,), ()), "float32"),
    ("int32", "float64", ((2,), ()), "float64"),    # ... but a higher category joins
    ("float32", "float64", ((), ()), "float64"),
    ("bool", "int32", ((2,), ()), "int32"),
    ("float16", "float32", ((2,), (2,)), "float32"),
]


def _operand(lib, name, shape):
    dtype = getattr(lib, name)
    return lib.ones(*shape, dtype=dtype) if shape else lib.tensor(1, dtype=dtype)


def _result(lib, left, right, shapes, op):
    try:
        return str(op(_operand(lib, left, shapes[0]), _operand(lib, right, shapes[1])).dtype)
    except Exception as error:  # noqa: BLE001 - the kind of error is compared
        return type(error).__name__


@pytest.mark.parametrize("left, right, shapes, expected", RECORDED)
def test_promotion_recorded(left, right, shapes, expected):
    assert _result(tg, left, right, shapes, lambda a, b: a * b) == expected


@pytest.mark.parametrize("op", ["add", "mul", "truediv", "sub", "maximum", "where"])
def test_promotion_table_matches_pytorch(op):
    torch = pytest.importorskip("torch")
    functions = {
        "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "truediv": lambda a, b: a / b,
        "sub": lambda a, b: a - b, "maximum": lambda a, b: type(a).maximum(a, b),
        "where": lambda a, b: (tg if isinstance(a, tg.Tensor) else torch).where(a > 0, a, b),
    }
    mismatches = []
    for left, right in itertools.product(NAMES, NAMES):
        for shapes in [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())]:
            theirs = _result(torch, left, right, shapes, functions[op]).replace("torch.", "")
            ours = _result(tg, left, right, shapes, functions[op])
            if theirs != ours and not (theirs.endswith("Error") and ours.endswith("Error")):
                mismatches.append((left, right, shapes, theirs, ours))
    assert mismatches == []


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_python_scalars_never_widen_a_tensor(name, scalar):
    torch = pytest.importorskip("torch")
    theirs = str((torch.ones(2, dtype=getattr(torch, name)) * scalar).dtype)
    assert str((tg.ones(2, dtype=getattr(tg, name)) * scalar).dtype) == theirs.replace("torch.", "")


def test_scalars_without_pytorch():
    assert (tg.ones(2, dtype=tg.int32) * 3).dtype == tg.int32
    assert (tg.ones(2, dtype=tg.int32) * 0.5).dtype == tg.float32
    assert (tg.ones(2, dtype=tg.float16) * 0.5).dtype == tg.float16
    assert (tg.ones(2, dtype=tg.bool) + 1).dtype == tg.int64
    assert (tg.ones(2, dtype=tg.int16) / 2).dtype == tg.float32


# Expressions on a tensor x of each dtype, compared with PyTorch: value and dtype, or both
# raising.
EXPRESSIONS = [
    "x.exp()", "x.sum()", "x.sum(0)", "x.max()", "x.abs()", "x.cumsum(0)", "x.prod()", "x @ x",
    "x == x", "x.float()", "x.long()", "x.int()", "x.half()", "x.short()", "x.char()", "x.byte()",
    "x.to(T.int32)", "x.sqrt()", "T.cat([x, x])", "T.stack([x, x.long()])", "x.sort().values",
    "x // 2", "x % 2", "x ** 2", "T.where(x > 0, x, 0)", "x.flip(0)", "x.clone().zero_()",
    "x.clone().add_(1)", "T.zeros_like(x)", "T.full_like(x, 1)", "x.gather(0, T.tensor([0, 1]))",
    "x.mean()", "x.var()", "x.softmax(0)", "x.log_softmax(0)", "x.softmax(0, dtype=T.float64)",
]


@pytest.mark.parametrize("name", [n for n in NAMES if n != "bool"])
def test_ops_on_each_dtype_match_pytorch(name):
    torch = pytest.importorskip("torch")

    def run(lib):
        x = lib.tensor([1, 2, 3], dtype=getattr(lib, name))
        results = []
        for expression in EXPRESSIONS:
            try:
                value = eval(expression, {"T": lib, "x": x})
            except Exception:  # noqa: BLE001 - both must raise
                results.append("raises")
                continue
            results.append((str(value.dtype).replace("torch.", ""),
                            np.asarray(value.detach().double()).tolist()))
        return results

    for expression, ours, theirs in zip(EXPRESSIONS, run(tg), run(torch)):
        assert (expression, ours[0] if ours != "raises" else ours) == \
            (expression, theirs[0] if theirs != "raises" else theirs)
        if ours != "raises":
            np.testing.assert_allclose(ours[1], theirs[1], rtol=2e-3, err_msg=expression)


def test_float16_takes_gradients():
    x = tg.tensor([1.0, 2.0], dtype=tg.float16, requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.dtype == tg.float16 and x.grad.tolist() == [2.0, 4.0]


def test_arrays_keep_their_dtype():
    for dtype in (np.int32, np.int16, np.int8, np.uint8, np.float16):
        assert tg.tensor(np.ones(2, dtype=dtype)).dtype == np.dtype(dtype)
        assert tg.from_numpy(np.ones(2, dtype=dtype)).dtype == np.dtype(dtype)
    assert tg.tensor(np.ones(2, dtype=np.uint32)).dtype == tg.int64


def test_dtype_names():
    assert tg.int is tg.int32 and tg.short is tg.int16 and tg.half is tg.float16
    assert tg.long is tg.int64 and tg.float is tg.float32 and tg.double is tg.float64
    assert tg.arange(3, dtype=tg.int32).dtype == tg.int32


# ---------------------------------------------------------------------- legacy constructors

LEGACY = ["FloatTensor", "DoubleTensor", "HalfTensor", "ByteTensor", "CharTensor", "ShortTensor",
          "IntTensor", "LongTensor", "BoolTensor"]


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_constructors_match_pytorch(name):
    torch = pytest.importorskip("torch")
    for lib_args in ([[1, 0, 2]], [(1, 2)], [np.array([1.7, 0.0])]):
        ours, theirs = getattr(tg, name)(*lib_args), getattr(torch, name)(*lib_args)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
        assert ours.tolist() == theirs.tolist()
    assert getattr(tg, name)(2, 3).shape == getattr(torch, name)(2, 3).shape
    assert isinstance(getattr(tg, name)([1]), getattr(tg, name))


def test_legacy_constructors_without_pytorch():
    assert tg.LongTensor([1.7, 2.0]).tolist() == [1, 2]
    assert tg.FloatTensor(2, 3).shape == (2, 3) and tg.FloatTensor().shape == (0,)
    assert tg.FloatTensor(size=(4,)).shape == (4,)
    assert tg.FloatTensor(tg.Size([2, 5])).shape == (2, 5)
    t = tg.ones(2)
    assert tg.FloatTensor(t) is t
    assert isinstance(tg.ones(2), tg.FloatTensor) and not isinstance(tg.ones(2), tg.LongTensor)
    assert tg.ones(2).type() == "torch.FloatTensor"
    assert tg.ones(2).type("torch.LongTensor").dtype == tg.int64
    assert tg.ones(2).type(tg.IntTensor).dtype == tg.int32
    assert tg.ones(2).type(tg.float64).dtype == tg.float64
    assert repr(tg.FloatTensor) == "<class 'torch.FloatTensor'>"


@pytest.mark.parametrize("action, error, message", [
    (lambda: tg.FloatTensor(tg.tensor([1, 2])), TypeError,
     "expected Float tensor (got Long tensor)"),
    (lambda: tg.FloatTensor(2.5), TypeError, "new(): data must be a sequence (got float)"),
    (lambda: tg.FloatTensor(-1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    (lambda: tg.FloatTensor([1], size=(2,)), TypeError,
     "FloatTensor() got both positional data and size="),
    (lambda: tg.ones(2).type("torch.Banana"), ValueError, "invalid type: 'torch.Banana'"),
    (lambda: tg.ones(3, dtype=tg.int32).var(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda: tg.ones(3, dtype=tg.int64).std(), RuntimeError,
     "std and var only support floating point and complex dtypes"),
    (lambda: tg.ones(3, dtype=tg.int64).softmax(0), NotImplementedError,
     "softmax(): not implemented for 'Long' tensors"),
    (lambda: tg.ones(3, dtype=tg.uint8).log_softmax(0), NotImplementedError,
     "log_softmax(): not implemented for 'Byte' tensors"),
    (lambda: tg.ones(2, dtype=tg.int32).requires_grad_(), RuntimeError,
     "only Tensors of floating point"),
])
def test_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_sums_of_small_integers_are_int64():
    assert tg.ones(3, dtype=tg.uint8).sum().dtype == tg.int64
    assert tg.tensor([200, 100], dtype=tg.uint8).sum().item() == 300
    assert tg.ones(3, dtype=tg.int32).cumsum(0).dtype == tg.int64


def test_softmax_dtype_and_implicit_dim_match_pytorch():
    x = tg.tensor([[1, 2], [3, 5]])
    assert x.softmax(1, dtype=tg.float64).dtype == tg.float64
    assert tg.nn.functional.log_softmax(x, dim=0, dtype=tg.float32).dtype == tg.float32
    message = "Implicit dimension choice for softmax has been deprecated"
    with pytest.warns(UserWarning, match=message):
        implicit = tg.nn.functional.softmax(x.float())
    assert implicit.tolist() == x.float().softmax(1).tolist()
    with pytest.warns(UserWarning, match=message):
        assert tg.nn.Softmax()(tg.ones(3)).tolist() == pytest.approx([1 / 3] * 3)
    torch = pytest.importorskip("torch")
    for shape in [(3,), (2, 3), (2, 3, 4)]:
        data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 7
        with pytest.warns(UserWarning):
            ours = tg.nn.functional.log_softmax(tg.tensor(data)).numpy()
        with pytest.warns(UserWarning):
            theirs = torch.nn.functional.log_softmax(torch.tensor(data)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)


def test_integer_constants_wrap_as_in_pytorch():
    """A Python int beyond an integer tensor's dtype wraps in arithmetic and comparisons,
    negatives wrap into unsigned dtypes, and floats truncate; big floats into float dtypes are
    fine."""
    small = tg.tensor([44, 1], dtype=tg.uint8)
    assert (small + 300).tolist() == [88, 45] and (small + 300).dtype == tg.uint8
    assert (small == 300).tolist() == [True, False] and (small * -1).tolist() == [212, 255]
    assert (tg.tensor([1], dtype=tg.int32) < 2**40).tolist() == [False]
    assert tg.tensor([-1], dtype=tg.uint8).tolist() == [255]
    written = tg.ones(2, dtype=tg.uint8)
    written[0] = -1
    assert written.tolist() == [255, 1]
    assert tg.tensor([2.7, -3.2], dtype=tg.int32).tolist() == [2, -3]
    assert tg.tensor(2**63, dtype=tg.float32).item() == float(2**63)
    assert tg.tensor([2**64], dtype=tg.float64).tolist() == [float(2**64)]
    assert tg.full((2,), 2.5, dtype=tg.int64).tolist() == [2, 2]


def test_integer_wrapping_matches_pytorch():
    torch = pytest.importorskip("torch")
    for expression in ("T.tensor([44, 1], dtype=T.uint8) + 300",
                       "T.tensor([44, 1], dtype=T.uint8) == 300",
                       "T.tensor([44, 1], dtype=T.uint8) * -1",
                       "T.tensor([-1, 5], dtype=T.uint8)", "T.tensor([7], dtype=T.int16) * 5000"):
        ours, theirs = eval(expression, {"T": tg}), eval(expression, {"T": torch})
        assert ours.tolist() == theirs.tolist(), expression


def test_float16_sums_accumulate_in_float32_as_pytorch():
    x = tg.tensor([0.1] * 3000, dtype=tg.float16)
    assert x.cumsum(0)[-1].item() == 300.0 and x.sum().item() == 300.0
    assert x.sum().dtype == tg.float16 and x.cumsum(0).dtype == tg.float16
    assert abs(x.mean().item() - 0.1) < 1e-3


def test_variance_gradient_stays_in_the_input_dtype():
    x = tg.randn(4, requires_grad=True)
    (grad,) = x.var().grad_fn.backward(np.ones((), dtype=np.float32))
    assert grad.dtype == np.float32
