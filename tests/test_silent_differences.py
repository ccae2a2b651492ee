"""Small differences from PyTorch that gave no error (a message worded otherwise, a last bit, a
sign of zero, a stride), each checked against PyTorch where it is installed and against the
value or message PyTorch gives where it is not (its bits computed with NumPy the way PyTorch's
CPU kernel computes them)."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.ops.elementwise import _HALF_BLOCK


def _torch_or_none():
    try:
        import torch
    except ImportError:
        return None
    return torch


def _raises(call, error, message):
    """``call(tinygrad_bn)`` raises ``error`` with exactly ``message``, and so does
    ``call(torch)`` when PyTorch is installed."""
    modules = [tg] + [m for m in (_torch_or_none(),) if m is not None]
    for module in modules:
        with pytest.raises(error, match="^" + re.escape(message) + "$"):
            call(module)


def _same_bits(ours, expected):
    """Arrays equal bit for bit (NaNs of any payload equal, signed zeros told apart)."""
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.dtype == expected.dtype and ours.shape == expected.shape
    unsigned = {2: np.uint16, 4: np.uint32, 8: np.uint64}[ours.dtype.itemsize]
    differ = (ours.view(unsigned) != expected.view(unsigned)) & ~(np.isnan(ours) & np.isnan(expected))
    assert not differ.any(), f"{differ.sum()} differ, first at {np.flatnonzero(differ)[:5]}"


# --- out= of the wrong type -----------------------------------------------------------------

OUT_TYPE_CASES = [
    (lambda m: m.exp(m.ones(2), out=[1, 2]), "exp(): argument 'out' must be Tensor, not list"),
    (lambda m: m.exp(m.ones(2), out=(1,)), "exp(): argument 'out' must be Tensor, not tuple"),
    (lambda m: m.exp(m.ones(2), out=[m.ones(2)]), "exp(): argument 'out' must be Tensor, not list"),
    (lambda m: m.add(m.ones(2), 1, out=[]), "add(): argument 'out' must be Tensor, not list"),
    (lambda m: m.exp(m.ones(2), out=np.ones(2)),
     "exp(): argument 'out' must be Tensor, not numpy.ndarray"),
    (lambda m: m.max(m.ones(2, 3), 1, out=[1, 2]),
     "expected Tensor as element 0 in argument 3, but got int"),
    (lambda m: m.max(m.ones(2, 3), 1, out=(m.ones(2), 2.0)),
     "expected Tensor as element 1 in argument 3, but got float"),
    (lambda m: m.sort(m.ones(2, 3), out=(1, 2)),
     "expected Tensor as element 0 in argument 3, but got int"),
    (lambda m: m.sort(m.ones(2, 3), stable=True, out=(1, 2)),
     "expected Tensor as element 0 in argument 4, but got int"),
    (lambda m: m.topk(m.ones(2, 3), 2, out=[None, None]),
     "expected Tensor as element 0 in argument 5, but got NoneType"),
]


@pytest.mark.parametrize("index", range(len(OUT_TYPE_CASES)))
def test_out_of_the_wrong_type_gets_pytorchs_message(index):
    call, message = OUT_TYPE_CASES[index]
    _raises(call, TypeError, message)


# --- strides of empty tensors -----------------------------------------------------------------

EMPTY_STRIDES = [((0,), (1,)), ((0, 3), (3, 1)), ((3, 0), (1, 1)), ((2, 0, 4), (4, 4, 1)),
                 ((0, 0, 2), (2, 2, 1)), ((2, 3, 0), (3, 1, 1))]


@pytest.mark.parametrize("shape,strides", EMPTY_STRIDES)
def test_a_new_empty_tensor_has_pytorchs_contiguous_strides(shape, strides):
    made = [tg.empty(shape), tg.zeros(shape, dtype=tg.int64), tg.rand(*shape),
            tg.zeros(shape) + 1, tg.tensor(np.zeros(shape))]
    for t in made:
        assert t.stride() == strides
        assert t.stride(-1) == strides[-1] and t.stride(0) == strides[0]
    torch = _torch_or_none()
    if torch is not None:
        assert torch.empty(shape).stride() == strides


def test_an_empty_view_keeps_the_strides_it_was_cut_with():
    x = tg.ones(2, 3, 4)
    assert x[:, 0:0, :].stride() == (12, 4, 1)
    assert x[:0].transpose(0, 2).stride() == (1, 4, 12)
    assert tg.zeros(0, 6).reshape(2, 0, 3).stride() == (3, 3, 1)


# --- number / tensor --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "uint8", "bool"])
@pytest.mark.parametrize("number", [3.0, 3, -0.1, True, 1e30])
def test_number_over_tensor_is_the_reciprocal_times_the_number(dtype, number):
    rng = np.random.default_rng(5)
    values = rng.standard_normal(4000) * 10
    array = values > 0 if dtype == "bool" else values.astype(dtype)
    ours = number / tg.tensor(array)
    floating = array.dtype if array.dtype.kind == "f" else np.dtype(np.float32)
    with np.errstate(over="ignore", divide="ignore"):
        reciprocal = np.float32(1) / array.astype(floating) if floating != np.float16 else \
            (np.float16(1) / array).astype(np.float16)
        if floating == np.float16:  # the product in float32, rounded once
            expected = (reciprocal.astype(np.float32) * np.float32(number)).astype(np.float16)
        else:
            expected = reciprocal * np.asarray(number, dtype=floating)
    _same_bits(ours.numpy(), expected.astype(floating))
    torch = _torch_or_none()
    if torch is not None:
        _same_bits(ours.numpy(), (number / torch.from_numpy(array)).numpy())


def test_number_over_tensor_is_not_the_quotient():
    values = np.arange(1, 200, dtype=np.float32)
    product = (np.float32(1) / values) * np.float32(7)  # two roundings, not the quotient's one
    assert (product != np.float32(7) / values).any()
    np.testing.assert_array_equal((7 / tg.tensor(values)).numpy(), product)


def test_number_over_tensor_gradient_is_pytorchs():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    for dtype in ("float32", "float64", "float16"):
        x = (rng.standard_normal(3000) * 10).astype(dtype)
        g = rng.standard_normal(3000).astype(dtype)
        ours, theirs = tg.tensor(x, requires_grad=True), torch.from_numpy(x).requires_grad_()
        (2.7 / ours).backward(tg.tensor(g))
        (2.7 / theirs).backward(torch.from_numpy(g))
        _same_bits(ours.grad.numpy(), theirs.grad.numpy())


# --- remainder: the sign of a zero, the quotient in the gradient --------------------------------

def _dividends_and_divisors(dtype, seed=7):
    """Random pairs, many of them with an integer quotient (zero remainders of both signs),
    quotients just below an integer, and the special values."""
    rng = np.random.default_rng(seed)
    b = np.round(rng.standard_normal(6000) * 5, 1)
    a = np.round(rng.standard_normal(6000) * 5) * b
    a[::3] = rng.standard_normal(2000) * 50
    a[1::3] = np.nextafter(a[1::3].astype(dtype), 0)  # quotients just short of an integer
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 3.0, -3.0, 6.0, -6.0, 7.5, -7.5])
    a = np.concatenate([a, np.repeat(special, len(special))])
    b = np.concatenate([b, np.tile(special, len(special))])
    return a.astype(dtype), b.astype(dtype)


def _pytorch_remainder(a, b):
    """PyTorch's CPU kernel: ``fmod(a, b)``, plus ``b`` where that is nonzero with the other
    sign, in float32 for float16."""
    wide = np.float32 if a.dtype == np.float16 else a.dtype
    with np.errstate(invalid="ignore"):
        mod = np.fmod(a.astype(wide), b.astype(wide))
        mod = np.where((mod != 0) & ((b < 0) != (mod < 0)), mod + b.astype(wide), mod)
    return mod.astype(a.dtype)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_remainder_bits_and_zero_signs_are_pytorchs(dtype):
    a, b = _dividends_and_divisors(dtype)
    expected = _pytorch_remainder(a, b)
    assert np.signbit(expected[(expected == 0) & (a < 0)]).all()  # -6 % 3 is -0.0
    _same_bits(tg.remainder(tg.tensor(a), tg.tensor(b)).numpy(), expected)
    _same_bits((tg.tensor(a) % tg.tensor(b)).numpy(), expected)
    scalar = np.full_like(a, -2.5)
    _same_bits((tg.tensor(a) % -2.5).numpy(), _pytorch_remainder(a, scalar))
    _same_bits((6 % tg.tensor(b)).numpy(), _pytorch_remainder(np.full_like(b, 6), b))
    torch = _torch_or_none()
    if torch is not None:
        theirs = torch.remainder(torch.from_numpy(a), torch.from_numpy(b)).numpy()
        _same_bits(tg.remainder(tg.tensor(a), tg.tensor(b)).numpy(), theirs)
        _same_bits(tg.fmod(tg.tensor(a), tg.tensor(b)).numpy(),
                   torch.fmod(torch.from_numpy(a), torch.from_numpy(b)).numpy())
        for number in (3.7, -2.5, 3, -4):
            _same_bits((tg.tensor(a) % number).numpy(), (torch.from_numpy(a) % number).numpy())
            _same_bits((number % tg.tensor(b)).numpy(), (number % torch.from_numpy(b)).numpy())


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_remainder_and_fmod_divisor_gradients_use_the_rounded_division(dtype):
    a, b = _dividends_and_divisors(dtype, seed=8)
    finite = np.isfinite(a) & np.isfinite(b) & (b != 0)
    a, b = a[finite], b[finite]
    g = np.random.default_rng(9).standard_normal(a.shape).astype(dtype)
    results = {}
    for name, mode in (("remainder", "floor"), ("fmod", "trunc")):
        ours_b = tg.tensor(b, requires_grad=True)
        getattr(tg, name)(tg.tensor(a), ours_b).backward(tg.tensor(g))
        quotient = tg.div(tg.tensor(a), tg.tensor(b), rounding_mode=mode).numpy()
        _same_bits(ours_b.grad.numpy(), -g * quotient)
        results[name] = ours_b.grad.numpy()
    if dtype != "float16":  # the floor of the quotient, not of the rounded a / b
        with np.errstate(divide="ignore", invalid="ignore"):
            assert (np.floor_divide(a, b) != np.floor(a / b)).any()
    torch = _torch_or_none()
    if torch is not None:
        for name in ("remainder", "fmod"):
            theirs_b = torch.from_numpy(b).requires_grad_()
            getattr(torch, name)(torch.from_numpy(a), theirs_b).backward(torch.from_numpy(g))
            _same_bits(results[name], theirs_b.grad.numpy())


# --- embedding(max_norm=..., norm_type=p): the norm as PyTorch's reduction takes it --------------

def _renormalised(weight, indices, norm_type, dtype):
    module = _torch_or_none()
    results = []
    for m in ([tg] + ([module] if module is not None else [])):
        w = m.tensor(weight.astype(dtype))
        functional = tg.nn.functional if m is tg else module.nn.functional
        functional.embedding(m.tensor(indices), w, max_norm=1.0, norm_type=norm_type)
        results.append(w.numpy())
    return results


@pytest.mark.parametrize("norm_type", [3, 2.5, 4, 1, 0.5])
def test_embedding_renormalises_with_the_norm_summed_in_order(norm_type):
    rng = np.random.default_rng(10)
    weight = rng.standard_normal((300, 40)) * 3
    indices = rng.integers(0, 300, (30, 5))
    ours, *theirs = _renormalised(weight, indices, norm_type, "float64")
    expected = weight.copy()
    import math
    for row in np.unique(indices):  # PyTorch's NormOps: pow(|x|, p) summed in order, C's pow
        total = 0.0
        for x in weight[row]:
            total += math.pow(abs(x), norm_type)
        norm = math.pow(total, 1.0 / norm_type)
        if norm > 1.0:
            expected[row] = weight[row] * (1.0 / (norm + 1e-7))
    _same_bits(ours, expected)
    for dtype in ("float32", "float16"):
        ours, *theirs = _renormalised(weight, indices, norm_type, dtype)
        if theirs:
            _same_bits(ours, theirs[0])


# --- a reduction's out= an expanded tensor ---------------------------------------------------------

# (function, dim, keepdim, the base out expands, the shape it expands to, the input's shape)
EXPANDED_OUT_CASES = [
    ("sum", 1, False, (1,), (3,), (3, 4)), ("sum", 2, False, (2, 1), (2, 3), (2, 3, 4)),
    ("sum", 2, False, (1, 3), (2, 3), (2, 3, 4)), ("sum", 1, True, (2, 1, 1), (2, 1, 4), (2, 3, 4)),
    ("sum", (1, 2), False, (1,), (2,), (2, 3, 4)), ("prod", 0, False, (1,), (4,), (3, 4)),
    ("prod", 1, True, (1, 1), (3, 1), (3, 4)),
    ("amax", 2, False, (1, 3), (2, 3), (2, 3, 4)), ("amin", 0, False, (3, 1), (3, 4), (2, 3, 4)),
    ("argmax", 2, False, (2, 1), (2, 3), (2, 3, 4)),
    ("argmin", 0, True, (1, 1, 4), (1, 3, 4), (2, 3, 4)),
    ("argmax", 1, False, (1,), (3,), (3, 4)), ("argmin", 0, False, (1,), (4,), (3, 4)),
]


def _reduce_into_expanded(module, case, values):
    name, dim, keepdim, base_shape, shape, _ = case
    x = module.tensor(values)
    dtype = module.int64 if name.startswith("arg") else x.dtype
    base = module.full((5,) + base_shape, -7, dtype=dtype)
    out = base[2].expand(*shape)  # a view at an offset, expanded
    result = getattr(module, name)(x, dim, keepdim=keepdim, out=out)
    assert result is out
    return base.numpy(), out.numpy()


@pytest.mark.parametrize("case", EXPANDED_OUT_CASES, ids=lambda c: f"{c[0]}{c[1:]}")
def test_a_reduction_into_an_expanded_out_reduces_its_shared_dims_too(case):
    name, dim, keepdim, base_shape, shape, input_shape = case
    rng = np.random.default_rng(11)
    values = rng.permutation(24)[:np.prod(input_shape)].reshape(input_shape) - 10.5
    base, out = _reduce_into_expanded(tg, case, values)
    ndim = values.ndim
    reduced = {d % ndim for d in ((dim,) if isinstance(dim, int) else dim)}
    dims_in_out = list(range(ndim)) if keepdim else [d for d in range(ndim) if d not in reduced]
    reduced |= {d for d, b, s in zip(dims_in_out, (1,) * (len(shape) - len(base_shape)) + base_shape,
                                     shape) if b == 1 and s > 1}
    kept = [d for d in range(ndim) if d not in reduced]
    flat = values.transpose(kept + sorted(reduced)).reshape([values.shape[d] for d in kept] + [-1])
    expected = getattr(np, {"amax": "max", "amin": "min"}.get(name, name))(flat, axis=-1)
    expected = expected.reshape([1 if d in reduced else values.shape[d] for d in dims_in_out])
    np.testing.assert_array_equal(out, np.broadcast_to(expected, shape))
    np.testing.assert_array_equal(base[2], expected.reshape(base_shape))  # written through
    assert (base[[0, 1, 3, 4]] == -7).all()
    torch = _torch_or_none()
    if torch is not None:
        theirs_base, theirs_out = _reduce_into_expanded(torch, case, values)
        np.testing.assert_array_equal(base, theirs_base)
        np.testing.assert_array_equal(out, theirs_out)


@pytest.mark.parametrize("call", [
    lambda m, o: m.mean(m.ones(3, 4), 1, out=o),
    lambda m, o: m.max(m.ones(3, 4), 1, out=(o, m.zeros(1, dtype=m.int64).expand(3))),
    lambda m, o: m.cumsum(m.ones(3), 0, out=o),
    lambda m, o: m.exp(m.ones(3), out=o),
])
def test_other_ops_refuse_an_expanded_out(call):
    message = ("unsupported operation: more than one element of the written-to tensor refers "
               "to a single memory location. Please clone() the tensor before performing the "
               "operation.")
    _raises(lambda m: call(m, m.zeros(1).expand(3)), RuntimeError, message)


# --- add/sub with alpha: one rounding, as PyTorch's fused multiply-add ------------------------------

def _correctly_rounded(value, dtype):
    """The exact rational ``value`` rounded to nearest (ties to even) in float32 or float64."""
    from fractions import Fraction
    nearest = np.asarray(float(value)).astype(dtype)  # float64 exact rounding; float32 within one
    if dtype == np.float64 or not np.isfinite(nearest):
        return nearest
    candidates = [np.nextafter(nearest, dtype(-np.inf)), nearest, np.nextafter(nearest, dtype(np.inf))]
    distances = [abs(Fraction(float(c)) - value) for c in candidates]
    best = min(distances)
    ties = [c for c, d in zip(candidates, distances) if d == best]
    return min(ties, key=lambda c: int(c.view(np.uint32)) & 1)


def _alpha_operands(dtype, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(1500) * 2.0 ** rng.integers(-8, 8, 1500)
    b = rng.standard_normal(1500) * 4
    a[::2] = -b[::2] * 0.3 * (1 + rng.standard_normal(750) * 1e-4)  # sums that cancel
    return a.astype(dtype), b.astype(dtype)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("alpha", [0.3, -1.7, 1e-3, 3])
def test_add_and_sub_with_alpha_round_once(dtype, alpha):
    from fractions import Fraction
    a, b = _alpha_operands(dtype, seed=12)
    taken = float(np.float16(alpha)) if dtype == "float16" else float(np.dtype(dtype).type(alpha))
    wide = np.float32 if dtype == "float16" else np.dtype(dtype).type
    for name, sign in (("add", 1), ("sub", -1)):
        ours = getattr(tg, name)(tg.tensor(a), tg.tensor(b), alpha=alpha).numpy()
        expected = np.array([_correctly_rounded(Fraction(float(x)) + sign * Fraction(taken)
                                                * Fraction(float(y)), wide) for x, y in zip(a, b)])
        expected = expected.astype(dtype)
        if dtype == "float16":  # past the last whole block: PyTorch's scalar loop, two roundings
            tail = len(a) // _HALF_BLOCK * _HALF_BLOCK
            assert tail < len(a)
            expected[tail:] = a[tail:] + np.float16(sign * alpha) * b[tail:]
        _same_bits(ours, expected)
    if dtype != "float16":  # two roundings differ: the test tells them apart
        assert not np.array_equal(ours, a - (b * np.dtype(dtype).type(alpha)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_add_and_sub_with_alpha_match_pytorch_with_gradients(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(13)
    a, b = _alpha_operands(dtype, seed=14)
    a, b = a[:1024], b[:1024]  # whole vectors: PyTorch's float16 tail loop rounds twice
    g = rng.standard_normal(1024).astype(dtype)
    for name in ("add", "sub"):
        for alpha in (0.3, -1.7, 2):
            ours = [tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)]
            theirs = [torch.from_numpy(a).requires_grad_(), torch.from_numpy(b).requires_grad_()]
            out, expected = getattr(tg, name)(*ours, alpha=alpha), getattr(torch, name)(*theirs, alpha=alpha)
            _same_bits(out.detach().numpy(), expected.detach().numpy())
            out.backward(tg.tensor(g))
            expected.backward(torch.from_numpy(g))
            for mine, reference in zip(ours, theirs):
                _same_bits(mine.grad.numpy(), reference.grad.numpy())
            # a number or a broadcast row as the other operand
            _same_bits(getattr(tg, name)(tg.tensor(a), 2.3, alpha=alpha).numpy(),
                       getattr(torch, name)(torch.from_numpy(a), 2.3, alpha=alpha).numpy())
            row, column = a.reshape(32, 32), b[:32]
            _same_bits(getattr(tg, name)(tg.tensor(row), tg.tensor(column), alpha=alpha).numpy(),
                       getattr(torch, name)(torch.from_numpy(row), torch.from_numpy(column),
                                            alpha=alpha).numpy())
    # shapes: small, rows with tails, a broadcast row and column; then views PyTorch walks
    # otherwise: a slice (rows with tails), transposes (taken in memory order)
    x, y = a[:1000].reshape(10, 100), b[:1000].reshape(10, 100)
    shapes = [(x[:5, :5], y[:5, :5]), (x, y[0]), (x[:, :70], y[:, :70])]
    if dtype != "float64":  # PyTorch's float64 loop by a value per row rounds its tail twice
        shapes.append((x, y[:, :1]))
    for first, second in shapes:
        first, second = np.ascontiguousarray(first), np.ascontiguousarray(second)
        _same_bits(tg.add(tg.tensor(first), tg.tensor(second), alpha=0.3).numpy(),
                   torch.add(torch.from_numpy(first), torch.from_numpy(second), alpha=0.3).numpy())
    whole = tg.tensor(x), torch.from_numpy(x)
    _same_bits(tg.sub(whole[0][:, :70], tg.tensor(y[:, :70]), alpha=0.3).numpy(),
               torch.sub(whole[1][:, :70], torch.from_numpy(y[:, :70].copy()), alpha=0.3).numpy())
    _same_bits(tg.add(whole[0].t(), whole[0].t(), alpha=0.3).numpy(),
               torch.add(whole[1].t(), whole[1].t(), alpha=0.3).numpy())
    _same_bits(tg.add(whole[0].t(), tg.tensor(y.T.copy()), alpha=0.3).numpy(),
               torch.add(whole[1].t(), torch.from_numpy(y.T.copy()), alpha=0.3).numpy())


# --- found by a randomised sweep of elementwise ops against PyTorch ----------------------------------

ALPHA_ERRORS = [
    (lambda m: m.tensor([1, 2]).add(m.tensor([1, 2]), alpha=0.5),
     "For integral input tensors, argument alpha must not be a floating point number."),
    (lambda m: m.tensor([1, 2]).sub(2, alpha=1.0),
     "For integral input tensors, argument alpha must not be a floating point number."),
    (lambda m: m.tensor([1, 2]).add(m.tensor([1, 2]), alpha=True),
     "Boolean alpha only supported for Boolean results."),
    (lambda m: m.tensor([1.0, 2.0]).add(m.tensor([1.0, 2.0]), alpha=True),
     "Boolean alpha only supported for Boolean results."),
    (lambda m: m.tensor([1.0, 2.0]).add(m.tensor([1.0, 2.0]), alpha=1j),
     "For non-complex input tensors, argument alpha must not be a complex number."),
    (lambda m: m.tensor([True, False]) - True,
     "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
     "`logical_xor()` operator instead."),
    (lambda m: True - m.tensor([True, False]),
     "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
     "`logical_xor()` operator instead."),
]


@pytest.mark.parametrize("index", range(len(ALPHA_ERRORS)))
def test_add_sub_refusals_are_pytorchs(index):
    call, message = ALPHA_ERRORS[index]
    _raises(call, RuntimeError, message)


def test_alpha_with_integers_and_bools():
    rows = np.array([True, False, False])
    grid = np.array([[True, True, False], [False, False, False]])
    for alpha in (0, 2, -1, False, True):  # bool: self or (alpha and other), broadcast
        out = tg.add(tg.tensor(rows), tg.tensor(grid), alpha=alpha)
        assert out.dtype == tg.bool
        np.testing.assert_array_equal(out.numpy(), rows | (grid & bool(alpha)))
    ints = tg.tensor(np.array([1, 2, 3], dtype=np.int32))
    assert ints.add(ints, alpha=3).dtype == tg.int32
    np.testing.assert_array_equal(ints.sub(ints, alpha=3).numpy(), [-2, -4, -6])
    assert tg.tensor([1, 2]).add(tg.tensor([1.0, 2.0]), alpha=0.5).dtype == tg.float32


def test_pow_of_bools_as_pytorch():
    x = tg.tensor([True, False])
    assert (x ** True).dtype == tg.bool and (x ** True).tolist() == [True, False]
    assert (x ** False).tolist() == [True, True]
    assert (x ** 2).dtype == tg.int64
    _raises(lambda m: True ** m.tensor([True, False]), NotImplementedError,
            "\"pow\" not implemented for 'Bool'")


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_sign_of_nan_is_zero(dtype):
    values = np.array([np.nan, -np.nan, -0.0, 0.0, -2.0, 3.0, np.inf], dtype=dtype)
    expected = np.array([0, 0, 0, 0, -1, 1, 1], dtype=dtype)  # (0 < x) - (x < 0)
    _same_bits(tg.tensor(values).sign().numpy(), expected)
    torch = _torch_or_none()
    if torch is not None:
        _same_bits(tg.tensor(values).sign().numpy(), torch.from_numpy(values).sign().numpy())


def test_sigmoid_rounds_as_pytorch():
    rng = np.random.default_rng(15)
    x = rng.standard_normal(3000) * 5
    x[:4] = [1000.0, -1000.0, 0.0, np.nan]
    g = rng.standard_normal(3000)
    for dtype in ("float64", "float16"):
        a, grad = x.astype(dtype), g.astype(dtype)
        ours = tg.tensor(a, requires_grad=True)
        out = ours.sigmoid()
        out.backward(tg.tensor(grad))
        wide = a.astype(np.float64 if dtype == "float64" else np.float32)
        with np.errstate(over="ignore"):
            expected = (1 / (1 + np.exp(-wide))).astype(dtype)  # 1 / (1 + exp(-x)), no NaN
        s = out.detach().numpy()
        if dtype == "float64":
            _same_bits(s, expected)
        one = np.dtype(dtype).type(1)
        _same_bits(ours.grad.numpy(), grad * (one - s) * s)  # float16: each step rounded
    torch = _torch_or_none()
    if torch is not None:
        a, grad = x.astype("float16"), g.astype("float16")
        ours, theirs = tg.tensor(a, requires_grad=True), torch.from_numpy(a).requires_grad_()
        ours.sigmoid().backward(tg.tensor(grad))
        theirs.sigmoid().backward(torch.from_numpy(grad))
        _same_bits(ours.grad.numpy(), theirs.grad.numpy())
        _same_bits(tg.tensor(a).sigmoid().numpy(), torch.from_numpy(a).sigmoid().numpy())


@pytest.mark.parametrize("dtype", ["int8", "int16", "int32", "uint8", "bool", "float16",
                                   "float64"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_sum_with_a_dtype_sums_in_that_dtype(dtype, dim):
    """``sum(dtype=D)`` casts the input to D and gives a sum of dtype D (an int8 sum wraps, a
    bool sum is whether any element is true), as PyTorch's; it used to give int64 for every
    integer and bool D. Without ``dtype`` integer and bool tensors still sum to int64."""
    values = np.array([[100, 100, 100], [1, 0, 3]], dtype=np.int64)
    result = tg.sum(tg.tensor(values), dim=dim, dtype=getattr(tg, dtype))
    cast = values.astype(dtype)
    if dtype == "bool":
        expected = np.any(cast, axis=dim)
    elif dtype in ("float16", "float64"):
        expected = np.add.reduce(cast.astype(np.float64), axis=dim).astype(dtype)
    else:
        expected = np.add.reduce(cast, axis=dim, dtype=np.int64).astype(dtype)
    assert result.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(result.numpy(), expected)
    assert tg.sum(tg.tensor(values.astype(np.int8)), dim=dim).dtype == tg.int64
    torch = pytest.importorskip("torch")
    theirs = torch.sum(torch.tensor(values), dim=dim, dtype=getattr(torch, dtype))
    np.testing.assert_array_equal(result.numpy(), theirs.numpy())
