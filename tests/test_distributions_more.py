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
        assert str(raised.value) == str(error)
        return
    ours, our_params = _build(tg, name, dtype)
    _compare(_call(ours, method, tg, value, dtype), expected, our_params, their_params,
             _rtol(str(expected.dtype).removeprefix("torch."), name))


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
    np.testing.assert_allclose(
        our_expanded.log_prob(tg.tensor(value)).detach().numpy(),
        their_expanded.log_prob(torch.tensor(value)).detach().numpy(), rtol=1e-11, atol=1e-11)


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
        return CASES[name][0](tg.distributions, dict(zip(keys, tensors))).log_prob(value)

    assert tg.gradcheck(log_prob, tuple(params))


RSAMPLED = ["Gamma", "Chi2", "Beta", "Dirichlet", "StudentT"]


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
    mean, variance = theirs.mean.detach().numpy(), theirs.variance.detach().numpy()
    finite = np.isfinite(mean) & np.isfinite(variance)
    if name == "StudentT":  # the fourth moment is infinite below df = 4
        finite &= theirs.df.detach().numpy() > 4
    error = np.abs(values.mean(0) - mean) / np.sqrt(variance / SAMPLES + 1e-30)
    assert error[finite].max() < 6
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
