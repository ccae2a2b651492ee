"""``scaled_dot_product_attention``, the core of every Transformer layer, built from existing ops
(matmul, masked_fill, where, softmax, dropout) so that its graph shows each step and its
gradient is what autograd derives from them; and ``multi_head_attention_forward``, the whole of
``nn.MultiheadAttention``'s computation on given weights. ``nn.functional`` exports both.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from ..autocast_state import lower_precision_op
from ..ops.random import Dropout
from ..printing import Size
from ..shapes import broadcast_error, normalize_dim
from ..tensor import Tensor, cat, constant_tensor, in_opmath, qualified_type_name, where
from .functional_padding import pad


@lower_precision_op
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """``softmax(query @ key^T * scale + bias) @ value``, PyTorch's semantics.

    Shapes: ``query`` ``(..., L, E)``, ``key`` ``(..., S, E)``, ``value`` ``(..., S, Ev)``;
    the leading dims broadcast, as in ``matmul``, and the result is ``(..., L, Ev)``.
    ``scale`` defaults to ``1 / sqrt(E)``.

    - ``attn_mask`` broadcasts to the scores ``(..., L, S)`` (it may not enlarge them): a bool
      mask says which keys each query may attend to (False: ``-inf`` before the softmax); a
      float mask (float32, or the query's dtype) is added to the scores.
    - ``is_causal=True`` lets query ``i`` attend to keys ``j <= i`` (``ones(L, S).tril()``,
      aligned top-left as PyTorch's). With ``attn_mask`` too, PyTorch's CPU kernel for 4-D
      inputs without dropout applies both; on its other path (dropout, other ranks, differing
      head or batch sizes) it raises, and so does this function, with its message.
    - A row with nothing to attend to (every key masked) gives zeros and a zero gradient, as
      PyTorch's (its ``_safe_softmax``), not NaN.
    - ``dropout_p`` zeroes attention weights after the softmax, always (the function has no
      ``training`` flag: ``nn.MultiheadAttention`` passes 0 in eval mode), drawing from
      tinygrad_bn's generator, so the mask differs from PyTorch's for the same seed.
    - ``enable_gqa=True`` (grouped-query attention): the heads (dim -3) of ``key`` and
      ``value`` must divide the query's, and each is repeated for its group of query heads.

    float16 is computed in float32 and rounded once, as PyTorch's CPU kernel accumulates it.
    Built from existing ops (matmul, masked_fill, where, softmax, dropout), so the gradient is
    what autograd derives from them.
    """
    for position, (name, tensor) in enumerate((("query", query), ("key", key),
                                               ("value", value)), start=1):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' (position "
                            f"{position}) must be Tensor, not {qualified_type_name(tensor)}")
    if attn_mask is not None and not isinstance(attn_mask, Tensor):
        raise TypeError("scaled_dot_product_attention(): argument 'attn_mask' must be Tensor, "
                        f"not {qualified_type_name(attn_mask)}")
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise RuntimeError(
            "Expected query, key, and value to all be  at least 2 dimensional, but got "
            f"query.dim: {query.ndim} key.dim: {key.ndim} and value.dim: {value.ndim} instead.")
    dtype = query._array.dtype
    if key._array.dtype != dtype or value._array.dtype != dtype:
        raise RuntimeError(
            "Expected query, key, and value to have the same dtype, but got query.dtype: "
            f"{dtypes.cpp_type_name(dtype)} key.dtype: {dtypes.cpp_type_name(key.dtype)} and "
            f"value.dtype: {dtypes.cpp_type_name(value.dtype)} instead.")
    if attn_mask is not None and attn_mask._array.dtype not in (dtypes.bool, dtypes.float32,
                                                                dtype):
        raise RuntimeError(
            "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
            f"attn_mask.dtype: {dtypes.cpp_type_name(attn_mask.dtype)} and  query.dtype: "
            f"{dtypes.cpp_type_name(dtype)} instead.")
    if not dtypes.is_floating(dtype):
        raise RuntimeError(f"expected scalar type Float but found "
                           f"{dtypes.scalar_type_name(dtype)}")
    fused_path = _fused_kernel_applies(query, key, value, dropout_p, enable_gqa)
    if fused_path and dropout_p < 0:
        raise RuntimeError("scaled_dot_product_attention_flash_attention: Currently do not "
                           "support dropout > 0")
    if not dropout_p <= 1:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if is_causal and attn_mask is not None and not fused_path:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3 and value.ndim >= 3:
        heads = query._array.shape[-3]
        if heads % key._array.shape[-3] or heads % value._array.shape[-3]:
            raise RuntimeError("Number of heads in key and value must divide the number of "
                               "heads in ")  # sic: PyTorch's message ends there
        key = key.repeat_interleave(heads // key._array.shape[-3], dim=-3)
        value = value.repeat_interleave(heads // value._array.shape[-3], dim=-3)
    scores = _scores_shape(query, key)
    if attn_mask is not None:
        _check_mask_shape(attn_mask, scores)
    return in_opmath(_attention, query, key, value, attn_mask=attn_mask,
                     dropout_p=max(dropout_p, 0.0), is_causal=is_causal,
                     scale=1 / math.sqrt(query._array.shape[-1]) if scale is None else scale,
                     fused_order=fused_path, half=dtype is dtypes.float16)


def _fused_kernel_applies(query, key, value, dropout_p, enable_gqa):
    """Whether PyTorch's CPU dispatcher picks its fused (flash) kernel rather than its composite
    one: the two differ in which arguments they accept (a mask with ``is_causal``, a negative
    ``dropout_p``). Its conditions: 4-D inputs of one batch size and head size, the same number
    of heads (or a divisor of the query's with ``enable_gqa``), no empty sequence, no dropout."""
    shapes = (query._array.shape, key._array.shape, value._array.shape)
    if any(len(shape) != 4 for shape in shapes) or dropout_p > 0:
        return False
    (batch, heads, length, head_size), (_, key_heads, source, _), _ = shapes
    if any(shape[0] != batch or shape[3] != head_size for shape in shapes):
        return False
    if enable_gqa:
        if heads % key_heads or heads % shapes[2][1]:
            return False
    elif key_heads != heads or shapes[2][1] != heads:
        return False
    return length > 0 and source > 0


def _scores_shape(query, key):
    """The shape of ``query @ key^T``, ``(..., L, S)``, with PyTorch's message when the leading
    dims do not broadcast."""
    query_batch, key_batch = query._array.shape[:-2], key._array.shape[:-2]
    try:
        batch = np.broadcast_shapes(query_batch, key_batch)
    except ValueError:
        raise RuntimeError(broadcast_error(query_batch, key_batch, name_shapes=False)) from None
    return (*batch, query._array.shape[-2], key._array.shape[-2])


def _check_mask_shape(attn_mask, scores):
    """The mask must broadcast to the scores' shape without enlarging it (PyTorch adds it in
    place)."""
    if attn_mask.ndim < 2:
        normalize_dim(-2, attn_mask.ndim)  # PyTorch's IndexError, from its view of the mask
    mask = attn_mask._array.shape
    try:
        joint = np.broadcast_shapes(scores, mask)
    except ValueError:
        raise RuntimeError(broadcast_error(scores, mask, name_shapes=False)) from None
    if joint != scores:
        raise RuntimeError(f"output with shape {list(scores)} doesn't match the broadcast shape "
                           f"{list(joint)}")


def _attention(query, key, value, attn_mask, dropout_p, is_causal, scale, fused_order, half):
    """The computation, on checked arguments, in the order of PyTorch's kernel for them (the two
    round differently, by up to 1e-5 in float32 for scores near 100): its fused CPU kernel
    (``fused_order``) scales ``query @ key^T`` and adds the mask; its composite kernel scales
    ``query`` and ``key`` by ``sqrt(scale)`` each. For float16 (``half``; the arguments arrive
    widened to float32) the fused kernel rounds the exponentials ``exp(scores - max)`` to
    float16 before their product with ``value`` and divides by their unrounded sum at the end,
    which is done here too; otherwise the softmax (one fused node) comes before ``@ value``.

    A row that can attend to nothing gives zeros (PyTorch's ``_safe_softmax``). Only a mask can
    block a whole row (a causal row always sees key 0), so the check runs only with one: it
    costs a comparison, a reduction and two selections (float32 8x4x64x16 forward and
    backward: 9.1 ms with a bool causal mask, 6.5 ms with ``is_causal``, one process)."""
    if fused_order:
        scores = (query @ key.transpose(-2, -1)) * scale
    else:
        root = math.sqrt(abs(scale))
        scores = (query * math.copysign(root, scale)) @ (key.transpose(-2, -1) * root)
    allowed = None
    if is_causal:
        length, source = query._array.shape[-2], key._array.shape[-2]
        allowed = constant_tensor(np.tril(np.ones((length, source), dtype=bool)))
    if attn_mask is not None and attn_mask._array.dtype is dtypes.bool:
        allowed = attn_mask if allowed is None else allowed & attn_mask
    elif attn_mask is not None:
        scores = scores + attn_mask.to(scores.dtype)
    if allowed is not None:
        scores = scores.masked_fill(~allowed, -math.inf)
    blocked = None
    if attn_mask is not None:
        # Rows of -inf alone would give 0/0 = NaN, and NaN gradients to every input: they are
        # computed as zeros instead and their results set to 0, which stops their gradient.
        blocked = (scores == -math.inf).all(dim=-1, keepdim=True)
        scores = where(blocked, 0.0, scores)
    if fused_order and half:
        # The shift is a constant to autograd: the result does not depend on it.
        exponentials = (scores - scores.detach().amax(-1, keepdim=True)).exp()
        out = (exponentials.half().float() @ value) / exponentials.sum(-1, keepdim=True)
        return out if blocked is None else where(blocked, 0.0, out)
    weights = scores.softmax(-1)
    if blocked is not None:
        weights = where(blocked, 0.0, weights)
    if dropout_p > 0:
        weights = Dropout.apply(weights, p=dropout_p)
    return weights @ value


def multi_head_attention_forward(
        query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
        bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
        out_proj_bias: Tensor | None, training: bool = True,
        key_padding_mask: Tensor | None = None, need_weights: bool = True,
        attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
        q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
        v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
        static_v: Tensor | None = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
    """Multi-head attention on the given weights (what ``nn.MultiheadAttention.forward``
    calls), PyTorch's ``F.multi_head_attention_forward`` step by step.

    Shapes: ``query`` ``(L, N, E)``, ``key`` ``(S, N, kdim)``, ``value`` ``(S, N, vdim)`` (the
    sequence dim first), or unbatched ``(L, E)``, ``(S, kdim)``, ``(S, vdim)``. Returns
    ``(output, weights)``: output like the query after ``out_proj_weight`` ``(E, E)``; weights
    ``(N, L, S)`` averaged over the heads (``(N, num_heads, L, S)`` with
    ``average_attn_weights=False``), or None with ``need_weights=False``.

    The projections: ``in_proj_weight`` ``(3E, E)`` and ``in_proj_bias`` ``(3E,)``, or with
    ``use_separate_proj_weight`` the three ``q/k/v_proj_weight``. ``bias_k``/``bias_v``
    ``(1, 1, E)`` append one key/value position, ``add_zero_attn`` one of zeros;
    ``static_k``/``static_v`` ``(N * num_heads, S, E / num_heads)`` replace the projected
    keys/values. Masks as in ``nn.MultiheadAttention`` (bool True: may NOT attend).
    ``dropout_p`` applies to the attention weights only when ``training``.
    """
    from . import functional as F  # nn.functional imports this module: looked up at call time
    embed_dim_expected = embed_dim_to_check
    is_batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not is_batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    target_length, batch, embed_dim = query.shape
    source_length = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       None if attn_mask is None else attn_mask.dtype,
                                       "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # scaled_dot_product_attention's is_causal does the masking
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if key_padding_mask is not None:
            is_causal = False  # the merged mask is no longer causal
    if embed_dim != embed_dim_expected:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_expected}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {Size(key.shape[:2])} do not "
                                 f"match value's {Size(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {Size(key.shape)} does not match value shape "
                             f"{Size(value.shape)}")
    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        separate = None
    else:
        for name, weight in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if weight is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate)
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (target_length, source_length):
                raise RuntimeError(f"The shape of the 2D attn_mask is {Size(attn_mask.shape)}, but "
                                   f"should be {(target_length, source_length)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            expected = (batch * num_heads, target_length, source_length)
            if tuple(attn_mask.shape) != expected:
                raise RuntimeError(f"The shape of the 3D attn_mask is {Size(attn_mask.shape)}, but "
                                   f"should be {expected}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, batch, 1)])
        v = cat([v, bias_v.repeat(1, batch, 1)])
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError()
    q = q.reshape(target_length, batch * num_heads, head_dim).transpose(0, 1)
    k, v = (_static(projected, static, name, batch * num_heads, head_dim)
            for projected, static, name in ((k, static_k, "static_k"), (v, static_v, "static_v")))
    if add_zero_attn:
        zeros = constant_tensor(np.zeros((batch * num_heads, 1, head_dim), dtype=q.dtype))
        k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
        attn_mask = None if attn_mask is None else pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else pad(key_padding_mask, (0, 1))
    source_length = k.shape[1]
    if key_padding_mask is not None:
        for position, expected in enumerate((batch, source_length)):
            if key_padding_mask.shape[position] != expected:
                raise AssertionError(f"Expected key_padded_mask.shape[{position}] to be "
                                     f"{expected}, but got {key_padding_mask.shape[position]}")
        key_padding_mask = key_padding_mask.reshape(batch, 1, 1, source_length).expand(
            -1, num_heads, -1, -1).reshape(batch * num_heads, 1, source_length)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0
    if need_weights:
        scaled = q * math.sqrt(1.0 / float(head_dim))
        # PyTorch's baddbmm(attn_mask, q, k^T): float16 rounded once, after the sum
        scores = in_opmath(_masked_scores, scaled, k.transpose(-2, -1), attn_mask)
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        output = (weights @ v).transpose(0, 1).reshape(target_length * batch, embed_dim)
        output = F.linear(output, out_proj_weight, out_proj_bias)
        output = output.reshape(target_length, batch, embed_dim)
        weights = weights.reshape(batch, num_heads, target_length, source_length)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not is_batched:
            output, weights = output.squeeze(1), weights.squeeze(0)
        return output, weights
    if attn_mask is not None:
        if attn_mask.shape[0] == 1 and attn_mask.ndim == 3:
            attn_mask = attn_mask.unsqueeze(0)
        else:
            attn_mask = attn_mask.reshape(batch, num_heads, -1, source_length)
    q = q.reshape(batch, num_heads, target_length, head_dim)
    k = k.reshape(batch, num_heads, source_length, head_dim)
    v = v.reshape(batch, num_heads, source_length, head_dim)
    output = scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    output = output.permute(2, 0, 1, 3).reshape(batch * target_length, embed_dim)
    output = F.linear(output, out_proj_weight, out_proj_bias)
    output = output.reshape(target_length, batch, embed_dim)
    if not is_batched:
        output = output.squeeze(1)
    return output, None


def _masked_scores(scaled_query, key_transposed, attn_mask):
    """``attn_mask + scaled_query @ key_transposed`` (without a mask, the product)."""
    scores = scaled_query @ key_transposed
    return scores if attn_mask is None else attn_mask + scores


def _static(projected, static, name, heads, head_dim):
    """The keys (values) per head ``(N * num_heads, S, head_dim)``: the projected ones, or
    ``static_k`` (``static_v``) after PyTorch's size checks."""
    if static is None:
        return projected.reshape(projected.shape[0], heads, head_dim).transpose(0, 1)
    if static.shape[0] != heads:
        raise AssertionError(f"expecting {name}.size(0) of {heads}, but got {static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got "
                             f"{static.shape[2]}")
    return static


def _canonical_mask(mask, mask_name, other_type, other_name, target_type, check_other=True):
    """A bool mask as a float one (``-inf`` where True, 0 elsewhere) in ``target_type``; a
    float mask as it is (PyTorch's ``F._canonical_mask``)."""
    if mask is None:
        return None
    if mask.dtype != dtypes.bool and not dtypes.is_floating(mask.dtype):
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. Use "
                      "same type for both instead.", UserWarning, stacklevel=2)
    if mask.dtype == dtypes.bool:
        return where(mask, -math.inf, 0.0).to(target_type)
    return mask


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    """Whether the inputs are batched, after PyTorch's ``_mha_shape_check``."""
    if query.ndim == 3:
        if key.ndim != 3 or value.ndim != 3:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 2:
            raise AssertionError(
                "For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask.ndim not in (2, 3):
            raise AssertionError(
                "For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                f"found {attn_mask.ndim}-D tensor instead")
        return True
    if query.ndim == 2:
        if key.ndim != 2 or value.ndim != 2:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                f"{key.ndim}-D and {value.ndim}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask.ndim != 1:
            raise AssertionError(
                "For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D but "
                f"found {key_padding_mask.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask.ndim not in (2, 3):
                raise AssertionError(
                    "For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                    f"but found {attn_mask.ndim}-D tensor instead")
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.ndim == 3 and tuple(attn_mask.shape) != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{Size(attn_mask.shape)}")
        return False
    raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                         f"{query.ndim}-D query tensor")


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate_weights):
    """``q, k, v``: the inputs through the input projections. With ``separate_weights`` (``q,
    k, v`` projection weights) three ``linear``s (PyTorch's ``_in_projection``); otherwise,
    from the stacked ``in_proj_weight`` ``(3E, E)``: self-attention (one tensor) is one
    ``linear``, split after; encoder-decoder attention (key is value) two; otherwise three,
    as PyTorch's ``_in_projection_packed``."""
    from . import functional as F  # nn.functional imports this module: looked up at call time
    bias = in_proj_bias
    if separate_weights is not None:
        biases = (None,) * 3 if bias is None else bias.chunk(3)
        return tuple(F.linear(x, w, b) for x, w, b in zip((query, key, value), separate_weights,
                                                           biases))
    embed_dim = query.shape[-1]
    weight = in_proj_weight
    if key is value and query is key:
        projected = F.linear(query, weight, bias)
        return tuple(projected[..., i * embed_dim:(i + 1) * embed_dim] for i in range(3))
    if key is value:
        bias_q, bias_kv = (None, None) if bias is None else (bias[:embed_dim],
                                                             bias[embed_dim:])
        q = F.linear(query, weight[:embed_dim], bias_q)
        kv = F.linear(key, weight[embed_dim:], bias_kv)
        return q, kv[..., :embed_dim], kv[..., embed_dim:]
    biases = (None,) * 3 if bias is None else bias.chunk(3)
    return tuple(F.linear(x, w, b) for x, w, b in zip((query, key, value), weight.chunk(3),
                                                       biases))
