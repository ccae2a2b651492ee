"""PyTorch's ``torch.nn.modules.dropout``: the dropout layers and their base ``_DropoutNd``."""

from ..dropout import (  # noqa: F401
    _DropoutNd, Dropout, Dropout1d, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout,
)

__all__ = [
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
]
