"""Datasets and batching (PyTorch's ``torch.utils.data``, single process): ``TensorDataset``,
``Subset``, ``ConcatDataset``, ``random_split`` and ``DataLoader``."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .random import Generator, numpy_generator
from .tensor import Tensor, stack


class Dataset:
    """Anything with ``__len__`` and ``__getitem__(index)`` returning a sample (a tensor or a
    tuple of tensors) can be a dataset; this base class is for ``isinstance`` checks."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: ``dataset[i] == (t[i] for t in tensors)``. All
    tensors must have the same size in dim 0."""

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for i, t in enumerate(tensors):
            if not isinstance(t, Tensor) or t.ndim == 0:
                raise TypeError(f"TensorDataset expects tensors with a first dim; argument {i} is "
                                f"{type(t).__name__}" + (" of 0 dims" if isinstance(t, Tensor) else ""))
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(f"Size mismatch between tensors: first dims are {sizes}")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """The datasets one after another: index ``len(first)`` is the second's sample 0."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self):
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index += len(self)
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = 0 if which == 0 else int(self.cumulative_sizes[which - 1])
        return self.datasets[which][index - start]


def random_split(dataset: Dataset, lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping ``Subset``s of the given lengths (or fractions
    summing to 1, the remainder handed out one by one), in a random order drawn from
    ``generator``."""
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(n * fraction)) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise ValueError(
            "Sum of input lengths does not equal the length of the input dataset!")
    order = numpy_generator(generator).permutation(n).tolist()
    subsets, start = [], 0
    for length in lengths:
        subsets.append(Subset(dataset, order[start:start + length]))
        start += length
    return subsets


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    Every sample appears once per epoch; ``shuffle=True`` draws a new order each epoch from
    ``generator`` (or the global one ``manual_seed`` sets), so runs are reproducible, and a
    ``sampler`` (any iterable of indices) gives the order instead. The last short batch is kept
    unless ``drop_last``. ``batch_size=None`` yields samples one by one, unbatched. Batches are
    new tensors (writing to one never changes the data set). A ``TensorDataset`` with the
    default ``collate_fn`` is batched by picking whole rows at once (dtypes kept: labels stay
    int64); anything else by collating samples (``collate_fn``, default ``default_collate``).
    ``num_workers`` is accepted for compatibility; loading always runs in this process.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool = False,
                 sampler: Iterable[int] | None = None, drop_last: bool = False,
                 generator: Generator | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None) -> None:
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, int) or batch_size <= 0):
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.dataset, self.batch_size, self.sampler = dataset, batch_size, sampler
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator
        self.num_workers = num_workers
        self.collate_fn = collate_fn or default_collate
        self._rows_at_once = collate_fn is None and isinstance(dataset, TensorDataset)

    def __len__(self):
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        if self.sampler is not None:
            return np.asarray(list(self.sampler), dtype=np.int64)
        n = len(self.dataset)
        return numpy_generator(self.generator).permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self):
        order = self._order()
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if self._rows_at_once:
                # Fancy indexing copies, so a batch never shares memory with the data set.
                yield [Tensor._make(t._array[indices], None) for t in self.dataset.tensors]
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack a list of samples into a batch: tensors are stacked along a new dim 0, tuples and
    lists element by element, dicts key by key, numbers become a tensor."""
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(samples)
    if isinstance(first, dict):
        return {key: default_collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        return [default_collate(list(items)) for items in zip(*samples)]
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(samples))
    return Tensor(samples)
