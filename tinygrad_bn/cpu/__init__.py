"""``torch.cpu``: the device tinygrad_bn computes on (``is_available()`` is True,
``device_count()`` 1), and ``cpu.amp`` with the deprecated ``GradScaler`` and ``autocast``."""

from . import amp  # noqa: F401 - torch.cpu.amp / torch.cuda.amp


def is_available() -> bool:
    """True: the CPU is always there."""
    return True


def device_count() -> int:
    """1, as PyTorch's ``torch.cpu.device_count``."""
    return 1


def current_device() -> str:
    """``"cpu"``, as PyTorch's ``torch.cpu.current_device``."""
    return "cpu"


def synchronize(device=None) -> None:
    """Nothing to wait for: CPU ops finish before they return."""
