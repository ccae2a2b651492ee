"""Alias of ``tinygrad_bn.data`` at PyTorch's path ``torch.utils.data``."""

from ..data import DataLoader, Dataset, TensorDataset, default_collate

__all__ = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]
