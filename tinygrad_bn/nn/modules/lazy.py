"""PyTorch's ``torch.nn.modules.lazy``: ``LazyModuleMixin``."""

from ..lazy import LazyModuleMixin  # noqa: F401

__all__ = ["LazyModuleMixin"]
