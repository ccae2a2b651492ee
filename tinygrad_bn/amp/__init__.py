"""Mixed precision, as ``torch.amp``: ``GradScaler`` (loss scaling for float16 gradients) and
``autocast`` (ops run in float16 where PyTorch's CPU policy says so)."""

from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler, OptState

__all__ = ["GradScaler", "OptState", "autocast", "custom_bwd", "custom_fwd",
           "is_autocast_available"]
