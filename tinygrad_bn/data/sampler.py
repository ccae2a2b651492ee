"""Samplers (PyTorch's ``torch.utils.data.sampler``): iterables of dataset indices that say which
samples a ``DataLoader`` reads, in which order, and how they are grouped into batches.

Every sampler is lazy: it draws its random numbers when iteration starts and hands out indices
one by one as Python ints, so ``RandomSampler(ds, replacement=True, num_samples=10**10)`` starts
at once. Random samplers draw from their ``generator`` or, without one, from the global
generator that ``manual_seed`` reseeds; the numbers come from NumPy's PCG64, so they differ from
PyTorch's for the same seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Generic, TypeVar

import numpy as np

from ..random import Generator, numpy_generator
from ..sampling import multinomial
from ..tensor import Tensor


_T_co = TypeVar("_T_co", covariant=True)


class Sampler(Generic[_T_co]):
    """Base class of samplers: ``__iter__`` yields indices (or lists of indices, for a batch
    sampler); ``__len__``, when defined, says how many. Generic in what it yields, as in
    PyTorch: ``class BySize(Sampler[int])``."""

    def __iter__(self) -> Iterator:
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """``0, 1, ..., len(data_source) - 1``, always in that order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """Indices of ``data_source`` in random order.

    Without replacement (the default) every epoch is a fresh permutation of
    ``range(len(data_source))`` (``num_samples`` larger than the length chains several
    permutations, a smaller one cuts the last). With ``replacement=True`` it draws
    ``num_samples`` (default ``len(data_source)``) independent uniform indices, 32 at a time
    as they are consumed, so ``num_samples=10**10`` costs nothing up front."""

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Generator | None = None) -> None:
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(replacement, bool):
            raise TypeError("replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        """How many indices one pass yields: ``num_samples`` if given, else the dataset's
        length."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        # The chunks are drawn one at a time as iteration reaches them (the first on the first
        # next()); chaining them keeps the per-index cost in C.
        return itertools.chain.from_iterable(map(np.ndarray.tolist, self._chunks()))

    def _chunks(self) -> Iterator[np.ndarray]:
        """The indices as integer arrays, each drawn when iteration reaches it."""
        n, rng = len(self.data_source), numpy_generator(self.generator)
        if self.replacement:
            full_chunks, rest = divmod(self.num_samples, 32)
            for _ in range(full_chunks):
                yield rng.integers(0, n, size=32)
            yield rng.integers(0, n, size=rest)
            return
        # One permutation for each full pass; the draw for a partial pass only when there is
        # one (PyTorch draws it regardless), so a plain shuffle draws exactly one permutation
        # per epoch and keeps the order that seeded runs have always had.
        full_passes, rest = divmod(self.num_samples, n)
        for _ in range(full_passes):
            yield rng.permutation(n)
        if rest:
            yield rng.permutation(n)[:rest]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """The given ``indices`` in a random order, without replacement: each pass yields
    ``indices[p]`` for a fresh permutation ``p``."""

    def __init__(self, indices: Sequence[int], generator: Generator | None = None) -> None:
        self.indices, self.generator = indices, generator

    def __iter__(self) -> Iterator[int]:
        for i in numpy_generator(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """``num_samples`` indices of ``range(len(weights))``, index ``i`` drawn with probability
    ``weights[i] / sum(weights)`` (weights need not sum to 1); without replacement an index
    comes at most once. The draw is ``multinomial(weights, num_samples, replacement)``."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Generator | None = None) -> None:
        if (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                or num_samples <= 0):
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError("replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        values = weights._array if isinstance(weights, Tensor) else weights
        weights_array = np.asarray(values, dtype=np.float64)
        if weights_array.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given "
                             f"weights have shape {tuple(weights_array.shape)}")
        self.weights = Tensor._make(weights_array, None)
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self) -> Iterator[int]:
        drawn = multinomial(self.weights, self.num_samples, self.replacement,
                            generator=self.generator)
        yield from drawn.tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups the indices of ``sampler`` (any iterable) into lists of ``batch_size``; the last
    shorter list is kept unless ``drop_last``. Lazy: it pulls ``batch_size`` indices per batch.

    ``list(BatchSampler(range(10), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]``."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int,
                 drop_last: bool) -> None:
        if (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                or batch_size <= 0):
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        indices = iter(self.sampler)
        batch = list(itertools.islice(indices, self.batch_size))
        while batch:
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield batch
            batch = list(itertools.islice(indices, self.batch_size))

    def _index_arrays(self) -> Iterator[np.ndarray] | None:
        """What ``iter(self)`` yields, as integer arrays instead of lists (a ``DataLoader``
        indexes a ``TensorDataset`` with them, without turning lists into arrays), when the
        sampler is exactly a ``RandomSampler`` or a ``SequentialSampler``; else None. The
        random draws happen at the same moments: the sampler's chunks are drawn as a batch
        reaches them."""
        if type(self.sampler) is RandomSampler:
            return self._batches_of(self.sampler._chunks())
        if type(self.sampler) is SequentialSampler:
            return self._batches_of(_ranges(self.sampler.data_source))
        return None

    def _batches_of(self, chunks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        """``chunks`` (arrays, pulled only when a batch needs them) regrouped as __iter__
        groups indices, reading ``batch_size`` and ``drop_last`` for each batch as it does."""
        chunks = iter(chunks)
        chunk, start = np.empty(0, np.intp), 0
        while True:
            batch_size = self.batch_size
            end = start + batch_size
            if end <= len(chunk):  # the common case: the batch lies in one chunk
                yield chunk[start:end]
                start = end
                continue
            parts = [chunk[start:]]
            count = len(parts[0])
            while count < batch_size:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                parts.append(chunk[:batch_size - count])
                start = len(parts[-1])
                count += start
            if count == 0 or (count < batch_size and self.drop_last):
                return
            yield np.concatenate(parts)
            if chunk is None:
                return

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


def _ranges(data_source: Sized, size: int = 65536) -> Iterator[np.ndarray]:
    """``range(len(data_source))`` as arrays of up to ``size`` indices (the length read when
    iteration starts, as ``SequentialSampler`` reads it)."""
    n = len(data_source)
    for start in range(0, n, size):
        yield np.arange(start, min(start + size, n))
