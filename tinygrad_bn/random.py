"""Seeded random numbers: one NumPy ``Generator`` behind every random function of the package.

``manual_seed(seed)`` reseeds it, so a script that calls it first draws the same numbers on every
run. A ``Generator`` object can also be passed explicitly (``DataLoader(generator=...)``), as in
PyTorch. The streams are NumPy's PCG64, so the numbers differ from PyTorch's for the same seed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from .device import CPU, DeviceLike, check_device
from .device import device as _device

if TYPE_CHECKING:
    from typing_extensions import Self  # typing.Self from Python 3.11 on

# PyTorch's seed of a new Generator; the default generator starts from 0 until manual_seed.
_NEW_GENERATOR_SEED = 67280421310721


class Generator:
    """A seedable source of random numbers (PyTorch's ``torch.Generator``, backed by NumPy's
    PCG64): ``Generator().manual_seed(42)``; every random function takes it as
    ``generator=``."""

    def __init__(self, device: DeviceLike = "cpu") -> None:
        check_device(device)
        self.manual_seed(_NEW_GENERATOR_SEED)

    @property
    def device(self) -> _device:
        """The generator's device: always the CPU."""
        return CPU

    def manual_seed(self, seed: int) -> Self:
        """Restart the stream from ``seed`` (an int); returns this generator."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expected an int seed, got {seed!r}")
        self.initial_seed_value = int(seed)
        self.numpy = np.random.Generator(np.random.PCG64(int(seed) % 2**128))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy % 2**63)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed this generator was last started from."""
        return self.initial_seed_value

    def get_state(self) -> dict[str, Any]:
        """A snapshot of the stream, for ``set_state`` to resume from."""
        return {"seed": self.initial_seed_value, "state": self.numpy.bit_generator.state}

    def set_state(self, state: dict[str, Any]) -> Self:
        """Resume the stream from a ``get_state`` snapshot; returns this generator."""
        if not isinstance(state, dict) or "state" not in state:
            raise TypeError("set_state expects a state returned by Generator.get_state()")
        self.initial_seed_value = state["seed"]
        self.numpy.bit_generator.state = state["state"]
        return self


default_generator = Generator().manual_seed(0)


def manual_seed(seed: int) -> Generator:
    """Reseed the default generator that ``randn``, ``rand``, ``randint``, ``randperm``, weight
    initialisation and shuffling draw from. Returns the generator."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Reseed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator was last started from."""
    return default_generator.initial_seed()


def get_rng_state() -> dict[str, Any]:
    """A snapshot of the default generator (``set_rng_state`` resumes it)."""
    return default_generator.get_state()


def set_rng_state(state: dict[str, Any]) -> None:
    """Resume the default generator from a ``get_rng_state`` snapshot."""
    default_generator.set_state(state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """Draw from the default generator inside the ``with`` block without changing what is
    drawn after it (PyTorch's ``torch.random.fork_rng``): its state is saved on entry and
    restored on exit, also when the block raises. ``enabled=False`` saves nothing. There are no
    accelerator generators to fork, so ``devices`` and ``device_type`` change nothing."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


# Called before every draw while ``func.vmap(..., randomness="error")`` runs its function (it
# raises PyTorch's error), else None.
draw_check = None


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    """The ``numpy.random.Generator`` to draw from: the given one's, or the default one's."""
    if draw_check is not None:
        draw_check()
    return (generator or default_generator).numpy
