"""Seeded random numbers: one NumPy ``Generator`` behind every random function of the package.

``manual_seed(seed)`` reseeds it, so a script that calls it first draws the same numbers on every
run. A ``Generator`` object can also be passed explicitly (``DataLoader(generator=...)``), as in
PyTorch. The streams are NumPy's PCG64, so the numbers differ from PyTorch's for the same seed.
"""

import numpy as np


class Generator:
    """A seedable source of random numbers (PyTorch's ``torch.Generator``, backed by NumPy)."""

    def __init__(self, seed=None):
        self.manual_seed(np.random.SeedSequence().entropy if seed is None else seed)

    def manual_seed(self, seed):
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"manual_seed expected an int seed, got {seed!r}")
        self.initial_seed_value = int(seed)
        self.numpy = np.random.Generator(np.random.PCG64(int(seed) % 2**128))
        return self

    def initial_seed(self):
        return self.initial_seed_value


default_generator = Generator(0)


def manual_seed(seed):
    """Reseed the default generator that ``randn``, ``rand``, ``randint``, ``randperm``, weight
    initialisation and shuffling draw from. Returns the generator."""
    return default_generator.manual_seed(seed)


def numpy_generator(generator=None):
    """The ``numpy.random.Generator`` to draw from: the given one's, or the default one's."""
    return (generator or default_generator).numpy
