"""PyTorch's ``torch.nn.modules.flatten``: ``Flatten`` and ``Unflatten``."""

from ..linear import Flatten, Unflatten  # noqa: F401

__all__ = ["Flatten", "Unflatten"]
