"""The distributions built on lgamma/digamma, gamma draws and cholesky, against
torch.distributions: every method's value, dtype and gradients in float32 and float64, float64
gradchecks of log_prob and of rsample at a fixed seed, the implicit reparameterisation slope of
gamma draws against PyTorch's ``_standard_gamma_grad``, structure (shapes, reprs, expand),
draws by their statistics, kl_divergence pairs, and validation errors with PyTorch's
messages. The harness follows tests/test_distributions.py."""

import math

import numpy as np
import pytest

import tinygrad_bn as tg
from pytorch_errors import error_tests

RNG = np.random.default_rng(1)
BATCH = (3, 4)


def _positive(shape=BATCH):
    return RNG.uniform(0.5, 2.0, shape)


def _real(shape=BATCH):
    return RNG.standard_normal(shape)


def _unit(shape=BATCH):
    return RNG.uniform(0.1, 0.9, shape)


def _simplex(shape=BATCH):
    weights = RNG.uniform(0.1, 1.0, shape)
    return weights / weights.sum(-1, keepdims=True)


def _spd(shape):
    """Symmetric positive definite matrices, well conditioned."""
    a = RNG.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) / shape[-1] + np.eye(shape[-1])


def _counts(high, shape=(2,) + BATCH):
    return RNG.integers(0, high + 1, shape).astype(float)


# Each case: (build(distributions, params), params as arrays, values to score or None to score
# PyTorch's draws).
UNIT_VALUES = _unit((2,) + BATCH)
CASES = {
    "Gamma": (lambda d, p: d.Gamma(p["concentration"], p["rate"]),
              {"concentration": np.concatenate([_positive((2, 4)), [[0.3, 1.0, 9.0, 20.0]]]),
               "rate": _positive()}, _positive((2,) + BATCH) * 2),
    "Gamma-numbers": (lambda d, p: d.Gamma(2.0, 3.0), {}, _positive((2,) + BATCH)),
    "Chi2": (lambda d, p: d.Chi2(p["df"]), {"df": _positive() * 3}, _positive((2,) + BATCH)),
    "Beta": (lambda d, p: d.Beta(p["concentration1"], p["concentration0"]),
             {"concentration1": _positive(), "concentration0": _positive()},
             _unit((2,) + BATCH)),
    "Dirichlet": (lambda d, p: d.Dirichlet(p["concentration"]),
                  {"concentration": np.concatenate([_positive((2, 4)),
                                                    [[0.3, 0.5, 0.9, 0.2]]])},
                  _simplex((2,) + BATCH)),
    "Poisson": (lambda d, p: d.Poisson(p["rate"]), {"rate": _positive() * 3}, _counts(8)),
    "StudentT": (lambda d, p: d.StudentT(p["df"], p["loc"], p["scale"]),
                 {"df": np.concatenate([_positive((2, 4)) * 3, [[0.7, 1.5, 2.5, 30.0]]]),
                  "loc": _real(), "scale": _positive()}, _real((2,) + BATCH) * 2),
    "Binomial-probs": (lambda d, p: d.Binomial(5, probs=p["probs"]), {"probs": _unit()},
                       _counts(5)),
    "Binomial-logits": (lambda d, p: d.Binomial(tg_or_torch(d).tensor(
        [[3.0], [5.0], [7.0]]), logits=p["logits"]), {"logits": _real()}, _counts(3)),
    "NegativeBinomial-probs": (lambda d, p: d.NegativeBinomial(p["total_count"], probs=p["probs"]),
                               {"total_count": _positive() * 3, "probs": _unit()}, _counts(6)),
    "NegativeBinomial-logits": (lambda d, p: d.NegativeBinomial(p["total_count"],
                                                                logits=p["logits"]),
                                {"total_count": _positive() * 3, "logits": _real()},
                                _counts(6)),
    "Multinomial-probs": (lambda d, p: d.Multinomial(6, probs=p["probs"]),
                          {"probs": _simplex()}, np.array([[1, 2, 0, 3], [0, 0, 6, 0],
                                                           [2, 2, 1, 1]], float)),
    "Multinomial-logits": (lambda d, p: d.Multinomial(3, logits=p["logits"]),
                           {"logits": _real()}, np.array([[1, 2, 0, 0], [0, 0, 3, 0],
                                                          [1, 1, 1, 0]], float)),
    "MultivariateNormal-scale_tril": (
        lambda d, p: d.MultivariateNormal(p["loc"], scale_tril=p["scale_tril"]),
        {"loc": _real((2, 3, 4)), "scale_tril": np.tril(_real((3, 4, 4)) * 0.3)
         + np.eye(4) * 1.5}, _real((2, 2, 3, 4))),
    "MultivariateNormal-covariance": (
        lambda d, p: d.MultivariateNormal(p["loc"], covariance_matrix=p["covariance"]),
        {"loc": _real((3, 4)), "covariance": _spd((3, 4, 4))}, _real((2, 3, 4))),
    "MultivariateNormal-precision": (
        lambda d, p: d.MultivariateNormal(p["loc"], precision_matrix=p["precision"]),
        {"loc": _real((2, 1, 4)), "precision": _spd((3, 4, 4))}, _real((2, 2, 3, 4))),
    "LowRankMultivariateNormal": (
        lambda d, p: d.LowRankMultivariateNormal(p["loc"], p["cov_factor"], p["cov_diag"]),
        {"loc": _real((2, 1, 4)), "cov_factor": _real((3, 4, 2)) * 0.7,
         "cov_diag": _positive((3, 4))}, _real((2, 2, 3, 4))),
    "LKJCholesky": (lambda d, p: d.LKJCholesky(4, p["concentration"]),
                    {"concentration": np.array([0.5, 1.0, 3.0])}, None),
    "Wishart-scale_tril": (lambda d, p: d.Wishart(p["df"], scale_tril=p["scale_tril"]),
                           {"df": np.array([4.0, 6.5, 12.0]),
                            "scale_tril": np.tril(_real((3, 3, 3)) * 0.3) + np.eye(3)}, None),
    "Wishart-covariance": (lambda d, p: d.Wishart(5.0, covariance_matrix=p["covariance"]),
                           {"covariance": _spd((3, 3))}, None),
    "Wishart-precision": (lambda d, p: d.Wishart(p["df"], precision_matrix=p["precision"]),
                          {"df": np.array([3.5, 8.0]), "precision": _spd((3, 3))}, None),
    "InverseGamma": (lambda d, p: d.InverseGamma(p["concentration"], p["rate"]),
                     {"concentration": np.concatenate([_positive((2, 4)) * 2,
                                                       [[0.5, 1.5, 3.0, 9.0]]]),
                      "rate": _positive()}, _positive((2,) + BATCH)),
    "Weibull": (lambda d, p: d.Weibull(p["scale"], p["concentration"]),
                {"scale": _positive(), "concentration": _positive() * 2},
                _positive((2,) + BATCH)),
    "Kumaraswamy": (lambda d, p: d.Kumaraswamy(p["concentration1"], p["concentration0"]),
                    {"concentration1": _positive() * 1.5, "concentration0": _positive() * 1.5},
                    _unit((2,) + BATCH)),
    "FisherSnedecor": (lambda d, p: d.FisherSnedecor(p["df1"], p["df2"]),
                       {"df1": np.concatenate([_positive((2, 4)) * 4, [[1.0, 2.5, 3.0, 9.0]]]),
                        "df2": np.concatenate([_positive((2, 4)) * 6, [[1.5, 3.0, 5.0, 12.0]]])},
                       _positive((2,) + BATCH)),
}


def tg_or_torch(distributions):
    """The library whose ``distributions`` package this is."""
    import sys
    return sys.modules[distributions.__name__.rsplit(".", 1)[0]]


METHODS = ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev",
           "perplexity")
RTOL = {"float32": 1e-6, "float64": 1e-12}
# Our lgamma/digamma are computed in float64 and rounded once; PyTorch's float32 ones are
# float32 kernels, a few ulp apart; differences of nearly equal lgamma terms (Beta/Dirichlet
# normalisers, StudentT's) magnify that in float32.
LOOSE = {"float32": 2e-5, "float64": 1e-11}


def _rtol(dtype, name):
    return LOOSE[dtype]


def _values(name, dist_torch):
    import torch
    values = CASES[name][2]
    if values is None:
        torch.manual_seed(0)
        return dist_torch.sample((2,)).double().numpy()
    return values


def _build(lib, name, dtype, params=None):
    build, arrays, _ = CASES[name]
    tensors = {k: lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True)
               for k, v in arrays.items()} if params is None else params
    return build(lib.distributions, tensors), tensors


def _call(dist, method, lib, value, dtype):
    if method in ("log_prob", "cdf"):
        return getattr(dist, method)(lib.tensor(value, dtype=getattr(lib, dtype)))
    if method == "icdf":
        return dist.icdf(lib.tensor(UNIT_VALUES, dtype=getattr(lib, dtype)))
    attribute = getattr(dist, method)
    return attribute() if callable(attribute) else attribute


def _compare(ours, theirs, our_params, their_params, rtol):
    """Same shape, dtype and values (NaN/inf where PyTorch's), and the same gradients of a
    random weighted sum over the finite entries."""
    import torch
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    got, want = ours.detach().numpy(), theirs.detach().numpy()
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)
    if not theirs.requires_grad or not theirs.dtype.is_floating_point:
        return
    weights = np.random.default_rng(3).standard_normal(tuple(ours.shape))
    weights[~np.isfinite(want)] = 0
    try:
        (theirs * torch.tensor(weights, dtype=theirs.dtype)).sum().backward()
    except NotImplementedError as error:  # Gamma.cdf: igamma has no gradient in a
        with pytest.raises(NotImplementedError) as raised:
            (ours * tg.tensor(weights, dtype=ours.dtype)).sum().backward()
        assert str(raised.value) == str(error)
        return
    (ours * tg.tensor(weights, dtype=ours.dtype)).sum().backward()
    for key, their_param in their_params.items():
        our_param = our_params[key]
        if their_param.grad is None:
            assert our_param.grad is None or not our_param.grad.numpy().any()
            continue
        np.testing.assert_allclose(our_param.grad.numpy(), their_param.grad.numpy(),
                                   rtol=100 * rtol, atol=100 * rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_pytorch(name, method, dtype):
    """Each method's value, shape, dtype and parameter gradients are PyTorch's; where PyTorch
    raises NotImplementedError, so do we."""
    torch = pytest.importorskip("torch")
    theirs, their_params = _build(torch, name, dtype)
    value = _values(name, theirs)
    try:
        expected = _call(theirs, method, torch, value, dtype)
    except NotImplementedError as error:
        ours, _ = _build(tg, name, dtype)
        with pytest.raises(NotImplementedError) as raised:
            _call(ours, method, tg, value, dtype)
        assert str(raised.value) == str(error).replace("torch.", "tinygrad_bn.")
        return
    ours, our_params = _build(tg, name, dtype)
    _compare(_call(ours, method, tg, value, dtype), expected, our_params, their_params,
             _rtol(str(expected.dtype).removeprefix("torch."), name))


MATRIX_CASES = [n for n in CASES if "MultivariateNormal" in n or "Wishart" in n]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", ["scale_tril", "covariance_matrix", "precision_matrix"])
@pytest.mark.parametrize("name", MATRIX_CASES)
def test_matrix_parameters_match_pytorch(name, method, dtype):
    """The multivariate normals' scale_tril, covariance_matrix and precision_matrix (whichever
    was not given is derived): values and gradients are PyTorch's."""
    torch = pytest.importorskip("torch")
    theirs, their_params = _build(torch, name, dtype)
    ours, our_params = _build(tg, name, dtype)
    _compare(getattr(ours, method), getattr(theirs, method), our_params, their_params,
             LOOSE[dtype] * 10)


@pytest.mark.parametrize("name", list(CASES))
def test_structure_matches_pytorch(name):
    """Batch and event shapes, has_rsample, has_enumerate_support, the support's and the
    distribution's reprs, sample/rsample shapes and dtypes, enumerate_support, and expand."""
    torch = pytest.importorskip("torch")
    theirs, _ = _build(torch, name, "float64")
    ours, _ = _build(tg, name, "float64")
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    assert repr(ours.support) == repr(theirs.support)
    assert repr(ours) == repr(theirs)
    if theirs.has_enumerate_support and name != "Binomial-logits":
        np.testing.assert_array_equal(ours.enumerate_support().numpy(),
                                      theirs.enumerate_support().numpy())
    for shape in ((), (2, 3)):
        assert tuple(ours.sample(shape).shape) == tuple(theirs.sample(shape).shape)
        assert str(ours.sample(shape).dtype) == str(theirs.sample(shape).dtype)[6:]
        if theirs.has_rsample:
            assert tuple(ours.rsample(shape).shape) == tuple(theirs.rsample(shape).shape)
    bigger = (2,) + tuple(theirs.batch_shape)
    their_expanded, our_expanded = theirs.expand(bigger), ours.expand(bigger)
    assert type(our_expanded).__name__ == type(their_expanded).__name__
    assert tuple(our_expanded.batch_shape) == tuple(their_expanded.batch_shape)
    value = their_expanded.sample().numpy()
    expected = their_expanded.log_prob(torch.tensor(value))
    rtol = LOOSE[str(expected.dtype).removeprefix("torch.")]
    np.testing.assert_allclose(our_expanded.log_prob(tg.tensor(value)).detach().numpy(),
                               expected.detach().numpy(), rtol=rtol, atol=rtol)


GRADCHECKED = [name for name in CASES if CASES[name][1]]


def _leaves(name):
    keys = list(CASES[name][1])
    return keys, [tg.tensor(CASES[name][1][k], dtype=tg.float64, requires_grad=True)
                  for k in keys]


@pytest.mark.parametrize("name", GRADCHECKED)
def test_log_prob_gradcheck(name):
    """float64 gradients of log_prob in every parameter against finite differences."""
    torch = pytest.importorskip("torch")
    theirs, _ = _build(torch, name, "float64")
    value = tg.tensor(_values(name, theirs))
    keys, params = _leaves(name)

    def log_prob(*tensors):
        # cholesky reads one triangle, its gradient is symmetric (PyTorch's): probe symmetrically;
        # cholesky_solve's gradient in the factor is not confined to its triangle (PyTorch's
        # neither): probe the triangle only
        tensors = [(t + t.mT) / 2 if k in ("covariance", "precision")
                   else t.tril() if k == "scale_tril" else t for k, t in zip(keys, tensors)]
        return CASES[name][0](tg.distributions, dict(zip(keys, tensors))).log_prob(value)

    # The probes move single entries of a matrix parameter (off the triangle, or asymmetrically):
    # validation is not what is checked here.
    tg.distributions.Distribution.set_default_validate_args(False)
    try:
        assert tg.gradcheck(log_prob, tuple(params))
    finally:
        tg.distributions.Distribution.set_default_validate_args(True)


RSAMPLED = ["Gamma", "Chi2", "Beta", "Dirichlet", "StudentT", "InverseGamma", "Kumaraswamy",
            "FisherSnedecor"]


@pytest.mark.parametrize("name", RSAMPLED)
def test_rsample_gradients_are_unbiased(name):
    """rsample is reparameterised: the average over many draws of the gradient of a weighted
    sum of the draws is the gradient of the same weighted sum of ``mean`` (within 6 standard
    errors), for every parameter, the concentrations (implicit reparameterisation) included;
    sample() draws outside the graph. (A fixed-seed finite difference cannot check the
    concentration: NumPy's rejection sampler is not the implicit function of the quantile.)"""
    torch = pytest.importorskip("torch")
    keys, params = _leaves(name)
    dist = CASES[name][0](tg.distributions, dict(zip(keys, params)))
    weights = np.random.default_rng(5).standard_normal(tuple(dist.batch_shape + dist.event_shape))
    if name == "StudentT":  # no finite variance for df <= 2: those entries are left out
        weights = np.where(CASES[name][1]["df"] > 2.5, weights, 0.0)
    tg.manual_seed(2)
    draws = dist.rsample((SAMPLES,))
    assert draws.requires_grad
    chunks = 20  # batch means, for a standard error
    estimates = {key: [] for key in keys}
    for chunk in draws.split(SAMPLES // chunks):
        objective = (chunk * tg.tensor(weights)).sum() / chunk.shape[0]
        for key, grad in zip(keys, tg.autograd.grad(objective, params, retain_graph=True)):
            estimates[key].append(grad.numpy())
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in CASES[name][1].items()}
    mean = CASES[name][0](torch.distributions, leaves).mean
    mean = torch.where(torch.tensor(weights) != 0, mean, 0.0)
    expected = torch.autograd.grad((mean * torch.tensor(weights)).sum(), list(leaves.values()),
                                   allow_unused=True)
    for key, want in zip(keys, expected):
        want = np.zeros(CASES[name][1][key].shape) if want is None else want.numpy()
        batch = np.array(estimates[key])
        stderr = batch.std(0) / math.sqrt(chunks)
        assert np.all(np.abs(batch.mean(0) - want) < 6 * stderr + 1e-9), key
    assert not CASES[name][0](tg.distributions,
                              dict(zip(keys, params))).sample((2,)).requires_grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_standard_gamma_slope_is_pytorchs(dtype):
    """The gamma draw's slope in its concentration, in all three regimes of PyTorch's formula
    (x < 0.8, alpha > 8, the rational approximation), is ``torch._standard_gamma_grad``'s."""
    torch = pytest.importorskip("torch")
    from tinygrad_bn.ops.random import standard_gamma_grad
    rng = np.random.default_rng(0)
    alpha = np.concatenate([rng.uniform(0.05, 20, 3000), [9.0, 9.0, 50.0]]).astype(dtype)
    x = np.concatenate([rng.gamma(alpha[:-3]), [8.5, 9.5, 40.0]]).astype(dtype)
    ours = standard_gamma_grad(alpha, x).astype(dtype)
    theirs = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=RTOL[dtype] * 100)


def test_gamma_rsample_gradients_are_pytorchs_formula():
    """Gamma.rsample's gradients: ``-x / rate`` for the rate, ``_standard_gamma_grad(a, G) /
    rate`` for the concentration, with ``G`` the standard gamma draw behind ``x``."""
    torch = pytest.importorskip("torch")
    concentration = tg.tensor([0.4, 2.0, 12.0], dtype=tg.float64, requires_grad=True)
    rate = tg.tensor([1.5, 0.5, 2.0], dtype=tg.float64, requires_grad=True)
    draw = tg.distributions.Gamma(concentration, rate).rsample((5,))
    draw.sum().backward()
    x = draw.detach().numpy()
    standard = x * rate.detach().numpy()
    slope = torch._standard_gamma_grad(torch.tensor(concentration.detach().numpy()).expand(5, 3),
                                       torch.tensor(standard)).numpy()
    np.testing.assert_allclose(concentration.grad.numpy(),
                               (slope / rate.detach().numpy()).sum(0), rtol=1e-10)
    np.testing.assert_allclose(rate.grad.numpy(), (-x / rate.detach().numpy()).sum(0),
                               rtol=1e-10)


SAMPLES = 40000
# Where the fourth moment is finite (heavy tails elsewhere): the entries whose moments are checked.
FINITE_FOURTH_MOMENT = {
    "StudentT": lambda p: p["df"] > 4,
    "InverseGamma": lambda p: p["concentration"] > 4,
    "FisherSnedecor": lambda p: p["df2"] > 8,
}


@pytest.mark.parametrize("name", list(CASES))
def test_draws_have_the_right_shape_support_and_statistics(name):
    """``sample((N,))``: PyTorch's shape and dtype, inside the support, the sample mean within
    6 standard errors of ``mean`` and the sample variance within 15% of ``variance`` (where
    both are finite)."""
    torch = pytest.importorskip("torch")
    theirs, _ = _build(torch, name, "float64")
    ours, _ = _build(tg, name, "float64")
    tg.manual_seed(0)
    draws = ours.sample((SAMPLES,))
    expected = theirs.sample((SAMPLES,))
    assert tuple(draws.shape) == tuple(expected.shape)
    assert str(draws.dtype) == str(expected.dtype).removeprefix("torch.")
    assert ours.support.check(draws).all().item()
    values = draws.numpy()
    if name == "LKJCholesky":
        # No mean: the correlations' means and variances against PyTorch's own draws (its
        # onion sampler's marginals, which ours reproduces step for step).
        def correlations(draws):
            rows, cols = np.tril_indices(4, -1)
            return (draws @ np.swapaxes(draws, -1, -2))[..., rows, cols]
        ours_r, theirs_r = correlations(values), correlations(expected.numpy())
        assert np.all(np.abs(ours_r.mean(0) - theirs_r.mean(0))
                      < 6 * np.sqrt(2 * theirs_r.var(0) / SAMPLES))
        np.testing.assert_allclose(ours_r.var(0), theirs_r.var(0), rtol=0.05)
        return
    mean, variance = theirs.mean.detach().numpy(), theirs.variance.detach().numpy()
    finite = np.isfinite(mean) & np.isfinite(variance)
    if name in FINITE_FOURTH_MOMENT:  # else a sample variance does not settle
        finite &= FINITE_FOURTH_MOMENT[name](CASES[name][1])
    error = np.abs(values.mean(0)[finite] - mean[finite]) / np.sqrt(variance[finite] / SAMPLES)
    assert error.max() < 6
    np.testing.assert_allclose(values.var(0)[finite], variance[finite], rtol=0.15)


@pytest.mark.parametrize("name", ["Poisson", "Binomial-probs", "Binomial-logits"])
def test_discrete_draws_have_the_right_frequencies(name):
    """Each count's frequency among N draws is within 6 standard errors of
    ``exp(log_prob(count))``."""
    ours, _ = _build(tg, name, "float64")
    tg.manual_seed(0)
    draws = ours.sample((SAMPLES,)).numpy()
    for count in range(6):
        value = tg.full(tuple(ours.batch_shape), float(count), dtype=tg.float64)
        valid = np.ones(tuple(ours.batch_shape), bool)
        if name.startswith("Binomial"):
            valid = count <= ours.total_count.numpy()
            value = tg.minimum(value, ours.total_count)
        probability = ours.log_prob(value).exp().detach().numpy()
        error = np.abs((draws == count).mean(0) - probability)[valid]
        bound = 6 * np.sqrt(probability * (1 - probability) / SAMPLES)[valid] + 1e-12
        assert np.all(error < bound)


# KL pairs: PyTorch's registered pairs that involve the distributions of this file.
FAMILIES = {
    "Gamma": lambda d, p, s: d.Gamma(p[s + "positive"], p[s + "scale"]),
    "Chi2": lambda d, p, s: d.Chi2(p[s + "positive"]),
    "Beta": lambda d, p, s: d.Beta(p[s + "positive"], p[s + "scale"]),
    "Dirichlet": lambda d, p, s: d.Dirichlet(p[s + "positive"]),
    "Poisson": lambda d, p, s: d.Poisson(p[s + "scale"]),
    "Binomial": lambda d, p, s: d.Binomial(4, probs=p[s + "unit"]),
    "Binomial-mixed": lambda d, p, s: d.Binomial(
        tg_or_torch(d).tensor([[4.0], [4.0], [6.0]] if s == "p" else [[4.0]]),
        logits=p[s + "loc"]),
    "Normal": lambda d, p, s: d.Normal(p[s + "loc"], p[s + "scale"]),
    "LowRank": lambda d, p, s: d.LowRankMultivariateNormal(
        p[s + "loc"] if s == "p" else p[s + "loc"][0], p[s + "factor"], p[s + "scale"][0]),
    "MultivariateNormal": lambda d, p, s: d.MultivariateNormal(
        p[s + "loc"], scale_tril=p[s + "tril"]) if s == "p" else d.MultivariateNormal(
        p[s + "loc"][0], covariance_matrix=p[s + "cov"]),
    "Uniform": lambda d, p, s: d.Uniform(p[s + "low"], p[s + "low"] + p[s + "scale"]),
    "Exponential": lambda d, p, s: d.Exponential(p[s + "scale"]),
    "Gumbel": lambda d, p, s: d.Gumbel(p[s + "loc"], p[s + "scale"]),
    "Laplace": lambda d, p, s: d.Laplace(p[s + "loc"], p[s + "scale"]),
    "Pareto": lambda d, p, s: d.Pareto(p[s + "scale"], p[s + "positive"] + 0.6),
    "Bernoulli": lambda d, p, s: d.Bernoulli(probs=p[s + "unit"]),
    "ContinuousBernoulli": lambda d, p, s: d.ContinuousBernoulli(probs=p[s + "unit"]),
}
KL_PAIRS = [(f, f) for f in ("Gamma", "Chi2", "Beta", "Dirichlet", "Poisson", "Binomial",
                             "Binomial-mixed", "MultivariateNormal", "LowRank")] + [
    ("MultivariateNormal", "LowRank"), ("LowRank", "MultivariateNormal"), ("Gumbel", "Gumbel"),
    ("Bernoulli", "Poisson"), ("Beta", "ContinuousBernoulli"), ("Beta", "Pareto"),
    ("Beta", "Exponential"), ("Beta", "Gamma"), ("Beta", "Normal"), ("Beta", "Uniform"),
    ("Exponential", "Beta"), ("Exponential", "Gamma"), ("Gamma", "Beta"),
    ("Gamma", "ContinuousBernoulli"), ("Gamma", "Pareto"), ("Gamma", "Uniform"),
    ("Gamma", "Exponential"), ("Gamma", "Gumbel"), ("Gamma", "Normal"), ("Gumbel", "Beta"),
    ("Gumbel", "Gamma"), ("Laplace", "Beta"), ("Laplace", "Gamma"), ("Normal", "Beta"),
    ("Normal", "Gamma"), ("Pareto", "Beta"), ("Pareto", "Gamma"), ("Poisson", "Bernoulli"),
    ("Poisson", "Binomial"), ("Uniform", "Beta"), ("Uniform", "Gamma"), ("Chi2", "Gamma"),
]
KL_PARAMS = {f"{side}{kind}": make() for side in "pq" for kind, make in
             (("loc", _real), ("scale", _positive), ("unit", _unit),
              ("positive", lambda: _positive() * 2), ("low", lambda: _unit() * 0.5 - 0.1))}
KL_PARAMS.update(pfactor=_real((3, 4, 2)) * 0.5, qfactor=_real((4, 3)) * 0.5)
KL_PARAMS.update(ptril=np.tril(_real((3, 4, 4)) * 0.3) + np.eye(4), qcov=_spd((4, 4)))
KL_PARAMS["plow"] = _unit() * 0.4  # p's uniform sometimes inside [0, 1], sometimes not


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("p_family, q_family", KL_PAIRS, ids=[f"{p}-{q}" for p, q in KL_PAIRS])
def test_kl_divergence_matches_pytorch(p_family, q_family, dtype):
    """kl_divergence's value (inf where PyTorch's is) and its gradients to both distributions'
    parameters are PyTorch's."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        params = {k: lib.tensor(v, dtype=getattr(lib, dtype), requires_grad=True)
                  for k, v in KL_PARAMS.items()}
        kl = lib.distributions.kl_divergence(FAMILIES[p_family](lib.distributions, params, "p"),
                                             FAMILIES[q_family](lib.distributions, params, "q"))
        weights = np.where(np.isfinite(kl.detach().numpy()), 1.0, 0.0)
        if kl.requires_grad:
            (kl * lib.tensor(weights, dtype=kl.dtype)).sum().backward()
        results.append((kl, params))
    (ours, our_params), (theirs, their_params) = results
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    rtol = LOOSE[dtype]
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=rtol,
                               atol=rtol)
    for key, their_param in their_params.items():
        if their_param.grad is not None:
            np.testing.assert_allclose(our_params[key].grad.numpy(), their_param.grad.numpy(),
                                       rtol=100 * rtol, atol=100 * rtol)


def D(lib):
    """The distributions package of ``lib`` (tinygrad_bn or torch)."""
    return lib.distributions


# Bad arguments and values: PyTorch's exception types and messages, word for word.
ERRORS = [
    ('gamma-negative-concentration',
     lambda lib: D(lib).Gamma(lib.tensor([1.0, -1.0]), lib.tensor([1.0, 1.0])),
     ValueError,
     'Expected parameter concentration (Tensor of shape (2,)) of distribution Gamma(concentrat'
     'ion: torch.Size([2]), rate: torch.Size([2])) to satisfy the constraint GreaterThan(lower_'
     'bound=0.0), but found invalid values:\ntensor([ 1., -1.])'),
    ('gamma-negative-value',
     lambda lib: D(lib).Gamma(2.0, 1.0).log_prob(lib.tensor([-1.0])),
     ValueError,
     'Expected value argument (Tensor of shape (1,)) to be within the support (GreaterThanEq(lowe'
     'r_bound=0.0)) of the distribution Gamma(concentration: 2.0, rate: 1.0), but found invalid '
     'values:\ntensor([-1.])'),
    ('chi2-zero-df',
     lambda lib: D(lib).Chi2(lib.tensor([0.0])),
     ValueError,
     'Expected parameter df (Tensor of shape (1,)) of distribution Chi2() to satisfy the constrai'
     'nt GreaterThan(lower_bound=0.0), but found invalid values:\ntensor([0.])'),
    ('beta-value-outside',
     lambda lib: D(lib).Beta(lib.tensor([2.0]), lib.tensor([3.0])).log_prob(lib.tensor([1.5])),
     ValueError,
     'Expected value argument (Tensor of shape (1,)) to be within the support (Interval(lower_bou'
     'nd=0.0, upper_bound=1.0)) of the distribution Beta(), but found invalid values:\ntensor([1'
     '.5000])'),
    ('dirichlet-0d',
     lambda lib: D(lib).Dirichlet(lib.tensor(1.0)),
     ValueError, '`concentration` parameter must be at least one-dimensional.'),
    ('dirichlet-not-simplex',
     lambda lib: D(lib).Dirichlet(lib.tensor([1.0, 2.0])).log_prob(lib.tensor([0.5, 0.6])),
     ValueError,
     'Expected value argument (Tensor of shape (2,)) to be within the support (Simplex()) of the '
     'distribution Dirichlet(concentration: torch.Size([2])), but found invalid values:\ntensor(['
     '0.5000, 0.6000])'),
    ('poisson-fractional-value',
     lambda lib: D(lib).Poisson(lib.tensor([2.0])).log_prob(lib.tensor([1.5])),
     ValueError,
     'Expected value argument (Tensor of shape (1,)) to be within the support (IntegerGreaterThan'
     '(lower_bound=0)) of the distribution Poisson(rate: tensor([2.])), but found invalid values:'
     '\ntensor([1.5000])'),
    ('studentt-negative-scale',
     lambda lib: D(lib).StudentT(3.0, 0.0, -1.0),
     ValueError,
     'Expected parameter scale (Tensor of shape ()) of distribution StudentT(df: 3.0, loc: 0.0, s'
     'cale: -1.0) to satisfy the constraint GreaterThan(lower_bound=0.0), but found invalid value'
     's:\n-1.0'),
    ('binomial-both',
     lambda lib: D(lib).Binomial(3, probs=lib.tensor([0.5]), logits=lib.tensor([0.0])),
     ValueError, 'Either `probs` or `logits` must be specified, but not both.'),
    ('binomial-fractional-count',
     lambda lib: D(lib).Binomial(lib.tensor([2.5]), probs=lib.tensor([0.5])),
     ValueError,
     'Expected parameter total_count (Tensor of shape (1,)) of distribution Binomial(total_count:'
     ' tensor([2.5000]), probs: tensor([0.5000])) to satisfy the constraint IntegerGreaterThan(lo'
     'wer_bound=0), but found invalid values:\ntensor([2.5000])'),
    ('binomial-value-above-count',
     lambda lib: D(lib).Binomial(3, probs=lib.tensor([0.5])).log_prob(lib.tensor([4.0])),
     ValueError,
     'Expected value argument (Tensor of shape (1,)) to be within the support (IntegerInterval(lo'
     'wer_bound=0, upper_bound=tensor([3.]))) of the distribution Binomial(total_count'
     ': tensor([3.]), probs: tensor([0.5000])), but found invalid values:\ntensor([4.])'),
    ('binomial-inhomogeneous-entropy',
     lambda lib: D(lib).Binomial(lib.tensor([2.0, 3.0]), probs=lib.tensor([0.5, 0.5])).entropy(),
     NotImplementedError, 'Inhomogeneous total count not supported by `entropy`.'),
    ('binomial-kl-larger-q-count',
     lambda lib: D(lib).kl_divergence(D(lib).Binomial(2, probs=lib.tensor([0.5])),
                                      D(lib).Binomial(3, probs=lib.tensor([0.5]))),
     NotImplementedError,
     'KL between Binomials where q.total_count > p.total_count is not implemented'),
    ('mvn-two-parameters',
     lambda lib: D(lib).MultivariateNormal(lib.zeros(2), covariance_matrix=lib.eye(2),
                                           scale_tril=lib.eye(2)),
     ValueError,
     'Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.'),
    ('mvn-0d-loc',
     lambda lib: D(lib).MultivariateNormal(lib.tensor(0.0), scale_tril=lib.eye(2)),
     ValueError, 'loc must be at least one-dimensional.'),
    ('mvn-1d-scale-tril',
     lambda lib: D(lib).MultivariateNormal(lib.zeros(2), scale_tril=lib.ones(2)),
     ValueError, 'scale_tril matrix must be at least two-dimensional, with optional leading '
                 'batch dimensions'),
    ('mvn-1d-covariance',
     lambda lib: D(lib).MultivariateNormal(lib.zeros(2), covariance_matrix=lib.ones(2)),
     ValueError, 'covariance_matrix must be at least two-dimensional, with optional leading '
                 'batch dimensions'),
    ('mvn-1d-precision',
     lambda lib: D(lib).MultivariateNormal(lib.zeros(2), precision_matrix=lib.ones(2)),
     ValueError, 'precision_matrix must be at least two-dimensional, with optional leading '
                 'batch dimensions'),
    ('mvn-not-positive-definite',
     lambda lib: D(lib).MultivariateNormal(lib.zeros(2), covariance_matrix=lib.tensor(
         [[1.0, 2.0], [2.0, 1.0]])),
     ValueError,
     'Expected parameter covariance_matrix (Tensor of shape (2, 2)) of distribution Multivariate'
     'Normal(loc: torch.Size([2]), covariance_matrix: torch.Size([2, 2])) to satisfy the constrai'
     'nt PositiveDefinite(), but found invalid values:\ntensor([[1., 2.],\n        [2., 1.]])'),
    ('mvn-scale-tril-upper',
     lambda lib: D(lib).MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor(
         [[1.0, 2.0], [0.0, 1.0]])),
     ValueError,
     'Expected parameter scale_tril (Tensor of shape (2, 2)) of distribution MultivariateNormal(l'
     'oc: torch.Size([2]), scale_tril: torch.Size([2, 2])) to satisfy the constraint LowerCholesk'
     'y(), but found invalid values:\ntensor([[1., 2.],\n        [0., 1.]])'),
    ('mvn-kl-event-shapes',
     lambda lib: D(lib).kl_divergence(D(lib).MultivariateNormal(lib.zeros(2), lib.eye(2)),
                                      D(lib).MultivariateNormal(lib.zeros(3), lib.eye(3))),
     ValueError,
     'KL-divergence between two Multivariate Normals with                          different '
     'event shapes cannot be computed'),
    ('weibull-negative-concentration',
     lambda lib: D(lib).Weibull(1.0, -2.0),
     ValueError,
     'Expected parameter concentration (Tensor of shape ()) of distribution Weibull(scale: 1.0, co'
     'ncentration: -2.0) to satisfy the constraint GreaterThan(lower_bound=0.0), but found invali'
     'd values:\n-2.0'),
    ('kumaraswamy-value-outside',
     lambda lib: D(lib).Kumaraswamy(lib.tensor([2.0]), lib.tensor([3.0])).log_prob(
         lib.tensor([1.5])),
     ValueError,
     'Expected value argument (Tensor of shape (1,)) to be within the support (Interval(lower_bou'
     'nd=0.0, upper_bound=1.0)) of the distribution Kumaraswamy(concentration1: tensor([2.]), con'
     'centration0: tensor([3.])), but found invalid values:\ntensor([1.5000])'),
    ('lowrank-cov-factor-shape',
     lambda lib: D(lib).LowRankMultivariateNormal(lib.zeros(3), lib.ones(4, 2), lib.ones(3)),
     ValueError, 'cov_factor must be a batch of matrices with shape 3 x m'),
    ('lowrank-cov-diag-shape',
     lambda lib: D(lib).LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 2), lib.ones(4)),
     ValueError, 'cov_diag must be a batch of vectors with shape torch.Size([3])'),
    ('lowrank-batch-shapes',
     lambda lib: D(lib).LowRankMultivariateNormal(lib.zeros(2, 3), lib.ones(4, 3, 2),
                                                  lib.ones(3)),
     ValueError, 'Incompatible batch shapes: loc torch.Size([2, 3]), cov_factor torch.Size([4, '
                 '3, 2]), cov_diag torch.Size([3])'),
    ('lkj-dim-1',
     lambda lib: D(lib).LKJCholesky(1, 1.0),
     ValueError, 'Expected dim to be an integer greater than or equal to 2. Found dim=1.'),
    ('multinomial-tensor-count',
     lambda lib: D(lib).Multinomial(lib.tensor(3), probs=lib.tensor([0.5, 0.5])),
     NotImplementedError, 'inhomogeneous total_count is not supported'),
    ('negative-binomial-probs-one',
     lambda lib: D(lib).NegativeBinomial(2.0, probs=lib.tensor([1.0])),
     ValueError,
     'Expected parameter probs (Tensor of shape (1,)) of distribution NegativeBinomial(total_coun'
     't: tensor([2.]), probs: tensor([1.])) to satisfy the constraint HalfOpenInterval(lower_bou'
     'nd=0.0, upper_bound=1.0), but found invalid values:\ntensor([1.])'),
]
test_errors_are_pytorchs, test_pytorch_raises_the_same = error_tests(ERRORS)


# Transforms that need cholesky: (name, builder, input in the domain).
TRANSFORMS = [
    ("LowerCholesky", lambda t: t.LowerCholeskyTransform(), _real((2, 3, 3))),
    ("PositiveDefinite", lambda t: t.PositiveDefiniteTransform(), _real((2, 3, 3))),
    ("CorrCholesky", lambda t: t.CorrCholeskyTransform(), _real((2, 6))),
    ("CorrCholesky-2", lambda t: t.CorrCholeskyTransform(), _real((3, 1))),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, build, x", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_cholesky_transforms_match_pytorch(name, build, x, dtype):
    """y = t(x), t.inv(y), log_abs_det_jacobian where PyTorch has it (NotImplementedError where
    not), gradients to x, shapes both ways, reprs, event dims, bijective, equality."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        kind = getattr(lib, dtype)
        inputs = lib.tensor(x, dtype=kind, requires_grad=True)
        transform = build(lib.distributions.transforms)
        y = transform(inputs)
        outputs = [y, transform.inv(y)]
        try:
            outputs.append(transform.log_abs_det_jacobian(inputs, y))
            has_jacobian = True
        except NotImplementedError:
            has_jacobian = False
        weights = np.random.default_rng(2)
        sum((out * lib.tensor(weights.standard_normal(tuple(out.shape)), dtype=kind)).sum()
            for out in outputs).backward()
        facts = (repr(transform), repr(transform.domain), repr(transform.codomain),
                 transform.domain.event_dim, transform.codomain.event_dim, transform.bijective,
                 tuple(transform.forward_shape(tuple(x.shape))),
                 tuple(transform.inverse_shape(tuple(y.shape))), has_jacobian,
                 transform == build(lib.distributions.transforms),
                 bool(transform.codomain.check(y.detach()).all()))
        results.append((outputs, inputs, facts))
    (ours, our_x, our_facts), (theirs, their_x, their_facts) = results
    assert our_facts == their_facts
    rtol = LOOSE[dtype]
    for out, expected in zip(ours, theirs):
        assert tuple(out.shape) == tuple(expected.shape)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=rtol,
                                   atol=rtol)
    np.testing.assert_allclose(our_x.grad.numpy(), their_x.grad.numpy(), rtol=100 * rtol,
                               atol=100 * rtol)


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("constraint", ["lower_cholesky", "positive_definite",
                                        "positive_semidefinite", "corr_cholesky"])
def test_cholesky_constraints_in_the_registry_match_pytorch(constraint, registry):
    """biject_to/transform_to of the cholesky constraints: PyTorch's transform (by repr, and
    its values on an input), or PyTorch's NotImplementedError."""
    torch = pytest.importorskip("torch")
    x = _real((2, 6)) if constraint == "corr_cholesky" else _real((2, 3, 3))
    found = []
    for lib in (tg, torch):
        c = getattr(lib.distributions.constraints, constraint)
        try:
            transform = getattr(lib.distributions, registry)(c)
        except NotImplementedError:
            found.append(None)
            continue
        found.append((repr(transform), transform(lib.tensor(x)).numpy()))
    if found[1] is None:
        assert found[0] is None
        return
    assert found[0][0] == found[1][0]
    np.testing.assert_allclose(found[0][1], found[1][1], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("constraint", ["lower_cholesky", "positive_definite",
                                        "positive_semidefinite", "corr_cholesky"])
def test_cholesky_constraints_check_as_pytorch(constraint):
    """check() of the cholesky constraints on matrices in and out of them, and their reprs."""
    torch = pytest.importorskip("torch")
    values = np.stack([np.eye(3), np.tril(_real((3, 3))), _spd((3, 3)),
                       [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                       [[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]],
                       [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
    ours = getattr(tg.distributions.constraints, constraint)
    theirs = getattr(torch.distributions.constraints, constraint)
    assert repr(ours) == repr(theirs) and ours.event_dim == theirs.event_dim
    np.testing.assert_array_equal(ours.check(tg.tensor(values)).numpy(),
                                  theirs.check(torch.tensor(values)).numpy())


PATHWISE = ["MultivariateNormal-scale_tril", "MultivariateNormal-covariance",
            "MultivariateNormal-precision", "LowRankMultivariateNormal", "Weibull"]


@pytest.mark.parametrize("name", PATHWISE)
def test_pathwise_rsample_gradcheck(name):
    """Where rsample is a smooth function of the parameters and normal/exponential noise, it
    passes a float64 gradcheck with the generator reseeded before each draw."""
    keys, params = _leaves(name)

    def rsample(*tensors):
        tensors = [(t + t.mT) / 2 if k in ("covariance", "precision") else t
                   for k, t in zip(keys, tensors)]
        tg.manual_seed(1)
        return CASES[name][0](tg.distributions, dict(zip(keys, tensors))).rsample((2,))

    tg.distributions.Distribution.set_default_validate_args(False)
    try:
        assert rsample(*params).requires_grad
        assert tg.gradcheck(rsample, tuple(params))
    finally:
        tg.distributions.Distribution.set_default_validate_args(True)


def _gamma_vae_losses(jit, steps=5):
    """Losses and parameters of a small model trained through Gamma.rsample (implicit
    reparameterisation) and the Gamma/Gamma KL, eagerly or through ``tg.jit``."""
    tg.manual_seed(0)
    encoder = tg.nn.Linear(4, 2)
    optimizer = tg.optim.Adam(encoder.parameters(), lr=1e-2)

    def step(x):
        optimizer.zero_grad()
        hidden = tg.nn.functional.softplus(encoder(x)) + 0.1
        posterior = tg.distributions.Gamma(hidden[:, 0], hidden[:, 1], validate_args=False)
        prior = tg.distributions.Gamma(tg.ones_like(hidden[:, 0]), tg.ones_like(hidden[:, 0]),
                                       validate_args=False)
        loss = ((posterior.rsample((3,)) - 1.0) ** 2).sum() + tg.distributions.kl_divergence(
            posterior, prior).sum()
        loss.backward()
        optimizer.step()
        return loss

    step = tg.jit(step) if jit else step
    losses = [step(tg.tensor(np.random.default_rng(i).standard_normal((5, 4)),
                             dtype=tg.float32)).item() for i in range(steps)]
    return losses, [p.detach().numpy() for p in encoder.parameters()]


def test_gamma_rsample_under_jit_matches_eager():
    """A jit replay draws new gamma variates from the generator exactly as eager mode does
    (the StandardGamma op draws in its forward), so losses and parameters agree bit for bit;
    the step is captured (no in-place write sends it back to eager mode: no warning)."""
    eager_losses, eager_params = _gamma_vae_losses(jit=False)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        jit_losses, jit_params = _gamma_vae_losses(jit=True)
    assert eager_losses == jit_losses
    assert len(set(eager_losses)) == len(eager_losses)
    for ours, theirs in zip(jit_params, eager_params):
        np.testing.assert_array_equal(ours, theirs)


def test_count_draws_under_jit_follow_the_current_parameters():
    """Poisson, Binomial and NegativeBinomial draws take their parameters as op inputs: a jit
    replay with new parameters draws what eager mode draws (same generator, same values)."""
    def draws(jit):
        tg.manual_seed(0)

        def step(rate, probs):
            return (tg.distributions.Poisson(rate, validate_args=False).sample((2,)),
                    tg.distributions.Binomial(5, probs=probs, validate_args=False).sample((2,)),
                    tg.distributions.NegativeBinomial(rate, probs=probs,
                                                      validate_args=False).sample((2,)))

        step = tg.jit(step) if jit else step
        return [[out.numpy() for out in step(tg.tensor([0.5 + i, 4.0 * i + 1]),
                                              tg.tensor([0.1 * (i + 1), 0.9 - 0.2 * i]))]
                for i in range(4)]

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the step is captured, not run eagerly
        jitted_draws = draws(True)
    for eager, jitted in zip(draws(False), jitted_draws):
        for ours, theirs in zip(jitted, eager):
            np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", ["Gamma", "Chi2", "Beta", "Dirichlet", "Poisson"])
def test_exponential_family_bregman_entropy_matches_pytorch(name):
    """ExponentialFamily.entropy (the Bregman-divergence formula from _natural_params and
    _log_normalizer, by autograd) agrees with PyTorch's, and with the closed form where one
    exists; where PyTorch defines no _mean_carrier_measure (Beta, Dirichlet, Poisson), both
    raise NotImplementedError."""
    torch = pytest.importorskip("torch")
    ours, _ = _build(tg, name, "float64")
    theirs, _ = _build(torch, name, "float64")
    try:
        want = torch.distributions.ExponentialFamily.entropy(theirs)
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            tg.distributions.ExponentialFamily.entropy(ours)
        return
    got = tg.distributions.ExponentialFamily.entropy(ours)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-10,
                               atol=1e-10)


def test_wishart_kl_by_bregman_divergence_matches_pytorch():
    """Wishart/Wishart has no registered formula: both libraries fall back to the exponential
    family's Bregman divergence, and agree."""
    torch = pytest.importorskip("torch")
    results = []
    for lib in (tg, torch):
        D = lib.distributions
        p = D.Wishart(lib.tensor([5.0, 7.0], dtype=lib.float64),
                      covariance_matrix=lib.tensor(_SPD_P, dtype=lib.float64))
        q = D.Wishart(lib.tensor([6.0, 4.5], dtype=lib.float64),
                      covariance_matrix=lib.tensor(_SPD_Q, dtype=lib.float64))
        results.append(D.kl_divergence(p, q).detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-9, atol=1e-9)


_SPD_P, _SPD_Q = _spd((2, 3, 3)), _spd((3, 3))
