"""PyTorch's private path ``torch.utils.data._utils``, which programs import ``collate`` from."""

from . import collate

__all__ = ["collate"]
