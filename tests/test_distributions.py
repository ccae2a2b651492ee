"""tinygrad_bn.distributions against torch.distributions: log_prob, cdf, icdf, entropy and the
moments of every distribution built, values and gradients, in float32 and float64; float64
gradchecks of log_prob; draws (shapes, dtypes, supports, moments over many samples: the streams
differ from PyTorch's, so only statistics can agree); kl_divergence; validation errors with
PyTorch's messages; and two small programs (REINFORCE with given actions, a VAE with shared
noise) whose parameters must match PyTorch's after a few optimiser steps."""

import numpy as np
import pytest

import tinygrad_bn as tg

RNG = np.random.default_rng(0)
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


# Each case: the distribution built from ``lib`` (tinygrad_bn or torch) and its parameters, the
# parameters (name -> array), values to score (in the support), and probabilities for icdf.
UNIT_VALUES = _unit((2,) + BATCH)
CASES = {
    "Normal": (lambda d, p: d.Normal(p["loc"], p["scale"]),
               {"loc": _real(), "scale": _positive()}, _real((2,) + BATCH)),
    "Normal-numbers": (lambda d, p: d.Normal(0.5, 2.0), {}, _real((2,) + BATCH)),
    "Bernoulli-probs": (lambda d, p: d.Bernoulli(probs=p["probs"]), {"probs": _unit()},
                        RNG.integers(0, 2, (2,) + BATCH).astype(float)),
    "Bernoulli-logits": (lambda d, p: d.Bernoulli(logits=p["logits"]), {"logits": _real()},
                         RNG.integers(0, 2, (2,) + BATCH).astype(float)),
    "Categorical-probs": (lambda d, p: d.Categorical(probs=p["probs"]), {"probs": _simplex()},
                          RNG.integers(0, 4, (2, 3)).astype(float)),
    "Categorical-logits": (lambda d, p: d.Categorical(logits=p["logits"]),
                           {"logits": _real()}, RNG.integers(0, 4, (2, 3)).astype(float)),
    "OneHotCategorical": (lambda d, p: d.OneHotCategorical(probs=p["probs"]),
                          {"probs": _simplex()}, np.eye(4)[RNG.integers(0, 4, (2, 3))]),
    "OneHotCategoricalStraightThrough": (
        lambda d, p: d.OneHotCategoricalStraightThrough(logits=p["logits"]),
        {"logits": _real()}, np.eye(4)[RNG.integers(0, 4, (2, 3))]),
    "Uniform": (lambda d, p: d.Uniform(p["low"], p["low"] + p["width"]),
                {"low": _real(), "width": _positive()}, None),
    "Exponential": (lambda d, p: d.Exponential(p["rate"]), {"rate": _positive()},
                    _positive((2,) + BATCH)),
    "Laplace": (lambda d, p: d.Laplace(p["loc"], p["scale"]),
                {"loc": _real(), "scale": _positive()}, _real((2,) + BATCH)),
    "Cauchy": (lambda d, p: d.Cauchy(p["loc"], p["scale"]),
               {"loc": _real(), "scale": _positive()}, _real((2,) + BATCH)),
    "Gumbel": (lambda d, p: d.Gumbel(p["loc"], p["scale"]),
               {"loc": _real(), "scale": _positive()}, _real((2,) + BATCH)),
    "HalfNormal": (lambda d, p: d.HalfNormal(p["scale"]), {"scale": _positive()},
                   _positive((2,) + BATCH)),
    "HalfCauchy": (lambda d, p: d.HalfCauchy(p["scale"]), {"scale": _positive()},
                   _positive((2,) + BATCH)),
    "LogNormal": (lambda d, p: d.LogNormal(p["loc"], p["scale"]),
                  {"loc": _real(), "scale": _positive()}, _positive((2,) + BATCH)),
    "Pareto": (lambda d, p: d.Pareto(p["scale"], p["alpha"] + 2),
               {"scale": _positive(), "alpha": _positive()}, None),
    "Geometric-probs": (lambda d, p: d.Geometric(probs=p["probs"]), {"probs": _unit()},
                        RNG.integers(0, 5, (2,) + BATCH).astype(float)),
    "Geometric-logits": (lambda d, p: d.Geometric(logits=p["logits"]), {"logits": _real()},
                         RNG.integers(0, 5, (2,) + BATCH).astype(float)),
    "Independent": (lambda d, p: d.Independent(d.Normal(p["loc"], p["scale"]), 1),
                    {"loc": _real(), "scale": _positive()}, _real((2,) + BATCH)),
    "MixtureSameFamily": (
        lambda d, p: d.MixtureSameFamily(d.Categorical(logits=p["logits"]),
                                         d.Normal(p["loc"], p["scale"])),
        {"logits": _real(), "loc": _real(), "scale": _positive()}, _real((2, 3))),
    "TransformedDistribution": (
        lambda d, p: d.TransformedDistribution(
            d.Normal(p["loc"], p["scale"]),
            [d.transforms.AffineTransform(p["shift"], 0.5), d.transforms.SigmoidTransform()]),
        {"loc": _real(), "scale": _positive(), "shift": _real()}, _unit((2,) + BATCH)),
    "TransformedDistribution-tanh": (
        lambda d, p: d.TransformedDistribution(
            d.Normal(p["loc"], p["scale"]),
            d.transforms.ComposeTransform([d.transforms.TanhTransform(),
                                           d.transforms.AffineTransform(1.0, p["gain"])])),
        {"loc": _real(), "scale": _positive(), "gain": _positive()}, None),
    "LogisticNormal": (lambda d, p: d.LogisticNormal(p["loc"], p["scale"]),
                       {"loc": _real(), "scale": _positive()}, _simplex((2, 3, 5))),
    "RelaxedBernoulli": (lambda d, p: d.RelaxedBernoulli(p["temperature"], probs=p["probs"]),
                         {"temperature": _positive(), "probs": _unit()}, _unit((2,) + BATCH)),
    "LogitRelaxedBernoulli": (
        lambda d, p: d.relaxed_bernoulli.LogitRelaxedBernoulli(p["temperature"],
                                                             logits=p["logits"]),
        {"temperature": _positive(), "logits": _real()}, _real((2,) + BATCH)),
    "RelaxedOneHotCategorical": (
        lambda d, p: d.RelaxedOneHotCategorical(p["temperature"], logits=p["logits"]),
        {"temperature": _positive(()), "logits": _real()}, _simplex((2,) + BATCH)),
    "ExpRelaxedCategorical": (
        lambda d, p: d.relaxed_categorical.ExpRelaxedCategorical(p["temperature"],
                                                                 probs=p["probs"]),
        {"temperature": _positive(()), "probs": _simplex()},
        np.log(_simplex((2,) + BATCH))),
}
METHODS = ("log_prob", "cdf", "icdf", "entropy", "mean", "mode", "variance", "stddev",
           "perplexity")
# Where our formula is PyTorch's written with other primitives (PyTorch's atanh; erfinv), the
# values agree to rounding: float32 within a few ulps of the larger of the two.
RTOL = {"float32": 2e-5, "float64": 1e-12}


def _values(name, dist_torch):
    """The values to score: the case's, or (for distributions with bounds that depend on the
    parameters) draws from PyTorch's distribution."""
    import torch
    values = CASES[name][2]
    if values is None:
        torch.manual_seed(0)
        return dist_torch.sample((2,)).double().numpy()
    return values


def _build(lib, name, dtype, params):
    """The distribution of case ``name`` in ``lib`` with leaf parameters of ``dtype``."""
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


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", list(CASES))
def test_values_and_gradients_match_pytorch(name, method, dtype):
    """Each method's value, shape and dtype are PyTorch's, and so are the gradients it sends to
    the parameters (a weighted sum, backward); where PyTorch raises NotImplementedError, so do
    we."""
    torch = pytest.importorskip("torch")
    theirs, their_params = _build(torch, name, dtype, None)
    value = _values(name, theirs)
    try:
        expected = _call(theirs, method, torch, value, dtype)
    except NotImplementedError:
        ours, _ = _build(tg, name, dtype, None)
        with pytest.raises(NotImplementedError):
            _call(ours, method, tg, value, dtype)
        return
    ours, our_params = _build(tg, name, dtype, None)
    out = _call(ours, method, tg, value, dtype)
    assert tuple(out.shape) == tuple(expected.shape)
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch.")
    got, want = out.detach().numpy(), expected.detach().numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=RTOL[dtype])
    if not expected.requires_grad or not expected.dtype.is_floating_point:
        assert not out.requires_grad or not out.is_floating_point()
        return
    weights = RNG.standard_normal(tuple(out.shape))
    finite = np.isfinite(want)
    weights[~finite] = 0
    (expected * torch.tensor(weights, dtype=expected.dtype)).sum().backward()
    (out * tg.tensor(weights, dtype=out.dtype)).sum().backward()
    for key, their_param in their_params.items():
        our_param = our_params[key]
        if their_param.grad is None:
            assert our_param.grad is None or not our_param.grad.numpy().any()
            continue
        np.testing.assert_allclose(our_param.grad.numpy(), their_param.grad.numpy(),
                                   rtol=100 * RTOL[dtype], atol=100 * RTOL[dtype])
