"""The deprecated per-device GradScaler forms, ``torch.cuda.amp.GradScaler`` and
``torch.cpu.amp.GradScaler``: ``amp.GradScaler`` for one device with PyTorch's FutureWarning.
(The deprecated autocast forms are in autocast_mode.py.)"""

from __future__ import annotations

import warnings

from .grad_scaler import GradScaler


class _DeprecatedGradScaler(GradScaler):
    _device = "cpu"

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        warnings.warn(
            f"`torch.{self._device}.amp.GradScaler(args...)` is deprecated. Please use "
            f"`torch.amp.GradScaler('{self._device}', args...)` instead.", FutureWarning,
            stacklevel=2)
        super().__init__(self._device, init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


class CPUGradScaler(_DeprecatedGradScaler):
    """``torch.cpu.amp.GradScaler(...)``: deprecated, ``amp.GradScaler("cpu", ...)`` with a
    FutureWarning."""

    _device = "cpu"


class CUDAGradScaler(_DeprecatedGradScaler):
    """``torch.cuda.amp.GradScaler(...)`` (nanoGPT's ``GradScaler(enabled=dtype ==
    'float16')``): deprecated, with a FutureWarning; CUDA is never available here, so an enabled
    one also warns and disables itself, as PyTorch's does on a CPU-only machine."""

    _device = "cuda"
