"""PyTorch's ``torch.nn.modules.padding``: the padding layers and their bases."""

from ..padding import (  # noqa: F401
    _CircularPadNd, CircularPad1d, CircularPad2d, CircularPad3d, _ConstantPadNd, ConstantPad1d,
    ConstantPad2d, ConstantPad3d, _ReflectionPadNd, ReflectionPad1d, ReflectionPad2d,
    ReflectionPad3d, _ReplicationPadNd, ReplicationPad1d, ReplicationPad2d, ReplicationPad3d,
    ZeroPad1d, ZeroPad2d, ZeroPad3d,
)

__all__ = [
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d",
    "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "ZeroPad1d", "ZeroPad2d",
    "ZeroPad3d",
]
