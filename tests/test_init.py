"""nn.init: PyTorch's gains, fans and distributions (checked by their moments, since the random
streams differ from PyTorch's), and its error messages."""

import math
import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.nn import init


@pytest.mark.parametrize("nonlinearity, param, expected", [
    ("linear", None, 1), ("sigmoid", None, 1), ("tanh", None, 5 / 3), ("relu", None, math.sqrt(2)),
    ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))), ("leaky_relu", 0.2,
                                                          math.sqrt(2 / 1.04)),
    ("selu", None, 0.75),
])
def test_calculate_gain(nonlinearity, param, expected):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)
    torch = pytest.importorskip("torch")
    assert init.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity,
                                                                                    param)


@pytest.mark.parametrize("function, kwargs, expected_std", [
    (init.xavier_uniform_, {}, math.sqrt(2 / (300 + 200))),
    (init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / (300 + 200))),
    (init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 300)),
    (init.kaiming_uniform_, {"a": math.sqrt(5)}, math.sqrt(2 / 6) / math.sqrt(200)),
    (init.kaiming_uniform_, {"nonlinearity": "tanh"}, 5 / 3 / math.sqrt(200)),
])
def test_initialisers_have_pytorchs_spread(function, kwargs, expected_std):
    tg.manual_seed(0)
    weight = function(tg.empty(300, 200), **kwargs)
    values = weight.numpy()
    assert abs(values.mean()) < 0.01 * max(expected_std, 1e-3) * 10
    assert values.std() == pytest.approx(expected_std, rel=0.02)


def test_initialisers_draw_from_a_given_generator():
    first = init.xavier_normal_(tg.empty(3, 4), generator=tg.Generator().manual_seed(7)).numpy()
    again = init.xavier_normal_(tg.empty(3, 4), generator=tg.Generator().manual_seed(7)).numpy()
    np.testing.assert_array_equal(first, again)


@pytest.mark.parametrize("action, error, message", [
    (lambda: init.calculate_gain("swish"), ValueError, "Unsupported nonlinearity swish"),
    (lambda: init.calculate_gain("leaky_relu", "a"), ValueError,
     "negative_slope a not a valid number"),
    (lambda: init.kaiming_normal_(tg.empty(2, 2), mode="fan"), ValueError,
     "Mode fan not supported, please use one of ['fan_in', 'fan_out']"),
    (lambda: init.xavier_uniform_(tg.empty(3)), ValueError,
     "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"),
])
def test_init_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_trunc_normal_stays_within_its_bounds_with_the_truncated_moments():
    """PyTorch's method (uniform draws mapped through erfinv, clamped to [a, b]): the values lie
    in [a, b] and their mean and spread are the truncated normal's, computed in closed form."""
    tg.manual_seed(0)
    mean, std, a, b = 0.5, 2.0, -1.0, 3.0
    values = init.trunc_normal_(tg.empty(400, 250), mean, std, a, b).numpy().astype(np.float64)
    assert values.min() >= a and values.max() <= b
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    mass = (math.erf(beta / math.sqrt(2)) - math.erf(alpha / math.sqrt(2))) / 2
    expected_mean = mean + std * (pdf[0] - pdf[1]) / mass
    expected_var = std ** 2 * (1 + (alpha * pdf[0] - beta * pdf[1]) / mass
                               - ((pdf[0] - pdf[1]) / mass) ** 2)
    assert abs(values.mean() - expected_mean) < 0.01
    assert abs(values.var() - expected_var) < 0.02
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        init.trunc_normal_(tg.empty(3), mean=10.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape, gain", [((6, 3, 2), 2.0), ((3, 8), 1.0), ((5, 5), 0.5)])
def test_orthogonal_gives_orthonormal_rows_or_columns_times_the_gain(shape, gain):
    matrix = init.orthogonal_(tg.empty(*shape), gain).numpy().reshape(shape[0], -1)
    small = min(matrix.shape)
    product = matrix @ matrix.T if matrix.shape[0] == small else matrix.T @ matrix
    np.testing.assert_allclose(product, gain ** 2 * np.eye(small), atol=1e-5)


@pytest.mark.parametrize("shape, groups", [((4, 2, 3, 3), 2), ((3, 3, 5), 1),
                                           ((2, 2, 3, 3, 3), 1), ((5, 2, 3), 1)])
def test_dirac_and_eye_keep_their_input(shape, groups):
    """A convolution with a ``dirac_`` weight returns its input's channels (each group's first
    channels); ``eye_`` is the identity, rectangular too."""
    weight = init.dirac_(tg.empty(*shape), groups)
    x = tg.randn(1, shape[1] * groups, *([7] * (len(shape) - 2)))
    conv = getattr(tg.nn.functional, f"conv{len(shape) - 2}d")
    out = conv(x, weight, padding=shape[-1] // 2, groups=groups).numpy()
    per_group, inputs = shape[0] // groups, shape[1]
    for group in range(groups):
        for d in range(min(per_group, inputs)):
            np.testing.assert_allclose(out[0, group * per_group + d],
                                       x.numpy()[0, group * inputs + d], atol=1e-6)
    np.testing.assert_array_equal(init.eye_(tg.empty(2, 3)).numpy(), np.eye(2, 3))


@pytest.mark.parametrize("action, message", [
    (lambda: init.orthogonal_(tg.empty(3)), "Only tensors with 2 or more dimensions are supported"),
    (lambda: init.eye_(tg.empty(3)), "Only tensors with 2 dimensions are supported"),
    (lambda: init.dirac_(tg.empty(3, 3)), "Only tensors with 3, 4, or 5 dimensions are supported"),
    (lambda: init.dirac_(tg.empty(3, 3, 3), 2), "dim 0 must be divisible by groups"),
])
def test_structured_initialisers_refuse_as_pytorchs(action, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        action()


def test_erfinv_inverts_erf_and_has_pytorchs_gradient():
    x = tg.tensor([-0.999, -0.5, 0.0, 0.3, 0.9, 1 - 1e-12], dtype=tg.float64)
    y = tg.erfinv(x).numpy()
    np.testing.assert_allclose([math.erf(v) for v in y], x.numpy(), rtol=1e-15, atol=1e-16)
    edges = tg.erfinv(tg.tensor([1.0, -1.0, 1.5, float("nan")], dtype=tg.float64)).numpy()
    assert edges[0] == np.inf and edges[1] == -np.inf and np.isnan(edges[2:]).all()
    assert tg.gradcheck(lambda t: t.erfinv(),
                        (tg.tensor([-0.7, 0.2, 0.5], dtype=tg.float64, requires_grad=True),))
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(y, torch.erfinv(torch.tensor(x.numpy())).numpy(), rtol=1e-15)
