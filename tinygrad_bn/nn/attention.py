"""``MultiheadAttention``, PyTorch's layer: projections of query, key and value into
``num_heads`` heads, scaled dot-product attention in each, and an output projection. Its
forward follows ``torch.nn.functional.multi_head_attention_forward`` step by step (the masks'
conversion, the projections, ``add_bias_kv``, ``add_zero_attn``, the two attention paths), so
that values, gradients, shapes and errors are PyTorch's."""

from __future__ import annotations

import math
import warnings

import numpy as np

from .. import dtypes
from ..device import DeviceLike, check_device
from ..dtypes import DTypeLike
from ..printing import Size
from ..tensor import Tensor, cat, constant_tensor, where
from . import functional as F
from . import init
from .linear import Linear
from .module import Module, Parameter


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name PyTorch gives ``MultiheadAttention.out_proj`` (a marker for its
    quantization tools), so that the two print alike."""


class MultiheadAttention(Module):
    """``MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O``, ``head_i = Attention(Q W_Q_i,
    K W_K_i, V W_V_i)`` (Vaswani et al. 2017), PyTorch's ``nn.MultiheadAttention``.

    Shapes (``batch_first=False``): query ``(L, N, E)``, key ``(S, N, kdim)``, value ``(S, N,
    vdim)``, or unbatched ``(L, E)``, ``(S, kdim)``, ``(S, vdim)``; ``batch_first=True`` puts
    ``N`` first. Returns ``(output, weights)``: output like the query; weights ``(N, L, S)``
    averaged over the heads (``(N, num_heads, L, S)`` with ``average_attn_weights=False``), or
    None with ``need_weights=False``.

    Parameters, named as PyTorch's so that state dicts load both ways: ``in_proj_weight``
    ``(3E, E)`` (or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when ``kdim`` or
    ``vdim`` differ from ``E``), ``in_proj_bias`` ``(3E,)``, ``out_proj`` (a ``Linear(E, E)``),
    and ``bias_k``, ``bias_v`` ``(1, 1, E)`` with ``add_bias_kv``. Initialised as PyTorch's:
    Xavier-uniform projections, zero biases, Xavier-normal ``bias_k``/``bias_v``.

    Masks: ``key_padding_mask`` ``(N, S)`` and ``attn_mask`` ``(L, S)`` or ``(N * num_heads, L,
    S)``, bool (True: may NOT attend, the opposite of ``scaled_dot_product_attention``'s) or
    float (added to the scores). With ``need_weights`` the weights are a plain softmax (a row
    with every key masked is NaN, as PyTorch's); without, the heads go through
    ``F.scaled_dot_product_attention``. ``dropout`` applies to the attention weights in
    training only. ``is_causal`` is a hint that ``attn_mask`` is the causal mask (which must be
    given, as in PyTorch).
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False,
                 device: DeviceLike | None = None, dtype: DTypeLike | None = None) -> None:
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        super().__init__()
        check_device(device)
        dtype = dtypes.get_default_dtype() if dtype is None else dtypes.canonical(dtype)
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")

        def empty(*shape):
            return Parameter(np.empty(shape, dtype=dtype))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty(3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty(embed_dim, embed_dim)
            self.k_proj_weight = empty(embed_dim, self.kdim)
            self.v_proj_weight = empty(embed_dim, self.vdim)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = empty(3 * embed_dim)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias,
                                                        dtype=dtype)
        if add_bias_kv:
            self.bias_k, self.bias_v = empty(1, 1, embed_dim), empty(1, 1, embed_dim)
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                key_padding_mask: Tensor | None = None, need_weights: bool = True,
                attn_mask: Tensor | None = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> tuple[Tensor, Tensor | None]:
        is_batched = query.ndim == 3
        key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                           None if attn_mask is None else attn_mask.dtype,
                                           "attn_mask", query.dtype)
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype,
                                    check_other=False)
        if self.batch_first and is_batched:  # one transpose per distinct tensor: self-attention
            if key is value:                  # stays recognisable as such
                if query is key:
                    query = key = value = query.transpose(1, 0)
                else:
                    query, key = (x.transpose(1, 0) for x in (query, key))
                    value = key
            else:
                query, key, value = (x.transpose(1, 0) for x in (query, key, value))
        output, weights = _multi_head_attention_forward(
            self, query, key, value, key_padding_mask, need_weights, attn_mask,
            average_attn_weights, is_causal)
        if self.batch_first and is_batched:
            return output.transpose(1, 0), weights
        return output, weights


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


def _in_projection(module, query, key, value):
    """``q, k, v``: the inputs through the input projections. Self-attention (one tensor) is
    one ``linear`` with the stacked weight, split after; encoder-decoder attention (key is
    value) two; otherwise three, as PyTorch's ``_in_projection_packed``."""
    embed_dim = module.embed_dim
    bias = module.in_proj_bias
    if not module._qkv_same_embed_dim:
        biases = (None,) * 3 if bias is None else bias.chunk(3)
        weights = (module.q_proj_weight, module.k_proj_weight, module.v_proj_weight)
        return tuple(F.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))
    weight = module.in_proj_weight
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


def _multi_head_attention_forward(module, query, key, value, key_padding_mask, need_weights,
                                  attn_mask, average_attn_weights, is_causal):
    """PyTorch's ``F.multi_head_attention_forward`` for ``module``'s parameters, on inputs with
    the sequence dim first."""
    num_heads = module.num_heads
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
    if embed_dim != module.embed_dim:
        raise AssertionError(f"was expecting embedding dimension of {module.embed_dim}, but got "
                             f"{embed_dim}")
    head_dim = module.head_dim
    if not module._qkv_same_embed_dim:
        if tuple(key.shape[:2]) != tuple(value.shape[:2]):
            raise AssertionError(f"key's sequence and batch dims {Size(key.shape[:2])} do not "
                                 f"match value's {Size(value.shape[:2])}")
    elif tuple(key.shape) != tuple(value.shape):
        raise AssertionError(f"key shape {Size(key.shape)} does not match value shape "
                             f"{Size(value.shape)}")
    q, k, v = _in_projection(module, query, key, value)
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
    if module.bias_k is not None and module.bias_v is not None:
        k = cat([k, module.bias_k.repeat(1, batch, 1)])
        v = cat([v, module.bias_v.repeat(1, batch, 1)])
        attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
    q = q.reshape(target_length, batch * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], batch * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], batch * num_heads, head_dim).transpose(0, 1)
    if module.add_zero_attn:
        zeros = constant_tensor(np.zeros((batch * num_heads, 1, head_dim), dtype=q.dtype))
        k, v = cat([k, zeros], dim=1), cat([v, zeros], dim=1)
        attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
        key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
    source_length = k.shape[1]
    if key_padding_mask is not None:
        for position, expected in enumerate((batch, source_length)):
            if key_padding_mask.shape[position] != expected:
                raise AssertionError(f"Expected key_padded_mask.shape[{position}] to be "
                                     f"{expected}, but got {key_padding_mask.shape[position]}")
        key_padding_mask = key_padding_mask.reshape(batch, 1, 1, source_length).expand(
            -1, num_heads, -1, -1).reshape(batch * num_heads, 1, source_length)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    dropout_p = module.dropout if module.training else 0.0
    if need_weights:
        scaled = q * math.sqrt(1.0 / float(head_dim))
        scores = scaled @ k.transpose(-2, -1)
        if attn_mask is not None:
            scores = attn_mask + scores  # PyTorch's baddbmm(attn_mask, q, k^T)
        weights = scores.softmax(-1)
        if dropout_p > 0.0:
            weights = F.dropout(weights, p=dropout_p)
        output = (weights @ v).transpose(0, 1).reshape(target_length * batch, embed_dim)
        output = F.linear(output, module.out_proj.weight, module.out_proj.bias)
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
    output = F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal)
    output = output.permute(2, 0, 1, 3).reshape(batch * target_length, embed_dim)
    output = F.linear(output, module.out_proj.weight, module.out_proj.bias)
    output = output.reshape(target_length, batch, embed_dim)
    if not is_batched:
        output = output.squeeze(1)
    return output, None
