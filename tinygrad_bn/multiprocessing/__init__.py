"""``tinygrad_bn.multiprocessing``: Python's ``multiprocessing`` with tensors that travel through
its queues, pipes and pools, as ``torch.multiprocessing``.

Every name of ``multiprocessing`` is here (``Process``, ``Queue``, ``Pool``, ``get_context``,
``set_start_method``, ...), with PyTorch's additions: ``spawn`` and ``start_processes`` (run
``fn(i, *args)`` in ``nprocs`` processes), and the sharing-strategy settings. Importing
``tinygrad_bn`` registers how tensors pickle between processes (see ``reductions``): as in
PyTorch, a tensor arrives a leaf with its values, dtype, class and ``requires_grad``, and a
non-leaf that requires grad is refused. Unlike PyTorch, the values are copied rather than moved
to shared memory, so a sharing strategy changes nothing about how they travel; it is kept so
that programs that set one run unchanged.
"""

import multiprocessing
import sys
from multiprocessing import *  # noqa: F401,F403  (the whole of multiprocessing, as PyTorch)

from .reductions import init_reductions
from .spawn import (
    ProcessContext, ProcessException, ProcessExitedException, ProcessRaisedException, spawn,
    start_processes,
)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           *multiprocessing.__all__]

if sys.platform in ("darwin", "win32"):
    _all_sharing_strategies = {"file_system"}
    _sharing_strategy = "file_system"
else:
    _all_sharing_strategies = {"file_descriptor", "file_system"}
    _sharing_strategy = "file_descriptor"


def set_sharing_strategy(new_strategy: str) -> None:
    """Choose the strategy PyTorch would share CPU tensors with: one of
    ``get_all_sharing_strategies()`` (PyTorch's ``AssertionError`` otherwise). tinygrad_bn
    copies tensors between processes whichever is chosen."""
    global _sharing_strategy
    if new_strategy not in _all_sharing_strategies:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{_all_sharing_strategies}")
    _sharing_strategy = new_strategy


def get_sharing_strategy() -> str:
    """The strategy ``set_sharing_strategy`` chose (``"file_descriptor"`` on Linux by
    default, as in PyTorch)."""
    return _sharing_strategy


def get_all_sharing_strategies() -> set[str]:
    """The strategies this platform has, as PyTorch names them."""
    return _all_sharing_strategies


init_reductions()
