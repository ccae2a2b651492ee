"""PyTorch's ``torch.nn.modules.pixelshuffle``: pixel (un)shuffling."""

from ..pixelshuffle import PixelShuffle, PixelUnshuffle  # noqa: F401

__all__ = ["PixelShuffle", "PixelUnshuffle"]
