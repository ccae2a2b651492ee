"""Ops that draw random numbers. Each forward draws anew from its generator (the default one,
looked up at that moment, unless one was given), so that a jit replay draws exactly what eager
mode would have drawn at the same point: the same generator, in the same order.
"""

import numpy as np

from ..autograd.graph import Op
from ..random import numpy_generator
from .special_values import digamma_values


class RandomDraw(Op):
    """A new array of random numbers, ``generator.<method>(*arguments)`` cast to ``dtype``
    (``randn``: ``standard_normal(shape)``, ``randint``: ``integers(low, high, shape)``...).
    It has no inputs and no gradient; ``generator`` is a ``tinygrad_bn.Generator`` or None for
    the default one."""

    __slots__ = ("method", "draw_arguments", "generator", "dtype")
    arguments = ("method",)
    differentiable = False

    def __init__(self, method, draw_arguments, dtype, generator=None):
        self.method, self.draw_arguments = method, draw_arguments
        self.dtype, self.generator = dtype, generator

    def forward(self):
        draws = getattr(numpy_generator(self.generator), self.method)(*self.draw_arguments)
        return np.asarray(draws).astype(self.dtype, copy=False)


class Dropout(Op):
    """Inverted dropout: ``x * keep / (1 - p)``, each element kept (``keep = 1``) when a uniform
    draw from the generator is at least ``p``, so the expected value is unchanged (all zeros for
    ``p = 1``). Gradient: ``grad_output`` times the same mask."""

    __slots__ = ("p", "generator")
    arguments = ("p",)

    def __init__(self, p, generator=None):
        self.p, self.generator = p, generator

    def forward(self, x):
        keep = numpy_generator(self.generator).random(x.shape) >= self.p
        scale = 0.0 if self.p == 1 else 1 / (1 - self.p)
        mask = (keep * scale).astype(x.dtype)
        self.saved = (mask,)
        return x * mask

    def backward(self, grad_output):
        (mask,) = self.saved
        return (grad_output * mask,)

    def tensor_backward(self, grad_output):
        """``grad_output`` times the same mask, a constant (``create_graph=True``)."""
        (mask,) = self.saved
        return (grad_output * type(grad_output)._make(mask, None),)


class Bernoulli(Op):
    """Zeros and ones in ``probabilities``' dtype and shape, each a one when a uniform draw from
    the generator falls below its probability (or below the number ``p`` for every element,
    when given). Probabilities outside ``[0, 1]`` (or NaN) are refused when drawn.

    Gradient: zero, PyTorch's (a draw does not move with its probability); with a number ``p``
    PyTorch defines none, and backward raises its error."""

    __slots__ = ("p", "generator")
    local_derivative_is_constant = True
    is_piecewise_linear = True  # create_graph: zero gradients, see autograd/higher_order.py
    arguments = ("p",)

    def __init__(self, p=None, generator=None):
        self.p, self.generator = p, generator

    def forward(self, probabilities):
        chances = probabilities if self.p is None else np.full(probabilities.shape, self.p)
        if np.any((chances < 0) | (chances > 1)) or np.any(np.isnan(chances)):
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        draws = numpy_generator(self.generator).random(probabilities.shape) < chances
        return draws.astype(probabilities.dtype)

    def backward(self, grad_output):
        if self.p is not None:
            raise RuntimeError("derivative for aten::bernoulli is not implemented")
        return (np.zeros_like(grad_output),)


class Normal(Op):
    """Draws from N(mean, std**2) elementwise, ``mean`` and ``std`` broadcast together, in
    ``dtype``; a negative ``std`` is refused when drawn.

    Gradient: zero for both, PyTorch's (its ``normal`` is not reparameterised: ``mean + std *
    noise`` written out is, and is the way to differentiate through a draw)."""

    __slots__ = ("dtype", "generator")
    local_derivative_is_constant = True
    is_piecewise_linear = True  # create_graph: zero gradients, see autograd/higher_order.py
    arguments = ("dtype",)

    def __init__(self, dtype, generator=None):
        self.dtype, self.generator = str(np.dtype(dtype)), generator

    def forward(self, mean, std):
        if np.any(std < 0):
            raise RuntimeError("normal expects all elements of std >= 0.0")
        draws = numpy_generator(self.generator).normal(mean, std)
        return np.asarray(draws).astype(self.dtype, copy=False)

    def backward(self, grad_output):
        zeros = np.zeros_like(grad_output)
        return (zeros if self.needs_input_grad[0] else None,
                zeros if self.needs_input_grad[1] else None)


def standard_gamma_grad(concentration, sample):
    """``d sample / d concentration`` of a standard gamma draw at fixed quantile (implicit
    reparameterisation: ``-(dF/dalpha) / (dF/dx)`` of the gamma cdf F), PyTorch's
    ``standard_gamma_grad_one`` (aten/src/ATen/native/Distributions.h) vectorised in float64:
    a Taylor series of the cdf for ``x < 0.8``, Rice's saddle-point expansion for
    ``alpha > 8``, otherwise a bivariate rational approximation in ``log(x / alpha)`` and
    ``log(alpha)``. Returns float64."""
    alpha = np.asarray(concentration, dtype=np.float64)
    x = np.asarray(sample, dtype=np.float64)
    alpha, x = np.broadcast_arrays(alpha, x)
    result = np.empty(x.shape)
    with np.errstate(all="ignore"):
        small = x < 0.8
        a, s = alpha[small], x[small]
        numer, denom = np.ones_like(s), a.copy()
        series1, series2 = numer / denom, numer / (denom * denom)
        for i in range(1, 6):
            numer = numer * (-s / i)
            denom = denom + 1
            series1 = series1 + numer / denom
            series2 = series2 + numer / (denom * denom)
        pow_x_alpha = s ** a
        gamma_pdf = s ** (a - 1) * np.exp(-s)
        gamma_cdf = pow_x_alpha * series1
        gamma_cdf_alpha = (np.log(s) - digamma_values(a)) * gamma_cdf - pow_x_alpha * series2
        small_result = -gamma_cdf_alpha / gamma_pdf
        result[small] = np.where(np.isnan(small_result), 0.0, small_result)

        large = ~small & (alpha > 8.0)
        a, s = alpha[large], x[large]
        near = (0.9 * a <= s) & (s <= 1.1 * a)
        numer_1 = 1 + 24 * a * (1 + 12 * a)
        numer_2 = (1440 * (a * a) + 6 * s * (53 - 120 * s) - 65 * s * s / a
                   + a * (107 + 3600 * s))
        near_result = numer_1 * numer_2 / (1244160 * (a * a) * (a * a))
        denom = np.sqrt(8 * a)
        term2 = denom / (a - s)
        term3 = (s - a - a * np.log(s / a)) ** -1.5
        term23 = np.where(s < a, term2 - term3, term2 + term3)
        term1 = np.log(s / a) * term23 - np.sqrt(2 / a) * (a + s) / ((a - s) * (a - s))
        stirling = 1 + 1 / (12 * a) * (1 + 1 / (24 * a))
        far_result = -stirling * (s * term1) / denom
        result[large] = np.where(near, near_result, far_result)

        middle = ~small & ~large
        a, s = alpha[middle], x[middle]
        u, v = np.log(s / a), np.log(a)
        coef_v = [c0 + u * (c1 + u * c2) for c0, c1, c2 in zip(*_GAMMA_GRAD_COEFFICIENTS)]
        p = coef_v[0] + v * (coef_v[1] + v * (coef_v[2] + v * coef_v[3]))
        q = coef_v[4] + v * (coef_v[5] + v * (coef_v[6] + v * coef_v[7]))
        result[middle] = np.exp(p / q)
    return result


_GAMMA_GRAD_COEFFICIENTS = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343,
     1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758,
     0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777,
     0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07),
)


class StandardGamma(Op):
    """Draws of ``Gamma(concentration, 1)`` (NumPy's ``standard_gamma`` from the generator, in
    float64, cast to the concentration's dtype and clamped up to its smallest normal number as
    PyTorch's ``Gamma.rsample``). Gradient: ``grad_output * standard_gamma_grad(alpha, x)``,
    PyTorch's implicit reparameterisation (``_standard_gamma_grad``)."""

    __slots__ = ("generator",)

    def __init__(self, generator=None):
        self.generator = generator

    def forward(self, concentration):
        draws = numpy_generator(self.generator).standard_gamma(
            concentration.astype(np.float64, copy=False))
        draws = np.asarray(draws).astype(concentration.dtype, copy=False)
        draws = np.maximum(draws, np.finfo(concentration.dtype).tiny)
        self.saved = (concentration, draws)
        return draws

    def backward(self, grad_output):
        concentration, draws = self.saved
        slope = standard_gamma_grad(concentration, draws).astype(grad_output.dtype, copy=False)
        return (grad_output * slope,)


class ParametricDraw(Op):
    """Draws whose distribution depends on tensors, elementwise: ``generator.poisson(rate)``,
    ``generator.binomial(count, probs)`` (the count rounded to an integer, as NumPy needs),
    in the first parameter's dtype and the parameters' (equal) shape. The parameters are inputs
    rather than fixed arguments so that a jit replay draws with their current values. No
    gradient (``sample`` is not differentiable)."""

    __slots__ = ("method", "generator")
    arguments = ("method",)
    differentiable = False

    def __init__(self, method, generator=None):
        self.method, self.generator = method, generator

    def forward(self, *parameters):
        arrays = [p.astype(np.float64, copy=False) for p in parameters]
        if self.method == "binomial":
            arrays[0] = np.rint(arrays[0]).astype(np.int64)
        draws = getattr(numpy_generator(self.generator), self.method)(*arrays)
        return np.asarray(draws).astype(parameters[0].dtype, copy=False)
