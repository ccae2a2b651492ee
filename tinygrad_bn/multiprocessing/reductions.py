"""How tensors cross process boundaries: the reducer that ``multiprocessing``'s pickler
(``ForkingPickler``: queues, pipes, pools) uses for ``Tensor`` and ``Parameter``, as
``torch.multiprocessing.reductions`` registers PyTorch's.

As in PyTorch, a tensor arrives with its values, dtype, class and ``requires_grad``, as a leaf;
a non-leaf that requires grad is refused (autograd does not cross processes), hooks are left
behind with a warning, and so are ``grad`` and Python attributes. Tensors sent in one message
that share memory (a tensor and its views) share memory on arrival. A tensor in shared memory
(``share_memory_()``) travels as a duplicate of its block's file descriptor, so both sides map
the same memory and see each other's writes; any other tensor's values are copied (PyTorch
moves them to shared memory first: writes on one side are not seen on the other).
"""

from __future__ import annotations

import warnings
from multiprocessing.reduction import DupFd, ForkingPickler

import numpy as np

from ..nn import Parameter
from ..tensor import Tensor
from ..tensor import shared_memory
from ..tensor.copying import rebuild_tensor, storage_of, view_into

NON_LEAF_MESSAGE = (
    "Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd does "
    "not support crossing process boundaries.  If you just want to transfer the data, call "
    "detach() on the tensor before serializing (e.g., putting it on the queue).")


def reduce_tensor(tensor: Tensor):
    """``ForkingPickler``'s reduction of ``tensor``: ``(rebuild_shared, (class, root, offset,
    layout, requires_grad))`` for a view, so that pickle's memo sends a root shared by several
    tensors of one message once, or ``(rebuild_tensor, (class, array, requires_grad))``."""
    if tensor._requires_grad and tensor.grad_fn is not None:
        raise RuntimeError(NON_LEAF_MESSAGE)
    if tensor._hooks:
        for hook in tensor._hooks.values():
            warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.",
                          UserWarning, stacklevel=2)
    array = tensor._array
    block = shared_memory.block_of(array)
    if block is not None:  # share_memory_: send the block's descriptor, not the values
        fd, nbytes, root = block
        offset = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
        layout = (array.shape, array.dtype, array.strides, array.flags.writeable)
        return rebuild_from_block, (type(tensor), DupFd(fd), nbytes, offset, layout,
                                    tensor._requires_grad)
    storage = storage_of(array)
    if storage is None:
        return rebuild_tensor, (type(tensor), array, tensor._requires_grad)
    root, offset = storage
    layout = (array.shape, array.dtype, array.strides, array.flags.writeable)
    return rebuild_shared, (type(tensor), root, offset, layout, tensor._requires_grad)


def rebuild_shared(cls: type, root: np.ndarray, offset: int, layout: tuple,
                   requires_grad: bool) -> Tensor:
    """A tensor over the view ``layout`` (shape, dtype, strides, writeable) of ``root`` at byte
    ``offset``: what ``reduce_tensor`` sent for a view."""
    return rebuild_tensor(cls, view_into(root, offset, layout), requires_grad)


def rebuild_from_block(cls: type, descriptor, nbytes: int, offset: int, layout: tuple,
                       requires_grad: bool) -> Tensor:
    """A tensor over the shared block whose descriptor ``reduce_tensor`` sent (a
    ``DupFd``): the same memory as the sender's, so each side sees the other's writes."""
    root = shared_memory.attach(descriptor.detach(), nbytes)
    return rebuild_tensor(cls, view_into(root, offset, layout), requires_grad)


def init_reductions() -> None:
    """Register ``reduce_tensor`` with ``ForkingPickler`` for ``Tensor`` and ``Parameter`` (it
    dispatches on the exact class; other subclasses pickle as ``pickle`` does)."""
    for cls in (Tensor, Parameter):
        ForkingPickler.register(cls, reduce_tensor)
