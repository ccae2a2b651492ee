"""PyTorch's ``torch.nn.modules.linear_cross_entropy_options``: ``LinearCrossEntropyOptions``."""

from ..linear_cross_entropy import LinearCrossEntropyOptions  # noqa: F401

__all__ = ["LinearCrossEntropyOptions"]
