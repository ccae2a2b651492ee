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
     "Mode fan not supported, please use one of fan_in, fan_out"),
    (lambda: init.xavier_uniform_(tg.empty(3)), ValueError,
     "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"),
])
def test_init_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()
