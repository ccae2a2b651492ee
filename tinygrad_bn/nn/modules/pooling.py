"""PyTorch's ``torch.nn.modules.pooling``: the pooling layers and their bases."""

from ..pooling import (  # noqa: F401
    _MaxPoolNd, MaxPool1d, MaxPool2d, _AvgPoolNd, AvgPool1d, AvgPool2d, _AdaptiveMaxPoolNd,
    AdaptiveMaxPool1d, AdaptiveMaxPool2d, _AdaptiveAvgPoolNd, AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
)
from ..pooling3d import MaxPool3d, AvgPool3d, AdaptiveMaxPool3d, AdaptiveAvgPool3d  # noqa: F401
from ..pooling_derived import (  # noqa: F401
    _MaxUnpoolNd, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d, _LPPoolNd, LPPool1d, LPPool2d,
    LPPool3d,
)
from ..pooling_fractional import FractionalMaxPool2d, FractionalMaxPool3d  # noqa: F401

__all__ = [
    "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "MaxPool3d", "AvgPool3d",
    "AdaptiveMaxPool3d", "AdaptiveAvgPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d",
    "LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d", "FractionalMaxPool3d",
]
