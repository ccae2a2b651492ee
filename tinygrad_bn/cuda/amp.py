"""``torch.cuda.amp``: the deprecated ``GradScaler`` and ``autocast`` for CUDA, which warn (as
PyTorch 2.13 does on a CPU-only machine) and disable themselves."""

from ..amp.autocast_mode import cuda_autocast as autocast
from ..amp.deprecated import CUDAGradScaler as GradScaler

__all__ = ["GradScaler", "autocast"]
