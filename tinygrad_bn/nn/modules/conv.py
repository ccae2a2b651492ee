"""PyTorch's ``torch.nn.modules.conv``: the convolution layers and their bases.
``_LazyConvXdMixin`` is this framework's lazy-convolution mixin."""

from ..conv import (  # noqa: F401
    _ConvNd, Conv1d, Conv2d, Conv3d, _ConvTransposeNd, ConvTranspose1d, ConvTranspose2d,
    ConvTranspose3d,
)
from ..lazy import (  # noqa: F401
    LazyConv1d, LazyConv2d, LazyConv3d, LazyConvTranspose1d, LazyConvTranspose2d,
    LazyConvTranspose3d, _LazyConvMixin as _LazyConvXdMixin,
)

__all__ = [
    "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d",
    "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyConvTranspose3d",
]
