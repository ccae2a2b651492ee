"""PyTorch's ``torch.nn.modules.fold``: ``Fold`` and ``Unfold``."""

from ..fold import Fold, Unfold  # noqa: F401

__all__ = ["Fold", "Unfold"]
