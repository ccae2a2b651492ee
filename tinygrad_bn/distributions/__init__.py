"""Probability distributions with PyTorch's ``torch.distributions`` interface: sampling (from
tinygrad_bn's generator, so the numbers differ from PyTorch's; shapes, dtypes and statistics
agree), reparameterised ``rsample`` for gradients through draws, ``log_prob``, ``entropy``,
moments, ``cdf``/``icdf``, argument validation with PyTorch's messages, ``kl_divergence``,
and transforms. The REINFORCE pattern::

    m = Categorical(probs)
    action = m.sample()
    loss = -m.log_prob(action) * reward

Built: Bernoulli, Beta, Binomial, Categorical, Cauchy, Chi2, ContinuousBernoulli, Dirichlet,
ExponentialFamily, Exponential, FisherSnedecor, Gamma, GeneralizedPareto, Geometric, Gumbel, HalfCauchy, HalfNormal, Independent, InverseGamma, Kumaraswamy,
Laplace, LKJCholesky, LowRankMultivariateNormal,
LogisticNormal, LogNormal, MixtureSameFamily, Multinomial, MultivariateNormal,
NegativeBinomial, Normal, OneHotCategorical, OneHotCategoricalStraightThrough, Pareto, Poisson,
StudentT, RelaxedBernoulli, RelaxedOneHotCategorical,
TransformedDistribution, Uniform, VonMises, Weibull, Wishart (and, in their modules as in PyTorch,
LogitRelaxedBernoulli and ExpRelaxedCategorical).
"""

from . import constraints, transforms  # noqa: F401 - public submodules, as in PyTorch
from .bernoulli import Bernoulli
from .categorical import Categorical
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .cauchy import Cauchy
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .generalized_pareto import GeneralizedPareto
from .geometric import Geometric
from .gumbel import Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .mixture_same_family import MixtureSameFamily
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .pareto import Pareto
from .relaxed_bernoulli import RelaxedBernoulli
from .relaxed_categorical import RelaxedOneHotCategorical
from .transformed_distribution import TransformedDistribution
from .transforms import *  # noqa: F403 - PyTorch exports every transform here too
from .uniform import Uniform
from .von_mises import VonMises
# added with lgamma/digamma (grouped, one block)
from .beta import Beta
from .binomial import Binomial
from .chi2 import Chi2
from .dirichlet import Dirichlet
from .fishersnedecor import FisherSnedecor
from .gamma import Gamma
from .inverse_gamma import InverseGamma
from .kumaraswamy import Kumaraswamy
from .lkj_cholesky import LKJCholesky
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .poisson import Poisson
from .studentT import StudentT
from .weibull import Weibull
from .wishart import Wishart

__all__ = [
    "Bernoulli", "Categorical", "Cauchy", "ContinuousBernoulli", "Distribution", "Exponential",
    "ExponentialFamily", "GeneralizedPareto", "Geometric", "Gumbel", "HalfCauchy", "HalfNormal",
    "Independent", "Laplace", "LogNormal", "LogisticNormal", "MixtureSameFamily", "Normal",
    "OneHotCategorical", "OneHotCategoricalStraightThrough", "Pareto", "RelaxedBernoulli",
    "RelaxedOneHotCategorical", "TransformedDistribution", "Uniform", "VonMises", "biject_to",
    "kl_divergence", "register_kl", "transform_to",
]
__all__ += ["Beta", "Binomial", "Chi2", "Dirichlet", "FisherSnedecor", "Gamma", "InverseGamma",
            "Kumaraswamy", "LKJCholesky", "LowRankMultivariateNormal", "Multinomial", "MultivariateNormal", "NegativeBinomial", "Poisson",
            "StudentT", "Weibull", "Wishart"]
__all__.extend(transforms.__all__)
