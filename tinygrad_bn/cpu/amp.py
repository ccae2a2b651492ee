"""``torch.cpu.amp``: the deprecated ``GradScaler`` and ``autocast`` for the CPU, which warn and
then behave as ``amp.GradScaler("cpu", ...)`` and ``amp.autocast("cpu", ...)``."""

from ..amp.autocast_mode import cpu_autocast as autocast
from ..amp.deprecated import CPUGradScaler as GradScaler

__all__ = ["GradScaler", "autocast"]
