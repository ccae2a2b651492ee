"""PyTorch's path ``torch.utils.data.distributed``: ``tinygrad_bn.data.distributed``'s
``DistributedSampler``."""

from ...data.distributed import DistributedSampler

__all__ = ["DistributedSampler"]
