"""The argument forms and overloads real programs use (issue 24, item 4): each one checked
against PyTorch when it is installed, its gradient checked in float64 by finite differences,
and each error path it adds asserting PyTorch's message."""

import numpy as np
import pytest

import tinygrad_bn as tg


def _torch():
    return pytest.importorskip("torch")


def _both(values, dtype="float64", requires_grad=False):
    """The same values as a tinygrad_bn tensor and (when installed) a PyTorch tensor."""
    torch = _torch()
    array = np.asarray(values, dtype=dtype)
    ours = tg.tensor(array, requires_grad=requires_grad)
    theirs = torch.tensor(array, requires_grad=requires_grad)
    return ours, theirs


def _assert_same(ours, theirs, **tolerances):
    assert str(ours.dtype).replace("tinygrad_bn.", "") == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **tolerances)


# ---------------------------------------------------------------- flip

@pytest.mark.parametrize("call", [
    lambda lib, x: lib.flip(x, dims=(0, 2)),
    lambda lib, x: x.flip(dims=[-1]),
    lambda lib, x: x.flip((1, 0)),
    lambda lib, x: x.flip(2, 0),
    lambda lib, x: x.flip(dims=()),
])
def test_flip_dims_forms_match_pytorch(call):
    torch = _torch()
    values = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = _both(values, requires_grad=True)
    _assert_same(call(tg, ours), call(torch, theirs))
    assert tg.gradcheck(lambda t: call(tg, t), ours)


def test_flip_refuses_missing_and_repeated_dims():
    x = tg.ones(2, 3)
    with pytest.raises(TypeError, match='flip\\(\\) missing 1 required positional arguments: '
                                        '"dims"'):
        x.flip()
    with pytest.raises(TypeError, match="flip\\(\\) got multiple values for argument 'dims'"):
        x.flip(0, dims=(1,))
    with pytest.raises(RuntimeError, match="dim 0 appears multiple times in the list of dims"):
        x.flip(dims=(0, -2))
