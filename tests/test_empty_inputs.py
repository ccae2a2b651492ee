"""Empty inputs give PyTorch's results, never NumPy's errors: softmax and log_softmax along an
empty dim are empty, and logsumexp over an empty dim is -inf (the log of an empty sum).
(Flattening an empty batch is tested with the other shape methods, in test_inplace.py.)"""

import numpy as np
import pytest

import tinygrad_bn as tg


@pytest.mark.parametrize("function", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, dim", [((2, 0), 1), ((2, 0), -1), ((0, 3), 1), ((0, 3), 0),
                                        ((2, 0, 3), 1), ((0,), 0)])
def test_softmax_along_an_empty_or_over_an_empty_batch_is_empty(function, shape, dim):
    x = tg.zeros(*shape, requires_grad=True)
    out = getattr(tg, function)(x, dim=dim)
    assert out.shape == shape
    out.sum().backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("shape, dim, expected", [
    ((2, 0), 1, [-np.inf, -np.inf]), ((0,), 0, -np.inf), ((3, 0, 2), 1, np.full((3, 2), -np.inf)),
    ((0, 2), 0, [-np.inf, -np.inf]),
])
def test_logsumexp_over_an_empty_dim_is_minus_inf(shape, dim, expected):
    x = tg.zeros(*shape, requires_grad=True)
    out = x.logsumexp(dim)
    np.testing.assert_array_equal(out.detach().numpy(), expected)
    out.sum().backward()
    assert x.grad.shape == shape


def test_against_pytorch():
    torch = pytest.importorskip("torch")
    for shape, dim in [((2, 0), 1), ((0, 3), 1), ((3, 0, 2), 1)]:
        for name in ["softmax", "log_softmax", "logsumexp"]:
            ours = getattr(tg, name)(tg.zeros(*shape), dim).numpy()
            theirs = getattr(torch, name)(torch.zeros(*shape), dim).numpy()
            assert ours.shape == theirs.shape
            np.testing.assert_array_equal(ours, theirs)
