"""PyTorch's ``torch.nn.modules.channelshuffle``: ``ChannelShuffle``."""

from ..channelshuffle import ChannelShuffle  # noqa: F401

__all__ = ["ChannelShuffle"]
