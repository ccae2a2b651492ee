"""Dropout layers: random zeroing of activations during training, a regulariser. ``Dropout``
drops elements, ``Dropout1d/2d/3d`` whole channels (feature maps), ``AlphaDropout`` and
``FeatureAlphaDropout`` keep SELU's zero mean and unit variance."""

from . import functional as F
from .module import Module


class _DropoutNd(Module):
    """The constructor, check and repr the dropout layers share (PyTorch's ``_DropoutNd``)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Inverted dropout: in training, each element is zeroed with probability ``p`` and the
    survivors are scaled by ``1 / (1 - p)``; in eval mode the input passes unchanged."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, L)`` or ``(C, L)`` in training, each with probability
    ``p``, the rest scaled by ``1 / (1 - p)`` (``F.dropout1d``); identity in eval mode."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, H, W)`` in training (``F.dropout2d``, with its warnings
    for other dims); identity in eval mode."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` in training
    (``F.dropout3d``); identity in eval mode."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Alpha dropout for SELU networks (``F.alpha_dropout``) in training; identity in eval."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (``F.feature_alpha_dropout``) in training; identity in
    eval."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
