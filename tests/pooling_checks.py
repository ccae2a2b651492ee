"""The two checks every pooling case runs, shared by tests/test_pooling.py and
tests/test_pooling_3d.py: a float64 finite-difference check of the input's gradient, and
values, index outputs and gradients against PyTorch's ``nn.functional`` of the same name."""

import numpy as np
import pytest

import tinygrad_bn as tg


def _values(result):
    return result[0] if isinstance(result, tuple) else result


def check_gradient(name, shape, args, kwargs):
    """``nn.functional.<name>(x, *args, **kwargs)``'s gradient by finite differences (an empty
    input: a gradient of the input's shape)."""
    x = tg.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
    function = getattr(tg.nn.functional, name)
    if 0 in shape:
        _values(function(x, *args, **kwargs)).sum().backward()
        assert x.grad.shape == shape
        return
    assert tg.gradcheck(lambda t: _values(function(t, *args, **kwargs)), (x,))


def check_against_pytorch(name, shape, args, kwargs, dtype):
    """Values, dtype, shape, returned indices and the input's gradient equal PyTorch's (to
    1e-12 in float64, 1e-6 in float32)."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    ours, theirs = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(tg.nn.functional, name)(ours, *args, **kwargs)
    expected = getattr(torch.nn.functional, name)(theirs, *args, **kwargs)
    if isinstance(expected, tuple):
        assert out[1].dtype == tg.int64
        np.testing.assert_array_equal(out[1].numpy(), expected[1].numpy())
        out, expected = out[0], expected[0]
    assert out.dtype == getattr(tg, dtype) and tuple(out.shape) == tuple(expected.shape)
    tolerance = {"rtol": 1e-12, "atol": 1e-12} if dtype == "float64" else \
        {"rtol": 1e-6, "atol": 1e-6}
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), **tolerance)
    grad = np.random.default_rng(1).standard_normal(tuple(expected.shape)).astype(dtype)
    out.backward(tg.tensor(grad))
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), **tolerance)
