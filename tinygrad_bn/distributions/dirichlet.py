"""The Dirichlet distribution ``Dirichlet(concentration)`` on the probability simplex."""

from ..nn.functional import one_hot
from ..printing import Size
from ..tensor import where
from . import constraints
from .exp_family import ExponentialFamily
from .gamma import _standard_gamma

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """Density ``Gamma(a0) / prod Gamma(a_i) * prod x_i^(a_i - 1)`` on the simplex (``a0`` the
    sum of the concentrations, last dimension = event). ``rsample`` normalises independent
    ``Gamma(a_i, 1)`` draws, as PyTorch's sampler; its gradient flows through each gamma draw's
    implicit reparameterisation and the normalisation. Differs from PyTorch: PyTorch's
    ``_Dirichlet`` backward uses ``_dirichlet_grad`` (each ``x_i``'s slope in ``a_i`` at a fixed
    marginal Beta quantile, no cross terms), ours is the exact derivative of the normalised
    gammas; both are unbiased reparameterisation gradients, but they differ draw by draw."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(tuple(batch_shape)
                                                      + tuple(self.event_shape))
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        gammas = _standard_gamma(self.concentration.expand(shape))
        return gammas / gammas.sum(-1, True)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return ((self.concentration - 1.0).xlogy(value).sum(-1)
                + self.concentration.sum(-1).lgamma() - self.concentration.lgamma().sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, True)

    @property
    def mode(self):
        """``(a - 1)+`` normalised; where every ``a_i < 1``, the one-hot vertex of the largest."""
        concentrationm1 = (self.concentration - 1).clamp(min=0.0)
        mask = (self.concentration < 1).all(dim=-1)
        # The rows overwritten below divide by 1, not 0: tinygrad_bn's clamp backward
        # multiplies by its mask, which would let the NaN of 0/0 into the gradient.
        total = where(mask.unsqueeze(-1), 1.0, concentrationm1.sum(-1, True))
        mode = concentrationm1 / total
        mode[mask] = one_hot(mode[mask].argmax(dim=-1), concentrationm1.shape[-1]).to(mode)
        return mode

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (self.concentration.lgamma().sum(-1) - a0.lgamma() - (k - a0) * a0.digamma()
                - ((self.concentration - 1.0) * self.concentration.digamma()).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - x.sum(-1).lgamma()
