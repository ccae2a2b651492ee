"""gradcheck itself: it must fail on a wrong backward, name where, and pass on right ones."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg


class SquareWithWrongGradient(tg.autograd.Op):
    """x**2 with the gradient off by a factor at one element: 2x everywhere but 3x at index 2."""

    def forward(self, a):
        self.saved = (a,)
        return a * a

    def backward(self, grad_output):
        (a,) = self.saved
        factor = np.full(a.shape, 2.0)
        factor.flat[2] = 3.0
        return (grad_output * factor * a,)


def test_gradcheck_catches_a_wrong_backward_and_names_the_element():
    x = tg.tensor([[0.5, -1.0], [2.0, 1.5]], dtype=tg.float64, requires_grad=True)
    with pytest.raises(tg.GradcheckError) as error:
        tg.gradcheck(lambda t: SquareWithWrongGradient.apply(t), x)
    message = str(error.value)
    assert message.startswith("Jacobian mismatch for output 0 with respect to input 0")
    assert "input element (1, 0)" in message and "output element (1, 0)" in message
    assert re.search(r"analytic 6 vs numeric 4\b", message)


def test_gradcheck_names_the_right_input_among_several():
    a = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([0.5, 0.5, 0.5], dtype=tg.float64, requires_grad=True)
    fn = lambda a, b: a * 2 + SquareWithWrongGradient.apply(b)  # noqa: E731
    with pytest.raises(tg.GradcheckError, match="with respect to input 1: worst at input element"):
        tg.gradcheck(fn, (a, b))
    assert tg.gradcheck(fn, (a, b), raise_exception=False) is False


def test_gradcheck_skips_non_tensor_and_constant_inputs_and_handles_several_outputs():
    x = tg.tensor([1.0, -2.0], dtype=tg.float64, requires_grad=True)
    constant = tg.tensor([3.0, 4.0], dtype=tg.float64)
    fn = lambda x, c, k: (x * c * k, (x.exp() + c).sum())  # noqa: E731
    assert tg.gradcheck(fn, (x, constant, 2.0)) is True


def test_gradcheck_restores_the_inputs():
    x = tg.tensor([0.3, 0.7], dtype=tg.float64, requires_grad=True)
    before = x.detach().numpy().copy()
    tg.gradcheck(lambda t: t.tanh(), x)
    np.testing.assert_array_equal(x.detach().numpy(), before)
    assert x.grad is None


def test_gradcheck_perturbs_non_contiguous_inputs():
    base = tg.tensor(np.arange(6.0).reshape(2, 3) + 1, dtype=tg.float64)
    x = tg.Tensor._make(base.detach().numpy().T, None).requires_grad_()  # a transposed, non-contiguous view
    assert not x.detach().numpy().flags.c_contiguous
    assert tg.gradcheck(lambda t: (t * t).sum(dim=0), x)
