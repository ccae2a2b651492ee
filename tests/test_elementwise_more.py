"""The inverse hyperbolic functions, ``reciprocal``, ``copysign``, ``fmax``/``fmin``,
``float_power``, ``nextafter``, the bitwise functions and shifts, and PyTorch's alias names:
values against PyTorch 2.13 (when installed) and gradients against finite differences in
float64. (PyTorch's OpInfo samples of the same names run in tests/test_opinfo.py.)"""

import math
import operator as operator_module

import numpy as np
import pytest

import tinygrad_bn as tg

RNG = np.random.default_rng(7)

# name -> (a float64 input in the function's domain, away from its edges)
UNARY = {
    "asinh": RNG.uniform(-3, 3, (3, 4)),
    "acosh": RNG.uniform(1.2, 4, (3, 4)),
    "atanh": RNG.uniform(-0.9, 0.9, (3, 4)),
    "reciprocal": RNG.uniform(0.5, 2, (3, 4)) * np.sign(RNG.uniform(-1, 1, (3, 4))),
    "deg2rad": RNG.uniform(-360, 360, (3, 4)),
    "rad2deg": RNG.uniform(-4, 4, (3, 4)),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_gradients_match_finite_differences(name):
    x = tg.tensor(UNARY[name], requires_grad=True)
    assert tg.autograd.gradcheck(getattr(tg, name), (x,))


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_values_and_gradients_equal_pytorchs(name, dtype):
    torch = pytest.importorskip("torch")
    values = UNARY[name].astype(dtype)
    ours = tg.tensor(values, requires_grad=True)
    theirs = torch.tensor(values, requires_grad=True)
    out, expected = getattr(tg, name)(ours), getattr(torch, name)(theirs)
    assert str(out.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(),
                               rtol=1e-6 if dtype == "float32" else 1e-14)
    seed = RNG.standard_normal(values.shape).astype(dtype)
    out.backward(tg.tensor(seed))
    expected.backward(torch.tensor(seed))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(),
                               rtol=1e-6 if dtype == "float32" else 1e-14)


@pytest.mark.parametrize("name", ["asinh", "acosh", "atanh", "reciprocal", "deg2rad"])
def test_integer_inputs_give_the_default_float_dtype(name):
    out = getattr(tg, name)(tg.tensor([1, 2]))
    assert out.dtype == tg.float32


def test_edges_of_the_inverse_hyperbolic_functions_as_pytorch():
    assert tg.acosh(tg.tensor([0.5])).isnan().item()
    assert tg.atanh(tg.tensor([1.0, -1.0, 2.0])).tolist()[:2] == [math.inf, -math.inf]
    assert math.isnan(tg.atanh(tg.tensor([2.0])).item())
    assert tg.reciprocal(tg.tensor([0.0, -0.0])).tolist() == [math.inf, -math.inf]


def test_copysign_takes_the_sign_bit_and_sends_gradient_to_the_magnitude_only():
    a = tg.tensor([[1.5, -2.0, 0.0], [3.0, -0.5, 4.0]], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([-1.0, -0.0, 2.0], dtype=tg.float64, requires_grad=True)
    out = tg.copysign(a, b)
    np.testing.assert_array_equal(out.detach().numpy(), np.copysign(a.detach().numpy(), [-1.0, -0.0, 2.0]))
    out.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[-1.0, 1.0, 0.0], [-1.0, 1.0, 1.0]])
    np.testing.assert_array_equal(b.grad.numpy(), [0.0, 0.0, 0.0])  # zeros, not None
    assert tg.autograd.gradcheck(lambda x: tg.copysign(x, b.detach()),
                                 (tg.tensor([[1.5, -2.0, 0.3]], dtype=tg.float64,
                                            requires_grad=True),))
    assert tg.copysign(tg.tensor([3, -2]), -1).tolist() == [-3.0, -2.0]


def test_fmax_and_fmin_ignore_one_nan_and_route_gradients_as_pytorch():
    torch = pytest.importorskip("torch")
    nan = float("nan")
    a_values = [1.0, nan, 3.0, nan, 2.0]
    b_values = [2.0, 5.0, nan, nan, 2.0]
    for name in ("fmax", "fmin"):
        a, b = (tg.tensor(a_values, dtype=tg.float64, requires_grad=True),
                tg.tensor(b_values, dtype=tg.float64, requires_grad=True))
        ta, tb = (torch.tensor(a_values, dtype=torch.float64, requires_grad=True),
                  torch.tensor(b_values, dtype=torch.float64, requires_grad=True))
        out, expected = getattr(tg, name)(a, b), getattr(torch, name)(ta, tb)
        np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), ta.grad.numpy())
        np.testing.assert_array_equal(b.grad.numpy(), tb.grad.numpy())


def test_float_power_computes_in_float64_from_any_operands():
    assert tg.float_power(tg.tensor([2, 3]), 2).tolist() == [4.0, 9.0]
    assert tg.float_power(tg.tensor([2, 3]), 2).dtype == tg.float64
    assert tg.float_power(2, tg.tensor([0.5], dtype=tg.float32)).dtype == tg.float64
    x = tg.tensor([1.5, 2.5], dtype=tg.float32, requires_grad=True)
    tg.float_power(x, 3).sum().backward()
    assert x.grad.dtype == tg.float32
    np.testing.assert_allclose(x.grad.numpy(), [3 * 1.5 ** 2, 3 * 2.5 ** 2])
    with pytest.raises(RuntimeError, match="the base given to float_power_ has dtype Float but "
                                           "the operation's result requires dtype Double"):
        tg.tensor([1.0]).float_power_(2)
    y = tg.tensor([2.0], dtype=tg.float64)
    assert y.float_power_(3) is y and y.tolist() == [8.0]


def test_nextafter_steps_one_ulp_and_passes_its_gradient_through():
    x = tg.tensor([1.0, 0.0], dtype=tg.float64, requires_grad=True)
    toward = tg.tensor([2.0, -1.0], dtype=tg.float64, requires_grad=True)
    out = tg.nextafter(x, toward)
    assert out.tolist() == [np.nextafter(1.0, 2.0), -5e-324]
    out.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0] and toward.grad.tolist() == [0.0, 0.0]
    with pytest.raises(NotImplementedError, match="\"nextafter_cpu\" not implemented for 'Long'"):
        tg.nextafter(tg.tensor([1]), tg.tensor([2]))
    with pytest.raises(TypeError, match=r"nextafter\(\): argument 'other' \(position 2\) must be "
                                        r"Tensor, not float"):
        tg.nextafter(tg.tensor([1.0]), 2.0)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64"])
@pytest.mark.parametrize("operator", ["<<", ">>"])
def test_shifts_equal_pytorchs_for_every_count_including_out_of_range(dtype, operator):
    torch = pytest.importorskip("torch")
    bits = np.dtype(dtype).itemsize * 8
    low = 0 if dtype == "uint8" else -(2 ** (bits - 1))
    values = np.array([low, low + 1, -3 if low else 3, 0, 1, 5, 2 ** (bits - 1) - 1], dtype=dtype)
    first = 0 if dtype == "uint8" else -1
    counts = np.array([first, 0, 1, 3, bits - 1, bits, bits + 5], dtype=dtype)
    shift = {"<<": operator_module.lshift, ">>": operator_module.rshift}[operator]
    ours = shift(tg.tensor(values), tg.tensor(counts))
    expected = shift(torch.tensor(values), torch.tensor(counts))
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())
    assert str(ours.dtype) == dtype


def test_shifts_with_numbers_on_either_side_and_in_place():
    assert (2 << tg.tensor([1, 2])).tolist() == [4, 8]
    assert (tg.tensor([8, -8]) >> 1).tolist() == [4, -4]
    assert tg.bitwise_left_shift(2, tg.tensor([3])).tolist() == [16]
    x = tg.tensor([3, 4])
    alias = x
    x <<= 1
    assert x is alias and alias.tolist() == [6, 8]
    x >>= 2
    assert alias.tolist() == [1, 2]
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Float'"):
        tg.tensor([1.0]) << 1
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Bool'"):
        tg.tensor([True]) << tg.tensor([True])


def test_bitwise_functions_and_their_in_place_forms():
    a, b = tg.tensor([12, 10, -1]), tg.tensor([10, 6, 5])
    assert tg.bitwise_and(a, b).tolist() == [8, 2, 5]
    assert tg.bitwise_or(a, b).tolist() == [14, 14, -1]
    assert tg.bitwise_xor(a, b).tolist() == [6, 12, -6]
    assert tg.bitwise_not(tg.tensor([5], dtype=tg.uint8)).tolist() == [250]
    assert tg.bitwise_and(6, tg.tensor([3])).tolist() == [2]
    x = tg.tensor([12, 10])
    alias = x
    x &= 10
    assert x is alias and alias.tolist() == [8, 10]
    x |= 1
    x ^= 3
    assert alias.tolist() == [10, 8]
    assert tg.tensor([5]).bitwise_not_().tolist() == [-6]
    with pytest.raises(NotImplementedError, match="\"bitwise_not_cpu\" not implemented for "
                                                  "'Float'"):
        tg.bitwise_not(tg.tensor([1.0]))
    with pytest.raises(TypeError, match=r"bitwise_and\(\) received an invalid combination of "
                                        r"arguments - got \(int, int\)"):
        tg.bitwise_and(2, 3)


def test_gcd_and_lcm_of_integer_tensors_only():
    assert tg.gcd(tg.tensor([12, -18, 0]), tg.tensor([18, 12, 0])).tolist() == [6, 6, 0]
    assert tg.lcm(tg.tensor([4, -6]), tg.tensor([6, 4])).tolist() == [12, 12]
    x = tg.tensor([12])
    assert x.gcd_(tg.tensor([8])) is x and x.tolist() == [4]
    with pytest.raises(NotImplementedError, match="\"gcd_cpu\" not implemented for 'Float'"):
        tg.gcd(tg.tensor([1.0]), tg.tensor([2.0]))
    with pytest.raises(TypeError, match=r"gcd\(\): argument 'other' \(position 2\) must be "
                                        r"Tensor, not int"):
        tg.gcd(tg.tensor([4]), 2)


def test_sign_and_infinity_predicates():
    x = tg.tensor([-0.0, 0.0, -2.0, math.inf, -math.inf, math.nan])
    assert tg.signbit(x).tolist() == [True, False, True, False, True, False]
    assert tg.isposinf(x).tolist() == [False, False, False, True, False, False]
    assert tg.isneginf(x).tolist() == [False, False, False, False, True, False]
    assert tg.isreal(x).tolist() == [True] * 6
    assert tg.signbit(tg.tensor([3, -1])).tolist() == [False, True]


def test_alias_names_compute_what_their_originals_compute():
    x, y = tg.tensor([3.0, -2.5]), tg.tensor([1.0, -2.5])
    pairs = [(tg.greater(x, y), x > y), (tg.greater_equal(x, y), x >= y), (tg.less(x, y), x < y),
             (tg.less_equal(x, y), x <= y), (tg.not_equal(x, y), x != y),
             (tg.multiply(x, y), x * y), (tg.subtract(x, y, alpha=2), x - 2 * y),
             (tg.negative(x), -x), (tg.absolute(x), abs(x)), (tg.sgn(x), tg.sign(x)),
             (tg.fix(x), tg.trunc(x)), (tg.ravel(tg.ones(2, 3)), tg.ones(6))]
    for alias, original in pairs:
        np.testing.assert_array_equal(alias.numpy(), original.numpy())
    assert tg.positive(x) is x
    with pytest.raises(RuntimeError, match="The `\\+` operator, on a bool tensor is not "
                                           "supported."):
        tg.positive(tg.tensor([True]))
    z = tg.tensor([1.0, 5.0])
    assert z.greater_(2.0) is z and z.tolist() == [0.0, 1.0]
    w = tg.tensor([2.0, -3.0])
    w.negative_()
    w.absolute_()
    w.multiply_(2)
    w.subtract_(1)
    assert w.tolist() == [3.0, 5.0]


@pytest.mark.parametrize("name", ["asinh_", "acosh_", "atanh_", "reciprocal_", "deg2rad_",
                                  "rad2deg_", "fix_", "sgn_"])
def test_in_place_forms_write_the_out_of_place_values(name):
    values = UNARY.get(name[:-1], RNG.uniform(-2, 2, (3, 4)))
    x = tg.tensor(values)
    assert getattr(x, name)() is x
    np.testing.assert_array_equal(x.numpy(), getattr(tg.tensor(values), name[:-1])().numpy())
