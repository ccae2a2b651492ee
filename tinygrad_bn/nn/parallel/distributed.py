"""PyTorch's module path ``torch.nn.parallel.distributed``: ``DistributedDataParallel`` is
``tinygrad_bn.distributed``'s (``distributed/ddp.py``), looked up when first asked for, since
the distributed package sits above ``nn`` (it imports ``nn.module``)."""


def __getattr__(name):
    if name == "DistributedDataParallel":
        from ...distributed.ddp import DistributedDataParallel
        return DistributedDataParallel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
