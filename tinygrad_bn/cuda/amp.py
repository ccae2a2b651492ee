"""``torch.cuda.amp``: the deprecated ``GradScaler`` and ``autocast`` for CUDA, which warn (as
PyTorch 2.13 does on a CPU-only machine) and disable themselves, and the deprecated
``custom_fwd``/``custom_bwd``."""

from ..amp.autocast_mode import cuda_autocast as autocast
from ..amp.autocast_mode import cuda_custom_bwd as custom_bwd
from ..amp.autocast_mode import cuda_custom_fwd as custom_fwd
from ..amp.deprecated import CUDAGradScaler as GradScaler

__all__ = ["GradScaler", "autocast", "custom_bwd", "custom_fwd"]
