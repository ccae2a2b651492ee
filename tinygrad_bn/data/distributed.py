"""``DistributedSampler``: each of ``num_replicas`` processes reads its own slice of a
dataset, in an order every process agrees on (PyTorch's ``torch.utils.data.distributed``).

The shuffled order is PyTorch's own, index for index: PyTorch permutes with
``torch.randperm(len(dataset), generator=Generator().manual_seed(seed + epoch))``, a
Fisher-Yates shuffle driven by the 32-bit outputs of its CPU generator, the Mersenne Twister
MT19937 seeded with the low 32 bits of the seed. This framework's generators are NumPy's PCG64
(``tinygrad_bn.random``), whose ``randperm`` differs from PyTorch's; the sampler therefore
draws from NumPy's ``MT19937`` with the reference (legacy) seeding, which is the same engine,
so a run resumed from PyTorch, or mixed with PyTorch processes, reads the same samples."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]

# Below this length PyTorch's CPU randperm takes one 32-bit draw per swap, above it one 64-bit
# draw (two 32-bit outputs, the first as the high word)
_RANDOM64_FROM = (2**32 - 1) // 20


def pytorch_randperm(n: int, seed: int) -> list[int]:
    """The permutation ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``
    gives on the CPU, as a list: for ``i`` in ``0 .. n - 2``, swap position ``i`` with ``i +
    draw % (n - i)``, the draws being MT19937's outputs for the seed's low 32 bits. Checked
    against PyTorch up to ``n = 200,000`` (the 64-bit-draw branch, for ``n`` of 214,748,364 or
    more, is transcribed but not checked). The shuffle is sequential, so it is a Python loop:
    about 1.5 s per million indices (measured on a shared two-core machine), once per epoch."""
    engine = np.random.MT19937(0)
    engine._legacy_seeding(seed & 0xFFFFFFFF)
    if n < _RANDOM64_FROM:
        draws = engine.random_raw(max(n - 1, 0)).tolist()
    else:
        pairs = engine.random_raw(2 * max(n - 1, 0)).reshape(-1, 2)
        draws = ((pairs[:, 0] << np.uint64(32)) | pairs[:, 1]).tolist()
    indices = list(range(n))
    for i, draw in enumerate(draws):
        j = i + draw % (n - i)
        indices[i], indices[j] = indices[j], indices[i]
    return indices


class DistributedSampler(Sampler):
    """PyTorch's ``DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True,
    seed=0, drop_last=False)``: the indices of ``dataset`` (shuffled with ``seed + epoch`` when
    ``shuffle``, see ``set_epoch``), padded by repeating the first ones to a multiple of
    ``num_replicas`` (or, with ``drop_last``, cut to one), then every ``num_replicas``-th
    from ``rank``. Each replica gets ``len(sampler) = ceil(len(dataset) / num_replicas)``
    indices (with ``drop_last``, ``ceil((len(dataset) - num_replicas) / num_replicas)`` when
    the length does not divide). The indices are PyTorch's for the same arguments
    (``pytorch_randperm``).

    ``num_replicas`` and ``rank``, when not given, are the default process group's
    (``tinygrad_bn.distributed``), PyTorch's ``ValueError`` when none was initialised."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:  # from the default process group
            from .. import distributed as dist  # the distributed package sits above data
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, "
                             f"{num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.epoch = 0
        self.drop_last = drop_last
        if self.drop_last and len(self.dataset) % self.num_replicas != 0:
            self.num_samples = math.ceil((len(self.dataset) - self.num_replicas)
                                         / self.num_replicas)
        else:
            self.num_samples = math.ceil(len(self.dataset) / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle, self.seed = shuffle, seed

    def __iter__(self) -> Iterator[int]:
        if self.shuffle:
            indices = pytorch_randperm(len(self.dataset), self.seed + self.epoch)
        else:
            indices = list(range(len(self.dataset)))
        if not self.drop_last:
            padding_size = self.total_size - len(indices)
            if padding_size <= len(indices):
                indices += indices[:padding_size]
            else:
                indices += (indices * math.ceil(padding_size / len(indices)))[:padding_size]
        else:
            indices = indices[:self.total_size]
        if len(indices) != self.total_size:
            raise AssertionError(f"Number of indices ({len(indices)}) does not match total_size "
                                 f"({self.total_size})")
        indices = indices[self.rank:self.total_size:self.num_replicas]
        if len(indices) != self.num_samples:
            raise AssertionError(f"Number of subsampled indices ({len(indices)}) does not match "
                                 f"num_samples ({self.num_samples})")
        return iter(indices)

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch, which with ``shuffle`` seeds the next order (``seed + epoch``), so
        that every replica shuffles alike and each epoch differently."""
        self.epoch = epoch
