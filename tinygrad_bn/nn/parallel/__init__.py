"""PyTorch's ``torch.nn.parallel``: ``DataParallel`` and ``data_parallel`` (multi-GPU data
parallelism, which on a machine without accelerators, as this framework always is, runs the
module as it is) and ``DistributedDataParallel`` (which needs a ``torch.distributed`` process
group, which this framework has none of, so it refuses as PyTorch does without one)."""

from .data_parallel import DataParallel, data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]
