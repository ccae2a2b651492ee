"""``scaled_dot_product_attention``, the core of every Transformer layer, built from existing ops
(matmul, masked_fill, where, softmax, dropout) so that its graph shows each step and its
gradient is what autograd derives from them. ``nn.functional`` exports it.
"""

from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..autocast_state import lower_precision_op
from ..ops.random import Dropout
from ..shapes import broadcast_error, normalize_dim
from ..tensor import Tensor, constant_tensor, in_opmath, qualified_type_name, where


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
