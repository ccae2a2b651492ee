"""Tensor memory that several processes map at once: what ``Tensor.share_memory_()`` moves a
tensor into, so that a model's parameters trained by worker processes (Hogwild!, A3C) are one
set of numbers, as with ``torch.multiprocessing``.

A shared block is an anonymous file (Linux's ``memfd_create``; elsewhere a temporary file
removed as soon as it is opened) mapped with ``mmap`` (``MAP_SHARED``). A process made by
``fork`` inherits the mapping itself; a process that receives the tensor through
``multiprocessing``'s queues, pipes or the arguments of a ``spawn``ed process receives a
duplicate of the file descriptor (``multiprocessing.reduction.DupFd``, PyTorch's
``file_descriptor`` strategy) and maps the same file. Either way a write on one side is seen on
the other. The block lives while any process maps it: each mapping closes when the last array
over it is gone.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import weakref

import numpy as np

# id(mmap) -> (file descriptor, weak reference to the mmap): the blocks this process maps; an
# entry is removed (and its descriptor closed) when its mmap is collected, which happens when
# the last array over it is.
_blocks: dict[int, tuple[int, weakref.ref]] = {}


def _anonymous_file(nbytes: int) -> int:
    """A descriptor of a new file of ``nbytes`` zero bytes that no path names."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("tinygrad_bn-shared-tensor", os.MFD_CLOEXEC)
    else:
        fd, path = tempfile.mkstemp(prefix="tinygrad_bn-shared-tensor-")
        os.unlink(path)
    os.ftruncate(fd, nbytes)
    return fd


def _map(fd: int, nbytes: int) -> mmap.mmap:
    """Map ``fd`` (``nbytes`` long; at least one byte is mapped, as mmap cannot map none) and
    remember it as a shared block of this process."""
    block = mmap.mmap(fd, max(nbytes, 1))
    key = id(block)
    _blocks[key] = (fd, weakref.ref(block))
    weakref.finalize(block, _forget, key, fd)
    return block


def _forget(key: int, fd: int) -> None:
    _blocks.pop(key, None)
    try:
        os.close(fd)
    except OSError:
        pass


def shared_copy(array: np.ndarray) -> np.ndarray:
    """A C-contiguous array equal to ``array`` in a new shared block."""
    fd = _anonymous_file(max(array.nbytes, 1))
    block = _map(fd, array.nbytes)
    shared = np.frombuffer(block, dtype=np.uint8, count=array.nbytes)
    shared = shared.view(array.dtype).reshape(array.shape)
    np.copyto(shared, array)
    return shared


def block_of(array: np.ndarray) -> tuple[int, int, np.ndarray] | None:
    """``(file descriptor, size in bytes, root array)`` of the shared block ``array`` lies in
    (the root is the block's whole byte array, which views of it share), or None for memory
    of one process."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    buffer = root.base
    if isinstance(buffer, memoryview):  # np.frombuffer keeps a memoryview of the mmap
        buffer = buffer.obj
    if isinstance(buffer, mmap.mmap):
        entry = _blocks.get(id(buffer))
        if entry is not None and entry[1]() is buffer:
            return entry[0], root.nbytes, root
    return None


def attach(fd: int, nbytes: int) -> np.ndarray:
    """The whole shared block behind descriptor ``fd`` (received from another process, owned
    from now on) as a byte array of ``nbytes``."""
    return np.frombuffer(_map(fd, nbytes), dtype=np.uint8, count=nbytes)
