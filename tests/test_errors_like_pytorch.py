"""Error paths that must fail as PyTorch's do: the same exception type and the same message.

Each case is one call written against a module ``m`` (tinygrad_bn, or torch when it is
installed), so that the one line runs on both: the message asserted is PyTorch 2.13's, and
``test_pytorch_raises_the_same`` checks that torch still raises exactly it. Most of these came
from PyTorch's own OpInfo ``error_inputs`` (tests/test_opinfo.py), the rest from the same
rules applied to the neighbouring ops.
"""

import numpy as np
import pytest

import tinygrad_bn as tg

DIM_RANGE_0D = "Dimension out of range (expected to be in range of [-1, 0], but got {})"

ERRORS = [
    # embedding with max_norm: the renorm's row selection refuses an index first
    ("embedding_max_norm_index", lambda m: m.nn.functional.embedding(
        m.tensor([7, -7]), m.ones(5, 4), max_norm=1.0), IndexError,
     "select(): index -7 out of range for tensor of size [5, 4] at dimension 0"),
    ("embedding_max_norm_negative_index", lambda m: m.nn.functional.embedding(
        m.tensor([-2]), m.ones(5, 4), max_norm=1.0), IndexError, "index out of range in self"),
    # F.linear of mixed dtypes: PyTorch's mm wording without a bias, addmm's with one
    ("linear_no_bias_dtypes", lambda m: m.nn.functional.linear(
        m.ones(2, 3, dtype=m.float16), m.ones(4, 3)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: c10::Half != float"),
    ("linear_bias_dtypes", lambda m: m.nn.functional.linear(
        m.ones(2, 3, dtype=m.float64), m.ones(4, 3), m.ones(4)), RuntimeError,
     "mat1 and mat2 must have the same dtype, but got Double and Float"),
    # reshape/view/permute need their sizes or dims (no argument made a 0-d tensor)
    ("reshape_no_shape", lambda m: m.ones(1).reshape(), TypeError,
     'reshape() missing 1 required positional arguments: "shape"'),
    ("view_no_shape", lambda m: m.ones(1).view(), TypeError,
     "view() received an invalid combination of arguments - got (), but expected one of:"),
    ("permute_no_dims", lambda m: m.tensor(1.5).permute(), TypeError,
     'permute() missing 1 required positional arguments: "dims"'),
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
    # sizes of new tensors
    ("eye_negative_n", lambda m: m.eye(-1), RuntimeError,
     "n must be greater or equal to 0, got -1"),
    ("eye_negative_m", lambda m: m.eye(2, -3), RuntimeError,
     "m must be greater or equal to 0, got -3"),
    ("eye_float_n", lambda m: m.eye(2.0), TypeError,
     "eye(): argument 'n' (position 1) must be int, not float"),
    ("zeros_negative", lambda m: m.zeros(2, -1), RuntimeError,
     "zeros: Dimension size must be non-negative."),
    ("ones_negative", lambda m: m.ones(2, -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, -1]"),
    ("empty_negative", lambda m: m.empty(-1, 2), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1, 2]"),
    ("full_negative", lambda m: m.full((-1,), 2.0), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("randn_negative", lambda m: m.randn(-1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("randint_negative", lambda m: m.randint(3, (-1,)), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("randperm_negative", lambda m: m.randperm(-1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [-1]"),
    ("new_zeros_negative", lambda m: m.ones(2).new_zeros(2, -1), RuntimeError,
     "Trying to create tensor with negative dimension -1: [2, -1]"),
    # binary functions that take only tensors
    ("maximum_of_a_number", lambda m: m.maximum(m.tensor([1, 2, 3]), 2), TypeError,
     "maximum(): argument 'other' (position 2) must be Tensor, not int"),
    ("minimum_of_a_number", lambda m: m.minimum(m.tensor([1, 2, 3]), 2.5), TypeError,
     "minimum(): argument 'other' (position 2) must be Tensor, not float"),
    ("isclose_to_a_number", lambda m: m.isclose(m.tensor([1, 2, 3]), 2), TypeError,
     "isclose(): argument 'other' (position 2) must be Tensor, not int"),
    ("allclose_to_a_number", lambda m: m.allclose(m.tensor([1.0]), 1.0), TypeError,
     "allclose(): argument 'other' (position 2) must be Tensor, not float"),
    ("mm_with_a_number", lambda m: m.mm(m.ones(2, 2), 2), TypeError,
     "mm(): argument 'mat2' (position 2) must be Tensor, not int"),
    ("isclose_dtypes", lambda m: m.isclose(m.tensor([1, 2]), m.tensor([1.0, 2.0])), RuntimeError,
     "Long did not match Float"),
    ("isclose_negative_rtol", lambda m: m.isclose(m.ones(2), m.ones(2), rtol=-0.4),
     RuntimeError, "rtol must be greater than or equal to zero, but got -0.4"),
    ("isclose_negative_atol", lambda m: m.isclose(m.ones(2), m.ones(2), atol=-1e-12),
     RuntimeError, "atol must be greater than or equal to zero, but got -1e-12"),
    ("allclose_negative_rtol", lambda m: m.allclose(m.ones(2), m.ones(2), rtol=-1.0),
     RuntimeError, "rtol must be greater than or equal to zero, but got -1"),
    # integer powers: a negative Python integer exponent is refused, a tensor's is computed
    ("integer_to_negative_integer_power", lambda m: m.tensor([1, 2]) ** -2, RuntimeError,
     "Integers to negative integer powers are not allowed."),
    ("bool_to_negative_integer_power", lambda m: m.tensor([True]).pow(-1), RuntimeError,
     "Integers to negative integer powers are not allowed."),
    ("uint8_to_negative_integer_power_in_place", lambda m: m.tensor([2], dtype=m.uint8).pow_(-1),
     RuntimeError, "Integers to negative integer powers are not allowed."),
    ("pow_of_a_number_to_a_number", lambda m: m.pow(2, 3), TypeError,
     "pow() received an invalid combination of arguments - got (int, int), but expected one "
     "of:"),
    # batch_norm
    ("batch_norm_1d_input", lambda m: m.nn.functional.batch_norm(
        m.ones(5), m.zeros(0), m.ones(0)), IndexError,
     "Dimension out of range (expected to be in range of [-1, 0], but got 1)"),
    ("batch_norm_eval_without_running_mean", lambda m: m.nn.functional.batch_norm(
        m.ones(4, 3), None, None), RuntimeError,
     "running_mean must be defined in evaluation mode"),
    ("batch_norm_eval_without_running_var", lambda m: m.nn.functional.batch_norm(
        m.ones(4, 3), m.zeros(3), None), RuntimeError,
     "running_var must be defined in evaluation mode"),
    ("batch_norm_one_value_per_channel_4d", lambda m: m.nn.functional.batch_norm(
        m.ones(1, 3, 1, 1), None, None, training=True), ValueError,
     "Expected more than 1 value per channel when training, got input size "
     "torch.Size([1, 3, 1, 1])"),
    # views and pieces
    ("expand_minus_one_in_a_new_dim", lambda m: m.ones(2, 3).expand(-1, 2, 3), RuntimeError,
     "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0"),
    ("expand_to_fewer_dims", lambda m: m.ones(2, 3).expand(3), RuntimeError,
     "expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be "
     "greater or equal to the number of dimensions in the tensor (2)"),
    ("broadcast_to_fewer_dims", lambda m: m.ones(2, 3, dtype=m.int64).broadcast_to((4,)),
     RuntimeError, "expand(torch.LongTensor{[2, 3]}, size=[4]): the number of sizes provided "
     "(1) must be greater or equal to the number of dimensions in the tensor (2)"),
    ("split_size_zero", lambda m: m.ones(2, 3).split(0, 1), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 3"),
    ("split_size_negative", lambda m: m.ones(2, 3).split(-1, 1), RuntimeError,
     "split expects split_size be non-negative, but got split_size=-1"),
    ("split_sizes_negative", lambda m: m.ones(2, 3).split([1, -1, 3], 1), RuntimeError,
     "split_with_sizes expects split_sizes have only non-negative entries, but got "
     "split_sizes=[1, -1, 3]"),
    ("index_select_dim0_out_of_range", lambda m: m.ones(3, 4).index_select(0, m.tensor([0, 3])),
     IndexError, "index out of range in self"),
    ("index_select_last_dim_out_of_range", lambda m: m.ones(2, 3, 4).index_select(
        2, m.tensor([-9])), IndexError, "index out of range in self"),
    ("index_select_dim1_out_of_range", lambda m: m.ones(3, 4).index_select(1, m.tensor([4])),
     RuntimeError, "INDICES element is out of DATA bounds, id=4 axis_dim=4"),
    # Python values of tensors, and tensors of Python values
    ("tensor_of_ragged_lists", lambda m: m.tensor([[1, 2], [3, 4, 5]]), ValueError,
     "expected sequence of length 2 at dim 1 (got 3)"),
    ("tensor_of_ragged_inner_lists", lambda m: m.tensor([[[1], [2]], [[3], [4, 5]]]), ValueError,
     "expected sequence of length 1 at dim 2 (got 2)"),
    ("tensor_of_ragged_tuples", lambda m: m.tensor([(1, 2), (3,)]), ValueError,
     "expected sequence of length 2 at dim 1 (got 1)"),
    ("float_of_several_elements", lambda m: float(m.ones(2, 3)), ValueError,
     "only one element tensors can be converted to Python scalars"),
    ("int_of_no_element", lambda m: int(m.ones(0)), ValueError,
     "only one element tensors can be converted to Python scalars"),
    ("item_of_several_elements", lambda m: m.ones(2, 3).item(), RuntimeError,
     "a Tensor with 6 elements cannot be converted to Scalar"),
    ("bool_of_no_element", lambda m: bool(m.ones(0)), RuntimeError,
     "Boolean value of Tensor with no values is ambiguous"),
    # dtypes an op refuses
    ("bitwise_and_of_floats", lambda m: m.ones(2) & m.ones(2), NotImplementedError,
     "\"bitwise_and_cpu\" not implemented for 'Float'"),
    ("bitwise_xor_of_floats", lambda m: m.ones(2) ^ m.ones(2), NotImplementedError,
     "\"bitwise_xor_cpu\" not implemented for 'Float'"),
    ("invert_floats", lambda m: ~m.ones(2), TypeError,
     "~ (operator.invert) is only implemented on integer and Boolean-type tensors"),
    ("subtract_two_bool_tensors", lambda m: m.ones(2, dtype=m.bool) - m.ones(2, dtype=m.bool),
     RuntimeError, "Subtraction, the `-` operator, with two bool tensors is not supported. Use "
     "the `^` or `logical_xor()` operator instead."),
    ("subtract_a_bool_tensor", lambda m: m.ones(2) - m.ones(2, dtype=m.bool), RuntimeError,
     "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
     "invert a mask, use the `~` or `logical_not()` operator instead."),
    ("where_integer_condition", lambda m: m.where(m.ones(2, dtype=m.int64), m.ones(2),
                                                  m.ones(2)), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Long"),
    ("masked_fill_integer_mask", lambda m: m.ones(2).masked_fill(m.ones(2, dtype=m.int64), 0.0),
     RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype long int"),
    ("masked_fill_half_mask", lambda m: m.ones(2).masked_fill(m.ones(2, dtype=m.float16), 0.0),
     RuntimeError, "masked_fill_ only supports boolean masks, but got mask with dtype c10::Half"),
    ("argmax_of_a_dim_tuple", lambda m: m.ones(2, 3).argmax((0, 1)), TypeError,
     "argmax(): argument 'dim' (position 1) must be int, not tuple"),
    ("clamp_without_bounds", lambda m: m.ones(2).clamp(), RuntimeError,
     "torch.clamp: At least one of 'min' or 'max' must not be None"),
    ("tensor_of_integers_requires_grad", lambda m: m.tensor([1, 2], requires_grad=True),
     RuntimeError, "Only Tensors of floating point and complex dtype can require gradients"),
    ("arange_requires_grad", lambda m: m.arange(3, requires_grad=True), RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
    ("new_zeros_of_integers_requires_grad", lambda m: m.tensor([1]).new_zeros(
        2, requires_grad=True), RuntimeError,
     "Only Tensors of floating point and complex dtype can require gradients"),
    # indexing
    ("index_with_a_float", lambda m: m.ones(2, 3)[0, 1.5], IndexError,
     "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid "
     "indices (got float)"),
    ("mask_of_other_shape", lambda m: m.ones(2, 3)[m.ones(3, 3, dtype=m.bool)], IndexError,
     "The shape of the mask [3, 3] at index 0 does not match the shape of the indexed tensor "
     "[2, 3] at index 0"),
    ("mask_after_an_int", lambda m: m.ones(2, 3)[0, m.ones(2, dtype=m.bool)], IndexError,
     "The shape of the mask [2] at index 0 does not match the shape of the indexed tensor [3] "
     "at index 0"),
    ("mask_after_a_slice_and_none", lambda m: m.ones(2, 3, 4)[None, 1:, m.ones(3, 5,
                                                                               dtype=m.bool)],
     IndexError, "The shape of the mask [3, 5] at index 1 does not match the shape of the "
     "indexed tensor [1, 1, 3, 4] at index 3"),
    ("second_mask_after_ellipsis", lambda m: m.ones(2, 3)[..., m.ones(4, dtype=m.bool)],
     IndexError, "The shape of the mask [4] at index 0 does not match the shape of the indexed "
     "tensor [2, 3] at index 1"),
    ("assign_through_a_mask", lambda m: m.ones(2, 3).__setitem__(m.ones(3, dtype=m.bool), 1.0),
     IndexError, "The shape of the mask [3] at index 0 does not match the shape of the indexed "
     "tensor [2, 3] at index 0"),
    ("assign_to_a_view_of_other_shape", lambda m: m.ones(2, 3).__setitem__(0, m.ones(4)),
     RuntimeError, "The expanded size of the tensor (3) must match the existing size (4) at "
     "non-singleton dimension 0.  Target sizes: [3].  Tensor sizes: [4]"),
    ("assign_through_a_recorded_view", lambda m: m.ones(2, 3, requires_grad=True).clone()
     .__setitem__((slice(None),), m.ones(2, 2)), RuntimeError,
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
     "dimension 1.  Target sizes: [2, 3].  Tensor sizes: [2, 2]"),
    ("assign_through_an_index_tensor", lambda m: m.ones(2, 3).__setitem__(
        m.tensor([0]), m.ones(4)), RuntimeError,
     "shape mismatch: value tensor of shape [4] cannot be broadcast to indexing result of shape "
     "[1, 3]"),
    # nn.functional
    ("linear_bias_of_other_size", lambda m: m.nn.functional.linear(
        m.ones(5, 4, 3), m.ones(2, 3), m.ones(3)), RuntimeError,
     "The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [20, 2].  Tensor sizes: [3]"),
    ("layer_norm_weight_shape", lambda m: m.nn.functional.layer_norm(
        m.ones(4, 3), (3,), weight=m.ones(4)), RuntimeError,
     "Expected weight to be of same shape as normalized_shape, but got weight of shape [4] and "
     "normalized_shape = [3]"),
    ("layer_norm_bias_shape", lambda m: m.nn.functional.layer_norm(
        m.ones(4, 3), (3,), bias=m.ones(1, 3)), RuntimeError,
     "Expected bias to be of same shape as normalized_shape, but got bias of shape [1, 3] and "
     "normalized_shape = [3]"),
    ("layer_norm_of_integers", lambda m: m.nn.functional.layer_norm(
        m.ones(2, 3, dtype=m.int64), (3,)), NotImplementedError,
     "\"LayerNormKernelImpl\" not implemented for 'Long'"),
    ("gelu_of_integers", lambda m: m.nn.functional.gelu(m.ones(2, dtype=m.int64)),
     NotImplementedError, "\"GeluKernelImpl\" not implemented for 'Long'"),
    ("leaky_relu_of_bools", lambda m: m.nn.functional.leaky_relu(m.ones(2, dtype=m.bool)),
     NotImplementedError, "\"leaky_relu_cpu\" not implemented for 'Bool'"),
    ("elu_of_bytes", lambda m: m.nn.functional.elu(m.ones(2, dtype=m.uint8)),
     NotImplementedError, "\"elu_cpu\" not implemented for 'Byte'"),
    ("silu_of_integers", lambda m: m.nn.functional.silu(m.ones(2, dtype=m.int32)),
     NotImplementedError, "\"silu_cpu\" not implemented for 'Int'"),
    ("softplus_of_integers", lambda m: m.nn.functional.softplus(m.ones(2, dtype=m.int64)),
     NotImplementedError, "\"softplus_cpu\" not implemented for 'Long'"),
    ("relu_of_bools", lambda m: m.ones(2, dtype=m.bool).relu(), RuntimeError,
     "Boolean inputs not supported for relu"),
    ("relu6_of_bools", lambda m: m.nn.functional.relu6(m.ones(2, dtype=m.bool)), RuntimeError,
     "Bool inputs not supported for hardtanh"),
    ("hardtanh_of_bytes_below_zero", lambda m: m.nn.functional.hardtanh(
        m.ones(2, dtype=m.uint8)), RuntimeError,
     "cannot do hardtanh on an unsigned type with negative limits"),
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
    ("amax_empty_dim_as_given", lambda m: m.zeros(0, 3).amax((1, -2)), IndexError,
     "amax(): Expected reduction dim -2 to have non-zero size."),
    ("amin_empty_dim_as_given", lambda m: m.zeros(0, 3).amin(-2), IndexError,
     "amin(): Expected reduction dim -2 to have non-zero size."),
    ("max_empty_dim_normalised", lambda m: m.zeros(0, 3).max(-2), IndexError,
     "max(): Expected reduction dim 0 to have non-zero size."),
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
    ("roll_of_empty_ignores_dims", lambda m: m.zeros(0, 3).roll(1, 5), (0, 3)),
    ("aminmax_empty_other_dim", lambda m: m.zeros(5, 0, 5).aminmax(dim=0), [(0, 5), (0, 5)]),
    ("reshape_infers_with_zero_elements", lambda m: m.zeros(0).reshape(2, -1), (2, 0)),
    ("narrow_start_int_tensor", lambda m: m.arange(20.0).reshape(4, 5).narrow(
        1, m.tensor(-2), 2), (4, 2)),
    ("cat_skips_legacy_empty", lambda m: m.cat([m.zeros(0), m.ones(2, 3)], 1), (2, 3)),
    ("cat_skips_legacy_empty_last", lambda m: m.cat([m.ones(2, 3), m.zeros(0)], -1), (2, 3)),
    ("cat_legacy_empty_in_dtype", lambda m: m.cat([m.zeros(0, dtype=m.float64),
                                                   m.ones(2, 3)], 1), (2, 3)),
    ("cat_only_legacy_empties", lambda m: m.cat([m.zeros(0), m.zeros(0)], 1), (0,)),
    ("eye_empty", lambda m: m.eye(2, 0), (2, 0)),
    ("maximum_of_a_0d_tensor", lambda m: m.maximum(m.tensor([1, 2]), m.tensor(1.5)), (2,)),
    ("isclose_integers", lambda m: m.isclose(m.tensor([100, 5]), m.tensor([101, 6]), rtol=0.01,
                                             atol=0), (2,)),
    ("number_to_negative_tensor_powers", lambda m: 6 ** m.tensor([-3, -1, 0, 2]), (4,)),
    ("minus_one_to_negative_tensor_powers", lambda m: (-1) ** m.tensor([-3, -2, 0, 3]), (4,)),
    ("integers_to_negative_tensor_powers", lambda m: m.tensor([-3, -1, 0, 1, 2]).pow(
        m.tensor([-1, -3, -2, -5, -1])), (5,)),
    ("int8_base_to_0d_negative_power", lambda m: m.tensor([-1, 2], dtype=m.int8)
     ** m.tensor(-1), (2,)),
    ("uint8_to_int8_negative_powers", lambda m: m.tensor([1, 2, 3], dtype=m.uint8)
     ** m.tensor([-1], dtype=m.int8), (3,)),
    ("number_to_tensor_power_function", lambda m: m.pow(2, m.tensor([1, 2])), (2,)),
    ("split_size_zero_of_an_empty_dim", lambda m: m.ones(0, 3).split(0, 0), [(0, 3)]),
    ("hardtanh_of_bytes_within_zero_and_two", lambda m: m.nn.functional.hardtanh(
        m.tensor([0, 1, 3], dtype=m.uint8), 0.0, 2.0), (3,)),
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


@pytest.mark.parametrize("shape, training", [((2, 3, 4, 5), True), ((2, 3, 4, 5), False),
                                             ((2, 3, 2, 2, 2), True), ((0,), True),
                                             ((0, 3, 2), False), ((2, 3, 0, 2), True)])
def test_batch_norm_of_n_c_star_and_empty_inputs_like_pytorch(shape, training):
    """(N, C, *) inputs normalise per channel over N and every trailing dim (they were
    refused beyond 3 dims); an input without elements comes back as a copy, statistics
    untouched. Gradients by finite differences in float64; values, running statistics and
    gradients against PyTorch when it is installed."""
    channels = shape[1] if len(shape) > 1 else 0
    x = tg.randn(*shape, dtype=tg.float64, requires_grad=True)
    weight = tg.randn(channels, dtype=tg.float64, requires_grad=True) if channels else None
    bias = tg.randn(channels, dtype=tg.float64, requires_grad=True) if channels else None
    mean, var = tg.randn(channels, dtype=tg.float64), tg.rand(channels, dtype=tg.float64) + 0.5

    def ours(x, weight, bias, mean=mean.clone(), var=var.clone()):
        return tg.nn.functional.batch_norm(x, mean, var, weight, bias, training=training,
                                           momentum=0.3, eps=0.5)

    leaves = (x, weight, bias) if channels else (x, None, None)
    if x.numel():
        assert tg.autograd.gradcheck(ours, leaves)
    torch = pytest.importorskip("torch")
    as_torch = [None if t is None else torch.tensor(t.detach().numpy(), requires_grad=True)
                for t in leaves]
    their_mean, their_var = (torch.tensor(t.numpy()) for t in (mean, var))
    our_mean, our_var = mean.clone(), var.clone()
    theirs = torch.nn.functional.batch_norm(as_torch[0], their_mean, their_var, *as_torch[1:],
                                            training=training, momentum=0.3, eps=0.5)
    ours_out = tg.nn.functional.batch_norm(x, our_mean, our_var, weight, bias,
                                           training=training, momentum=0.3, eps=0.5)
    np.testing.assert_allclose(ours_out.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(our_mean.numpy(), their_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(our_var.numpy(), their_var.numpy(), atol=1e-12)
    theirs.sum().backward()
    ours_out.sum().backward()
    for our_leaf, their_leaf in zip(leaves, as_torch):
        if our_leaf is not None and their_leaf.grad is not None:
            np.testing.assert_allclose(our_leaf.grad.numpy(), their_leaf.grad.numpy(),
                                       atol=1e-10)


# PyTorch's message, then the indexed shape tinygrad_bn adds (its errors name the bad value).
PREFIXED = [
    ("too_many_indices", lambda m: m.ones(2, 3)[0, 0, 0], IndexError,
     "too many indices for tensor of dimension 2"),
    ("index_a_0d_tensor", lambda m: m.tensor(1.0)[0], IndexError,
     "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in "
     "C++ to convert a 0-dim tensor to a number"),
    ("index_out_of_range", lambda m: m.ones(2, 3)[:, -4], IndexError,
     "index -4 is out of bounds for dimension 1 with size 3"),
]


@pytest.mark.parametrize("name, call, error, message", PREFIXED, ids=_ids(PREFIXED))
def test_error_message_starts_as_pytorchs(name, call, error, message):
    with pytest.raises(error) as raised:
        call(tg)
    assert str(raised.value).startswith(message + " (indexing a tensor of shape ")
    torch = pytest.importorskip("torch")
    with pytest.raises(error) as raised:
        call(torch)
    assert str(raised.value).split("\n")[0] == message
