"""PyTorch's ``torch.nn.modules.linear``: ``Identity``, ``Linear``, ``Bilinear`` and
``LazyLinear``."""

from ..linear import Identity, Linear, Bilinear  # noqa: F401
from ..attention import NonDynamicallyQuantizableLinear  # noqa: F401
from ..lazy import LazyLinear  # noqa: F401

__all__ = ["Identity", "Linear", "Bilinear", "NonDynamicallyQuantizableLinear", "LazyLinear"]
