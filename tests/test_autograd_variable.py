"""``autograd.Variable`` as old PyTorch programs use it, against PyTorch: a detached alias of
the tensor with ``requires_grad`` as asked, every tensor an instance of it, the volatile
warning and the error for non-tensor data."""

import numpy as np
import pytest

import tinygrad_bn as tg


def test_variable_is_a_detached_alias_with_requires_grad():
    torch = pytest.importorskip("torch")
    for lib in (torch, tg):
        Variable = lib.autograd.Variable
        x = lib.ones(2)
        v = Variable(x)
        assert v is not x and not v.requires_grad and isinstance(v, lib.Tensor)
        v.add_(1)
        assert x.tolist() == [2.0, 2.0]  # same memory
        w = Variable(x * 3, requires_grad=True)
        assert w.requires_grad and w.grad_fn is None and w.is_leaf
        (w * w).sum().backward()
        np.testing.assert_array_equal(w.grad.numpy(), [12.0, 12.0])
        y = x.detach().requires_grad_()
        assert not Variable(y * 2).requires_grad  # a graph output: detached
        assert isinstance(x, Variable) and not isinstance(1.0, Variable)


def test_volatile_warns_as_pytorch():
    with pytest.warns(UserWarning, match=r"^volatile was removed and now has no effect\. Use "
                                         r"`with torch.no_grad\(\):` instead\.$"):
        tg.autograd.Variable(tg.ones(1), volatile=True)


def test_non_tensor_data_is_pytorchs_type_error():
    with pytest.raises(TypeError, match="^Variable data has to be a tensor, but got list$"):
        tg.autograd.Variable([1.0])
