"""``tinygrad_bn.signal`` mirrors ``torch.signal``: its one member is ``windows``."""

from . import windows

__all__ = ["windows"]
