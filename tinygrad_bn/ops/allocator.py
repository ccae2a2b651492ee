"""Keep freed memory for reuse: glibc's ``malloc`` tuned for an eager framework's churn.

Every op returns a fresh NumPy array, and a training step frees them all again when the next
step rebinds its loss. Arrays over 128 KiB (a ``(32, 16, 256)`` float32 activation is 512
KiB) are, by glibc's default, mapped from the kernel on each allocation and unmapped on free,
or taken from the top of the heap, which glibc gives back to the kernel once 128 KiB lie free
there: either way each step touches its activations' pages afresh, and every page is a fault.
On makemore's Transformer (benchmark W4) that was 15 of 38 ms per step. PyTorch has its own
allocator for the same reason.

``keep_freed_memory()`` raises both thresholds, so that arrays up to 32 MiB come from the heap
and up to 64 MiB of free heap stay with the process for the next step: the resident memory
stays at the step's peak instead of rising and falling each step. It runs once, when
``tinygrad_bn`` is imported, on glibc only (elsewhere it does nothing); set the environment
variable ``TINYGRAD_BN_KEEP_FREED_MEMORY=0`` before importing to leave ``malloc`` alone. The
setting is process-wide (NumPy and every other library share ``malloc``).
"""

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's own ceiling for its dynamic threshold
TRIM_THRESHOLD = 64 << 20


def keep_freed_memory():
    """Set glibc's mmap and trim thresholds (see the module's docstring); returns whether
    both were set."""
    if not sys.platform.startswith("linux") or os.environ.get(
            "TINYGRAD_BN_KEEP_FREED_MEMORY", "1") == "0":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
