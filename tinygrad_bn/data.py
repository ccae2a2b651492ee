"""Datasets and batching: ``TensorDataset`` and ``DataLoader`` (PyTorch's
``torch.utils.data``, single process)."""

import math

import numpy as np

from .random import numpy_generator
from .tensor import Tensor, stack


class Dataset:
    """Anything with ``__len__`` and ``__getitem__(index)`` returning a sample (a tensor or a
    tuple of tensors) can be a dataset; this base class is for ``isinstance`` checks."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")


class TensorDataset(Dataset):
    """Samples are rows of the given tensors: ``dataset[i] == (t[i] for t in tensors)``. All
    tensors must have the same size in dim 0."""

    def __init__(self, *tensors):
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


class DataLoader:
    """Iterate over ``dataset`` in batches of ``batch_size``.

    Every sample appears once per epoch; ``shuffle=True`` draws a new order each epoch from
    ``generator`` (or the global one ``manual_seed`` sets), so runs are reproducible. The last
    short batch is kept unless ``drop_last``. A ``TensorDataset`` is batched by slicing whole
    rows at once (dtypes kept: labels stay int64); other datasets by stacking samples.
    ``num_workers`` is accepted for compatibility; loading always runs in this process.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, generator=None,
                 num_workers=0, collate_fn=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(
                f"batch_size should be a positive integer value, but got batch_size={batch_size}"
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator
        self.num_workers = num_workers
        self.collate_fn = collate_fn or default_collate

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        n = len(self.dataset)
        order = numpy_generator(self.generator).permutation(n) if self.shuffle else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stop = min(start + self.batch_size, n)
            if order is None:
                indices = slice(start, stop)
            else:
                indices = order[start:stop]
            if isinstance(self.dataset, TensorDataset):
                yield [Tensor._make(t._array[indices], None) for t in self.dataset.tensors]
            else:
                positions = range(start, stop) if order is None else indices
                yield self.collate_fn([self.dataset[int(i)] for i in positions])


def default_collate(samples):
    """Stack a list of samples into a batch: tensors are stacked along a new dim 0, tuples and
    lists element by element, numbers become a tensor."""
    first = samples[0]
    if isinstance(first, Tensor):
        return stack(samples)
    if isinstance(first, (tuple, list)):
        return [default_collate(list(items)) for items in zip(*samples)]
    if isinstance(first, np.ndarray):
        return Tensor(np.stack(samples))
    return Tensor(samples)
