"""PyTorch's ``torch.nn.modules.instancenorm``: the instance normalization layers and their base."""

from ..normalization import (  # noqa: F401
    InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _InstanceNorm,
)
from ..lazy import LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d  # noqa: F401

__all__ = [
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d",
]
