"""Error paths that must fail as PyTorch's do: the same exception type and the same message.

Each case is one call written against a module ``m`` (tinygrad_bn, or torch when it is
installed), so that the one line runs on both: the message asserted is PyTorch 2.13's, and
``test_pytorch_raises_the_same`` checks that torch still raises exactly it. Most of these came
from PyTorch's own OpInfo ``error_inputs`` (tests/test_opinfo.py), the rest from the same
rules applied to the neighbouring ops.
"""

import pytest

import tinygrad_bn as tg

DIM_RANGE_0D = "Dimension out of range (expected to be in range of [-1, 0], but got {})"

ERRORS = [
    # dims: a 0-d tensor wraps dims -1 and 0 (maybe_wrap_dim), unless the op needs a real dim
    ("0d_dim_out_of_range", lambda m: m.tensor(1.5).sum(2), IndexError, DIM_RANGE_0D.format(2)),
    ("0d_max_dim_out_of_range", lambda m: m.tensor(1.5).max(1), IndexError,
     DIM_RANGE_0D.format(1)),
    ("0d_transpose_out_of_range", lambda m: m.tensor(1.5).transpose(0, 2), IndexError,
     DIM_RANGE_0D.format(2)),
    ("0d_flatten_out_of_range", lambda m: m.tensor(1.5).flatten(1), IndexError,
     DIM_RANGE_0D.format(1)),
    ("0d_size", lambda m: m.tensor(1.5).size(-1), IndexError,
     "Dimension specified as -1 but tensor has no dimensions"),
    ("0d_size_out_of_range", lambda m: m.tensor(1.5).size(1), IndexError,
     "Dimension specified as 1 but tensor has no dimensions"),
    ("0d_stride", lambda m: m.tensor(1.5).stride(-1), IndexError,
     "Dimension specified as -1 but tensor has no dimensions"),
    ("0d_roll", lambda m: m.tensor(1.5).roll(0, 0), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    ("0d_unbind", lambda m: m.tensor(1.5).unbind(-1), IndexError,
     "Dimension specified as 0 but tensor has no dimensions"),
    ("0d_unbind_out_of_range", lambda m: m.tensor(1.5).unbind(1), IndexError,
     DIM_RANGE_0D.format(1)),
    ("0d_split", lambda m: m.tensor(1.5).split(1), RuntimeError,
     "split expects at least a 1-dimensional tensor"),
    ("0d_split_sizes", lambda m: m.tensor(1.5).split([1], 0), RuntimeError,
     "split expects at least a 1-dimensional tensor"),
    ("0d_chunk", lambda m: m.tensor(1.5).chunk(1), RuntimeError,
     "chunk expects at least a 1-dimensional tensor"),
    # reshape and view: PyTorch's infer_size, reading the sizes left to right
    ("reshape_ambiguous", lambda m: m.zeros(0).reshape(0, -1), RuntimeError,
     "cannot reshape tensor of 0 elements into shape [0, -1] because the unspecified "
     "dimension size -1 can be any value and is ambiguous"),
    ("view_ambiguous", lambda m: m.zeros(0, 3).view(-1, 0), RuntimeError,
     "cannot reshape tensor of 0 elements into shape [-1, 0] because the unspecified "
     "dimension size -1 can be any value and is ambiguous"),
    ("reshape_negative_size", lambda m: m.zeros(6).reshape(2, -2), RuntimeError,
     "invalid shape dimension -2 at index 1 of shape [2, -2]"),
    ("reshape_negative_before_second_infer", lambda m: m.zeros(4).reshape(-2, -1, -1),
     RuntimeError, "invalid shape dimension -2 at index 0 of shape [-2, -1, -1]"),
    ("reshape_second_infer_first", lambda m: m.zeros(4).reshape(-1, -1, -2), RuntimeError,
     "only one dimension can be inferred"),
    ("reshape_zero_and_infer", lambda m: m.zeros(6).reshape(0, -1), RuntimeError,
     "shape '[0, -1]' is invalid for input of size 6"),
    # narrow's start
    ("narrow_start_1d_tensor", lambda m: m.ones(4, 5).narrow(1, m.tensor([2]), 2), RuntimeError,
     "start must be an 0-dim integral Tensor."),
    ("narrow_start_bool_tensor", lambda m: m.ones(4, 5).narrow(1, m.tensor(True), 2),
     RuntimeError, "start must be an 0-dim integral Tensor."),
    ("narrow_start_float_tensor", lambda m: m.ones(4, 5).narrow(1, m.tensor(1.0), 2),
     RuntimeError, "start must be an 0-dim integral Tensor."),
    ("narrow_start_float", lambda m: m.ones(4, 5).narrow(1, 1.0, 2), TypeError,
     "narrow() received an invalid combination of arguments - got (int, float, int), but "
     "expected one of:"),
    # the tensors argument of cat, stack, hstack, vstack
    ("cat_empty_list", lambda m: m.cat([]), ValueError,
     "torch.cat(): expected a non-empty list of Tensors"),
    ("cat_none_element", lambda m: m.cat([m.ones(2), None]), TypeError,
     "expected Tensor as element 1 in argument 0, but got NoneType"),
    ("cat_a_tensor", lambda m: m.cat(m.ones(2, 3)), TypeError,
     "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"),
    ("cat_a_generator", lambda m: m.cat(t for t in [m.ones(2)]), TypeError,
     "cat(): argument 'tensors' (position 1) must be tuple of Tensors, not generator"),
    ("cat_0d_later", lambda m: m.cat([m.ones(2), m.tensor(1.0)]), RuntimeError,
     "zero-dimensional tensor (at position 1) cannot be concatenated"),
    ("cat_dim_checked_past_legacy_empty", lambda m: m.cat([m.zeros(0), m.ones(2, 3)], 2),
     IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    ("cat_sizes_past_legacy_empty",
     lambda m: m.cat([m.zeros(0), m.ones(2, 2), m.ones(2, 3)], 0), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 2 but got size 3 for "
     "tensor number 2 in the list."),
    ("stack_empty_list", lambda m: m.stack([]), RuntimeError,
     "stack expects a non-empty TensorList"),
    ("stack_int_element", lambda m: m.stack([m.ones(2), 1]), TypeError,
     "expected Tensor as element 1 in argument 0, but got int"),
    ("stack_a_tensor", lambda m: m.stack(m.ones(2, 3)), TypeError,
     "stack(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor"),
    ("vstack_none_element", lambda m: m.vstack([None]), TypeError,
     "expected Tensor as element 0 in argument 0, but got NoneType"),
    # roll
    ("roll_no_shifts", lambda m: m.ones(5).roll(()), RuntimeError, "`shifts` required"),
    ("roll_no_shifts_with_dims", lambda m: m.ones(5).roll((), ()), RuntimeError,
     "`shifts` required"),
    ("roll_unaligned", lambda m: m.ones(2, 2).roll((1,), (0, 1)), RuntimeError,
     "shifts and dimensions must align. shifts: 1, dims:2"),
    # reductions
    ("aminmax_empty_dim", lambda m: m.zeros(5, 0, 5).aminmax(dim=1), IndexError,
     "aminmax: Expected reduction dim 1 to have non-zero size."),
    ("aminmax_empty_dim_negative", lambda m: m.zeros(0).aminmax(dim=-1), IndexError,
     "aminmax: Expected reduction dim 0 to have non-zero size."),
    ("aminmax_empty", lambda m: m.zeros(5, 0).aminmax(), RuntimeError,
     "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
     "identity."),
    ("mean_of_integers", lambda m: m.arange(6).mean(), RuntimeError,
     "mean(): could not infer output dtype. Input dtype must be either a floating point or "
     "complex dtype. Got: Long"),
    ("mean_into_integers", lambda m: m.arange(6).mean(dtype=m.int64), RuntimeError,
     "mean(): could not infer output dtype. Optional dtype must be either a floating point or "
     "complex dtype. Got: Long"),
    ("mean_into_bool", lambda m: m.ones(2, dtype=m.float16).mean(dtype=m.bool), RuntimeError,
     "mean(): could not infer output dtype. Optional dtype must be either a floating point or "
     "complex dtype. Got: Bool"),
]


def _ids(cases):
    return [case[0] for case in cases]


@pytest.mark.parametrize("name, call, error, message", ERRORS, ids=_ids(ERRORS))
def test_error_type_and_message(name, call, error, message):
    with pytest.raises(Exception) as raised:
        call(tg)
    assert type(raised.value) is error, f"{type(raised.value).__name__}: {raised.value}"
    assert str(raised.value).split("\n")[0] == message  # a list of overloads may follow


@pytest.mark.parametrize("name, call, error, message", ERRORS, ids=_ids(ERRORS))
def test_pytorch_raises_the_same(name, call, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(Exception) as raised:
        call(torch)
    assert isinstance(raised.value, error)
    # PyTorch's C++ errors may add lines (where it was raised): the first line is the message
    assert str(raised.value).split("\n")[0] == message


# Calls PyTorch answers (no error) that tinygrad_bn refused or crashed on: compared value for
# value, dtype and shape with PyTorch's when it is installed, and checked for shape here.
RESULTS = [
    ("0d_max_dim", lambda m: m.tensor(1.5).max(0), [(), ()]),
    ("0d_min_dim_keepdim", lambda m: m.tensor(1.5).min(-1, keepdim=True), [(), ()]),
    ("0d_transpose", lambda m: m.tensor(1.5).transpose(0, -1), ()),
    ("0d_flatten", lambda m: m.tensor(1.5).flatten(-1), (1,)),
    ("0d_prod_dim", lambda m: m.tensor(1.5).prod(0), ()),
    ("0d_aminmax_dim", lambda m: m.tensor(1.5).aminmax(dim=0), [(), ()]),
    ("roll_empty_dims", lambda m: m.arange(6.0).reshape(2, 3).roll(1, ()), (2, 3)),
    ("aminmax_empty_other_dim", lambda m: m.zeros(5, 0, 5).aminmax(dim=0), [(0, 5), (0, 5)]),
    ("reshape_infers_with_zero_elements", lambda m: m.zeros(0).reshape(2, -1), (2, 0)),
    ("narrow_start_int_tensor", lambda m: m.arange(20.0).reshape(4, 5).narrow(
        1, m.tensor(-2), 2), (4, 2)),
    ("cat_skips_legacy_empty", lambda m: m.cat([m.zeros(0), m.ones(2, 3)], 1), (2, 3)),
    ("cat_skips_legacy_empty_last", lambda m: m.cat([m.ones(2, 3), m.zeros(0)], -1), (2, 3)),
    ("cat_legacy_empty_in_dtype", lambda m: m.cat([m.zeros(0, dtype=m.float64),
                                                   m.ones(2, 3)], 1), (2, 3)),
    ("cat_only_legacy_empties", lambda m: m.cat([m.zeros(0), m.zeros(0)], 1), (0,)),
    ("mean_dtype_of_integers", lambda m: m.arange(6).reshape(2, 3).mean(1, dtype=m.float64),
     (2,)),
    ("mean_dtype_widens", lambda m: m.ones(2, 3, dtype=m.float16).mean(0, True,
                                                                         dtype=m.float32),
     (1, 3)),
]


def _shapes(result):
    if isinstance(result, tuple):
        return [tuple(r.shape) for r in result]
    return tuple(result.shape)


@pytest.mark.parametrize("name, call, shape", RESULTS, ids=_ids(RESULTS))
def test_result_like_pytorch(name, call, shape):
    ours = call(tg)
    assert _shapes(ours) == shape
    torch = pytest.importorskip("torch")
    theirs = call(torch)
    ours, theirs = (ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,))
    for o, t in zip(ours, theirs):
        assert str(o.dtype) == str(t.dtype).replace("torch.", "")
        assert o.tolist() == t.tolist()


@pytest.mark.parametrize("shape, dim", [((0,), None), ((3, 0), 1), ((0, 2), 0), ((), 0)])
def test_prod_gradient_of_empty_and_0d_inputs(shape, dim):
    """The product over nothing is 1 and depends on no element: a zero gradient of the
    input's shape (it crashed in NumPy); a 0-d input's product over dim 0 is itself."""
    x = tg.randn(*shape, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: t.prod() if dim is None else t.prod(dim), (x,))
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(x.detach().numpy(), requires_grad=True)
    (theirs.prod() if dim is None else theirs.prod(dim)).sum().backward()
    (x.prod() if dim is None else x.prod(dim)).sum().backward()
    assert x.grad.tolist() == theirs.grad.tolist()


def test_cat_gives_a_skipped_legacy_empty_tensor_an_empty_gradient():
    empty = tg.zeros(0, dtype=tg.float64, requires_grad=True)
    x = tg.randn(2, 3, dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda a, b: tg.cat([a, b, a], 1), (empty, x))
    tg.cat([empty, x], 1).sum().backward()
    assert empty.grad.shape == (0,) and x.grad.tolist() == [[1.0] * 3] * 2
