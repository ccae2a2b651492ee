"""PyTorch's ``torch.nn.modules.adaptive``: ``AdaptiveLogSoftmaxWithLoss``."""

from ..adaptive import AdaptiveLogSoftmaxWithLoss, _ASMoutput  # noqa: F401

__all__ = ["AdaptiveLogSoftmaxWithLoss"]
