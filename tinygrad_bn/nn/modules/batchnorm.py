"""PyTorch's ``torch.nn.modules.batchnorm``: the batch normalization layers and their bases.
``_LazyNormBase`` is this framework's lazy-norm mixin (not itself a ``_NormBase`` subclass as
PyTorch's is)."""

from ..normalization import (  # noqa: F401
    _NormBase, _BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, SyncBatchNorm,
)
from ..lazy import (  # noqa: F401
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, _LazyNormMixin as _LazyNormBase,
)

__all__ = [
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LazyBatchNorm1d",
    "LazyBatchNorm2d", "LazyBatchNorm3d",
]
