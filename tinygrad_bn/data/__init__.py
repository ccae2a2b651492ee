"""Datasets, samplers and loaders: PyTorch's ``torch.utils.data`` (also importable as
``tinygrad_bn.utils.data``, its PyTorch path).

- ``dataset``: ``Dataset``, ``IterableDataset``, ``TensorDataset``, ``StackDataset``,
  ``ConcatDataset``, ``ChainDataset``, ``Subset``, ``random_split``;
- ``sampler``: ``Sampler``, ``SequentialSampler``, ``RandomSampler``, ``SubsetRandomSampler``,
  ``WeightedRandomSampler``, ``BatchSampler``;
- ``collate``: ``default_collate``, ``default_convert``;
- ``worker``: what runs in a worker process, and ``get_worker_info``;
- ``dataloader``: ``DataLoader``, in this process or in worker processes;
- ``distributed``: ``DistributedSampler``, one slice of the dataset per process.
"""

from .collate import default_collate, default_convert
from .dataloader import DataLoader
from .dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset, TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler,
)
from .worker import WorkerInfo, get_worker_info
from .distributed import DistributedSampler  # noqa: E402 - sampling across processes

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
    "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "WorkerInfo",
    "default_collate", "default_convert", "get_worker_info", "random_split",
]
__all__ += ["DistributedSampler"]
