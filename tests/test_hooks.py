"""Hooks on tensors, graph nodes and modules, PyTorch's graph walk (``next_functions``), and
anomaly mode."""

import re
import warnings

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn as nn


# ---------------------------------------------------------------------- tensor hooks


def test_a_hook_on_an_intermediate_tensor_can_replace_its_gradient():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    seen = []
    h.register_hook(lambda grad: seen.append(grad.numpy().copy()))
    h.register_hook(lambda grad: grad * 3)
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(seen[0], [4.0, 8.0])  # 2h, before any hook changed it
    np.testing.assert_array_equal(h.grad.numpy(), [12.0, 24.0])  # retain_grad sees the result
    np.testing.assert_array_equal(x.grad.numpy(), [24.0, 48.0])


def test_a_leaf_hook_sees_the_summed_gradient_once_and_changes_what_is_stored():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    calls = []

    def hook(grad):
        calls.append(grad.numpy().copy())
        return grad + 1

    x.register_hook(hook)
    (x * 2 + x * 3).sum().backward()
    assert len(calls) == 1
    np.testing.assert_array_equal(calls[0], [5.0, 5.0])
    np.testing.assert_array_equal(x.grad.numpy(), [6.0, 6.0])


def test_removing_a_hook_stops_it():
    x = tg.tensor([1.0], requires_grad=True)
    handle = x.register_hook(lambda grad: grad * 100)
    handle.remove()
    handle.remove()  # harmless twice
    (x * 2).sum().backward()
    assert x.grad.item() == 2.0
    with x.register_hook(lambda grad: grad * 0) as scoped:
        assert scoped.id in x._hooks
    assert x._hooks == {}


@pytest.mark.parametrize("action, error, message", [
    (lambda: tg.ones(2).register_hook(print), RuntimeError,
     "cannot register a hook on a tensor that doesn't require gradient"),
    (lambda: tg.ones(2, requires_grad=True).register_hook(3), TypeError,
     "a hook must be callable, got int"),
])
def test_hook_errors(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_a_hook_returning_the_wrong_shape_is_refused():
    x = tg.ones(2, requires_grad=True)
    y = x * 2
    y.register_hook(lambda grad: tg.ones(3))
    with pytest.raises(RuntimeError, match=re.escape(
            "hook returned a gradient of shape (3,) for a tensor of shape (2,)")):
        y.sum().backward()


# ---------------------------------------------------------------------- graph nodes


def test_next_functions_walks_the_graph_the_pytorch_way():
    w = tg.ones(3, requires_grad=True)
    x = tg.ones(3)
    loss = (w * x).sum()
    (mul, _), = loss.grad_fn.next_functions
    assert mul.name == "Mul"
    (accumulate, _), (nothing, _) = mul.next_functions
    assert accumulate.name == "AccumulateGrad" and accumulate.variable is w
    assert nothing is None  # x needs no gradient


def test_node_pre_and_post_hooks():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    seen = {}
    y.grad_fn.register_prehook(lambda grad_outputs: seen.setdefault("pre", grad_outputs))
    y.grad_fn.register_hook(lambda grad_inputs, grad_outputs: (grad_inputs[0] * 0,))
    y.sum().backward()
    np.testing.assert_array_equal(seen["pre"][0].numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0])


def test_a_kept_graph_still_shows_its_structure_after_backward():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * 2).sum()
    loss.backward()
    names = [node.name for node in tg.autograd.topological_order([loss])]
    assert names == ["Exp", "Mul", "Sum"]
    source = loss.draw(show_values=True).source
    assert "(values freed by backward)" in source and "(2,) float32" in source
    kept = x * 3  # an intermediate the user still holds is drawn with its values and name
    loss = (kept.exp()).sum()
    loss.backward()
    source = loss.draw(names={"kept": kept}, show_values=True).source
    assert "kept\\n(2,) float32\\n[3., 6.]" in source


# ---------------------------------------------------------------------- module hooks


def test_forward_pre_and_forward_hooks_may_replace_inputs_and_outputs():
    layer = nn.Linear(2, 2, bias=False)
    with tg.no_grad():
        layer.weight.copy_(tg.eye(2))
    seen = []
    pre = layer.register_forward_pre_hook(lambda module, args: (args[0] * 10,))
    post = layer.register_forward_hook(lambda module, args, output: seen.append(
        (module, args[0].numpy().copy())) or output + 1)
    out = layer(tg.tensor([[1.0, 2.0]]))
    np.testing.assert_array_equal(out.detach().numpy(), [[11.0, 21.0]])
    assert seen[0][0] is layer
    np.testing.assert_array_equal(seen[0][1], [[10.0, 20.0]])
    pre.remove()
    post.remove()
    np.testing.assert_array_equal(layer(tg.tensor([[1.0, 2.0]])).detach().numpy(), [[1.0, 2.0]])


def test_forward_hooks_with_kwargs_and_prepend():
    layer = nn.ReLU()
    order = []
    layer.register_forward_hook(lambda m, a, o: order.append("first"))
    layer.register_forward_hook(lambda m, a, o: order.append("prepended"), prepend=True)
    layer.register_forward_pre_hook(lambda m, args, kwargs: (args, kwargs), with_kwargs=True)
    layer(tg.ones(2))
    assert order == ["prepended", "first"]


def test_full_backward_hook_sees_and_replaces_grad_input():
    layer = nn.Linear(3, 2)
    calls = []

    def hook(module, grad_input, grad_output):
        calls.append((module, [g.numpy().copy() for g in grad_input],
                      [g.numpy().copy() for g in grad_output]))
        return (grad_input[0] * 0,)

    layer.register_full_backward_hook(hook)
    x = tg.ones(4, 3, requires_grad=True)
    layer(x).sum().backward()
    module, grad_input, grad_output = calls[0]
    assert module is layer and len(calls) == 1
    np.testing.assert_array_equal(grad_output[0], np.ones((4, 2)))
    np.testing.assert_allclose(grad_input[0], np.ones((4, 2)) @ layer.weight.detach().numpy())
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((4, 3)))  # the hook's replacement
    assert layer.weight.grad is not None  # parameters' gradients are untouched


def test_full_backward_hook_on_a_first_layer_gets_none_for_its_input():
    layer = nn.Linear(3, 2)
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append(gi))
    layer.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    layer(tg.ones(1, 3)).sum().backward()
    assert calls == [(None,)]
    np.testing.assert_array_equal(layer.bias.grad.numpy(), [2.0, 2.0])  # the pre-hook doubled it


# ---------------------------------------------------------------------- anomaly mode


def test_anomaly_mode_names_the_op_that_made_nan_and_the_forward_line():
    x = tg.tensor([-1.0, 1.0], requires_grad=True)
    with tg.autograd.detect_anomaly():
        with np.errstate(invalid="ignore"):
            y = x.log()  # nan at -1
        z = y * y  # the line the traceback must show
        with pytest.warns(UserWarning, match="Error detected in Mul") as caught:
            with pytest.raises(RuntimeError, match=re.escape(
                    "Function 'Mul' returned nan values in its 0th output.")) as error:
                z.sum().backward()
    assert "z = y * y" in str(caught[0].message)
    assert any("z = y * y" in note for note in error.value.__notes__)


def test_anomaly_mode_is_off_by_default_and_restored():
    assert not tg.autograd.is_anomaly_enabled()
    with tg.autograd.set_detect_anomaly(True):
        assert tg.is_anomaly_enabled()
        x = tg.tensor([1.0], requires_grad=True)
        assert x.exp().grad_fn.creation_trace[-1].line.startswith("assert x.exp()")
    assert not tg.autograd.is_anomaly_enabled()
    x = tg.tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.log()
        (y * y).sum().backward()  # no check, no warning: nan gradients pass as in PyTorch
    assert np.isnan(x.grad.item())


def test_autograd_grad_sees_hooks_as_pytorch_does():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda grad: grad * 10)
    (grad_x,) = tg.autograd.grad((x * x).sum(), [x])
    np.testing.assert_array_equal(grad_x.numpy(), [20.0, 40.0])  # a leaf's hooks run
    y = x * 1
    y.register_hook(lambda grad: grad * 10)
    y.retain_grad()
    (grad_y,) = tg.autograd.grad((y * y).sum(), [y])
    np.testing.assert_array_equal(grad_y.numpy(), [20.0, 40.0])  # y's node need not run: hooked
    np.testing.assert_array_equal(y.grad.numpy(), [20.0, 40.0])  # retain_grad filled, after them
    x.grad = None
    z = x * 2
    z.register_hook(lambda grad: grad * 10)
    grad_z, grad_x = tg.autograd.grad((z * z).sum(), [z, x])
    np.testing.assert_array_equal(grad_z.numpy(), [4.0, 8.0])  # z's node runs: taken before
    np.testing.assert_array_equal(grad_x.numpy(), [800.0, 1600.0])  # PyTorch's numbers


def test_a_hook_may_not_change_the_gradients_dtype():
    x = tg.ones(2, requires_grad=True)

    def widen(grad):
        return grad.double()

    x.register_hook(widen)
    with pytest.raises(RuntimeError, match=re.escape(
            "hook 'widen' has changed the type of value (was tinygrad_bn.FloatTensor got "
            "tinygrad_bn.DoubleTensor)")):
        (x * 2).sum().backward()


class Raises(tg.nn.Module):
    def forward(self, x):
        raise ValueError("forward failed")


def test_forward_hook_with_always_call_runs_when_forward_raises():
    module, calls = Raises(), []
    module.register_forward_hook(lambda m, args, out: calls.append(("always", out)),
                                 always_call=True)
    module.register_forward_hook(lambda m, args, out: calls.append(("plain", out)))
    with pytest.raises(ValueError, match="forward failed"):
        module(tg.ones(1))
    assert calls == [("always", None)]


def test_always_call_hook_runs_once_when_a_later_forward_hook_raises():
    module, calls = tg.nn.Identity(), []
    module.register_forward_hook(lambda m, args, out: calls.append("always"), always_call=True)

    def failing(m, args, out):
        raise KeyError("hook failed")

    module.register_forward_hook(failing)
    with pytest.raises(KeyError, match="hook failed"):
        module(tg.ones(1))
    assert calls == ["always"]


def test_an_always_call_hook_that_raises_too_becomes_a_warning():
    module = Raises()

    def failing(m, args, out):
        raise RuntimeError("cleanup failed")

    module.register_forward_hook(failing, always_call=True)
    with pytest.warns(UserWarning, match=re.escape(
            "module forward hook with ``always_call=True`` raised an exception that was silenced "
            "as another error was raised in forward: cleanup failed")):
        with pytest.raises(ValueError, match="forward failed"):
            module(tg.ones(1))


@pytest.mark.parametrize("register, returned, message", [
    ("register_full_backward_hook", lambda gi, go: (gi[0], gi[0]),
     "Backward hook returned an invalid number of grad_input, got 2, but expected 1"),
    ("register_full_backward_hook", lambda gi, go: (),
     "Backward hook returned an invalid number of grad_input, got 0, but expected 1"),
    ("register_full_backward_pre_hook", lambda go: (go[0], go[0]),
     "Backward pre hook returned an invalid number of grad_output, got 2, but expected 1"),
])
def test_backward_hook_returning_the_wrong_number_of_gradients_raises(register, returned,
                                                                      message):
    layer = tg.nn.Linear(2, 2)
    getattr(layer, register)(lambda m, *grads: returned(*grads))
    out = layer(tg.ones(1, 2, requires_grad=True)).sum()
    with pytest.raises(RuntimeError, match=re.escape(message)):
        out.backward()


def test_backward_hook_may_return_a_list():
    layer = tg.nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: [gi[0] * 2])
    x = tg.ones(1, 2, requires_grad=True)
    layer(x).sum().backward()
    expected = 2 * layer.weight.detach().numpy().sum(0, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), expected)
