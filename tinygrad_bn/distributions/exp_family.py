"""``ExponentialFamily``: the base of distributions whose density is
``p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))`` (PyTorch's), with the entropy that
follows from the log-normaliser ``F`` by the Bregman divergence."""

from ..autograd import grad
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """A distribution in an exponential family: subclasses give ``_natural_params`` (theta),
    ``_log_normalizer(*theta)`` (F) and ``_mean_carrier_measure`` (E[k(x)]).

    ``entropy()`` here is ``F(theta) - <theta, grad F(theta)> - E[k(x)]``. PyTorch takes the
    gradient with ``create_graph=True``, which tinygrad_bn does not support: the value is the
    same, but the term ``<theta, grad F>`` is not differentiable. The distributions built here
    all define their own closed-form entropy, so this only serves subclasses that do not."""

    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def entropy(self):
        result = -self._mean_carrier_measure
        natural_params = [p.detach().requires_grad_() for p in self._natural_params]
        log_normalizer = self._log_normalizer(*natural_params)
        gradients = grad(log_normalizer.sum(), natural_params)
        result = result + log_normalizer
        for param, gradient in zip(natural_params, gradients):
            result = result - (param * gradient).reshape(
                tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
