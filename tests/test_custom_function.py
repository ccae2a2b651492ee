"""``autograd.Function``: PyTorch's protocol for user-defined differentiable functions, its
context object and its error messages."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd import Function


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x**2 * grad_output


class ScaleBy(Function):
    """A non-tensor argument: it gets ``None`` as its gradient."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x * factor

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor, None


class SplitSign(Function):
    """Two outputs, the second (a mask) not differentiable."""

    @staticmethod
    def forward(ctx, x):
        mask = x > 0
        ctx.mark_non_differentiable(mask)
        ctx.save_for_backward(mask)
        return x * 2, mask

    @staticmethod
    def backward(ctx, grad_doubled, grad_mask):
        return grad_doubled * 2


class Halves(Function):
    """Two differentiable outputs, PyTorch 2's split form with ``setup_context``."""

    @staticmethod
    def forward(x):
        return x * 0.5, x * 1.5

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.inputs_seen = len(inputs)

    @staticmethod
    def backward(ctx, grad_a, grad_b):
        return grad_a * 0.5 + grad_b * 1.5


def test_a_custom_function_is_one_named_node_and_gradchecks():
    x = tg.tensor([0.5, -1.5, 2.0], dtype=tg.float64, requires_grad=True)
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube" and y.requires_grad
    assert y.grad_fn.next_functions[0][0].variable is x
    assert tg.gradcheck(Cube.apply, x)
    assert tg.gradcheck(lambda t: ScaleBy.apply(t, 3.0), x)


def test_forward_runs_without_recording_and_knows_what_needs_a_gradient():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, a, b, flag):
            seen["grad_enabled"] = tg.is_grad_enabled()
            seen["needs"] = ctx.needs_input_grad
            out = a * b
            seen["inner_recorded"] = out.grad_fn is not None
            return out

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, None, None

    a, b = tg.ones(2, requires_grad=True), tg.ones(2)
    Probe.apply(a, b, True).sum().backward()
    assert seen == {"grad_enabled": False, "needs": (True, False, False), "inner_recorded": False}
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


def test_several_outputs_and_non_differentiable_ones():
    x = tg.tensor([-1.0, 2.0], requires_grad=True)
    doubled, mask = SplitSign.apply(x)
    assert doubled.requires_grad and not mask.requires_grad and mask.dtype == tg.bool
    doubled.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    x.grad = None
    a, b = Halves.apply(x)
    (a * 2).sum().backward()  # b gets no gradient: zeros are passed for it
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    x.grad = None
    a, b = Halves.apply(x)
    (a + b).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


def test_set_materialize_grads_false_passes_none():
    received = []

    class Pair(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            received.append((grad_a is None, grad_b is None))
            return grad_a

    x = tg.ones(2, requires_grad=True)
    first, _ = Pair.apply(x)
    first.sum().backward()
    assert received == [(False, True)]


def test_an_input_returned_as_is_becomes_a_new_tensor_sharing_its_memory():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    x = tg.ones(2, requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and y.grad_fn.name == "Identity" and x.is_leaf
    assert y.data_ptr() == x.data_ptr()
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_saved_tensors_are_gone_after_backward():
    x = tg.ones(2, requires_grad=True)
    y = Cube.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


class WrongCount(Function):
    @staticmethod
    def forward(ctx, x, y):
        return x * y

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output


class WrongShape(Function):
    @staticmethod
    def forward(ctx, x):
        return x.sum()

    @staticmethod
    def backward(ctx, grad_output):
        return tg.ones(5)


class NotATensor(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, grad_output):
        return np.ones(2)


class GradForANumber(Function):
    """Scales by a Python number, and wrongly returns a gradient for that number too."""

    @staticmethod
    def forward(ctx, x, factor):
        return x * factor

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 2, tg.ones(())


class NoBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1


class SavesAnArray(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.ones(2))
        return x * 1


def _backward(function, *args):
    return lambda: function.apply(*args).sum().backward()


ONES = tg.ones(2, requires_grad=True)


@pytest.mark.parametrize("action, error, message", [
    (_backward(WrongCount, ONES, ONES), RuntimeError,
     "function WrongCountBackward returned an incorrect number of gradients (expected 2, got 1)"),
    (_backward(WrongShape, ONES), RuntimeError,
     "Function WrongShapeBackward returned an invalid gradient at index 0 - got [5] but expected "
     "shape compatible with [2]"),
    (_backward(NotATensor, ONES), TypeError,
     "function NotATensorBackward returned a gradient of type ndarray at index 0; expected a "
     "Tensor or None"),
    (_backward(GradForANumber, ONES, 2.0), RuntimeError,
     "function GradForANumberBackward returned a gradient different than None at position 2, but "
     "the corresponding forward input was not a Variable"),
    (_backward(NoBackward, ONES), NotImplementedError,
     "You must implement either the backward or vjp method for your custom autograd.Function to "
     "use it with backward mode AD."),
    (lambda: Function.apply(ONES), NotImplementedError,
     "You must implement the forward function for custom autograd.Function."),
    (lambda: SavesAnArray.apply(ONES), TypeError,
     "save_for_backward can only save variables, but argument 0 is of type ndarray"),
    (lambda: Cube(), RuntimeError,
     "Legacy autograd function with non-static forward method is deprecated."),
])
def test_custom_function_error(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


def test_matches_pytorch_for_a_tutorial_function():
    torch = pytest.importorskip("torch")

    def run(lib):
        class Legendre3(lib.autograd.Function):
            @staticmethod
            def forward(ctx, input):
                ctx.save_for_backward(input)
                return 0.5 * (5 * input**3 - 3 * input)

            @staticmethod
            def backward(ctx, grad_output):
                (input,) = ctx.saved_tensors
                return grad_output * 1.5 * (5 * input**2 - 1)

        x = lib.tensor(np.linspace(-1.0, 1.0, 7), requires_grad=True)
        (Legendre3.apply(x * 0.9) ** 2).sum().backward()
        return x.grad.numpy()

    np.testing.assert_allclose(run(tg), run(torch), rtol=1e-12, atol=1e-14)


class TwoOutputs(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, grad_a, grad_b):
        return grad_a * 2 + grad_b * 3


class FirstHalf(Function):
    """Returns a view of its input."""

    @staticmethod
    def forward(ctx, x):
        return x[:2]

    @staticmethod
    def backward(ctx, grad_output):
        grad = tg.zeros(4, dtype=grad_output.dtype)
        grad[:2] = grad_output
        return grad


def test_autograd_grad_and_retain_grad_on_each_of_several_outputs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = TwoOutputs.apply(x)
    loss = (a * 5 + b * 7).sum()
    (grad_b,) = tg.autograd.grad(loss, [b], retain_graph=True)
    np.testing.assert_array_equal(grad_b.numpy(), [7.0, 7.0])
    grad_a, grad_b = tg.autograd.grad(loss, [a, b], retain_graph=True)
    np.testing.assert_array_equal(grad_a.numpy(), [5.0, 5.0])
    a.retain_grad()
    b.retain_grad()
    assert a.retains_grad and b.retains_grad
    loss.backward()
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 5.0])
    np.testing.assert_array_equal(b.grad.numpy(), [7.0, 7.0])
    np.testing.assert_array_equal(x.grad.numpy(), [31.0, 31.0])


def test_writing_in_place_to_one_of_several_outputs():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    a, b = TwoOutputs.apply(x)
    a.mul_(2)
    (a + b).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 7.0])  # PyTorch's


def test_an_output_that_is_a_view_of_an_input_refuses_in_place_writes():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v = FirstHalf.apply(x * 1)
    with pytest.raises(RuntimeError, match=re.escape(
            "Output 0 of a custom Function is a view and is being modified inplace.")):
        v.mul_(10)
    FirstHalf.apply(x * 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0, 0.0])


def test_a_kept_output_does_not_keep_a_custom_functions_inputs_alive():
    import weakref

    x = tg.ones(1000, requires_grad=True)
    hidden = x * 2
    watcher = weakref.ref(hidden)
    loss = Cube.apply(hidden).sum()
    del hidden
    loss.backward()
    assert watcher() is None  # freed once backward is done, though `loss` is kept


class _SumTwice(Function):
    """``2 a + 2 b``, whose backward returns one tensor for both inputs."""

    @staticmethod
    def forward(ctx, a, b):
        return 2 * a + 2 * b

    @staticmethod
    def backward(ctx, grad_output):
        shared = grad_output * 2
        return shared, shared


@pytest.mark.parametrize("order", ["function first", "function last"])
def test_one_gradient_returned_for_two_inputs_is_not_added_into_in_place(order):
    """The engine adds a later gradient into a fresh one in place; a tensor a backward returns
    for two inputs must reach each input unchanged all the same."""
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    u, v = x.exp(), x.sin()
    if order == "function first":
        y = _SumTwice.apply(u, v) + u * 3 + v * 5
    else:
        y = u * 3 + v * 5 + _SumTwice.apply(u, v)
    y.sum().backward()
    data = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 5 * np.exp(data) + 7 * np.cos(data))


def test_a_passed_through_gradient_and_a_fresh_one_add_up():
    """``h`` gets ``grad_output`` itself (from the sum) and a fresh gradient (from exp): their sum
    is written into the fresh one, never into the shared one."""
    x = tg.tensor([0.5, -1.0, 2.0], dtype=tg.float64, requires_grad=True)
    h = x * 2
    (h + h.exp()).sum().backward()
    data = x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (1 + np.exp(2 * data)))
