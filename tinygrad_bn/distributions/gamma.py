"""The gamma distribution ``Gamma(concentration, rate)`` and its reparameterised draws."""

import numbers

from ..creation import as_tensor
from ..ops.random import StandardGamma
from ..printing import Size
from ..special import gammainc
from . import constraints
from .exp_family import ExponentialFamily
from .utils import _clamp_min_keeping_gradient, broadcast_all, finfo

__all__ = ["Gamma"]


def _standard_gamma(concentration):
    """Draws of ``Gamma(concentration, 1)``, differentiable in ``concentration`` by implicit
    reparameterisation (PyTorch's ``torch._standard_gamma``; see ``ops.random.StandardGamma``)."""
    return StandardGamma.apply(concentration)


class Gamma(ExponentialFamily):
    """Density ``rate^a x^(a-1) exp(-rate x) / Gamma(a)`` on ``x >= 0`` (``a`` the
    concentration). ``rsample = G / rate`` with ``G ~ Gamma(a, 1)`` drawn by NumPy from
    tinygrad_bn's generator (so the numbers differ from PyTorch's) and clamped up to the dtype's
    smallest normal number; its gradient in ``a`` is PyTorch's implicit reparameterisation
    ``-(dF/da) / (dF/dx)``. ``log_prob = xlogy(a, rate) + xlogy(a - 1, x) - rate x -
    lgamma(a)``, ``cdf = gammainc(a, rate x)`` (no gradient in ``a``, as PyTorch), ``entropy =
    a - log(rate) + lgamma(a) + (1 - a) digamma(a)``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        if isinstance(concentration, numbers.Number) and isinstance(rate, numbers.Number):
            batch_shape = Size()
        else:
            batch_shape = self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Gamma, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape)
        new.rate = self.rate.expand(batch_shape)
        super(Gamma, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = _standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        return _clamp_min_keeping_gradient(value, float(finfo(value.dtype).tiny))

    def log_prob(self, value):
        value = as_tensor(value, dtype=self.rate.dtype)
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration.xlogy(self.rate) + (self.concentration - 1).xlogy(value)
                - self.rate * value - self.concentration.lgamma())

    def entropy(self):
        return (self.concentration - self.rate.log() + self.concentration.lgamma()
                + (1.0 - self.concentration) * self.concentration.digamma())

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return (x + 1).lgamma() + (x + 1) * (-y.reciprocal()).log()

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return gammainc(self.concentration, self.rate * value)

