"""``tinygrad_bn.distributed``: PyTorch's ``torch.distributed`` for the CPU, with the ``gloo``
backend's behaviour: process groups (``init_process_group`` through ``env://``,
``tcp://host:port`` or ``file://path``; ``new_group``), the collectives on tensors in place
(``all_reduce``, ``broadcast``, ``reduce``, ``all_gather``, ``all_gather_into_tensor``,
``gather``, ``scatter``, ``reduce_scatter``, ``reduce_scatter_tensor``, ``all_to_all``,
``barrier``), point to point (``send``/``recv``/``isend``/``irecv``), the object collectives,
a ``TCPStore``, and ``DistributedDataParallel`` (``ddp``).

How the bytes move: a star through rank 0, whose ``TCPStore`` every process talks to over
localhost (or any) TCP sockets with Python's ``multiprocessing.connection``; see
``process_group``'s docstring. Imported on first use (``tinygrad_bn.distributed``), as
PyTorch's is a separate module.

Where this differs from PyTorch with gloo:
- only the ``gloo`` backend (``nccl``/``mpi``/``xccl`` raise a CPU-only build's errors);
- tensors travel through rank 0's store (a star), so large tensors are slower than gloo's
  ring (1M float32 all_reduce on 2 ranks: about 120 ms against gloo's 21 ms; 10 floats:
  0.35 ms against 3.3 ms); each rank reduces the gathered tensors in rank order, so sums over
  more than two ranks may differ from gloo's in the last bits;
- ranks whose tensors differ in size raise at once (gloo times out or reads garbage);
  ``reduce`` leaves the non-destination ranks' tensors unchanged (gloo leaves scratch values);
  ``recv`` from oneself raises ``ValueError`` (gloo fails inside its transport);
- ``file://`` keeps only the store's address in the file; the store server binds to
  ``MASTER_ADDR`` (PyTorch's to every interface); at exit rank 0 waits up to 60 s for the
  other ranks to hang up, so that they can still read what it sent last;
- ``TCPStore`` only (no ``FileStore``/``HashStore``/``PrefixStore``), no ``DeviceMesh``,
  ``torch.distributed.rpc``, ``fsdp``, ``elastic`` or ``torchrun``.
"""

from .collectives import (
    P2POp, all_gather, all_gather_into_tensor, all_gather_object, all_gather_single, all_reduce,
    all_to_all, all_to_all_single, barrier, batch_isend_irecv, broadcast, broadcast_object_list,
    gather, gather_object, get_node_local_rank, irecv, isend, monitored_barrier, recv,
    recv_object_list, reduce, reduce_scatter, reduce_scatter_single, reduce_scatter_tensor,
    scatter, scatter_object_list, send, send_object_list,
)
from .process_group import (
    Backend, GroupMember, ProcessGroup, ReduceOp, Work, default_pg_timeout,
    destroy_process_group, get_backend, get_default_backend_for_device, get_global_rank,
    get_group_rank, get_process_group_ranks, get_rank, get_world_size, group,
    init_process_group, is_available, is_backend_available, is_gloo_available, is_initialized,
    is_mpi_available, is_nccl_available, is_torchelastic_launched, is_ucc_available,
    is_xccl_available, new_group,
)
from .store import DistBackendError, DistError, DistNetworkError, DistStoreError, TCPStore

# PyTorch's older spelling of the reduction ops
reduce_op = ReduceOp

__all__ = [
    "Backend", "DistBackendError", "DistError", "DistNetworkError", "DistStoreError",
    "GroupMember", "P2POp", "ProcessGroup", "ReduceOp", "TCPStore", "Work", "all_gather",
    "all_gather_into_tensor", "all_gather_object", "all_gather_single", "all_reduce",
    "all_to_all", "batch_isend_irecv", "get_node_local_rank", "recv_object_list",
    "reduce_scatter_single", "send_object_list",
    "all_to_all_single", "barrier", "broadcast", "broadcast_object_list", "default_pg_timeout",
    "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_default_backend_for_device", "get_global_rank", "get_group_rank",
    "get_process_group_ranks", "get_rank", "get_world_size", "group", "init_process_group",
    "irecv", "is_available", "is_backend_available", "is_gloo_available", "is_initialized",
    "is_mpi_available", "is_nccl_available", "is_torchelastic_launched", "is_ucc_available",
    "is_xccl_available", "isend", "monitored_barrier", "new_group", "recv", "reduce",
    "reduce_op", "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list",
    "send",
]
