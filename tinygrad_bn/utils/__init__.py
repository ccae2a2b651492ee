"""``tinygrad_bn.utils.data`` mirrors ``torch.utils.data``, so ``import tinygrad_bn as torch``
keeps ``torch.utils.data.DataLoader`` working."""

from .. import data

__all__ = ["data"]
