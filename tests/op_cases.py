"""The table of differentiable ops the gradient tests run over.

Each case is ``(name, fn, shapes, domain)``: ``fn(lib, *tensors)`` is written against the
PyTorch API so that the same line runs with ``lib = tinygrad_bn`` and, when it is installed,
``lib = torch``; ``shapes`` are the input shapes; ``domain`` picks input values:

- ``"any"``: magnitudes in [0.5, 1.5] with random signs, so no value sits on a kink (relu, abs,
  clamp at +-1 excepted by construction) and ties are impossible;
- ``"positive"``: values in [0.5, 2.0], for log, sqrt, division and powers.
"""

import numpy as np

CASES = [
    # arithmetic, with broadcasting on either side and Python scalars on either side
    ("add", lambda lib, a, b: a + b, [(3, 4), (3, 4)], "any"),
    ("add_broadcast_right", lambda lib, a, b: a + b, [(3, 4), (4,)], "any"),
    ("add_broadcast_left", lambda lib, a, b: a + b, [(4,), (2, 3, 4)], "any"),
    ("add_broadcast_both", lambda lib, a, b: a + b, [(3, 1), (1, 4)], "any"),
    ("add_scalar", lambda lib, a: a + 2.5, [(3,)], "any"),
    ("radd_scalar", lambda lib, a: 2.5 + a, [(3,)], "any"),
    ("sub", lambda lib, a, b: a - b, [(2, 3), (2, 1)], "any"),
    ("rsub_scalar", lambda lib, a: 1.5 - a, [(2, 3)], "any"),
    ("mul", lambda lib, a, b: a * b, [(2, 3), (3,)], "any"),
    ("mul_same_tensor", lambda lib, a: a * a, [(4,)], "any"),
    ("rmul_scalar", lambda lib, a: 3.0 * a, [(2, 2)], "any"),
    ("div", lambda lib, a, b: a / b, [(2, 3), (2, 3)], "positive"),
    ("div_broadcast", lambda lib, a, b: a / b, [(2, 3), (1, 3)], "positive"),
    ("rdiv_scalar", lambda lib, a: 2.0 / a, [(3,)], "positive"),
    ("pow_scalar", lambda lib, a: a**3, [(2, 3)], "any"),
    ("pow_fractional", lambda lib, a: a**0.5, [(2, 3)], "positive"),
    ("pow_tensor", lambda lib, a, b: a**b, [(2, 3), (2, 3)], "positive"),
    ("rpow_scalar", lambda lib, a: 2.0**a, [(3,)], "any"),
    ("neg", lambda lib, a: -a, [(2, 3)], "any"),
    # matrix products
    ("matmul_2d", lambda lib, a, b: a @ b, [(3, 4), (4, 2)], "any"),
    ("matmul_1d_1d", lambda lib, a, b: a @ b, [(4,), (4,)], "any"),
    ("matmul_1d_2d", lambda lib, a, b: a @ b, [(4,), (4, 3)], "any"),
    ("matmul_2d_1d", lambda lib, a, b: a @ b, [(3, 4), (4,)], "any"),
    ("matmul_batched", lambda lib, a, b: a.matmul(b), [(2, 3, 4), (2, 4, 2)], "any"),
    ("matmul_batch_broadcast", lambda lib, a, b: a @ b, [(3, 4), (2, 4, 2)], "any"),
    ("matmul_batch_broadcast_1", lambda lib, a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], "any"),
    ("matmul_1d_batched", lambda lib, a, b: a @ b, [(4,), (2, 4, 3)], "any"),
    ("matmul_batched_1d", lambda lib, a, b: a @ b, [(2, 3, 4), (4,)], "any"),
    # elementwise math and activations
    ("exp", lambda lib, a: a.exp(), [(2, 3)], "any"),
    ("log", lambda lib, a: a.log(), [(2, 3)], "positive"),
    ("sqrt", lambda lib, a: a.sqrt(), [(2, 3)], "positive"),
    ("tanh", lambda lib, a: a.tanh(), [(2, 3)], "any"),
    ("sigmoid", lambda lib, a: a.sigmoid(), [(2, 3)], "any"),
    ("relu", lambda lib, a: a.relu(), [(3, 4)], "any"),
    ("abs", lambda lib, a: a.abs(), [(3, 4)], "any"),
    ("clamp", lambda lib, a: a.clamp(-1.0, 1.0), [(4, 5)], "any"),
    ("clamp_min", lambda lib, a: a.clamp(min=0.0), [(4, 5)], "any"),
    ("clamp_max", lambda lib, a: a.clamp(max=0.0), [(4, 5)], "any"),
    ("sin", lambda lib, a: a.sin(), [(2, 3)], "any"),
    ("cos", lambda lib, a: lib.cos(a), [(2, 3)], "any"),
    ("log2", lambda lib, a: a.log2(), [(2, 3)], "positive"),
    ("log10", lambda lib, a: lib.log10(a), [(2, 3)], "positive"),
    ("log1p", lambda lib, a: a.log1p(), [(2, 3)], "positive"),
    ("expm1", lambda lib, a: a.expm1(), [(2, 3)], "any"),
    ("rsqrt", lambda lib, a: a.rsqrt(), [(2, 3)], "positive"),
    ("floor_ceil_round_trunc_sign",
     lambda lib, a: a * 1.5 + a.floor() + a.ceil() + (a * 3).round() + a.trunc() + a.sign(),
     [(3, 4)], "any"),
    ("clone", lambda lib, a: a.clone() * 2, [(2, 3)], "any"),
    ("contiguous_of_transpose", lambda lib, a: a.T.contiguous().view(-1), [(2, 3)], "any"),
    ("mm", lambda lib, a, b: lib.mm(a, b), [(3, 4), (4, 2)], "any"),
    ("bmm", lambda lib, a, b: a.bmm(b), [(2, 3, 4), (2, 4, 2)], "any"),
    ("max_of_two_tensors", lambda lib, a, b: lib.max(a, b), [(3, 4), (3, 4)], "any"),
    ("erf", lambda lib, a: a.erf(), [(2, 3)], "any"),
    ("leaky_relu", lambda lib, a: lib.nn.functional.leaky_relu(a, 0.2), [(3, 4)], "any"),
    ("relu6", lambda lib, a: lib.nn.functional.relu6(a * 5), [(3, 4)], "any"),
    ("hardtanh", lambda lib, a: lib.nn.functional.hardtanh(a * 1.3, -1.0, 1.0), [(3, 4)], "any"),
    ("elu", lambda lib, a: lib.nn.functional.elu(a, alpha=0.7), [(3, 4)], "any"),
    ("gelu", lambda lib, a: lib.nn.functional.gelu(a), [(3, 4)], "any"),
    ("gelu_tanh", lambda lib, a: lib.nn.functional.gelu(a, approximate="tanh"), [(3, 4)], "any"),
    ("silu", lambda lib, a: lib.nn.functional.silu(a), [(3, 4)], "any"),
    ("softplus", lambda lib, a: lib.nn.functional.softplus(a * 10, beta=2.0, threshold=15.0),
     [(3, 4)], "any"),
    ("embedding", lambda lib, w: lib.nn.functional.embedding(lib.tensor([[0, 2], [2, 3]]), w),
     [(4, 3)], "any"),
    ("l1_loss", lambda lib, a, b: lib.nn.functional.l1_loss(a, b), [(3, 4), (3, 4)], "any"),
    ("smooth_l1_loss", lambda lib, a, b: lib.nn.functional.smooth_l1_loss(a, b, beta=0.5),
     [(3, 4), (3, 4)], "any"),
    ("huber_loss_sum", lambda lib, a, b: lib.nn.functional.huber_loss(a, b, "sum", delta=0.7),
     [(3, 4), (3, 4)], "any"),
    ("binary_cross_entropy", lambda lib, a, b: lib.nn.functional.binary_cross_entropy(
        a.sigmoid(), b.sigmoid()), [(3, 4), (3, 4)], "any"),
    ("bce_with_logits_pos_weight", lambda lib, a, b: lib.nn.functional.
     binary_cross_entropy_with_logits(a, b.sigmoid(), pos_weight=lib.tensor([1.0, 2.0, 0.5, 3.0],
                                                                           dtype=a.dtype)),
     [(3, 4), (3, 4)], "any"),
    ("kl_div_batchmean", lambda lib, a, b: lib.nn.functional.kl_div(
        a.log_softmax(1), b.softmax(1), reduction="batchmean"), [(3, 4), (3, 4)], "any"),
    ("kl_div_log_target", lambda lib, a, b: lib.nn.functional.kl_div(
        a.log_softmax(1), b.log_softmax(1), reduction="none", log_target=True), [(3, 4), (3, 4)],
     "any"),
    ("flip", lambda lib, a: a.flip(0, 2), [(2, 3, 4)], "any"),
    ("repeat", lambda lib, a: a.repeat(2, 1, 3), [(3, 2)], "any"),
    ("split_chunk", lambda lib, a: a.split([1, 3], dim=1)[1] * a.chunk(2, dim=1)[0].sum(),
     [(2, 4)], "any"),
    ("tril_triu", lambda lib, a: a.tril() + a.triu(1) * 2 + a.tril(-1) * 3, [(4, 4)], "any"),
    ("cumsum", lambda lib, a: a.cumsum(dim=1), [(3, 4)], "any"),
    ("prod_all", lambda lib, a: a.prod(), [(2, 3)], "any"),
    ("prod_dim_keepdim", lambda lib, a: a.prod(1, keepdim=True), [(3, 4)], "any"),
    ("gather", lambda lib, a: a.gather(1, lib.tensor([[0, 0, 3], [2, 1, 1], [3, 3, 3]])),
     [(3, 4)], "any"),
    ("scatter_add", lambda lib, a, b: a.scatter_add(0, lib.tensor([[0, 1, 0, 2], [0, 0, 1, 1]]),
                                                    b), [(3, 4), (2, 4)], "any"),
    ("scatter", lambda lib, a, b: a.scatter(1, lib.tensor([[2, 0], [1, 3], [0, 1]]), b),
     [(3, 4), (3, 2)], "any"),
    ("sort_values", lambda lib, a: a.sort(dim=1, descending=True).values, [(3, 4)], "any"),
    ("topk_values", lambda lib, a: a.topk(2, dim=0).values, [(4, 3)], "any"),
    ("div_rounding_modes", lambda lib, a, b: a * 2 + lib.div(a * 3, b, rounding_mode="floor")
     + a.div(b * 5, rounding_mode="trunc"), [(3, 4), (3, 4)], "positive"),
    ("remainder", lambda lib, a, b: lib.remainder(a * 3, b) + (a * 5) % 1.5, [(3, 4), (3, 4)],
     "positive"),
    ("fmod", lambda lib, a, b: lib.fmod(a * 3, b), [(3, 4), (3, 4)], "positive"),
    ("clamp_tensor_bounds", lambda lib, a, lo, hi: a.clamp(min=lo * 0.5, max=hi.abs() + 0.5),
     [(3, 4), (3, 4), (4,)], "any"),
    ("maximum", lambda lib, a, b: lib.maximum(a, b), [(3, 4), (3, 4)], "any"),
    ("maximum_broadcast", lambda lib, a, b: lib.maximum(a, b), [(3, 4), (4,)], "any"),
    ("minimum", lambda lib, a, b: lib.minimum(a, b), [(3, 4), (3, 1)], "any"),
    # reductions, over all dims, one dim, a tuple of dims, with and without keepdim
    ("sum_all", lambda lib, a: a.sum(), [(3, 4)], "any"),
    ("sum_dim", lambda lib, a: a.sum(dim=1), [(3, 4)], "any"),
    ("sum_negative_dim_keepdim", lambda lib, a: a.sum(dim=-1, keepdim=True), [(3, 4)], "any"),
    ("sum_tuple_dim", lambda lib, a: a.sum(dim=(0, 2)), [(2, 3, 4)], "any"),
    ("sum_tuple_dim_keepdim", lambda lib, a: a.sum(dim=(0, 2), keepdim=True), [(2, 3, 4)], "any"),
    ("mean_all", lambda lib, a: a.mean(), [(3, 4)], "any"),
    ("mean_dim", lambda lib, a: a.mean(dim=0), [(3, 4)], "any"),
    ("mean_tuple_keepdim", lambda lib, a: a.mean(dim=(1, 2), keepdim=True), [(2, 3, 4)], "any"),
    ("var_all", lambda lib, a: a.var(), [(3, 4)], "any"),
    ("var_dim_biased", lambda lib, a: a.var(dim=0, unbiased=False), [(5, 3)], "any"),
    ("var_correction_keepdim", lambda lib, a: a.var(dim=1, keepdim=True, correction=0), [(3, 4)],
     "any"),
    ("var_tuple_dim", lambda lib, a: a.var(dim=(0, 2)), [(2, 3, 4)], "any"),
    ("std_all", lambda lib, a: a.std(), [(3, 4)], "any"),
    ("std_dim_keepdim", lambda lib, a: a.std(dim=0, keepdim=True), [(4, 3)], "any"),
    ("max_all", lambda lib, a: a.max(), [(3, 4)], "any"),
    ("max_dim", lambda lib, a: a.max(dim=1)[0], [(3, 4)], "any"),
    ("max_dim_keepdim", lambda lib, a: a.max(dim=0, keepdim=True).values, [(3, 4)], "any"),
    ("min_all", lambda lib, a: a.min(), [(3, 4)], "any"),
    ("min_dim", lambda lib, a: a.min(dim=-1).values, [(2, 3, 4)], "any"),
    ("amax_tuple", lambda lib, a: a.amax(dim=(0, 2)), [(2, 3, 4)], "any"),
    ("amin_tuple_keepdim", lambda lib, a: a.amin(dim=(1, 2), keepdim=True), [(2, 3, 4)], "any"),
    ("logsumexp_dim", lambda lib, a: a.logsumexp(dim=1), [(3, 4)], "any"),
    ("logsumexp_tuple_keepdim", lambda lib, a: a.logsumexp(dim=(0, 1), keepdim=True), [(2, 3, 4)],
     "any"),
    ("softmax", lambda lib, a: a.softmax(dim=1), [(3, 4)], "any"),
    ("softmax_dim0", lambda lib, a: a.softmax(dim=0), [(3, 4)], "any"),
    ("log_softmax", lambda lib, a: a.log_softmax(dim=-1), [(3, 4)], "any"),
    ("log_softmax_3d", lambda lib, a: a.log_softmax(dim=1), [(2, 3, 4)], "any"),
    # shape changes and indexing
    ("reshape", lambda lib, a: a.reshape(4, 3), [(3, 4)], "any"),
    ("reshape_infer", lambda lib, a: a.reshape(-1, 2), [(3, 4)], "any"),
    ("view", lambda lib, a: a.view(2, 6), [(3, 4)], "any"),
    ("transpose", lambda lib, a: a.transpose(0, 2), [(2, 3, 4)], "any"),
    ("T", lambda lib, a: a.T, [(3, 4)], "any"),
    ("permute", lambda lib, a: a.permute(2, 0, 1), [(2, 3, 4)], "any"),
    ("squeeze_all", lambda lib, a: a.squeeze(), [(1, 3, 1)], "any"),
    ("squeeze_dim", lambda lib, a: a.squeeze(0), [(1, 3, 1)], "any"),
    ("unsqueeze", lambda lib, a: a.unsqueeze(1), [(3, 4)], "any"),
    ("unsqueeze_negative", lambda lib, a: a.unsqueeze(-1), [(3, 4)], "any"),
    ("flatten", lambda lib, a: a.flatten(), [(2, 3, 4)], "any"),
    ("flatten_range", lambda lib, a: a.flatten(1), [(2, 3, 4)], "any"),
    ("expand", lambda lib, a: a.expand(3, 4), [(3, 1)], "any"),
    ("expand_new_dims", lambda lib, a: a.expand(2, 3, -1), [(4,)], "any"),
    ("getitem_int", lambda lib, a: a[1], [(3, 4)], "any"),
    ("getitem_negative_int", lambda lib, a: a[-1, 2], [(3, 4)], "any"),
    ("getitem_slice", lambda lib, a: a[1:, ::2], [(3, 4)], "any"),
    ("getitem_none_ellipsis", lambda lib, a: a[None, ..., 1], [(3, 4)], "any"),
    ("getitem_int_array_repeats", lambda lib, a: a[[0, 2, 0, 0]], [(3, 4)], "any"),
    ("getitem_two_int_arrays", lambda lib, a: a[[0, 2, 2], [1, 1, 3]], [(3, 4)], "any"),
    ("getitem_bool_mask", lambda lib, a: a[a.detach() > 0], [(3, 4)], "any"),
    ("getitem_mixed", lambda lib, a: a[1:, [0, 0, 3]], [(3, 4)], "any"),
    ("cat", lambda lib, a, b: lib.cat([a, b], dim=0), [(2, 3), (1, 3)], "any"),
    ("cat_dim1_same_tensor", lambda lib, a, b: lib.cat([a, b, a], dim=1), [(2, 3), (2, 2)], "any"),
    ("stack", lambda lib, a, b: lib.stack([a, b]), [(2, 3), (2, 3)], "any"),
    ("stack_last", lambda lib, a, b: lib.stack([a, b], dim=-1), [(2, 3), (2, 3)], "any"),
    ("where", lambda lib, a, b: lib.where(a.detach() > 0, a, b), [(3, 4), (3, 4)], "any"),
    ("where_broadcast", lambda lib, a, b: lib.where(a.detach() > 0, a, b), [(3, 4), (4,)], "any"),
    ("where_scalar", lambda lib, a: lib.where(a.detach() > 0, a, 0.0), [(3, 4)], "any"),
    # in-place ops recorded in the graph (the tensor's grad_fn is rebased onto the write)
    ("iadd", lambda lib, a, b: _inplace(a, lambda y: y.__iadd__(b)), [(3, 4), (4,)], "any"),
    ("sub_alpha_", lambda lib, a, b: _inplace(a, lambda y: y.sub_(b, alpha=2.0)), [(3, 4), (3, 4)],
     "any"),
    ("imul", lambda lib, a, b: _inplace(a, lambda y: y.__imul__(b)), [(3, 4), (3, 1)], "any"),
    ("idiv", lambda lib, a, b: _inplace(a, lambda y: y.__itruediv__(b)), [(3, 4), (4,)],
     "positive"),
    ("pow_", lambda lib, a: _inplace(a, lambda y: y.pow_(3)), [(3, 4)], "any"),
    ("mul_then_exp_", lambda lib, a, b: _inplace(a, lambda y: y.mul_(b).exp_()), [(3, 4), (3, 4)],
     "any"),
    ("log_", lambda lib, a: _inplace(a, lambda y: y.log_()), [(3, 4)], "positive"),
    ("sqrt_", lambda lib, a: _inplace(a, lambda y: y.sqrt_()), [(3, 4)], "positive"),
    ("abs_", lambda lib, a: _inplace(a, lambda y: y.abs_()), [(3, 4)], "any"),
    ("tanh_", lambda lib, a: _inplace(a, lambda y: y.tanh_()), [(3, 4)], "any"),
    ("sigmoid_", lambda lib, a: _inplace(a, lambda y: y.sigmoid_()), [(3, 4)], "any"),
    ("relu_", lambda lib, a: _inplace(a, lambda y: y.relu_()), [(3, 4)], "any"),
    ("clamp_", lambda lib, a: _inplace(a, lambda y: y.clamp_(-1.0, 1.0)), [(4, 5)], "any"),
    ("neg_zero_fill_", lambda lib, a, b: _inplace(a, lambda y: y.neg_().mul_(b)[0].zero_()),
     [(3, 4), (3, 4)], "any"),
    ("copy_", lambda lib, a, b: _inplace(a, lambda y: y.copy_(b)), [(3, 4), (4,)], "any"),
    ("masked_fill_", lambda lib, a: _inplace(a, lambda y: y.masked_fill_(a.detach() > 0, 0.5)),
     [(3, 4)], "any"),
    ("setitem_row", lambda lib, a, b: _inplace(a, lambda y: y.__setitem__(1, b)), [(3, 4), (4,)],
     "any"),
    ("setitem_mask", lambda lib, a, b: _inplace(a, lambda y: y.__setitem__(a.detach() > 0, b)),
     [(3, 4), ()], "any"),
    ("setitem_int_array", lambda lib, a, b: _inplace(a, lambda y: y.__setitem__(([0, 2], [1, 3]), b)),
     [(3, 4), (2,)], "any"),
    ("mul_through_view", lambda lib, a, b: _inplace(a, lambda y: y[1:, ::2].mul_(b)),
     [(3, 4), (2, 2)], "any"),
    ("add_through_transposed_view", lambda lib, a, b: _inplace(a, lambda y: y.T[0].add_(b)),
     [(3, 4), (3,)], "any"),
    ("view_used_after_write", lambda lib, a: _view_used_after_write(a), [(3, 4)], "any"),
    # a composite: the ops above chained, as a real model uses them
    ("mlp_step", lambda lib, x, w, b: ((x @ w + b).relu() ** 2).mean(dim=0).sum(),
     [(4, 3), (3, 5), (5,)], "any"),
]


def _inplace(a, write):
    """``write`` applied in place to a non-leaf copy of ``a``; the copy (rebased) is returned."""
    y = a * 1.0
    write(y)
    return y


def _view_used_after_write(a):
    """A view written in place, then its base and the view both used: both carry the write."""
    y = a * 1.0
    row = y[0]
    row.mul_(3.0)
    return y.sum(dim=0) * row


def make_inputs(shapes, domain, dtype, seed=0):
    """Deterministic input arrays for one case (see the module docstring for the domains)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        if domain == "positive":
            values = rng.uniform(0.5, 2.0, shape)
        else:
            values = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
        arrays.append(np.asarray(values, dtype=dtype))
    return arrays
