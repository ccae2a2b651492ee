"""The collectives of ``torch.distributed`` on tensors, in place, as gloo runs them on the CPU:
argument checks with PyTorch's messages first (on the calling rank, before anything moves),
then the exchange through the group's store (``process_group``). ``src``/``dst`` are ranks of
the default group, ``group_src``/``group_dst`` ranks of ``group``, as in PyTorch 2.x."""

from __future__ import annotations

import io
import os
import pickle
import threading
import time
import warnings

import numpy as np

from .process_group import GroupMember, ReduceOp, Work, _reduce, _resolve


def _tensor_class():
    from ..tensor import Tensor
    return Tensor


def _check_tensor(tensor, name: str = "tensor") -> None:
    if not isinstance(tensor, _tensor_class()):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"torch.Tensor\n             but got {type(tensor)} instead.")


def _check_tensor_list(tensors, name: str) -> None:
    Tensor = _tensor_class()
    if not isinstance(tensors, list) or not all(isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type "
                        f"List[torch.Tensor]\n             but got {type(tensors)} instead.")


def _read(tensor) -> np.ndarray:
    return np.array(tensor.detach().numpy(), order="C", copy=True)


def _write(tensor, array: np.ndarray) -> None:
    """Overwrite ``tensor``'s values in place (outside autograd, as PyTorch's collectives)."""
    from .. import from_numpy, no_grad
    with no_grad():
        tensor.copy_(from_numpy(np.array(array, order="C", copy=True)))


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _check_same(kind: str, expected: np.ndarray | tuple, tensors, index_base: int = 0) -> None:
    """gloo's checks that every tensor of a list matches the input's size and dtype."""
    shape = tuple(expected)
    for index, tensor in enumerate(tensors):
        if tuple(tensor.shape) != shape:
            raise RuntimeError(f"ProcessGroupGloo::{kind}: invalid tensor size at index "
                               f"{index + index_base} (expected {_shape_text(shape)}, got "
                               f"{_shape_text(tensor.shape)})")


def _vector_text(shape) -> str:
    """How c10 prints a size vector in a failed check: ``2`` for one dimension, ``[2, 3]``."""
    return str(shape[0]) if len(shape) == 1 else "[" + ", ".join(map(str, shape)) + "]"


def _check_dtypes(tensors) -> None:
    dtypes = [t.dtype for t in tensors]
    for dtype in dtypes[1:]:
        if dtype != dtypes[0]:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound "
                             f"{_dtype_text(dtypes[0])} and  {_dtype_text(dtype)}")


def _dtype_text(dtype) -> str:
    text = str(dtype)
    return text if text.startswith("torch.") else f"torch.{text}"


def _check_peer_shapes(kind: str, process_group, arrays, shape) -> None:
    """What gloo would fail on mid-flight, caught once every rank's array is here: a rank
    whose tensor has another number of elements (or dtype) than this one's."""
    for rank, array in enumerate(arrays):
        if array.shape != shape:
            raise RuntimeError(f"ProcessGroupGloo::{kind}: rank {rank} sent a tensor of size "
                               f"{_shape_text(array.shape)}, rank {process_group.rank()} has "
                               f"{_shape_text(shape)}")


def _group_rank(process_group, global_rank, group_rank, kind: str, name: str) -> int:
    """A root given as a default-group rank (``src``/``dst``) or a group rank
    (``group_src``/``group_dst``), as a rank of ``process_group``."""
    if global_rank is not None and group_rank is not None:
        raise ValueError(f"Can not specify both {name} and group_{name}")
    if group_rank is None:
        global_rank = 0 if global_rank is None else global_rank
        if process_group is GroupMember.WORLD:
            group_rank = global_rank
        elif global_rank not in process_group._global_ranks:
            raise ValueError(f"Global rank {global_rank} is not part of group {process_group}")
        else:
            group_rank = process_group._global_ranks.index(global_rank)
    if group_rank < 0 or group_rank >= process_group.size():
        raise RuntimeError(f"ProcessGroupGloo::{kind}: invalid root rank: {group_rank}")
    return group_rank


def _check_op(op) -> ReduceOp.RedOpType:
    op = op.op if isinstance(op, ReduceOp) else op
    if op == ReduceOp.PREMUL_SUM:
        raise RuntimeError("Cannot use ReduceOp.PREMUL_SUM with Gloo")
    return op


# -- collectives -----------------------------------------------------------------------------

def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``tensor`` becomes ``op`` of every rank's ``tensor`` (PyTorch's ``all_reduce``)."""
    _check_tensor(tensor)
    process_group = _resolve(group)
    if process_group is None:
        return None
    op = _check_op(op)
    array = _read(tensor)
    _reduce([array], op, process_group.size())  # the dtype checks, before anything moves

    def body(prefix):
        arrays = process_group._exchange(prefix, array)
        _check_peer_shapes("allreduce", process_group, arrays, array.shape)
        _write(tensor, _reduce(arrays, op, process_group.size()))
    return process_group._submit(body, async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op: bool = False,
           group_dst=None):
    """Rank ``dst``'s ``tensor`` becomes ``op`` of every rank's; the others' are left as they
    were (gloo leaves scratch values in them, which PyTorch documents as unspecified)."""
    _check_tensor(tensor)
    process_group = _resolve(group)
    if process_group is None:
        return None
    root = _group_rank(process_group, dst, group_dst, "reduce", "dst")
    op = _check_op(op)
    array = _read(tensor)
    _reduce([array], op, process_group.size())

    def body(prefix):
        if process_group.rank() != root:
            process_group._put(f"{prefix}/{process_group.rank()}", array)
            return
        arrays = [array if rank == root else process_group._take(f"{prefix}/{rank}")
                  for rank in range(process_group.size())]
        _check_peer_shapes("reduce", process_group, arrays, array.shape)
        _write(tensor, _reduce(arrays, op, process_group.size()))
    return process_group._submit(body, async_op)


def broadcast(tensor, src=None, group=None, async_op: bool = False, group_src=None):
    """Every rank's ``tensor`` becomes rank ``src``'s."""
    _check_tensor(tensor)
    process_group = _resolve(group)
    if process_group is None:
        return None
    root = _group_rank(process_group, src, group_src, "broadcast", "src")

    def body(prefix):
        if process_group.rank() == root:
            if process_group.size() > 1:
                process_group._put(prefix, _read(tensor))
            return
        array = process_group._take(prefix, process_group.size() - 1)
        _check_peer_shapes("broadcast", process_group, [array], tuple(tensor.shape))
        _write(tensor, array)
    return process_group._submit(body, async_op)


def all_gather(tensor_list, tensor, group=None, async_op: bool = False):
    """``tensor_list[r]`` becomes rank ``r``'s ``tensor``, on every rank."""
    _check_tensor_list(tensor_list, "tensor_list")
    _check_tensor(tensor)
    _check_dtypes(tensor_list + [tensor])
    process_group = _resolve(group)
    if process_group is None:
        return None
    if len(tensor_list) != process_group.size():
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid output tensor list at index 0 "
                           f"(expected length {process_group.size()}, got {len(tensor_list)})")
    _check_same("allgather", tensor.shape, tensor_list)
    array = _read(tensor)

    def body(prefix):
        arrays = process_group._exchange(prefix, array)
        _check_peer_shapes("allgather", process_group, arrays, array.shape)
        for target, value in zip(tensor_list, arrays):
            _write(target, value)
    return process_group._submit(body, async_op)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op: bool = False):
    """``all_gather_single``, under the name PyTorch 2.13 deprecates (FutureWarning)."""
    warnings.warn("`torch.distributed.all_gather_into_tensor` is deprecated. Please use "
                  "`torch.distributed.all_gather_single` instead.", FutureWarning, stacklevel=2)
    return all_gather_single(output_tensor, input_tensor, group, async_op)


def all_gather_single(output_tensor, input_tensor, group=None, async_op: bool = False):
    """``output_tensor`` (shape ``(size * n, ...)`` for an input of shape ``(n, ...)``)
    becomes every rank's ``input_tensor``, concatenated in rank order."""
    _check_tensor(input_tensor, "input_tensor")
    _check_tensor(output_tensor, "output_tensor")
    _check_dtypes([output_tensor, input_tensor])
    process_group = _resolve(group)
    if process_group is None:
        return None
    size = process_group.size()
    shape = tuple(input_tensor.shape)
    out_shape = tuple(output_tensor.shape)
    # gloo takes only the concatenated form (PyTorch's other backends also take the stacked
    # one, ``(size, *shape)``, which gloo refuses: its size is checked piece by piece)
    joined = len(out_shape) == max(len(shape), 1) and shape[1:] == out_shape[1:] and \
        out_shape[:1] == ((shape[0] if shape else 1) * size,)
    if not joined:
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid tensor size at index 0 "
                           f"(expected {_shape_text(shape)}, got {_piece_text(out_shape, size)})")
    array = _read(input_tensor)

    def body(prefix):
        arrays = process_group._exchange(prefix, array)
        _check_peer_shapes("allgather", process_group, arrays, array.shape)
        _write(output_tensor, np.stack(arrays).reshape(out_shape))
    return process_group._submit(body, async_op)


def _piece_text(out_shape, size) -> str:
    """How gloo names an output it cannot split: the output's size with its first dimension
    divided by the group size (the whole size when it does not divide)."""
    if out_shape and out_shape[0] % size == 0 and size > 1:
        return _shape_text((out_shape[0] // size,) + out_shape[1:])
    return _shape_text(out_shape)


def gather(tensor, gather_list=None, dst=None, group=None, async_op: bool = False,
           group_dst=None):
    """On rank ``dst``, ``gather_list[r]`` becomes rank ``r``'s ``tensor``; the other ranks
    must not pass a ``gather_list``."""
    _check_tensor(tensor)
    process_group = _resolve(group)
    if process_group is None:
        return None
    root = _group_rank(process_group, dst, group_dst, "gather", "dst")
    if process_group.rank() == root:
        if not gather_list:
            raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
        _check_tensor_list(gather_list, "gather_list")
        _check_dtypes(gather_list + [tensor])
        if len(gather_list) != process_group.size():
            raise RuntimeError(f"ProcessGroupGloo::gather: Incorrect output list size "
                               f"{len(gather_list)}. Output list size should be "
                               f"{process_group.size()}, same as size of the process group.")
        _check_same("gather", tensor.shape, gather_list)
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination "
                         "ranks.")
    array = _read(tensor)

    def body(prefix):
        if process_group.rank() != root:
            process_group._put(f"{prefix}/{process_group.rank()}", array)
            return
        arrays = [array if rank == root else process_group._take(f"{prefix}/{rank}")
                  for rank in range(process_group.size())]
        _check_peer_shapes("gather", process_group, arrays, array.shape)
        for target, value in zip(gather_list, arrays):
            _write(target, value)
    return process_group._submit(body, async_op)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op: bool = False,
            group_src=None):
    """Every rank's ``tensor`` becomes ``scatter_list[rank]`` of rank ``src``; the other ranks
    must not pass a ``scatter_list``."""
    _check_tensor(tensor)
    process_group = _resolve(group)
    if process_group is None:
        return None
    root = _group_rank(process_group, src, group_src, "scatter", "src")
    if process_group.rank() == root:
        if not scatter_list:
            raise ValueError("Argument ``scatter_list`` must be specified on source rank.")
        _check_tensor_list(scatter_list, "scatter_list")
        _check_dtypes(scatter_list + [tensor])
        if len(scatter_list) != process_group.size():
            raise RuntimeError(f"ProcessGroupGloo::scatter: Incorrect input list size "
                               f"{len(scatter_list)}. Input list size should be "
                               f"{process_group.size()}, same as size of the process group.")
        _check_same("scatter", tensor.shape, scatter_list)
        arrays = [_read(piece) for piece in scatter_list]
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")

    def body(prefix):
        if process_group.rank() == root:
            for rank, array in enumerate(arrays):
                if rank != root:
                    process_group._put(f"{prefix}/{rank}", array)
            _write(tensor, arrays[root])
            return
        array = process_group._take(f"{prefix}/{process_group.rank()}")
        _check_peer_shapes("scatter", process_group, [array], tuple(tensor.shape))
        _write(tensor, array)
    return process_group._submit(body, async_op)


def _personal_exchange(process_group, prefix, pieces):
    """Rank ``r`` sends ``pieces[d]`` to each rank ``d``; returns what each rank sent here,
    in rank order (the all-to-all that reduce-scatter is made of)."""
    me = process_group.rank()
    for rank, piece in enumerate(pieces):
        if rank != me:
            process_group._put(f"{prefix}/{me}/{rank}", piece)
    return [pieces[me] if rank == me else process_group._take(f"{prefix}/{rank}/{me}")
            for rank in range(process_group.size())]


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``output`` on rank ``r`` becomes ``op`` over ranks of their ``input_list[r]``."""
    _check_tensor(output, "output")
    _check_tensor_list(input_list, "input_list")
    _check_dtypes(input_list + [output])
    process_group = _resolve(group)
    if process_group is None:
        return None
    op = _check_op(op)
    if len(input_list) != process_group.size():
        raise RuntimeError("invalid input tensor list size, must be world size")
    for piece in input_list:
        if tuple(piece.shape) != tuple(output.shape):
            # gloo's failed check (without the log prefix with rank, time and source line)
            raise RuntimeError(f"Check failed: outputs[0].sizes().vec() == "
                               f"inputs[0][i].sizes().vec() ({_vector_text(output.shape)} vs. "
                               f"{_vector_text(piece.shape)}). \n")
    pieces = [_read(piece) for piece in input_list]
    _reduce(pieces[:1], op, process_group.size())

    def body(prefix):
        arrays = _personal_exchange(process_group, prefix, pieces)
        _write(output, _reduce(arrays, op, process_group.size()))
    return process_group._submit(body, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``reduce_scatter_single``, under the name PyTorch 2.13 deprecates (FutureWarning)."""
    warnings.warn("`torch.distributed.reduce_scatter_tensor` is deprecated. Please use "
                  "`torch.distributed.reduce_scatter_single` instead.", FutureWarning,
                  stacklevel=2)
    return reduce_scatter_single(output, input, op, group, async_op)


def reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """``reduce_scatter`` with the inputs as one tensor, split along its first dimension
    into ``size`` equal parts."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    _check_dtypes([output, input])
    process_group = _resolve(group)
    if process_group is None:
        return None
    size = process_group.size()
    out_rows = output.shape[0] if output.dim() else 1
    in_rows = input.shape[0] if input.dim() else 1
    if out_rows * size != in_rows or input.numel() != output.numel() * size:
        # gloo's failed check (without the log prefix with rank, time and source line)
        raise RuntimeError(f"Check failed: outputShape[0] * worldSize == inputShape[0] "
                           f"({out_rows * size} vs. {in_rows}). \n")
    op = _check_op(op)
    pieces = list(_read(input).reshape((size,) + tuple(output.shape)))
    _reduce(pieces[:1], op, size)

    def body(prefix):
        arrays = _personal_exchange(process_group, prefix, pieces)
        _write(output, _reduce(arrays, op, size))
    return process_group._submit(body, async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op: bool = False):
    """``output_tensor_list[r]`` becomes rank ``r``'s ``input_tensor_list[rank]``."""
    _check_tensor_list(output_tensor_list, "output_tensor_list")
    _check_tensor_list(input_tensor_list, "input_tensor_list")
    _check_dtypes(output_tensor_list + input_tensor_list)
    process_group = _resolve(group)
    if process_group is None:
        return None
    for kind, tensors in (("input", input_tensor_list), ("output", output_tensor_list)):
        if len(tensors) != process_group.size():
            raise RuntimeError(f"ProcessGroupGloo::alltoall: {kind} tensor list size "
                               f"{len(tensors)} does not match world size "
                               f"{process_group.size()}")
    pieces = [_read(piece) for piece in input_tensor_list]

    def body(prefix):
        arrays = _personal_exchange(process_group, prefix, pieces)
        for target, value in zip(output_tensor_list, arrays):
            _write(target, value.reshape(tuple(target.shape)))
    return process_group._submit(body, async_op)


def all_to_all_single(output, input, output_split_sizes=None, input_split_sizes=None,
                      group=None, async_op: bool = False):
    """``all_to_all`` of ``input`` split along its first dimension (equally, or by
    ``input_split_sizes``), gathered into ``output`` (by ``output_split_sizes``)."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    process_group = _resolve(group)
    if process_group is None:
        return None
    size = process_group.size()
    array = _read(input)
    cuts = np.cumsum(input_split_sizes)[:-1] if input_split_sizes else size
    pieces = np.split(array, cuts) if input_split_sizes else np.split(array, size)

    def body(prefix):
        arrays = _personal_exchange(process_group, prefix, pieces)
        _write(output, np.concatenate(arrays).reshape(tuple(output.shape)))
    return process_group._submit(body, async_op)


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Return once every rank of ``group`` has called ``barrier``."""
    process_group = _resolve(group)
    if process_group is None:
        return None
    return process_group._submit(lambda prefix: process_group._exchange(prefix, None), async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks: bool = False):
    """``barrier`` (gloo's monitored barrier; this one names no missing rank)."""
    return barrier(group)


# -- point to point --------------------------------------------------------------------------

def _peer(process_group, peer, group_peer, name: str) -> int:
    if peer is not None and group_peer is not None:
        raise ValueError(f"Can not specify both {name} and group_{name}")
    if group_peer is None:
        group_peer = peer if process_group is GroupMember.WORLD else \
            process_group._global_ranks.index(peer)
    return group_peer


def send(tensor, dst=None, group=None, tag: int = 0, group_dst=None) -> None:
    """Send ``tensor`` to rank ``dst``, which receives it with ``recv`` (same ``tag``)."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def isend(tensor, dst=None, group=None, tag: int = 0, group_dst=None):
    """``send`` returning a ``Work``: the value is in the store when it returns."""
    _check_tensor(tensor)
    process_group = _resolve(group)
    if process_group is None:
        return None
    peer = _peer(process_group, dst, group_dst, "dst")
    if peer == process_group.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same "
                         "as the rank of the current process.")
    if peer < 0 or peer >= process_group.size():
        raise ValueError(f"Invalid destination rank: {peer}")
    key = process_group._next_p2p(process_group.rank(), peer, tag)
    process_group._put(key, _read(tensor))
    return Work()


def recv(tensor, src=None, group=None, tag: int = 0, group_src=None) -> int:
    """Receive into ``tensor`` what rank ``src`` (any rank when None) sent with ``tag``;
    returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    if work is None:
        return -1
    return work.source_rank()


def irecv(tensor, src=None, group=None, tag: int = 0, group_src=None):
    """``recv`` returning a ``Work`` whose ``wait()`` returns once the value is here."""
    _check_tensor(tensor)
    process_group = _resolve(group)
    if process_group is None:
        return None
    me = process_group.rank()
    if src is None and group_src is None:
        return _start(lambda: _receive_any(process_group, tensor, tag))
    peer = _peer(process_group, src, group_src, "src")
    if peer == me:
        raise ValueError("Invalid source rank: source rank should not be the same as the rank "
                         "of the current process.")
    if peer < 0 or peer >= process_group.size():
        raise ValueError(f"Invalid source rank: {peer}")
    key = process_group._next_p2p(peer, me, tag)

    def receive():
        _write(tensor, process_group._take(key))
        return process_group._global_ranks[peer]
    return _start(receive)


def _receive_any(process_group, tensor, tag: int) -> int:
    """Wait for the next message from any rank (the first whose next key exists)."""
    me = process_group.rank()
    deadline = time.monotonic() + process_group._timeout.total_seconds()
    while time.monotonic() < deadline:
        for peer in range(process_group.size()):
            if peer == me:
                continue
            with process_group._lock:
                count = process_group._p2p_counts.get((peer, me, tag), 0)
            key = f"{process_group.group_name}/p2p/{peer}/{me}/{tag}/{count}"
            if process_group.store.check([key]):
                process_group._next_p2p(peer, me, tag)
                _write(tensor, process_group._take(key))
                return process_group._global_ranks[peer]
        time.sleep(0.001)
    raise RuntimeError(f"recv from any source timed out after "
                       f"{int(process_group._timeout.total_seconds() * 1000)}ms")


class P2POp:
    """PyTorch's ``P2POp(op, tensor, peer=None, group=None, tag=0, group_peer=None)``: one
    ``isend`` or ``irecv`` for ``batch_isend_irecv``."""

    def __init__(self, op, tensor, peer=None, group=None, tag: int = 0, group_peer=None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type "
                             "``torch.distributed.isend`` or ``torch.distributed.irecv``.")
        _check_tensor(tensor)
        self.op, self.tensor, self.tag = op, tensor, tag
        self.group = _resolve(group)
        self.peer, self.group_peer = peer, group_peer


def batch_isend_irecv(p2p_op_list: list) -> list:
    """Start every ``P2POp`` of the list (all on one group); their ``Work`` handles."""
    if not isinstance(p2p_op_list, list) or not all(isinstance(op, P2POp)
                                                    for op in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``torch.distributed.P2POp``.")
    group = p2p_op_list[0].group if p2p_op_list else None
    if not all(group == op.group for op in p2p_op_list):
        raise ValueError("All ops need to use the same group.")
    return [op.op(op.tensor, op.peer, op.group, op.tag, op.group_peer) for op in p2p_op_list]


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """This process's rank on its machine: ``LOCAL_RANK`` (set by torchrun), else
    ``fallback_rank``."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment. Consider passing fallback_rank "
                       "to allow `get_node_local_rank` to work, assuming you are not running "
                       "in a multi-device context and want the code to run locally instead.")


def _start(run) -> Work:
    work = Work(run)
    threading.Thread(target=work._execute, daemon=True).start()
    return work


# -- objects ---------------------------------------------------------------------------------

def _dumps(obj) -> bytes:
    buffer = io.BytesIO()
    pickle.Pickler(buffer).dump(obj)
    return buffer.getvalue()


def all_gather_object(object_list: list, obj, group=None) -> None:
    """``object_list[r]`` becomes rank ``r``'s ``obj`` (pickled), on every rank."""
    process_group = _resolve(group)
    if process_group is None:
        return
    data = _dumps(obj)
    objects = process_group._submit_result(lambda prefix: process_group._exchange(prefix, data))
    for rank, value in enumerate(objects):
        if rank < len(object_list):
            object_list[rank] = pickle.loads(value)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None) -> None:
    """On rank ``dst``, ``object_gather_list[r]`` becomes rank ``r``'s ``obj``."""
    process_group = _resolve(group)
    if process_group is None:
        return
    root = _group_rank(process_group, dst, group_dst, "gather", "dst")
    data = _dumps(obj)

    def body(prefix):
        if process_group.rank() != root:
            process_group._put(f"{prefix}/{process_group.rank()}", data)
            return None
        return [data if rank == root else process_group._take(f"{prefix}/{rank}")
                for rank in range(process_group.size())]
    objects = process_group._submit_result(body)
    if process_group.rank() == root:
        for rank, value in enumerate(objects):
            if rank < len(object_gather_list):
                object_gather_list[rank] = pickle.loads(value)


def broadcast_object_list(object_list: list, src=None, group=None, device=None,
                          group_src=None) -> None:
    """Every rank's ``object_list`` becomes rank ``src``'s, element for element."""
    process_group = _resolve(group)
    if process_group is None:
        return
    root = _group_rank(process_group, src, group_src, "broadcast", "src")

    def body(prefix):
        if process_group.rank() == root:
            if process_group.size() > 1:
                process_group._put(prefix, [_dumps(obj) for obj in object_list])
            return None
        return process_group._take(prefix, process_group.size() - 1)
    objects = process_group._submit_result(body)
    if process_group.rank() != root:
        for index, value in enumerate(objects[:len(object_list)]):
            object_list[index] = pickle.loads(value)


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list=None,
                        src=None, group=None, group_src=None) -> None:
    """``scatter_object_output_list[0]`` becomes rank ``src``'s
    ``scatter_object_input_list[rank]``."""
    process_group = _resolve(group)
    if process_group is None:
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    root = _group_rank(process_group, src, group_src, "scatter", "src")

    def body(prefix):
        if process_group.rank() == root:
            for rank, obj in enumerate(scatter_object_input_list):
                if rank != root:
                    process_group._put(f"{prefix}/{rank}", _dumps(obj))
            return _dumps(scatter_object_input_list[root])
        return process_group._take(f"{prefix}/{process_group.rank()}")
    scatter_object_output_list[0] = pickle.loads(process_group._submit_result(body))


def send_object_list(object_list: list, dst=None, group=None, device=None, group_dst=None,
                     use_batch: bool = False) -> None:
    """Send the (pickled) objects of ``object_list`` to rank ``dst``."""
    process_group = _resolve(group)
    if process_group is None:
        return
    peer = _peer(process_group, dst, group_dst, "dst")
    if peer == process_group.rank():
        raise ValueError("Invalid destination rank: destination rank should not be the same "
                         "as the rank of the current process.")
    key = process_group._next_p2p(process_group.rank(), peer, "objects")
    process_group._put(key, [_dumps(obj) for obj in object_list])


def recv_object_list(object_list: list, src=None, group=None, device=None, group_src=None,
                     use_batch: bool = False) -> int:
    """Fill ``object_list`` with the objects rank ``src`` sent with ``send_object_list``;
    returns the sender's rank."""
    process_group = _resolve(group)
    if process_group is None:
        return -1
    if src is None and group_src is None:
        raise ValueError("recv_object_list needs ``src`` here (receiving from any rank is "
                         "not supported by this implementation)")
    peer = _peer(process_group, src, group_src, "src")
    key = process_group._next_p2p(peer, process_group.rank(), "objects")
    for index, value in enumerate(process_group._take(key)[:len(object_list)]):
        object_list[index] = pickle.loads(value)
    return process_group._global_ranks[peer]
