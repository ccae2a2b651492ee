"""``tinygrad_bn.utils`` mirrors ``torch.utils``: ``data`` (so ``import tinygrad_bn as torch``
keeps ``torch.utils.data.DataLoader`` working) and ``checkpoint`` (activation
checkpointing)."""

from .. import data
from . import checkpoint, hooks

__all__ = ["checkpoint", "data", "hooks"]
