"""PyTorch's ``torch.nn.parallel``: ``DataParallel`` and ``data_parallel`` (multi-GPU data
parallelism, which on a machine without accelerators, as this framework always is, runs the
module as it is) and ``DistributedDataParallel`` (``tinygrad_bn.distributed``'s, which needs a process group
from ``init_process_group``; looked up when first asked for, since the distributed package
imports ``nn``)."""

from .data_parallel import DataParallel, data_parallel

__all__ = ["DataParallel", "DistributedDataParallel", "data_parallel"]


def __getattr__(name):
    if name == "DistributedDataParallel":
        from ...distributed.ddp import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
