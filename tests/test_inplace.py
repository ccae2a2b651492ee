"""In-place operations, ``.data`` and version counters, with PyTorch's rules and messages.

Gradients through recorded in-place ops are checked against finite differences and PyTorch in
the op table (``op_cases.py``); this file covers the semantics around them: what shares memory,
what refuses, what is caught, and the silent bugs that must stay fixed."""

import re

import numpy as np
import pytest

import tinygrad_bn as tg
import tinygrad_bn.nn as nn

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


# ---------------------------------------------------------------------- writing in place


def test_augmented_operators_update_the_tensor_itself_and_return_it():
    x = tg.tensor([1.0, 2.0, 3.0])
    alias = x
    x += 1
    x *= 2
    x -= tg.tensor([1.0, 1.0, 1.0])
    x /= 2
    assert x is alias
    np.testing.assert_array_equal(alias.numpy(), [1.5, 2.5, 3.5])
    m = tg.eye(2)
    m @= tg.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(m.numpy(), [[1.0, 2.0], [3.0, 4.0]])


def test_updating_parameters_through_the_loop_variable_trains_the_model():
    model = nn.Linear(2, 1)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    model(tg.ones(4, 2)).sum().backward()
    with tg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad  # the loop variable is the parameter: updated, not rebound
    for p, old in zip(model.parameters(), before):
        np.testing.assert_allclose(p.detach().numpy(), old - 0.1 * p.grad.numpy(), rtol=1e-6)
        assert p.requires_grad and p.is_leaf and p.grad_fn is None


def test_in_place_on_a_leaf_that_requires_grad_refuses_with_pytorchs_message():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    for write in (lambda: w.add_(1), lambda: w.__isub__(1), lambda: w.zero_(),
                  lambda: w.__setitem__(0, 5.0), lambda: w.copy_(tg.zeros(2))):
        with pytest.raises(RuntimeError, match=re.escape(LEAF_MESSAGE)):
            write()
    row = tg.tensor([[1.0, 2.0]], requires_grad=True)[0]
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being "
                                           "used in an in-place operation."):
        row.mul_(2)
    np.testing.assert_array_equal(w.detach().numpy(), [1.0, 2.0])  # nothing was written


def test_under_no_grad_in_place_writes_are_plain_writes():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        w.mul_(3).add_(1)
        w[0] = 0.0
    np.testing.assert_array_equal(w.detach().numpy(), [0.0, 7.0])
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


def test_a_recorded_write_rebases_the_tensor_and_keeps_earlier_uses_on_the_old_value():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    y = a * 2
    before = y * 1  # recorded before the write: must differentiate through the old value only
    y.mul_(a)
    assert y.grad_fn.name == "Mul" and y.grad_fn.next_functions[0][0].name == "Mul"
    (y.sum() + before.sum()).backward()
    # y = 2a * a -> 4a; before = 2a -> 2
    np.testing.assert_allclose(a.grad.numpy(), 4 * np.array([1.0, 2.0]) + 2)


def test_writing_a_tensor_that_requires_grad_into_a_plain_one_puts_it_in_the_graph():
    w = tg.tensor(3.0, requires_grad=True)
    buffer = tg.zeros(3)
    buffer[1] = w * 2
    buffer += w
    assert buffer.requires_grad and not buffer.is_leaf
    buffer.sum().backward()
    assert w.grad.item() == 2.0 + 3.0


def test_writes_through_a_view_change_the_base_and_its_gradient():
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = a * 1
    y[:, 1].mul_(10)  # basic indexing is a view, as in PyTorch
    np.testing.assert_array_equal(y.detach().numpy(), [[1.0, 20.0], [3.0, 40.0]])
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[1.0, 10.0], [1.0, 10.0]])


VIEW_REFUSED = ("view size is not compatible with input tensor's size and stride (at least one "
                "dimension spans across two contiguous subspaces). Use .reshape(...) instead.")


@pytest.mark.parametrize("make_view", [
    lambda x: x.t().view(6),
    lambda x: x.t().view(-1),
    lambda x: x.t().view_as(tg.zeros(6)),
    lambda x: x.unsqueeze(0).expand(2, 2, 3).view(12),
])
def test_view_refuses_a_shape_the_layout_cannot_give_without_a_copy(make_view):
    """PyTorch refuses rather than copying: writes through the result would be lost."""
    x = tg.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match=re.escape(VIEW_REFUSED)):
        make_view(x)


def test_view_of_a_viewable_layout_shares_writes_and_reshape_still_copies():
    x = tg.arange(6.0).reshape(2, 3)
    x.t().contiguous().view(6)  # a copy first: allowed
    v = x.view(3, 2)
    v[0, 0] = 100.0
    assert x[0, 0].item() == 100.0
    assert x.t().reshape(6).tolist() == [100.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    q = tg.zeros(2, 3, 8)[:, :, :4]  # a slice of the last dim, as an attention head split
    assert q.view(2, 3, 2, 2).shape == (2, 3, 2, 2)


@pytest.mark.parametrize("shape, start, expected", [
    ((0, 3, 4), 1, (0, 12)), ((0, 0, 4), 1, (0, 0)), ((2, 0, 4), 1, (2, 0)), ((0, 3), 0, (0,)),
])
def test_flatten_of_an_empty_batch(shape, start, expected):
    assert tg.zeros(*shape).flatten(start).shape == expected
    assert nn.Flatten(start)(tg.zeros(*shape)).shape == expected


def test_an_element_picked_by_ints_is_a_view_too():
    x = tg.zeros(2, 3)
    x[1, 2].add_(5)
    x[0][1] += 7
    np.testing.assert_array_equal(x.numpy(), [[0, 7, 0], [0, 0, 5]])


def test_bigram_counts_with_index_and_add():
    counts = tg.zeros((3, 3), dtype=tg.int64)
    for i, j in [(0, 1), (1, 2), (0, 1), (2, 0)]:
        counts[i, j] += 1
    np.testing.assert_array_equal(counts.numpy(), [[0, 2, 0], [0, 0, 1], [1, 0, 0]])
    assert counts.dtype == tg.int64


def test_setitem_accepts_every_index_form_and_casts_to_the_tensors_dtype():
    x = tg.zeros(3, 4)
    x[0] = 1.0
    x[1, 1:3] = tg.tensor([2.0, 3.0])
    x[x == 0] = -1.0
    x[[2, 2], [0, 3]] = tg.tensor([7.0, 8.0])
    x[..., -1] += 100
    expected = [[1, 1, 1, 101], [-1, 2, 3, 99], [7, -1, -1, 108]]
    np.testing.assert_array_equal(x.numpy(), expected)
    ints = tg.zeros(2, dtype=tg.int64)
    ints[0] = 2.7  # PyTorch truncates a float assigned into an integer tensor
    assert ints.tolist() == [2, 0]


@pytest.mark.parametrize("action, error, message", [
    (lambda: tg.zeros(3, dtype=tg.int64).mul_(0.5), RuntimeError,
     "result type Float can't be cast to the desired output type Long"),
    (lambda: tg.zeros(2, dtype=tg.bool).add_(1), RuntimeError,
     "result type Long can't be cast to the desired output type Bool"),
    (lambda: tg.zeros(3).add_(tg.ones(2, 3)), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    (lambda: tg.zeros(3).copy_(tg.ones(2, 3)), RuntimeError,
     "output with shape [3] doesn't match the broadcast shape [2, 3]"),
    (lambda: tg.zeros(3).copy_(tg.ones(2)), RuntimeError,
     "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    (lambda: tg.zeros(3, 1).expand(3, 4).add_(1), RuntimeError,
     "unsupported operation: more than one element of the written-to tensor refers to a single "
     "memory location. Please clone() the tensor before performing the operation."),
    (lambda: tg.zeros(3).__setitem__(slice(None), tg.ones(2)), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
     "dimension 0.  Target sizes: [3].  Tensor sizes: [2]"),
    (lambda: tg.zeros(3).__setitem__(tg.tensor([0, 1]), tg.ones(3)), RuntimeError,
     "shape mismatch: value tensor of shape [3] cannot be broadcast to indexing result of "
     "shape [2]"),
    (lambda: tg.zeros(3).__setitem__(5, 1.0), IndexError, "index 5 is out of bounds"),
    (lambda: tg.zeros(3).masked_fill_(tg.tensor([1, 0, 1]), 1.0), RuntimeError,
     "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    (lambda: tg.zeros(3).fill_(tg.ones(2)), RuntimeError,
     "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions."),
    (lambda: setattr(tg.zeros(3), "data", np.zeros(3)), TypeError, "data must be a Tensor"),
])
def test_in_place_error(action, error, message):
    with pytest.raises(error, match=re.escape(message)):
        action()


# ---------------------------------------------------------------------- .data


def test_data_is_a_tensor_sharing_memory_outside_the_graph():
    p = nn.Parameter(tg.tensor([1.0, 2.0, 4.0]))
    data = p.data
    assert isinstance(data, tg.Tensor) and not data.requires_grad and data.grad_fn is None
    p.data += 1
    p.data.add_(tg.ones(3), alpha=-0.5)
    np.testing.assert_array_equal(p.detach().numpy(), [1.5, 2.5, 4.5])
    assert p.data.std().item() == pytest.approx(np.std([1.5, 2.5, 4.5], ddof=1))  # unbiased
    assert p.data.view_as(tg.zeros(3, 1)).shape == (3, 1)
    assert p.data.data_ptr() == p.data_ptr()


def test_assigning_data_replaces_the_storage_even_with_another_shape():
    p = nn.Parameter(tg.zeros(2))
    p.data = tg.ones(3, 2)
    assert p.shape == (3, 2) and p.requires_grad and p.is_leaf
    np.testing.assert_array_equal(p.detach().numpy(), np.ones((3, 2)))


def test_writes_through_data_are_not_recorded():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    y = a * 3
    y.data.mul_(100)  # outside autograd: no rebase, no error, the gradient ignores it
    assert y.grad_fn.name == "Mul"
    y.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


# ---------------------------------------------------------------------- version counters


def test_every_handle_on_an_array_shares_one_version_counter_except_data():
    x = tg.zeros(2, 3)
    handles = [x, x.detach(), x[0], x.view(3, 2), x.T]
    assert [h._version for h in handles] == [0] * 5
    x[0].add_(1)
    x.detach().mul_(2)
    assert [h._version for h in handles] == [2] * 5
    x.data.add_(1)  # as in PyTorch, writes through .data are invisible to autograd: not counted
    assert [h._version for h in handles] == [2] * 5
    np.testing.assert_array_equal(x.numpy(), [[3, 3, 3], [1, 1, 1]])
    fresh = x * 1
    assert fresh._version == 0


def test_writing_through_data_between_forward_and_backward_is_not_caught_as_in_pytorch():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    y = a * 1
    z = y * y  # saves y
    y.data.add_(1)  # PyTorch computes with the new values, without an error
    z.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [4.0, 6.0])


def test_backward_refuses_a_saved_input_modified_in_place():
    a = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    y = b * a  # saves b for a's gradient
    b.add_(1)
    b.add_(1)
    message = ("one of the variables needed for gradient computation has been modified by an "
               "inplace operation: [tinygrad_bn.FloatTensor [3]], which is output 0 of Add, is at "
               "version 2; expected version 0 instead. Hint: enable anomaly detection to find the "
               "operation that failed to compute its gradient, with "
               "tinygrad_bn.autograd.set_detect_anomaly(True).")
    with pytest.raises(RuntimeError, match=re.escape(message)):
        y.sum().backward()


def test_backward_refuses_a_saved_output_modified_in_place():
    x = tg.tensor([0.5, 1.0], requires_grad=True)
    y = x.exp()
    y += 1
    with pytest.raises(RuntimeError, match=re.escape(
            "[tinygrad_bn.FloatTensor [2]], which is output 0 of Exp, is at version 1; expected "
            "version 0 instead.")):
        y.sum().backward()


def test_an_optimizer_step_between_forward_and_backward_is_caught():
    layer = nn.Linear(3, 2)
    optimizer = tg.optim.SGD(layer.parameters(), lr=0.1)
    x = tg.ones(4, 3, requires_grad=True)
    out = layer(x).sum()  # saves layer.weight for x's gradient
    out.backward(retain_graph=True)
    saved_at = layer.weight._version
    optimizer.step()  # updates the weight in place
    with pytest.raises(RuntimeError, match=re.escape(
            f"[tinygrad_bn.FloatTensor [2, 3]], is at version {saved_at + 1}; expected version "
            f"{saved_at} instead.")):
        out.backward()


def test_writing_an_input_that_no_gradient_needs_is_allowed():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    x = tg.tensor([3.0, 4.0])
    y = w * 2  # saves nothing: the constant needs no gradient
    z = x * w  # saves x for w's gradient
    w2 = w * 1
    s = w2 + x  # Add saves nothing
    w2.mul_(5)
    x_view = x.detach()  # shares the version counter (.data would not)
    (y.sum() + s.sum()).backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])
    x_view.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()


def test_a_custom_functions_saved_tensors_are_checked_too():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    y = Square.apply(b)
    b.zero_()
    with pytest.raises(RuntimeError, match=re.escape("[tinygrad_bn.FloatTensor [2]], which is "
                                                     "output 0 of Fill, is at version 1; expected "
                                                     "version 0 instead.")):
        y.sum().backward()


# ---------------------------------------------------------------------- bugs that stay fixed


def test_gradients_accumulate_into_zero_dimensional_tensors():
    w = tg.tensor(2.0, requires_grad=True)
    x = tg.tensor(3.0)
    h = w * x
    (h * 3 + h * 5 + h * 7).backward()
    assert w.grad.item() == 15 * 3.0


def test_a_python_float_with_dtype_float64_is_exact():
    assert tg.tensor(0.1, dtype=tg.float64).item() == 0.1
    assert tg.tensor([0.1, 1 / 3], dtype=tg.float64).tolist() == [0.1, 1 / 3]
    assert tg.tensor(0.1).dtype == tg.float32  # without a dtype: the default, float32


def test_data_std_is_unbiased_like_pytorch():
    p = nn.Parameter(tg.tensor([1.0, 2.0, 3.0, 5.0]))
    assert p.data.std().item() == pytest.approx(np.std([1, 2, 3, 5], ddof=1), rel=1e-6)


# ---------------------------------------------------------------------- against PyTorch


def _errors_of(lib, name):
    """Run one erroneous program on ``lib``; return the error's text with the library's name
    (``torch``/``tinygrad_bn``) and backward names (``MulBackward0``/``Mul``) made neutral."""
    programs = {
        "leaf": lambda: lib.ones(2, requires_grad=True).add_(1),
        "saved_input": lambda: _modify_saved_input(lib),
        "cast": lambda: lib.zeros(3, dtype=lib.int64).mul_(0.5),
        "grow": lambda: lib.zeros(3).add_(lib.ones(2, 3)),
    }
    with pytest.raises(Exception) as error:
        programs[name]()
    text = str(error.value).replace("torch.", "LIB.").replace("tinygrad_bn.", "LIB.")
    return type(error.value), re.sub(r"(\w+)Backward0", r"\1", text)


def _modify_saved_input(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    y = b * a
    b.add_(1)
    y.sum().backward()


@pytest.mark.parametrize("name", ["leaf", "saved_input", "cast", "grow"])
def test_error_messages_match_pytorchs(name):
    torch = pytest.importorskip("torch")
    ours, theirs = _errors_of(tg, name), _errors_of(torch, name)
    assert ours[0] is theirs[0]
    assert ours[1].split(" Hint:")[0] == theirs[1].split(" Hint:")[0]


def test_views_taken_before_a_recorded_write_differentiate_through_it():
    a = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = a * 1
    row, column = y[0], y[:, 1]
    y.mul_(2)  # row and column now hold doubled values: their history must say so
    (row * 1 + column * 10).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [[2.0, 22.0], [0.0, 20.0]])  # PyTorch's
    plain = tg.zeros(2, 2)
    first_row = plain[0]
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    plain[0] = w * 3  # a write that puts the plain tensor (and its view) in the graph
    first_row.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])


# ---------------------------------------------------------------------- review findings, fixed


def test_a_view_taken_under_no_grad_or_before_requires_grad_refuses_in_place_writes():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    with tg.no_grad():
        v = y[:2]
    with pytest.raises(RuntimeError, match=re.escape(
            "A view was created in no_grad mode and is being modified inplace with grad mode "
            "enabled.")):
        v.mul_(2)
    leaf = tg.tensor([1.0, 2.0])
    early_view = leaf[:1]
    leaf.requires_grad_()
    with pytest.raises(RuntimeError, match=re.escape(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            "operation.")):
        early_view.add_(1)
    with tg.no_grad():
        v.mul_(2)  # inside no_grad both are untracked: allowed, as in PyTorch


def test_retain_grad_follows_the_tensor_through_an_in_place_write():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x * 1
    y.retain_grad()
    y.mul_(3)
    (y * y).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 12.0, 18.0, 24.0])  # PyTorch's
    np.testing.assert_array_equal(x.grad.numpy(), [18.0, 36.0, 54.0, 72.0])


def test_a_second_backward_through_a_replayed_view():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    y = x + 0
    v = y[:2]
    y.add_(1)
    v.sum().backward()
    (v + 2).sum().backward()  # nothing saved: a second backward is allowed, as in PyTorch
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 0.0, 0.0])


def test_fill_takes_only_a_zero_dimensional_tensor():
    with pytest.raises(RuntimeError, match=re.escape(
            "fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions.")):
        tg.zeros(3).fill_(tg.ones(1))
    assert tg.zeros(2).fill_(tg.tensor(4.0)).tolist() == [4.0, 4.0]
