"""``Module.zero_grad`` walks the module tree its own way (a plain loop, as it runs every step):
it must clear exactly the gradients of the parameters ``parameters()`` finds, in every kind of
container, and warn about unregistered plain containers as ``parameters()`` does."""

import warnings

import numpy as np
import pytest

import tinygrad_bn as torch
from tinygrad_bn import nn


class _Everything(nn.Module):
    """A module holding parameters in every way one can be registered, one shared twice, a
    buffer that requires grad and a tensor attribute that is neither."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 2)
        self.blocks = nn.ModuleList([nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2))])
        self.table = nn.ModuleDict({"a": nn.LayerNorm(2)})
        self.plist = nn.ParameterList([nn.Parameter(torch.ones(2))])
        self.pdict = nn.ParameterDict({"p": nn.Parameter(torch.ones(3))})
        self.own = nn.Parameter(torch.ones(4))
        self.shared = self.linear  # the same module under two names
        self.register_buffer("state", torch.ones(2, requires_grad=True))
        self.plain_tensor = torch.ones(2, requires_grad=True)


def _with_grads(tensors):
    for t in tensors:
        t.grad = torch.ones(*t.shape)


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_clears_exactly_the_parameters(set_to_none):
    model = _Everything()
    params = list(model.parameters())
    others = [model.state, model.plain_tensor]
    _with_grads(params + others)
    kept = [t.grad for t in others]
    model.zero_grad(set_to_none=set_to_none)
    for p in params:
        if set_to_none:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))
    assert [t.grad for t in others] == kept  # the buffer and the plain tensor keep theirs


def test_zero_grad_of_a_submodule_leaves_the_rest():
    model = _Everything()
    params = list(model.parameters())
    _with_grads(params)
    model.blocks.zero_grad()
    cleared = {id(p) for p in model.blocks.parameters()}
    for p in params:
        assert (p.grad is None) == (id(p) in cleared)


def test_zero_grad_warns_about_a_plain_list_as_parameters_does():
    class Plain(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2)]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        Plain().zero_grad()
    assert any("Plain.layers is a plain list of modules" in str(w.message) for w in caught)
