"""PyTorch's ``torch.nn.modules.transformer``: the Transformer layers."""

from ..transformer import (  # noqa: F401
    Transformer, TransformerEncoder, TransformerDecoder, TransformerEncoderLayer,
    TransformerDecoderLayer, _generate_square_subsequent_mask, _get_clones,
    _detect_is_causal_mask,
)

__all__ = [
    "Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
    "TransformerDecoderLayer",
]
