"""The gradient of a basic slice (``x[i]``, ``x[:, a:b]``, ``split``) travels as a
``PartialGradient`` that the engine adds into the input's gradient in place; everything that
shows a gradient to the user sees the whole array, and a gradient shared with another input is
never written into."""

import numpy as np
import pytest

import tinygrad_bn as tg
from tinygrad_bn.autograd.graph import PartialGradient
from tinygrad_bn.ops import GetItem


def _x():
    return tg.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4), dtype=tg.float64,
                     requires_grad=True)


def test_getitem_backward_with_a_basic_index_is_partial():
    x = _x()
    piece = x[:, 1]
    (grad,) = piece.grad_fn.backward(np.ones((2, 4)))
    assert type(grad) is PartialGradient
    expected = np.zeros((2, 3, 4))
    expected[:, 1] = 1
    np.testing.assert_array_equal(grad.materialize(), expected)
    picked = x[tg.tensor([0, 0])]  # integer arrays: a whole array, repeats added up
    assert isinstance(picked.grad_fn, GetItem)
    grad, _ = picked.grad_fn.backward(np.ones((2, 3, 4)))
    np.testing.assert_array_equal(grad, np.r_[np.full((1, 3, 4), 2.0), np.zeros((1, 3, 4))])


def test_split_pieces_add_up_in_one_buffer():
    x = _x()
    h = x * 1.0
    q, k, v = h.split([1, 1, 2], dim=2)
    (q * 2 + k.exp() * v[..., :1] + (h * h)[..., :1]).sum().backward()
    data = x.detach().numpy()
    expected = np.zeros_like(data)
    expected[..., 0] = 2 + 2 * data[..., 0]
    expected[..., 1] = np.exp(data[..., 1]) * data[..., 2]
    expected[..., 2] = np.exp(data[..., 1])
    np.testing.assert_allclose(x.grad.numpy(), expected)


def test_a_gradient_passed_to_two_inputs_is_not_written_into():
    """``h + w`` hands the same array to ``h`` and ``w``; ``h[0]`` adds a partial gradient to
    ``h``'s, which must go into a copy."""
    x, w = _x(), _x()
    h = x * 1.0
    (h + w + h[0]).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.ones((2, 3, 4)))
    np.testing.assert_array_equal(x.grad.numpy(), np.r_[np.full((1, 3, 4), 3.0),
                                                        np.ones((1, 3, 4))])


def test_a_slice_of_a_leaf_and_a_retained_gradient_are_whole_arrays():
    x = _x()
    piece = x[1, :2]
    piece.retain_grad()
    (piece * 3).sum().backward()
    assert type(x.grad._array) is np.ndarray and x.grad.shape == (2, 3, 4)
    np.testing.assert_array_equal(x.grad.numpy()[1, :2], np.full((2, 4), 3.0))
    assert x.grad.numpy().sum() == 3.0 * 8


@pytest.mark.parametrize("anomaly", [False, True])
def test_node_hooks_see_whole_arrays(anomaly):
    x = _x()
    h = x * 1.0
    piece = h[:, 0]
    seen = []
    piece.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(grad_inputs))
    with tg.autograd.set_detect_anomaly(anomaly):
        piece.sum().backward()
    (grad_input,) = seen[0]
    assert isinstance(grad_input, tg.Tensor) and grad_input.shape == (2, 3, 4)
    np.testing.assert_array_equal(x.grad.numpy()[:, 0], np.ones((2, 4)))


def test_autograd_grad_of_a_sliced_intermediate():
    x = _x()
    h = x * 2.0
    (grad,) = tg.autograd.grad((h[:, 1:] ** 2).sum(), h)
    expected = 2 * h.detach().numpy()
    expected[:, 0] = 0
    np.testing.assert_allclose(grad.numpy(), expected)


def test_jit_replays_split_as_eager_computes_it():
    model = tg.nn.Linear(4, 6)
    optimizer = tg.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        optimizer.zero_grad()
        a, b, c = model(x).split(2, dim=1)
        loss = (a * b + c.exp()).sum()
        loss.backward()
        optimizer.step()
        return loss

    jitted = tg.jit(step)
    rng = np.random.default_rng(0)
    eager_model = tg.nn.Linear(4, 6)
    eager_model.load_state_dict(model.state_dict())
    eager_optimizer = tg.optim.SGD(eager_model.parameters(), lr=0.1)
    for _ in range(4):
        x = tg.tensor(rng.standard_normal((3, 4)).astype(np.float32))
        jitted(x)
        eager_optimizer.zero_grad()
        a, b, c = eager_model(x).split(2, dim=1)
        (a * b + c.exp()).sum().backward()
        eager_optimizer.step()
        np.testing.assert_array_equal(model.weight.detach().numpy(),
                                      eager_model.weight.detach().numpy())
    assert "GetItem" in str(jitted.plan)  # replayed, not run eagerly
