"""Elementwise ops: arithmetic, the math functions, activations, selection and dtype casts.

Binary ops broadcast like NumPy; their backward returns gradients of the broadcast shape and
the engine sums them back to each input's shape (``autograd.reduce_to_shape``). Each backward
computes only the gradients ``needs_input_grad`` asks for.

Gradients that pass through only where a condition holds (ReLU, clamp, where) multiply by the
boolean mask instead of calling ``np.where``: on a random mask ``np.where`` branches per element
and is about ten times slower. The one difference: an infinite or NaN upstream gradient at a
masked-out position becomes NaN rather than 0.
"""

import math

import numpy as np

from ..autograd.graph import Op
from .opmath import HALF as _HALF, opmath, widen


_ZEROS = {}


def zero_of(dtype):
    """A 0-d zero of ``dtype``: NumPy converts a Python ``0`` on every call, which costs a
    tenth of a small ufunc call (ReLU runs twice per layer per step)."""
    zero = _ZEROS.get(dtype)
    if zero is None:
        zero = _ZEROS[dtype] = np.zeros((), dtype=dtype)
        zero.flags.writeable = False
    return zero


class Add(Op):
    """``a + b``. Gradients: ``dL/da = dL/db = grad_output``."""

    __slots__ = ()
    is_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        return a + b

    def backward(self, grad_output):
        return grad_output, grad_output


class Sub(Op):
    """``a - b``. Gradients: ``grad_output`` and ``-grad_output``."""

    __slots__ = ()
    is_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        return a - b

    def backward(self, grad_output):
        needs_a, needs_b = self.needs_input_grad
        return grad_output, (-grad_output if needs_b else None)


class Mul(Op):
    """``a * b``. Gradients: ``grad_output * b`` and ``grad_output * a``."""

    __slots__ = ()

    def forward(self, a, b):
        needs_a, needs_b = self.needs_input_grad or (False, False)
        self.saved = (a if needs_b else None, b if needs_a else None)
        return a * b

    def backward(self, grad_output):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        return (grad_output * b if needs_a else None, grad_output * a if needs_b else None)

    def tensor_backward(self, grad_output):
        a, b = self.inputs
        needs_a, needs_b = self.needs_input_grad
        return (grad_output * b if needs_a else None, grad_output * a if needs_b else None)


class Div(Op):
    """``a / b``. Gradients: ``grad_output / b`` and ``-grad_output * a / b**2``."""

    __slots__ = ()

    def forward(self, a, b):
        needs_b = self.needs_input_grad[1] if self.needs_input_grad else False
        self.saved = (a if needs_b else None, b)
        return a / b

    def backward(self, grad_output):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        grad_a = grad_output / b if needs_a else None
        grad_b = -grad_output * a / (b * b) if needs_b else None
        return grad_a, grad_b

    def tensor_backward(self, grad_output):
        a, b = self.inputs
        needs_a, needs_b = self.needs_input_grad
        return (grad_output / b if needs_a else None,
                -grad_output * a / (b * b) if needs_b else None)


def _two_sum(a, b):
    """``a + b`` rounded, and the exact rest (Knuth's TwoSum)."""
    total = a + b
    b_part = total - a
    return total, (a - (total - b_part)) + (b - b_part)


def _round_to_odd(total, error):
    """``total + error`` rounded to odd (``total`` the nearest float64, ``error`` the exact
    rest): ``total`` where that is exact or already odd, else its neighbour toward ``error``
    (one unit in the last place up or down, by its bits). Rounding a value rounded to odd to
    a precision two bits or more shorter gives the correct rounding of the exact value (Boldo
    and Melquiond, "Emulation of FMA and correctly rounded sums: proved algorithms using
    rounding to odd", 2008)."""
    bits = np.asarray(total).view(np.int64)
    move = (error != 0) & ((bits & 1) == 0) & np.isfinite(error)
    if not move.any():
        return total
    away = np.signbit(total) == np.signbit(error)  # toward error: larger in magnitude
    return np.where(move, bits + np.where(away, 1, -1), bits).view(np.float64)


def _split(value):
    """float64 ``value`` as two halves of 26 bits, summing to it exactly (Veltkamp)."""
    scaled = 134217729.0 * value  # 2**27 + 1
    high = scaled - (scaled - value)
    return high, value - high


# float64 bits below float32's mantissa, and their pattern at a float32 midpoint
_BELOW_FLOAT32 = np.int64((1 << 29) - 1)
_FLOAT32_MIDPOINT = np.int64(1 << 28)


def fused_multiply_add(x, y, z):
    """``x * y + z`` rounded once to the dtype of ``x`` (float32 or float64; ``y`` and ``z``
    of that dtype, ``y`` may be a scalar), as C's ``fma`` and PyTorch's vectorised kernels
    compute it.

    float32: the product is exact in float64 and the sum rounded there; rounding that to
    float32 is the correct rounding except where it lies exactly halfway between two float32
    values (or is a float32 subnormal), where the sum is rounded to odd first. float64: the
    product split exactly in two (Dekker's TwoProduct), ``z`` added to the high part exactly
    (TwoSum), the two rests summed rounded to odd, that added to the sum rounded once (Boldo
    and Melquiond's emulated FMA). Where a step overflows (magnitudes past ~1e300),
    ``x * y + z`` rounded twice, or an infinite ``z`` itself for finite ``x * y``. (About 10
    times a multiply and an add for float32, 30 for float64.)"""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        if x.dtype == np.float32:
            product = x.astype(np.float64) * np.float64(y)
            wide_z = np.asarray(z, dtype=np.float64)
            total = product + wide_z
            bits = total.view(np.int64)
            unsure = ((bits & _BELOW_FLOAT32) == _FLOAT32_MIDPOINT) | (np.abs(total) < 2.0**-126)
            if unsure.any():
                total, error = _two_sum(product, wide_z)
                total = np.where(unsure, _round_to_odd(total, error), total)
            return total.astype(np.float32)
        x_high, x_low = _split(x)
        y_high, y_low = _split(np.float64(y))
        high = x * y
        low = ((x_high * y_high - high) + x_high * y_low + x_low * y_high) + x_low * y_low
        total, rest = _two_sum(np.asarray(z, dtype=np.float64), high)
        out = total + _round_to_odd(*_two_sum(rest, low))
        unsure = ~np.isfinite(out) | (out == 0)
        if not unsure.any():
            return out
        # an exact zero or a step past the range: high + z is right (or as good as it gets)
        plain = np.where(np.isinf(z) & np.isfinite(x) & np.isfinite(y), z, high + z)
        return np.where(unsure, plain, out)


def _half_vector_block():
    """How many float16 elements PyTorch's CPU kernels take at a time, widened to float32
    vectors: two vectors of the kernels it picks for this CPU, 2 x 16 with AVX-512, 2 x 8
    otherwise (AVX2)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # NumPy 1
        from numpy.core._multiarray_umath import __cpu_features__ as features
    avx512 = all(features.get(name) for name in ("AVX512F", "AVX512BW", "AVX512VL", "AVX512DQ"))
    return 32 if avx512 else 16


_HALF_BLOCK = _half_vector_block()


def _vectorised_rows(a, b, shape):
    """How PyTorch's elementwise loop (TensorIterator) walks operands ``a`` and ``b`` broadcast
    to ``shape``: the order of the dims it takes (outermost first: each dim's stride in the
    first operand not broadcast along it, largest first) and the length of the rows it runs
    its vectorised code over (trailing dims in that order merged while every operand's strides
    allow; each operand contiguous along the row or one value), or 0 where it runs its scalar
    code over everything."""
    strides = [[step // x.itemsize for step in np.broadcast_to(x, shape).strides] for x in (a, b)]
    order = sorted(range(len(shape)), key=lambda d: -(strides[0][d] or strides[1][d]))
    dims = [d for d in order if shape[d] != 1]
    if not dims:
        return order, 1
    last = dims[-1]
    if not all(s[last] in (0, 1) for s in strides) or not any(s[last] for s in strides):
        return order, 0
    length = shape[last]
    for d in reversed(dims[:-1]):
        if not all(s[d] == s[last] * length for s in strides):
            break
        length *= shape[d]
    return order, length


class ScaledAdd(Op):
    """``a + alpha * b`` for floating ``a`` and ``b`` of one dtype, as PyTorch's ``add``
    (``sub`` passes ``alpha`` negated) computes it on the CPU: float32 and float64 as one fused
    multiply-add, one rounding (its vectorised ``fmadd``, and the compiled scalar loop
    contracts to the same, except the float64 loop by one value per row, whose tail rounds
    twice: not followed). float16 takes ``alpha`` rounded to float16 and two paths: its
    vectorised loop, over blocks of ``_HALF_BLOCK`` elements of each row it can vectorise
    (``_vectorised_rows``), computes the fused multiply-add in float32 and rounds the result
    once to float16; the elements left over (the last ``< _HALF_BLOCK`` of each row, all of a
    small tensor's, all where an operand is strided otherwise) take its scalar loop, which
    rounds ``alpha * b`` to float16, then the sum. (Tensors over 32768 elements are also cut
    in chunks among PyTorch's threads, each with its own tail: not followed.) Gradients:
    ``grad_output`` and ``grad_output * alpha`` with ``alpha`` as given (float16: in float32,
    rounded once), PyTorch's ``grad * alpha``."""

    __slots__ = ("alpha",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("alpha",)

    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, a, b):
        if a.dtype is not _HALF:
            return fused_multiply_add(b, b.dtype.type(self.alpha), a)
        alpha = np.float16(self.alpha)
        out = np.asarray(a + alpha * b)  # the scalar loop: each step rounded to float16
        order, row = _vectorised_rows(a, b, out.shape)
        vectorised = row // _HALF_BLOCK * _HALF_BLOCK
        if vectorised:  # in PyTorch's order of dims, the first elements of each row
            a, b = (np.broadcast_to(x, out.shape).transpose(order) for x in (a, b))
            walked = out.transpose(order)  # a view: writes land in out
            taken = np.zeros((out.size // row, row), dtype=bool)
            taken[:, :vectorised] = True
            fused = fused_multiply_add(widen(b), np.float32(alpha), widen(a))
            np.copyto(walked, fused, casting="unsafe", where=taken.reshape(walked.shape))
        return out

    def backward(self, grad_output):
        needs_a, needs_b = self.needs_input_grad
        grad_b = None
        if needs_b:
            if grad_output.dtype is _HALF:
                grad_b = (widen(grad_output) * np.float32(self.alpha)).astype(_HALF)
            else:
                grad_b = grad_output * grad_output.dtype.type(self.alpha)
        return (grad_output if needs_a else None), grad_b


class Reciprocal(Op):
    """``1 / a``, in ``a``'s dtype: the first step of PyTorch's ``number / tensor``
    (``tensor.reciprocal() * number``). Gradient: ``-(grad_output * (out * out))``, PyTorch's
    formula and order of rounding, reusing the output."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        with np.errstate(divide="ignore"):
            out = 1 / a
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (-(grad_output * (out * out)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (-(grad_output / (a * a)),)


class Pow(Op):
    """``base ** exponent``.

    Gradients: ``exponent * base**(exponent - 1)`` for the base (0 where the exponent is 0, as in
    PyTorch, rather than ``0 * inf``), and ``base**exponent * log(base)`` for the exponent (0 where
    the base is 0 and the exponent non-negative).

    A 0-d floating exponent of 2 or 3 with the base's dtype (``x ** 2``, ``torch.pow(x, 3.0)``)
    is computed by multiplication, ``x * x`` and ``x * x * x``, as PyTorch's CPU kernel does (same
    rounding); NumPy's ``power`` calls ``powf`` for 3, about thirty times slower.
    """

    __slots__ = ()
    saves_output = True

    def forward(self, base, exponent):
        n = _small_power(base, exponent)
        if n == 2:
            out = base * base
        elif n == 3 and base.dtype is _HALF:  # one rounding of x*x*x, as PyTorch's kernel
            wide = base.astype(np.float32)
            out = (wide * wide * wide).astype(_HALF)
        elif n == 3:
            out = base * base
            out *= base
        elif exponent.dtype.kind == "i" and base.dtype.kind in "iu" and (exponent < 0).any():
            out = _integer_power(base, exponent)
        else:
            out = base**exponent
        # The result only for the exponent's gradient, as PyTorch's pow saves it: a cube's
        # result (NewGELU's torch.pow(x, 3.0)) can be freed once the next op has read it.
        needs = self.needs_input_grad
        self.saved = (base, exponent, out if needs and needs[1] else None)
        return out

    def backward(self, grad_output):
        base, exponent, out = self.saved
        needs_base, needs_exponent = self.needs_input_grad
        grad_base = grad_exponent = None
        n = _small_power(base, exponent)
        if needs_base and n:  # n * base ** (n - 1), by multiplication, in one fresh array
            grad_base = _square(base) if n == 3 else np.array(base * exponent, ndmin=0)
            if n == 3:
                grad_base *= exponent
            grad_base = _times(grad_base, grad_output)
        elif needs_base:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.where(exponent == 0, 0, exponent * base ** (exponent - 1))
            grad_base = grad_output * local
        if needs_exponent:
            with np.errstate(divide="ignore", invalid="ignore"):
                local = np.where((base == 0) & (exponent >= 0), 0, out * np.log(base))
            grad_exponent = grad_output * local
        return grad_base, grad_exponent

    def tensor_backward(self, grad_output):
        base, exponent = self.inputs
        needs_base, needs_exponent = self.needs_input_grad
        grad_base = grad_exponent = None
        if needs_base:  # 0 where the exponent is 0, as backward
            local = exponent * base ** (exponent - 1)
            grad_base = grad_output * local.where(exponent != 0, 0.0)
        if needs_exponent:
            local = base ** exponent * base.log()
            grad_exponent = grad_output * local.where(~((base == 0) & (exponent >= 0)), 0.0)
        return grad_base, grad_exponent


def _integer_power(base, exponent):
    """``base ** exponent`` for integers with some negative exponents, as PyTorch's integer
    kernel computes them (NumPy refuses): the truncated ``1 / base**-e``, i.e. 1 for base 1,
    +-1 for base -1 by the exponent's parity, and 0 for every other base (0 included)."""
    negative = exponent < 0
    out = base ** np.where(negative, 0, exponent)
    reciprocal = np.where(base == 1, 1, np.where(base == -1, 1 - 2 * (exponent % 2), 0))
    return np.where(negative, reciprocal, out).astype(out.dtype, copy=False)


def _square(a):
    """``a * a`` as a fresh array to write into (NumPy returns a scalar for 0-d operands)."""
    square = np.multiply(a, a)
    return square if isinstance(square, np.ndarray) else np.array(square)


def _times(local, grad_output):
    """``local * grad_output``, written into ``local`` (a fresh array of the op's) when the two
    have one shape and dtype."""
    if local.shape == grad_output.shape and local.dtype == grad_output.dtype:
        local *= grad_output
        return local
    return local * grad_output


def _small_power(base, exponent):
    """2 or 3 when ``exponent`` is a 0-d floating array of ``base``'s dtype holding that value
    (``Pow`` then multiplies), else 0."""
    if (exponent.ndim == 0 and exponent.dtype == base.dtype and exponent.dtype.kind == "f"
            and (exponent == 2 or exponent == 3)):
        return int(exponent)
    return 0


class Neg(Op):
    """``-a``. Gradient: ``-grad_output``."""

    __slots__ = ()
    is_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a):
        return -a

    def backward(self, grad_output):
        return (-grad_output,)


class Exp(Op):
    """``exp(a)``. Gradient: ``grad_output * exp(a)``, reusing the output."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = np.exp(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output * out,)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.exp(),)


class Log(Op):
    """Natural ``log(a)``. Gradient: ``grad_output / a``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.log(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output / a,)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output / a,)


class XLogY(Op):
    """``x * log(y)``, 0 where ``x`` is 0 (even for ``y`` 0 or infinite) unless ``y`` is NaN:
    PyTorch's ``xlogy``, as ``kl_div`` computes ``target * log(target)``. Gradients (PyTorch
    2.13's formulas): ``xlogy(grad_output, y)`` for ``x``, 0 where ``x == 0`` and ``y <= 0``
    (so ``log(y)`` at ``x = 0`` for a positive ``y``), ``grad_output * x / y`` for ``y`` (NaN
    for ``x = y = 0``, as PyTorch's)."""

    __slots__ = ()

    def forward(self, x, y):
        self.saved = (x, y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((x == 0) & ~np.isnan(y), 0, x * np.log(y)).astype(
                np.result_type(x, y), copy=False)

    def backward(self, grad_output):
        x, y = self.saved
        needs_x, needs_y = self.needs_input_grad
        grad_x = grad_y = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if needs_x:  # PyTorch's xlogy(grad, y), 0 where x == 0 and y <= 0
                grad_x = np.where((grad_output == 0) & ~np.isnan(y), 0, grad_output * np.log(y))
                grad_x = np.where((x == 0) & (y <= 0), 0, grad_x).astype(grad_output.dtype,
                                                                          copy=False)
            if needs_y:
                grad_y = grad_output * x / y
        return grad_x, grad_y

    def tensor_backward(self, grad_output):
        x, y = self.inputs
        needs_x, needs_y = self.needs_input_grad
        grad_x = None
        if needs_x:
            grad_x = grad_output.xlogy(y).where(~((x == 0) & (y <= 0)), 0.0)
        return grad_x, (grad_output * x / y if needs_y else None)


class Sqrt(Op):
    """``sqrt(a)``. Gradient: ``grad_output / (2 * sqrt(a))``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = np.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output / (2 * out),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output / (2 * a.sqrt()),)


class Tanh(Op):
    """``tanh(a)``. Gradient: ``grad_output * (1 - tanh(a)**2)``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = np.tanh(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (tanh_backward(out, grad_output),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (1 - a.tanh() * a.tanh()),)


def tanh_backward(out, grad_output):
    """``(1 - out**2) * grad_output``, ``out = tanh(a)``: Tanh's gradient (and the fused
    recurrent cells', ``ops.recurrent``), in one fresh array."""
    local = _square(out)
    np.subtract(out.dtype.type(1), local, out=local)
    return _times(local, grad_output)


class Sigmoid(Op):
    """``1 / (1 + exp(-a))``, in that order of rounding, as PyTorch's CPU kernel (an
    ``exp(-a)`` that overflows gives ``1 / inf = 0``, no NaN); float16 in float32, rounded
    once.

    Gradient: ``grad_output * (1 - s) * s`` with ``s`` the output, PyTorch's
    ``sigmoid_backward`` in its order; float16 rounds each step to float16, as that kernel
    does (not float32 opmath).
    """

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = sigmoid(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (sigmoid_backward(out, grad_output),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (a.sigmoid() * (1 - a.sigmoid())),)


def sigmoid(a):
    """``1 / (1 + exp(-a))`` as an array (Sigmoid's forward; the fused recurrent cells',
    ``ops.recurrent``, call it too)."""
    wide = widen(a)
    one = wide.dtype.type(1)
    return (one / (one + np.exp(-wide))).astype(a.dtype, copy=False)


def sigmoid_backward(out, grad_output):
    """``grad_output * (1 - s) * s`` with ``s = sigmoid(a)``, in that order (Sigmoid's)."""
    return grad_output * (grad_output.dtype.type(1) - out) * out


class ReLU(Op):
    """``max(a, 0)``. Gradient: ``grad_output`` where ``a > 0``, else 0 (0 at ``a == 0``, as in
    PyTorch)."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py
    saves_output = True

    def forward(self, a):
        out = np.maximum(a, zero_of(a.dtype))
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output * (out > zero_of(out.dtype)),)


class Abs(Op):
    """``|a|``. Gradient: ``grad_output * sign(a)`` (0 at ``a == 0``)."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a):
        self.saved = (a,)
        return np.abs(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * np.sign(a),)


class Clamp(Op):
    """``min(max(a, min), max)`` with either bound optional.

    Gradient: ``grad_output`` where ``min <= a <= max`` (bounds included, as in PyTorch), else 0.
    """

    __slots__ = ("min", "max")
    local_derivative_is_constant = True  # as PyTorch: see higher_order.local_derivative
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("min", "max")

    def __init__(self, min=None, max=None):
        self.min, self.max = min, max

    def forward(self, a):
        self.saved = (a,)
        return np.clip(a, self.min, self.max).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        (a,) = self.saved
        inside = np.ones(a.shape, dtype=bool)
        if self.min is not None:
            inside &= a >= self.min
        if self.max is not None:
            inside &= a <= self.max
        if np.isfinite(grad_output).all():
            return (grad_output * inside,)
        # PyTorch selects (a NaN or inf gradient outside the bounds gives 0, where a product
        # would give NaN); only a non-finite gradient pays the where
        zero = np.copysign(np.zeros_like(grad_output), grad_output)
        return (np.where(inside, grad_output, zero),)


class Maximum(Op):
    """Elementwise ``max(a, b)``. The larger input gets ``grad_output``; on a tie each gets half
    (PyTorch's convention)."""

    __slots__ = ()
    local_derivative_is_constant = True  # as PyTorch: see higher_order.local_derivative
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        self.saved = (a, b)
        return np.maximum(a, b)

    def backward(self, grad_output):
        a, b = self.saved
        return _split_between(grad_output, a > b, a == b, self.needs_input_grad)


class Minimum(Op):
    """Elementwise ``min(a, b)``. The smaller input gets ``grad_output``; on a tie each gets half."""

    __slots__ = ()
    local_derivative_is_constant = True  # as PyTorch: see higher_order.local_derivative
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        self.saved = (a, b)
        return np.minimum(a, b)

    def backward(self, grad_output):
        a, b = self.saved
        return _split_between(grad_output, a < b, a == b, self.needs_input_grad)


def _split_between(grad_output, a_wins, tie, needs_input_grad):
    """Route ``grad_output`` to ``a`` where it won, to ``b`` where it lost, half to each on a tie."""
    share_a = a_wins.astype(grad_output.dtype) + tie.astype(grad_output.dtype) * 0.5
    needs_a, needs_b = needs_input_grad
    return (
        grad_output * share_a if needs_a else None,
        grad_output * (1 - share_a) if needs_b else None,
    )


class Where(Op):
    """``where(condition, a, b)``: ``a`` where ``condition`` holds, ``b`` elsewhere.

    The boolean condition is the first input and gets no gradient; ``a`` gets ``grad_output``
    where the condition holds, ``b`` where it does not, and zero elsewhere, as PyTorch routes
    it: a NaN or infinite gradient in one branch does not leak into the other as ``0 * nan``
    (``where(valid, f(x), nan)`` then ``sqrt`` gave NaN gradients where PyTorch's are 0). A
    finite ``grad_output`` takes the product ``grad_output * condition``, which gives the same
    numbers (its zeros carry ``grad_output``'s sign); only a non-finite one pays the ``where``.
    """

    __slots__ = ()
    is_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, condition, a, b):
        self.saved = (condition,)
        return np.where(condition, a, b)

    def backward(self, grad_output):
        (condition,) = self.saved
        _, needs_a, needs_b = self.needs_input_grad
        if np.isfinite(grad_output).all():
            return (
                None,
                grad_output * condition if needs_a else None,
                grad_output * ~condition if needs_b else None,
            )
        zero = np.copysign(np.zeros_like(grad_output), grad_output)  # the product's zeros
        return (
            None,
            np.where(condition, grad_output, zero) if needs_a else None,
            np.where(condition, zero, grad_output) if needs_b else None,
        )


class Cast(Op):
    """Convert to another dtype. Gradient: ``grad_output`` converted back (by the engine).

    A cast to an integer or bool dtype ends the graph: its result does not require grad.
    """

    __slots__ = ("dtype",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        return a.astype(self.dtype)

    def backward(self, grad_output):
        return (grad_output,)


class Sin(Op):
    """``sin(a)``. Gradient: ``grad_output * cos(a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.sin(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * np.cos(a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.cos(),)


class Cos(Op):
    """``cos(a)``. Gradient: ``-grad_output * sin(a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.cos(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (-grad_output * np.sin(a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (-grad_output * a.sin(),)


class Log2(Op):
    """``log2(a)``. Gradient: ``grad_output / (a * ln 2)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.log2(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output / (a * np.log(2.0)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output / (a * math.log(2)),)


class Log10(Op):
    """``log10(a)``. Gradient: ``grad_output / (a * ln 10)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.log10(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output / (a * np.log(10.0)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output / (a * math.log(10)),)


class Log1p(Op):
    """``log(1 + a)``, accurate for small ``a``. Gradient: ``grad_output / (1 + a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.log1p(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output / (1 + a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output / (a + 1),)


class Expm1(Op):
    """``exp(a) - 1``, accurate for small ``a``. Gradient: ``grad_output * (out + 1)``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = np.expm1(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output * (out + 1),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.exp(),)


@opmath
class Rsqrt(Op):
    """``1 / sqrt(a)``. Gradient: ``-grad_output * out**3 / 2``."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = 1 / np.sqrt(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (-0.5 * grad_output * out * out * out,)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (-0.5 * grad_output * a.rsqrt() ** 3,)


class _Stepwise(Op):
    """An op that is piecewise constant (floor, ceil, round, trunc, sign): its gradient is zero
    everywhere it exists, and PyTorch returns zeros."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py
    local_derivative_is_constant = True  # as PyTorch: see higher_order.local_derivative
    function = None

    def forward(self, a):
        return type(self).function(a)

    def backward(self, grad_output):
        return (np.zeros_like(grad_output),)


class Floor(_Stepwise):
    """``floor(a)``. Gradient: zero."""

    __slots__ = ()
    function = staticmethod(np.floor)


class Ceil(_Stepwise):
    """``ceil(a)``. Gradient: zero."""

    __slots__ = ()
    function = staticmethod(np.ceil)


class Round(_Stepwise):
    """``a`` rounded to the nearest integer, halves to even (as PyTorch and NumPy); with
    ``decimals`` to that many decimal places (negative: to tens, hundreds, ...) by PyTorch's
    formula, ``round(a * 10**d) / 10**d`` for ``d > 0`` and ``round(a / 10**-d) * 10**-d``
    otherwise, in ``a``'s dtype (float32 for float16, PyTorch's compute type): a scale beyond
    that range gives inf or nan as there. Gradient: zero."""

    __slots__ = ("decimals",)
    arguments = ("decimals",)
    function = staticmethod(np.round)

    def __init__(self, decimals=0):
        self.decimals = decimals

    def forward(self, a):
        if self.decimals == 0:
            return np.round(a)
        wide = widen(a)
        with np.errstate(over="ignore", invalid="ignore"):
            # PyTorch computes 10**|d| in double, then casts it to the compute type
            scale = np.asarray(np.float64(10.0) ** abs(self.decimals)).astype(wide.dtype)
            if self.decimals > 0:
                out = np.round(wide * scale) / scale
            else:
                out = np.round(wide / scale) * scale
        return out.astype(a.dtype, copy=False)


class Trunc(_Stepwise):
    """``a`` rounded toward zero. Gradient: zero."""

    __slots__ = ()
    function = staticmethod(np.trunc)


def _sign(a):
    """NumPy's ``sign``, except that NaN gives 0 (PyTorch computes ``(0 < a) - (a < 0)``)."""
    out = np.sign(a)
    if out.dtype.kind == "f":
        out = np.asarray(out)
        np.copyto(out, 0, where=np.isnan(out))
    return out


class Sign(_Stepwise):
    """``-1``, ``0`` or ``1`` by the sign of ``a`` (``-0.0`` and NaN give ``0.0``, as in
    PyTorch). Gradient: zero."""

    __slots__ = ()
    function = staticmethod(_sign)


_erf = np.frompyfunc(math.erf, 1, 1)  # NumPy has no erf; Python's is exact to double precision


class Erf(Op):
    """The error function ``erf(a) = 2/sqrt(pi) * integral_0^a exp(-t^2) dt``.
    Gradient: ``grad_output * 2/sqrt(pi) * exp(-a^2)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.asarray(_erf(a), dtype=a.dtype)  # a 0-d input gives a Python float

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * (2 / math.sqrt(math.pi)) * np.exp(-a * a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (2 / math.sqrt(math.pi)) * (-(a * a)).exp(),)


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def erfinv_values(x):
    """``erfinv`` of a float64 array: Giles's approximation ("Approximating the erfinv
    function", 2010: a polynomial in ``w = -log(1 - x^2)``, one for the centre and one for the
    tails) refined by Newton steps, as PyTorch's ``calc_erfinv`` refines its own first guess:
    ``y -= (erf(y) - |x|) / (2/sqrt(pi) e^-y^2)``; above 0.5 the residual is taken as
    ``(log(1 - |x|) - log(erfc(y))) erfc(y)`` (Newton on the logarithm of ``erfc``, nearly
    straight in the tail, where ``erf(y)`` would have rounded the digits away); the sign put
    back last. ``+-inf`` at ``+-1``, nan beyond."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        size = np.abs(x)
        w = -np.log((1.0 - size) * (1.0 + size))
        central = w < 5.0
        t = np.where(central, w - 2.5, np.sqrt(w) - 3.0)
        p = np.where(central, _GILES_CENTRAL[0], _GILES_TAIL[0])
        for low, high in zip(_GILES_CENTRAL[1:], _GILES_TAIL[1:]):
            p = np.where(central, low, high) + p * t
        y = p * size
        finite = size < 1
        tail = size > 0.5
        for _ in range(_NEWTON_STEPS):
            complement = _erfc(y).astype(np.float64)
            residual = np.where(tail, (np.log(1.0 - size) - np.log(complement)) * complement,
                                _erf(y).astype(np.float64) - size)
            y = np.where(finite, y - residual / (2 / math.sqrt(math.pi) * np.exp(-y * y)), y)
        y = np.where(size == 1, np.inf, y)
        return np.copysign(np.where(size > 1, np.nan, y), x)


_erfc = np.frompyfunc(math.erfc, 1, 1)
# Giles's guess is good to float32: two steps reach float64 in the centre, the far tails
# (1 - |x| down to 1e-16, where the guess is 1-3% off) a few more.
_NEWTON_STEPS = 6


class Erfinv(Op):
    """The inverse error function, ``erf(erfinv(a)) = a`` on ``(-1, 1)`` (``+-inf`` at ``+-1``,
    nan outside), computed in float64 (``erfinv_values``) and rounded to ``a``'s dtype.
    Gradient: ``grad_output * sqrt(pi)/2 * exp(erfinv(a)^2)``, PyTorch's formula."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = erfinv_values(a.astype(np.float64)).astype(a.dtype)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output * (math.sqrt(math.pi) / 2) * np.exp(out * out),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        out = Erfinv.apply(a)
        return (grad_output * (math.sqrt(math.pi) / 2) * (out * out).exp(),)


@opmath
class GELU(Op):
    """``x * Phi(x)``, Phi the standard normal CDF, as one node (``nn.GELU``, ``F.gelu``):

    - ``approximate="none"``: ``0.5 x (1 + erf(x / sqrt 2))``; gradient
      ``Phi(x) + x phi(x)`` with ``phi(x) = exp(-x^2 / 2) / sqrt(2 pi)``;
    - ``approximate="tanh"``: ``0.5 x (1 + t)``, ``t = tanh(sqrt(2/pi) (x + 0.044715 x^3))``;
      gradient ``0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)``.

    ``F.gelu(..., fused=False)`` builds the same from primitive ops (eight nodes for the tanh
    form, each with its own pass over the data in forward and backward).
    """

    __slots__ = ("approximate",)
    arguments = ("approximate",)

    def __init__(self, approximate="none"):
        self.approximate = approximate

    def forward(self, a):
        scalar = a.dtype.type
        if self.approximate == "tanh":
            t = _square(a)
            t *= scalar(0.044715)
            t *= a
            t += a
            t *= scalar(_SQRT_2_OVER_PI)
            np.tanh(t, out=t)
            out = t + scalar(1)
        else:
            t = np.array(_erf(a * scalar(1 / math.sqrt(2))), dtype=a.dtype)
            t += scalar(1)
            t *= scalar(0.5)  # Phi(a)
            out = t.copy()
        out *= a
        if self.approximate == "tanh":
            out *= scalar(0.5)
        self.saved = (a, t)
        return out

    def backward(self, grad_output):
        a, t = self.saved
        scalar = a.dtype.type
        if self.approximate == "tanh":
            local = _square(a)
            local *= scalar(3 * 0.044715 * _SQRT_2_OVER_PI)
            local += scalar(_SQRT_2_OVER_PI)
            local *= a
            local *= scalar(1) - t * t
            local += t
            local += scalar(1)
            local *= scalar(0.5)
        else:
            local = _square(a)
            local *= scalar(-0.5)
            np.exp(local, out=local)
            local *= a
            local *= scalar(1 / math.sqrt(2 * math.pi))
            local += t
        return (_times(local, grad_output),)

    def composite(self, a):
        """The formula of the docstring with primitive ops, for ``create_graph=True``."""
        if self.approximate == "tanh":
            return 0.5 * a * (1 + (_SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)).tanh())
        return 0.5 * a * (1 + (a * (1 / math.sqrt(2))).erf())


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def _floor_divide_rounding_each_step(a, b):
    """PyTorch's floor division (``div_floor_floating``) with every operation rounded to
    ``a``'s dtype, as its vectorised float16 kernel computes it (NumPy's own float16
    ``floor_divide`` works in float32 instead)."""
    a, b = np.broadcast_arrays(a, b)
    one, half = a.dtype.type(1), a.dtype.type(0.5)
    remainder = np.fmod(a, b)  # exact
    quotient = (a - remainder) / b
    quotient = np.where((remainder != 0) & ((b < 0) != (remainder < 0)), quotient - one, quotient)
    floor = np.floor(quotient)
    floor = np.where(quotient - floor > half, floor + one, floor)
    floor = np.where(quotient == 0, np.copysign(a.dtype.type(0), a / b), floor)
    return np.where(b == 0, a / b, floor)


def rounded_floating_division(a, b, mode):
    """Float ``a / b`` rounded toward zero (``mode="trunc"``) or down (``"floor"``) as
    PyTorch's ``div(a, b, rounding_mode=mode)`` computes it (``RoundedDiv``; also the
    quotient in the gradients of ``remainder`` and ``fmod``)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if a.dtype == np.float16 and b.size == 1:  # PyTorch's scalar-divisor path
            x, y = widen(a), widen(b)
            quotient = np.trunc(x / y) if mode == "trunc" else np.floor_divide(x, y)
            return quotient.astype(a.dtype)
        if mode == "trunc":  # the quotient rounded to the dtype, then truncated
            return np.trunc(a / b)
        if a.dtype == np.float16:
            return _floor_divide_rounding_each_step(a, b)
        # (a - fmod(a, b)) / b, corrected to the floor: PyTorch's div_floor_floating, which
        # NumPy's floor_divide also runs (never floor(a / b), whose rounding can reach the
        # next integer)
        return np.floor_divide(a, b)


class RoundedDiv(Op):
    """``a / b`` rounded toward zero (``mode="trunc"``: the quotient in the dtype, truncated) or
    down (``"floor"``: ``(a - fmod(a, b)) / b`` corrected to the floor, as Python and PyTorch);
    integer operands stay integers. float16 follows PyTorch's CPU kernels: computed in float32
    when the divisor is a single element (its scalar-divisor path), otherwise each step
    rounded to float16 (its vectorised path). Gradient: zero for both (the result is
    piecewise constant), as PyTorch."""

    __slots__ = ("mode",)
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py
    local_derivative_is_constant = True  # as PyTorch: see higher_order.local_derivative
    arguments = ("mode",)

    def __init__(self, mode):
        self.mode = mode

    def forward(self, a, b):
        if a.dtype.kind == "f":
            return rounded_floating_division(a, b, self.mode)
        if (b == 0).any():
            raise RuntimeError("ZeroDivisionError")
        if self.mode == "floor":
            return np.floor_divide(a, b)
        quotient = np.abs(a) // np.abs(b)
        return np.where((a < 0) != (b < 0), -quotient, quotient)

    def backward(self, grad_output):
        needs_a, needs_b = self.needs_input_grad
        # one array each: the engine may add into a fresh gradient in place
        return (np.zeros_like(grad_output) if needs_a else None,
                np.zeros_like(grad_output) if needs_b else None)


class Remainder(Op):
    """``a - floor(a / b) * b``: the remainder with the divisor's sign (Python's ``%``).
    Gradients: ``grad_output`` for ``a``, ``-grad_output * floor(a / b)`` for ``b`` (the
    quotient as ``div(a, b, rounding_mode="floor")`` gives it, PyTorch's formula).

    A zero remainder of floats has the dividend's sign, as PyTorch's kernel (``fmod(a, b)``,
    plus ``b`` where that is nonzero with the other sign) gives it: ``-6.0 % 3.0`` is
    ``-0.0``. NumPy's ``mod`` gives it the divisor's sign."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        if a.dtype.kind != "f" and (b == 0).any():
            raise RuntimeError("ZeroDivisionError")
        self.saved = (a, b) if self.needs_input_grad and self.needs_input_grad[1] else ()
        with np.errstate(divide="ignore", invalid="ignore"):  # x % 0.0 is NaN, silently
            out = np.asarray(np.mod(a, b))
        if out.dtype.kind == "f":
            np.copysign(out, a, out=out, where=out == 0)
        return out

    def backward(self, grad_output):
        needs_a, needs_b = self.needs_input_grad
        grad_b = None
        if needs_b:
            a, b = self.saved
            grad_b = -grad_output * rounded_floating_division(a, b, "floor")
        return grad_output if needs_a else None, grad_b


class Fmod(Op):
    """C's ``fmod(a, b)``: ``a - trunc(a / b) * b`` computed exactly, the remainder with the
    sign of ``a`` (float16 through float32, as PyTorch; an integer division by zero is
    refused). Gradients: ``grad_output`` for ``a``, ``-grad_output * trunc(a / b)`` for ``b``
    (PyTorch's formula)."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        if a.dtype.kind != "f" and (b == 0).any():
            raise RuntimeError("ZeroDivisionError")
        self.saved = (a, b) if self.needs_input_grad and self.needs_input_grad[1] else ()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.fmod(widen(a), widen(b)).astype(a.dtype, copy=False)

    def backward(self, grad_output):
        needs_a, needs_b = self.needs_input_grad
        grad_b = None
        if needs_b:
            a, b = self.saved
            grad_b = -grad_output * rounded_floating_division(a, b, "trunc")
        return grad_output if needs_a else None, grad_b


class Tan(Op):
    """``tan(a)``. Gradient: ``grad_output * (1 + tan(a)**2)``, reusing the output."""

    __slots__ = ()
    saves_output = True

    def forward(self, a):
        out = np.tan(a)
        self.saved = (out,)
        return out

    def backward(self, grad_output):
        (out,) = self.saved
        return (grad_output * (1 + out * out),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (1 + a.tan() * a.tan()),)


class Asin(Op):
    """``asin(a)`` (NaN outside ``[-1, 1]``). Gradient: ``grad_output / sqrt(1 - a**2)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        with np.errstate(invalid="ignore"):
            return np.arcsin(a)

    def backward(self, grad_output):
        (a,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad_output / np.sqrt(1 - a * a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output / (1 - a * a).sqrt(),)


class Acos(Op):
    """``acos(a)`` (NaN outside ``[-1, 1]``). Gradient: ``-grad_output / sqrt(1 - a**2)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        with np.errstate(invalid="ignore"):
            return np.arccos(a)

    def backward(self, grad_output):
        (a,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return (-grad_output / np.sqrt(1 - a * a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (-grad_output / (1 - a * a).sqrt(),)


class Atan(Op):
    """``atan(a)``. Gradient: ``grad_output / (1 + a**2)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.arctan(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output / (1 + a * a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output / (1 + a * a),)


class Sinh(Op):
    """``sinh(a)``. Gradient: ``grad_output * cosh(a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.sinh(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * np.cosh(a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.cosh(),)


class Cosh(Op):
    """``cosh(a)``. Gradient: ``grad_output * sinh(a)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.cosh(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * np.sinh(a),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * a.sinh(),)


class Asinh(Op):
    """``asinh(a) = log(a + sqrt(a**2 + 1))``. Gradient: ``grad_output * rsqrt(a**2 + 1)``
    (PyTorch's formula)."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        return np.arcsinh(a)

    def backward(self, grad_output):
        (a,) = self.saved
        return (grad_output * (1 / np.sqrt(a * a + 1)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (a * a + 1).rsqrt(),)


class Acosh(Op):
    """``acosh(a)`` (NaN below 1). Gradient: ``grad_output * rsqrt(a**2 - 1)`` (inf at 1)."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        with np.errstate(invalid="ignore"):
            return np.arccosh(a)

    def backward(self, grad_output):
        (a,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            if a.dtype.kind == "c":  # PyTorch's branch for complex: sqrt(a - 1) sqrt(a + 1)
                return (grad_output / (np.sqrt(a - 1) * np.sqrt(a + 1)),)
            return (grad_output * (1 / np.sqrt(a * a - 1)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (a * a - 1).rsqrt(),)


class Atanh(Op):
    """``atanh(a)`` (+-inf at +-1, NaN beyond). Gradient: ``grad_output / (1 - a**2)``."""

    __slots__ = ()

    def forward(self, a):
        self.saved = (a,)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctanh(a)

    def backward(self, grad_output):
        (a,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad_output * (1 / (1 - a * a)),)

    def tensor_backward(self, grad_output):
        (a,) = self.inputs
        return (grad_output * (1 - a * a).reciprocal(),)


class Copysign(Op):
    """``|a|`` with the sign of ``b`` (including the sign of a zero or NaN ``b``), floating.
    Gradients (PyTorch's): ``grad_output * out / a`` for ``a`` (0 where ``a`` is 0), zeros
    for ``b``."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        out = np.copysign(a, b)
        self.saved = (a, out)
        return out

    def backward(self, grad_output):
        a, out = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(a == 0, np.zeros((), out.dtype), out / a)
        return grad_output * ratio, np.zeros_like(grad_output)


class NextAfter(Op):
    """``nextafter(a, b)``: the next floating value after ``a`` toward ``b``. Gradients
    (PyTorch's): ``grad_output`` to ``a``, as if the step were not there, and zeros to
    ``b``."""

    __slots__ = ()
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py

    def forward(self, a, b):
        return np.nextafter(a, b)

    def backward(self, grad_output):
        return grad_output, np.zeros_like(grad_output)


class NanIgnoringExtremum(Op):
    """``fmax``/``fmin``: the larger (smaller) of ``a`` and ``b``, where a NaN loses to a number
    (NaN only when both are). Gradients (PyTorch's): to ``a`` where ``a >= b`` (``<=`` for
    ``fmin``) or ``b`` is NaN, to ``b`` everywhere else."""

    __slots__ = ("smallest",)
    is_piecewise_linear = True  # create_graph: see autograd/higher_order.py
    arguments = ("smallest",)

    def __init__(self, smallest):
        self.smallest = smallest

    def forward(self, a, b):
        self.saved = (a, b)
        return np.fmin(a, b) if self.smallest else np.fmax(a, b)

    def backward(self, grad_output):
        a, b = self.saved
        with np.errstate(invalid="ignore"):
            to_a = (a <= b) if self.smallest else (a >= b)
        to_a |= np.isnan(b)
        zero = np.zeros((), grad_output.dtype)
        return np.where(to_a, grad_output, zero), np.where(to_a, zero, grad_output)


class Atan2(Op):
    """``atan2(a, b)``: the angle of the point ``(b, a)``, in ``(-pi, pi]``.

    Gradients: ``grad_output * b / (a**2 + b**2)`` for ``a`` and ``-grad_output * a / (a**2 +
    b**2)`` for ``b``; both 0 at the origin, as in PyTorch.
    """

    __slots__ = ()

    def forward(self, a, b):
        self.saved = (a, b)
        return np.arctan2(a, b)

    def backward(self, grad_output):
        a, b = self.saved
        needs_a, needs_b = self.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where((a == 0) & (b == 0), 0, grad_output / (a * a + b * b))
        return (scale * b if needs_a else None, -scale * a if needs_b else None)

    def tensor_backward(self, grad_output):
        a, b = self.inputs
        needs_a, needs_b = self.needs_input_grad
        squares = a * a + b * b
        return (grad_output * b / squares if needs_a else None,
                -grad_output * a / squares if needs_b else None)


class Hypot(Op):
    """``sqrt(a**2 + b**2)`` without overflow. Gradients: ``grad_output * a / out`` and
    ``grad_output * b / out`` (NaN at the origin, as in PyTorch)."""

    __slots__ = ()
    saves_output = True

    def forward(self, a, b):
        out = np.hypot(a, b)
        self.saved = (a, b, out)
        return out

    def backward(self, grad_output):
        a, b, out = self.saved
        needs_a, needs_b = self.needs_input_grad
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = grad_output / out
        return (scale * a if needs_a else None, scale * b if needs_b else None)

    def tensor_backward(self, grad_output):
        a, b = self.inputs
        needs_a, needs_b = self.needs_input_grad
        length = (a * a + b * b).sqrt()
        return (grad_output * a / length if needs_a else None,
                grad_output * b / length if needs_b else None)


class Logit(Op):
    """``log(p / (1 - p))``, the inverse of the sigmoid, with ``p`` first clamped to ``[eps, 1 -
    eps]`` when ``eps`` is given.

    Gradient: ``grad_output / (p * (1 - p))``; with ``eps``, 0 where ``p`` lies outside
    ``[eps, 1 - eps]`` (the clamp is flat there), as PyTorch.
    """

    __slots__ = ("eps",)
    arguments = ("eps",)

    def __init__(self, eps=None):
        self.eps = eps

    def forward(self, a):
        self.saved = (a,)
        p = a if self.eps is None else np.clip(a, self.eps, 1 - self.eps).astype(a.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(p / (1 - p))

    def backward(self, grad_output):
        (a,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = grad_output / (a * (1 - a))
        if self.eps is not None and self.eps >= 0:  # np.where: the infinities at 0 and 1 drop
            grad = np.where((a >= self.eps) & (a <= 1 - self.eps), grad, 0)
        return (grad,)

    def composite(self, a):
        """``log(a / (1 - a))`` of ``a`` clamped to ``[eps, 1 - eps]``, for
        ``create_graph=True`` (the clamp's gradient is PyTorch's 0 outside)."""
        if self.eps is not None:
            a = a.clamp(self.eps, 1 - self.eps)
        return a.log() - (1 - a).log()


@opmath
class Lerp(Op):
    """``start + weight * (end - start)``, computed as PyTorch's CPU kernel does: from ``end``
    backwards (``end + (weight - 1) * (end - start)``) where ``|weight| >= 0.5``, which is
    exact at ``weight = 1``, each as one fused multiply-add rounded once (its vectorised
    ``fmadd``: bit for bit on 10,000 random float32 elements, where two roundings differed
    from PyTorch's in a quarter of them); float16 in float32, rounded once (``@opmath``).

    Gradients: ``grad_output * (1 - weight)`` for ``start``, ``grad_output * weight`` for
    ``end``, ``grad_output * (end - start)`` for ``weight``.
    """

    __slots__ = ()

    def forward(self, start, end, weight):
        difference = end - start
        self.saved = (weight, difference)
        small = np.abs(weight) < 0.5
        coefficient = np.where(small, weight, weight - 1).astype(difference.dtype, copy=False)
        return fused_multiply_add(difference, coefficient, np.where(small, start, end))

    def backward(self, grad_output):
        weight, difference = self.saved
        needs_start, needs_end, needs_weight = self.needs_input_grad
        return (grad_output * (1 - weight) if needs_start else None,
                grad_output * weight if needs_end else None,
                grad_output * difference if needs_weight else None)

    def composite(self, start, end, weight):
        """``start + weight * (end - start)``, for ``create_graph=True``."""
        return start + weight * (end - start)


@opmath
class LogAddExp(Op):
    """``log(exp(a) + exp(b))`` (``base=2``: ``log2(2**a + 2**b)``) without overflow, as
    PyTorch's CPU kernel computes it: ``m + log1p(exp(-|a - b|))`` with ``m = max(a, b)``
    (base 2: ``m + log1p(exp2(-|a - b|)) / log(2)``), and ``a`` itself where ``a == b`` is
    infinite. Gradients (PyTorch's formulas): ``grad_output / (1 + exp(b - a))`` for ``a``
    and ``grad_output / (1 + exp(a - b))`` for ``b`` (``exp2`` for base 2)."""

    __slots__ = ("base",)
    arguments = ("base",)

    def __init__(self, base):
        self.base = base

    def forward(self, a, b):
        self.saved = (a, b)
        with np.errstate(invalid="ignore", over="ignore"):
            gap = -np.abs(a - b)
            if self.base == 2:
                tail = np.log1p(np.exp2(gap)) * a.dtype.type(1 / math.log(2))
            else:
                tail = np.log1p(np.exp(gap))
            out = np.maximum(a, b) + tail
        return np.where(np.isinf(a) & (a == b), a, out)

    def backward(self, grad_output):
        a, b = self.saved
        power = np.exp2 if self.base == 2 else np.exp
        needs_a, needs_b = self.needs_input_grad
        with np.errstate(invalid="ignore", over="ignore"):
            return (grad_output / (1 + power(b - a)) if needs_a else None,
                    grad_output / (1 + power(a - b)) if needs_b else None)

    def tensor_backward(self, grad_output):
        """The docstring's gradients with Tensor operations (``create_graph=True``):
        ``sigmoid((a - b) k)`` with ``k`` 1, or ``log 2`` for base 2."""
        a, b = self.inputs
        needs_a, needs_b = self.needs_input_grad
        k = math.log(2) if self.base == 2 else 1.0
        return (grad_output * ((a - b) * k).sigmoid() if needs_a else None,
                grad_output * ((b - a) * k).sigmoid() if needs_b else None)

