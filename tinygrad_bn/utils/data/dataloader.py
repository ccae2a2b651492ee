"""PyTorch's path ``torch.utils.data.dataloader``: ``tinygrad_bn.data.dataloader``'s names."""

from ...data.dataloader import DataLoader, default_collate, default_convert, get_worker_info

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]
