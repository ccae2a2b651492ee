"""``torch.cuda`` as far as scripts use it on a machine without a GPU: ``is_available()`` says
False (so ``"cuda" if torch.cuda.is_available() else "cpu"`` picks the CPU), the seeding and
synchronising calls do nothing, and ``cuda.amp`` has the deprecated ``GradScaler`` and
``autocast``, which warn and disable themselves as PyTorch's do without CUDA."""

from . import amp  # noqa: F401 - torch.cpu.amp / torch.cuda.amp


def is_available() -> bool:
    """False: tinygrad_bn computes on the CPU only."""
    return False


def is_initialized() -> bool:
    """False: there is no CUDA to initialise."""
    return False


def device_count() -> int:
    """0: no GPU."""
    return 0


def manual_seed(seed: int) -> None:
    """Nothing to seed (no GPU generators); accepted so that seeding code runs."""


def manual_seed_all(seed: int) -> None:
    """Nothing to seed (no GPU generators); accepted so that seeding code runs."""


def synchronize(device=None) -> None:
    """Nothing to wait for."""


def empty_cache() -> None:
    """No GPU memory to release."""


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """False: no CUDA device (nanoGPT asks this to pick its autocast dtype)."""
    return False
