"""``ChannelShuffle`` (ShuffleNet, Zhang et al. 2017): the channels of grouped convolutions
interleaved so that the next grouped layer sees every group, as in ``torch.nn``."""

from . import functional as F
from .module import Module


class ChannelShuffle(Module):
    """``(N, C, *)`` to the same shape with the channels regrouped: ``C / groups`` groups of
    ``groups`` from ``groups`` groups of ``C / groups`` (``F.channel_shuffle``)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
