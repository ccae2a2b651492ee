"""``DistributedDataParallel``: gradient averaging across the processes of a
``torch.distributed`` process group. This framework has no process groups, so constructing
one fails as PyTorch's does when the default group was never initialised."""

from __future__ import annotations

from ...data.distributed import NO_PROCESS_GROUP
from ..module import Module


class DistributedDataParallel(Module):
    """PyTorch's ``nn.parallel.DistributedDataParallel``, which needs a process group: with
    neither ``process_group`` nor ``device_mesh`` it raises PyTorch's ``ValueError`` for an
    uninitialised default group (the only state this framework can be in); both given is
    PyTorch's ``RuntimeError``; any group object passed is refused, there being no
    communication backend to reduce gradients with. The class exists so that programs can
    name it (``isinstance(model, DistributedDataParallel)``)."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers=None, init_sync: bool = True, process_group=None,
                 bucket_cap_mb=None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params: bool = False, bucket_cap_mb_list=None,
                 batched_grad_copy: bool = False, forward_sync_buffers=None) -> None:
        super().__init__()
        if process_group and device_mesh is not None:
            raise RuntimeError("Cannot specify both process_group and device_mesh arguments.")
        if process_group is None and device_mesh is None:
            raise ValueError(NO_PROCESS_GROUP)
        raise RuntimeError("tinygrad_bn has no torch.distributed backend: a process group or "
                           "device mesh cannot be used by DistributedDataParallel")
