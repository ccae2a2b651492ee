"""``tinygrad_bn.data`` at PyTorch's path ``torch.utils.data``, with its submodules
``dataloader``, ``dataset`` and ``sampler``, so imports written for PyTorch
(``from torch.utils.data.dataloader import default_collate``) work after swapping the package
name."""

from ...data import (
    BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
    RandomSampler, Sampler, SequentialSampler, StackDataset, Subset, SubsetRandomSampler,
    TensorDataset, WeightedRandomSampler, WorkerInfo, default_collate, default_convert,
    get_worker_info, random_split,
)
from . import dataloader, dataset, sampler
from . import distributed  # noqa: E402
from .distributed import DistributedSampler  # noqa: E402

__all__ = [
    "BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "StackDataset", "Subset",
    "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "WorkerInfo",
    "default_collate", "default_convert", "get_worker_info", "random_split",
]
__all__ += ["DistributedSampler"]
