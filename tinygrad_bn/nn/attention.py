"""``MultiheadAttention``, PyTorch's layer: projections of query, key and value into
``num_heads`` heads, scaled dot-product attention in each, and an output projection. Its
forward calls ``F.multi_head_attention_forward`` (nn/functional_attention.py), which follows
PyTorch's step by step (the masks' conversion, the projections, ``add_bias_kv``,
``add_zero_attn``, the two attention paths), so that values, gradients, shapes and errors are
PyTorch's."""

from __future__ import annotations

import numpy as np

from .. import dtypes
from ..device import DeviceLike, check_device
from ..dtypes import DTypeLike
from ..tensor import Tensor
from . import functional as F
from . import init
from .functional_attention import _canonical_mask  # noqa: F401 - transformer.py imports it here
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
        output, weights = F.multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal)
        if self.batch_first and is_batched:
            return output.transpose(1, 0), weights
        return output, weights
