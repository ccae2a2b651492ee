"""Complex tensors: creation, promotion, printing, the views of their parts, the ops that compute
on them and the ones PyTorch refuses, and their gradients (PyTorch's convention: ``dL/dx + i
dL/dy`` for a real loss), each compared with PyTorch when it is installed."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

DTYPES = (np.complex64, np.complex128)
TOLERANCE = {np.complex64: 2e-5, np.complex128: 1e-12}


def _values(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return values.astype(dtype) if np.dtype(dtype).kind == "c" else values.real.astype(dtype)


def _close(ours, theirs, dtype):
    ours = ours.detach().numpy() if isinstance(ours, tg.Tensor) else ours
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else theirs
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours, theirs, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


# ---------------------------------------------------------------------- creation and dtypes


def test_python_complex_numbers_make_the_default_complex_dtype():
    assert tg.tensor(1 + 2j).dtype == tg.complex64 and tg.tensor(1 + 2j).item() == 1 + 2j
    assert tg.tensor([1 + 2j, 3]).tolist() == [1 + 2j, 3 + 0j]
    assert tg.tensor(np.array([1j])).dtype == tg.complex128  # arrays keep their dtype
    assert tg.tensor([1.0, 2.0], dtype=tg.cfloat).tolist() == [1 + 0j, 2 + 0j]
    previous = tg.get_default_dtype()
    try:
        tg.set_default_dtype(tg.float64)
        assert tg.tensor(1j).dtype == tg.complex128
    finally:
        tg.set_default_dtype(previous)
    assert tg.cfloat is tg.complex64 and tg.cdouble is tg.complex128
    assert tg.tensor([1.0]).cfloat().dtype == tg.complex64
    assert tg.tensor([1.0]).cdouble().dtype == tg.complex128
    assert tg.tensor([1.0]).to(tg.complex64).dtype == tg.complex64
    assert tg.tensor(1j).is_complex() and not tg.tensor(1.0).is_complex()
    assert not tg.tensor(1j).is_floating_point() and tg.is_complex(tg.tensor([1j]))
    shared = np.array([1 + 1j, 2], dtype=np.complex64)
    tg.from_numpy(shared)[0] = 5j
    assert shared[0] == 5j


def test_requires_grad_is_allowed_for_complex():
    x = tg.tensor([1 + 2j], requires_grad=True)
    assert x.requires_grad and repr(x) == "tensor([1.+2.j], requires_grad=True)"


@pytest.mark.parametrize("a", ["float16", "float32", "float64", "int64", "int8", "bool",
                               "complex64", "complex128"])
@pytest.mark.parametrize("b", ["complex64", "complex128"])
def test_promotion_is_pytorchs(a, b):
    torch = pytest.importorskip("torch")
    ours = tg.promote_types(getattr(tg, a), getattr(tg, b))
    assert str(ours) == str(torch.promote_types(getattr(torch, a), getattr(torch, b)))[6:]


@pytest.mark.parametrize("case", [
    "lib.ones(2) * 1j", "lib.ones(2, dtype=lib.float64) * 1j", "lib.ones(2, dtype=lib.int32) * 1j",
    "lib.ones(2, dtype=lib.complex64) * 2.5", "lib.ones(2) + lib.tensor(1j, dtype=lib.complex128)",
    "lib.ones(2, dtype=lib.complex64) + lib.ones(2, dtype=lib.float64)",
    "lib.ones(2, dtype=lib.complex64) * lib.tensor(2.0, dtype=lib.float64)",
    "lib.ones(2, dtype=lib.complex128) * lib.ones(2)", "lib.ones(2, dtype=lib.bool) * 1j",
    "lib.result_type(lib.ones(2), 1j)",
])
def test_mixed_arithmetic_dtypes_are_pytorchs(case):
    torch = pytest.importorskip("torch")
    ours, theirs = eval(case, {"lib": tg}), eval(case, {"lib": torch})
    ours_dtype = ours if not isinstance(ours, tg.Tensor) else ours.dtype
    theirs_dtype = theirs if not isinstance(theirs, torch.Tensor) else theirs.dtype
    assert str(ours_dtype) == str(theirs_dtype)[6:]
    if isinstance(ours, tg.Tensor):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("case", [
    "lib.tensor(1+2j)", "lib.tensor([1+2j, 3-4.5j, 1e-5j])",
    "lib.tensor([[1+2j, 3-4.5j], [1e10+1j, 0j]])", "lib.tensor([1+2j], dtype=lib.complex128)",
    "lib.tensor([0.5-0.25j, -1.5+2j])", "lib.tensor([1-0j, -0.0-1j])",
    "lib.tensor([float('nan') + 1j, float('inf') - 2j])",
    "lib.arange(30, dtype=lib.float32).reshape(3, 10) * (1 + 0.5j)",
    "lib.arange(2000, dtype=lib.float64).to(lib.complex128) / 7j",
    "lib.zeros(0, dtype=lib.complex64)", "lib.zeros(2, 0, dtype=lib.complex128)",
])
def test_printing_is_pytorchs(case):
    torch = pytest.importorskip("torch")
    assert repr(eval(case, {"lib": tg})) == repr(eval(case, {"lib": torch}))


# ---------------------------------------------------------------------- parts and views


def test_real_imag_and_view_as_real_share_memory():
    z = tg.tensor([1 + 2j, 3 - 4j])
    z.real.mul_(10)
    z.imag[1] = 7
    assert z.tolist() == [10 + 2j, 30 + 7j]
    pairs = tg.view_as_real(z)
    assert pairs.shape == (2, 2) and pairs.tolist() == [[10.0, 2.0], [30.0, 7.0]]
    pairs[0, 1] = -1
    assert z[0].item() == 10 - 1j
    back = tg.view_as_complex(pairs)
    back[1] = 0j
    assert z.tolist() == [10 - 1j, 0j] and back.dtype == tg.complex64
    assert tg.view_as_real(z.t() if z.ndim > 1 else z[::2]).tolist() == [[10.0, -1.0]]
    assert tg.tensor([1.0, 2.0]).real.tolist() == [1.0, 2.0]
    assert tg.view_as_complex(tg.ones(3, 2, dtype=tg.float64)).dtype == tg.complex128


def test_conj_and_its_bit():
    z = tg.tensor([1 + 2j])
    c = z.conj()
    assert c.tolist() == [1 - 2j] and c.is_conj() and not z.is_conj()
    assert not c.resolve_conj().is_conj() and c.resolve_conj().tolist() == [1 - 2j]
    assert not z.conj_physical().is_conj() and z.conj_physical().tolist() == [1 - 2j]
    x = tg.ones(2)
    assert x.conj() is x and not x.conj().is_conj() and x.resolve_conj() is x
    w = tg.tensor([1 + 2j, -1j])
    assert w.conj_physical_() is w and w.tolist() == [1 - 2j, 1j]


def test_complex_and_polar():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    for dtype in (np.float32, np.float64):
        _close(tg.complex(tg.tensor(a.astype(dtype)), tg.tensor(b.astype(dtype))),
               torch.complex(torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype))),
               np.complex64 if dtype == np.float32 else np.complex128)
        _close(tg.polar(tg.tensor(a.astype(dtype)), tg.tensor(b.astype(dtype))),
               torch.polar(torch.tensor(a.astype(dtype)), torch.tensor(b.astype(dtype))),
               np.complex64 if dtype == np.float32 else np.complex128)


# ---------------------------------------------------------------------- values against PyTorch

UNARY = ["exp", "log", "sqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh", "sigmoid", "log2",
         "log10", "log1p", "expm1", "rsqrt", "reciprocal", "square", "neg", "abs", "angle", "sgn",
         "asin", "acos", "atan", "asinh", "acosh", "atanh", "exp2", "conj_physical",
         "sum", "mean", "prod", "norm", "var", "std", "flatten", "t", "clone"]


@pytest.mark.parametrize("dtype", DTYPES, ids=["complex64", "complex128"])
@pytest.mark.parametrize("name", UNARY)
def test_unary_values_and_gradients_are_pytorchs(name, dtype):
    torch = pytest.importorskip("torch")
    values = _values((3, 4), dtype)
    x = tg.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    out, expected = getattr(x, name)(), getattr(t, name)()
    _close(out, expected, dtype)
    grad = _values(tuple(out.shape), out.numpy().dtype if not out.requires_grad else
                   out.detach().numpy().dtype, seed=1)
    if np.dtype(out.dtype).kind != "c":
        grad = grad.real.copy()
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    _close(x.grad, t.grad, dtype)


BINARY = ["add", "sub", "mul", "div", "pow", "matmul"]


@pytest.mark.parametrize("dtype", DTYPES, ids=["complex64", "complex128"])
@pytest.mark.parametrize("name", BINARY)
def test_binary_values_and_gradients_are_pytorchs(name, dtype):
    torch = pytest.importorskip("torch")
    a, b = _values((3, 3), dtype, 2), _values((3, 3) if name != "add" else (3,), dtype, 3)
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    s, t = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, expected = getattr(x, name)(y), getattr(s, name)(t)
    _close(out, expected, dtype)
    grad = _values(tuple(out.shape), dtype, 4)
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    _close(x.grad, s.grad, dtype)
    _close(y.grad, t.grad, dtype)


def test_real_inputs_of_complex_ops_get_real_gradients():
    torch = pytest.importorskip("torch")
    a, b = np.array([0.5, -1.0, 2.0]), np.array([0.3, 0.7, -0.2])
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    s, t = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ours = (tg.complex(x, y).exp() * (1 - 2j) + x * 1j).abs().sum() + tg.polar(x, y).angle().sum()
    theirs = (torch.complex(s, t).exp() * (1 - 2j) + s * 1j).abs().sum() + \
        torch.polar(s, t).angle().sum()
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(x.grad.numpy(), s.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    assert x.grad.dtype == tg.float64


def test_gradients_through_the_parts_are_pytorchs():
    torch = pytest.importorskip("torch")
    values = _values((2, 3), np.complex128, 5)

    def loss(lib, z):
        parts = lib.view_as_real(z * z)
        back = lib.view_as_complex(parts * 2)
        return (back.real ** 2).sum() + (z.imag * 3).sum() + z.conj().sin().abs().sum() + \
            (z.to(lib.float64) if lib is torch else z.real).sum()

    x = tg.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss(tg, x).backward()
        loss(torch, t).backward()
    _close(x.grad, t.grad, np.complex128)


def test_the_gradient_convention_by_finite_differences():
    """For a real loss, the gradient is dL/dx + i dL/dy (PyTorch's convention)."""
    values = _values((3,), np.complex128, 6)

    def loss(z):
        return ((z * z).exp().abs() ** 2).sum() + (z.log() * (0.5 - 1j)).real.sum()

    x = tg.tensor(values, requires_grad=True)
    loss(x).backward()
    h = 1e-6
    for i in range(3):
        expected = 0j
        for step, unit in ((h, 1), (h, 1j)):
            up, down = values.copy(), values.copy()
            up[i] += step * unit
            down[i] -= step * unit
            slope = (loss(tg.tensor(up)).item() - loss(tg.tensor(down)).item()) / (2 * h)
            expected += slope * unit
        np.testing.assert_allclose(x.grad.numpy()[i], expected, rtol=1e-6)


def test_higher_order_gradients_of_a_holomorphic_function():
    torch = pytest.importorskip("torch")
    values = _values((3,), np.complex128, 7)
    x = tg.tensor(values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    (gx,) = tg.autograd.grad((x * x * x).abs().sum(), x, create_graph=True)
    (gt,) = torch.autograd.grad((t * t * t).abs().sum(), t, create_graph=True)
    _close(gx, gt, np.complex128)
    (ggx,) = tg.autograd.grad(gx.abs().sum(), x)
    (ggt,) = torch.autograd.grad(gt.abs().sum(), t)
    _close(ggx, ggt, np.complex128)


# ---------------------------------------------------------------------- refusals

_Z = "lib.tensor([1+2j, 3j])"
ERRORS = [
    ("lt", lambda lib: lib.tensor([1 + 2j]) < 1, NotImplementedError,
     "\"lt_cpu\" not implemented for 'ComplexFloat'"),
    ("ge", lambda lib: lib.tensor([1 + 2j]) >= lib.tensor([1 + 2j]), NotImplementedError,
     "\"ge_cpu\" not implemented for 'ComplexFloat'"),
    ("max", lambda lib: lib.tensor([1 + 2j]).max(), NotImplementedError,
     "\"max_all\" not implemented for 'ComplexFloat'"),
    ("relu", lambda lib: lib.relu(lib.tensor([1 + 2j])), NotImplementedError,
     "clamp is not supported for complex types"),
    ("clamp", lambda lib: lib.tensor([1 + 2j]).clamp(0, 1), NotImplementedError,
     "clamp is not supported for complex types"),
    ("sign", lambda lib: lib.tensor([1 + 2j]).sign(), NotImplementedError,
     "Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
     "torch.sgn instead."),
    ("floor", lambda lib: lib.tensor([1 + 2j]).floor(), NotImplementedError,
     "floor is not supported for complex inputs"),
    ("argmax", lambda lib: lib.tensor([1 + 2j]).argmax(), RuntimeError,
     "argmax(): does not support complex input"),
    ("sort", lambda lib: lib.tensor([1 + 2j]).sort(), RuntimeError,
     " Sort does not support complex dtypes on CPU"),
    ("maximum", lambda lib: lib.maximum(lib.tensor([1j]), lib.tensor([1j])), RuntimeError,
     "maximum not implemented for complex tensors."),
    ("floor_divide", lambda lib: lib.tensor([1 + 2j]) // 2, NotImplementedError,
     "\"div_floor_cpu\" not implemented for 'ComplexFloat'"),
    ("remainder", lambda lib: lib.tensor([1 + 2j]) % 2, NotImplementedError,
     "\"remainder_cpu\" not implemented for 'ComplexFloat'"),
    ("imag_of_real", lambda lib: lib.ones(2).imag, RuntimeError,
     "imag is not implemented for tensors with non-complex dtypes."),
    ("view_as_real_of_real", lambda lib: lib.view_as_real(lib.ones(2)), RuntimeError,
     "view_as_real is only supported for complex tensors"),
    ("view_as_complex_size", lambda lib: lib.view_as_complex(lib.ones(2, 3)), RuntimeError,
     "Tensor must have a last dimension of size 2"),
    ("view_as_complex_stride", lambda lib: lib.view_as_complex(lib.ones(2, 4)[:, ::2]),
     RuntimeError, "Tensor must have a last dimension with stride 1"),
    ("view_as_complex_long", lambda lib: lib.view_as_complex(lib.ones(2, 2, dtype=lib.long)),
     RuntimeError, "view_as_complex is only supported for half, float and double tensors, but "
     "got a "
     "tensor of scalar type: Long"),
    ("view_as_complex_0d", lambda lib: lib.view_as_complex(lib.tensor(1.0)), RuntimeError,
     "Input tensor must have one or more dimensions"),
    ("complex_mixed", lambda lib: lib.complex(lib.ones(2), lib.ones(2, dtype=lib.float64)),
     RuntimeError, "Expected object of scalar type Float but got scalar type Double for second "
     "argument"),
    ("complex_long", lambda lib: lib.complex(lib.ones(2, dtype=lib.long),
                                             lib.ones(2, dtype=lib.long)),
     RuntimeError, "Expected both inputs to be Half, Float or Double tensors but got Long and "
     "Long"),
    ("real_dtype_of_complex_number", lambda lib: lib.tensor(1 + 2j, dtype=lib.float32),
     TypeError, "must be real number, not complex"),
    ("implicit_grad", lambda lib: (lib.tensor([1j], requires_grad=True) * 2).sum().backward(),
     RuntimeError, "grad can be implicitly created only for real scalar outputs but got "
     "torch.complex64"),
]
test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


def test_float16_meeting_complex_is_refused():
    with pytest.raises(TypeError, match="complex32"):
        tg.ones(2, dtype=tg.float16) * 1j
    with pytest.raises(TypeError, match="complex32"):
        tg.ones(2, dtype=tg.chalf)


MORE = [
    ("mH", lambda lib, a, b: a.mH), ("H", lambda lib, a, b: a.H),
    ("adjoint", lambda lib, a, b: a.adjoint()), ("vdot", lambda lib, a, b: lib.vdot(a[0], b[1])),
    ("cumprod", lambda lib, a, b: a.cumprod(1)),
    ("linear", lambda lib, a, b: lib.nn.functional.linear(a, b, b[0])),
    ("pad", lambda lib, a, b: lib.nn.functional.pad(a, (1, 2))),
    ("scatter_add", lambda lib, a, b: a.scatter_add(0, lib.tensor([[1, 0, 1]]), b[:1])),
    ("index_add", lambda lib, a, b: a.index_add(0, lib.tensor([2, 0]), b[:2])),
    ("masked_fill", lambda lib, a, b: a.masked_fill(lib.tensor([True, False, True]), 2j)),
    ("where", lambda lib, a, b: lib.where(lib.tensor([True, False, True]), a, b)),
    ("cat", lambda lib, a, b: lib.cat([a, b], 1)), ("flip", lambda lib, a, b: a.flip(0)),
    ("gather", lambda lib, a, b: a.gather(1, lib.tensor([[2, 0], [1, 1], [0, 2]]))),
    ("einsum", lambda lib, a, b: lib.einsum("ij,kj->ik", a, b)),
    ("trace", lambda lib, a, b: a.trace()),
]


@pytest.mark.parametrize("name, function", MORE, ids=[name for name, _ in MORE])
def test_more_ops_and_their_gradients_are_pytorchs(name, function):
    torch = pytest.importorskip("torch")
    a, b = _values((3, 3), np.complex128, 8), _values((3, 3), np.complex128, 9)
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    s, t = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, expected = function(tg, x, y), function(torch, s, t)
    _close(out, expected.resolve_conj(), np.complex128)
    grad = _values(tuple(out.shape), np.complex128, 10)
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    for ours, theirs in ((x, s), (y, t)):
        if theirs.grad is not None:
            _close(ours.grad, theirs.grad, np.complex128)


def test_full_of_a_complex_number():
    assert tg.full((2,), 1j).dtype == tg.complex64 and tg.full((2,), 1j).tolist() == [1j, 1j]


def test_python_conversions_finfo_and_type_names_are_pytorchs():
    torch = pytest.importorskip("torch")
    for lib in (tg, torch):
        assert complex(lib.tensor(1 + 2j)) == 1 + 2j and complex(lib.tensor(2.0)) == 2 + 0j
        with pytest.raises(RuntimeError, match="value cannot be converted to type double"):
            float(lib.tensor(1j))
    assert tg.tensor(1j).type() == torch.tensor(1j).type() == "torch.ComplexFloatTensor"
    assert str(tg.finfo(tg.complex128).dtype) == "float64"
    assert tg.finfo(tg.complex64).eps == torch.finfo(torch.complex64).eps
