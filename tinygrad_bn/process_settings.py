"""Process-wide settings that PyTorch scripts make at their top: the number of threads, the
precision of float32 matrix products, and deterministic algorithms.

    set_num_threads(1)                      # NumPy's BLAS on one thread, as torch's intra-op pool
    set_float32_matmul_precision("high")    # accepted; tinygrad_bn always computes "highest"
    use_deterministic_algorithms(True)      # every op here is deterministic already

Threads: tinygrad_bn's only parallel code is the BLAS library NumPy links (OpenBLAS in NumPy's
wheels, sometimes MKL), which runs matrix products on a pool of its own. ``set_num_threads``
sets that pool's size through the library's own C function (``openblas_set_num_threads``,
``MKL_Set_Num_Threads``), found among the shared libraries this process has loaded, and
``get_num_threads`` reads it back. NumPy's other calls run on one thread. When no such library
is found (NumPy on Apple's Accelerate, say), ``set_num_threads`` warns that it has no effect
and the count is only remembered.
"""

from __future__ import annotations

import ctypes
import glob
import os
import warnings

import numpy as np

from .autograd.grad_mode import _AnomalyMode
from .warn_once import _always as _warn_always

__all__ = [
    "are_deterministic_algorithms_enabled", "get_deterministic_debug_mode",
    "get_float32_matmul_precision", "get_num_interop_threads", "get_num_threads",
    "has_lapack", "has_mkl", "has_openmp", "has_spectral", "init_num_threads",
    "is_deterministic_algorithms_warn_only_enabled", "is_warn_always_enabled",
    "set_anomaly_enabled", "set_deterministic_debug_mode", "set_float32_matmul_precision",
    "set_flush_denormal", "set_num_interop_threads", "set_num_threads", "set_warn_always",
    "use_deterministic_algorithms",
]

# (set, get) C functions of the BLAS libraries NumPy ships with or links: OpenBLAS as NumPy's
# own wheels build it (symbols prefixed scipy_, 64-bit integers), plain OpenBLAS, and MKL.
_THREAD_FUNCTIONS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
    ("MKL_Set_Num_Threads", "MKL_Get_Max_Threads"),
)
_BLAS_NAMES = ("openblas", "mkl_rt", "libmkl")


def _loaded_libraries() -> list[str]:
    """Paths of the shared libraries that may hold NumPy's BLAS: those this process has mapped
    (Linux's ``/proc/self/maps``), else those shipped beside NumPy (``numpy.libs``, macOS's
    ``numpy/.dylibs``)."""
    paths = []
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.rsplit(" ", 1)[-1].strip()
                if path.startswith("/") and path not in paths:
                    paths.append(path)
    except OSError:
        numpy_dir = os.path.dirname(np.__file__)
        for pattern in ("../numpy.libs/*", ".dylibs/*"):
            paths.extend(glob.glob(os.path.join(numpy_dir, pattern)))
    return [path for path in paths if any(name in os.path.basename(path).lower()
                                          for name in _BLAS_NAMES)]


def _find_blas_threads():
    """The BLAS library's ``(set, get)`` thread functions as ctypes functions, or None."""
    for path in _loaded_libraries():
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in _THREAD_FUNCTIONS:
            setter = getattr(library, set_name, None)
            getter = getattr(library, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                return setter, getter
    return None


_blas_threads = []      # [] until looked up, then [(set, get) or None]
_requested_threads = [os.cpu_count() or 1]


def _blas():
    if not _blas_threads:
        _blas_threads.append(_find_blas_threads())
    return _blas_threads[0]


def set_num_threads(num: int) -> None:
    """Run matrix products on ``num`` threads (PyTorch's ``torch.set_num_threads``): the size
    of NumPy's BLAS thread pool. ``num`` must be a positive int."""
    if type(num) is not int and not isinstance(num, np.integer):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    blas = _blas()
    _requested_threads[0] = int(num)
    if blas is None:
        warnings.warn("set_num_threads has no effect: tinygrad_bn found no BLAS library whose "
                      "threads it can set (OpenBLAS or MKL) among those NumPy loaded; set "
                      "OMP_NUM_THREADS before Python starts instead", RuntimeWarning,
                      stacklevel=2)
        return
    blas[0](int(num))


def get_num_threads() -> int:
    """The number of threads matrix products run on (the BLAS library's own count)."""
    blas = _blas()
    return _requested_threads[0] if blas is None else int(blas[1]())


_MATMUL_PRECISIONS = ("highest", "high", "medium")
_matmul_precision = ["highest"]


def set_float32_matmul_precision(precision: str) -> None:
    """Record how precise float32 matrix products must be (``"highest"``, ``"high"`` or
    ``"medium"``, PyTorch's ``torch.set_float32_matmul_precision``). The lower settings *allow*
    PyTorch to compute with TF32 or bfloat16 internally on hardware that has them; tinygrad_bn
    always multiplies in float32, which each setting allows, so results do not change. An
    unknown name warns and changes nothing, as in PyTorch."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in _MATMUL_PRECISIONS:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      f"setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _matmul_precision[0] = precision


def get_float32_matmul_precision() -> str:
    """The float32 matrix-product precision last set (``"highest"`` unless changed)."""
    return _matmul_precision[0]


# [enabled, warn_only], as PyTorch's flags. Every tinygrad_bn op gives the same result on every
# run (NumPy on one CPU, no atomics), so there is nothing for the mode to refuse or warn about.
_deterministic = [False, False]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """PyTorch's ``torch.use_deterministic_algorithms``: ask for ops that give the same result
    on every run (and an error, or with ``warn_only`` a warning, for those that cannot). All of
    tinygrad_bn's ops are deterministic, so the flags are kept for the getters below."""
    if type(mode) is not bool:
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    if type(warn_only) is not bool:
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _deterministic[:] = [mode, warn_only]


def are_deterministic_algorithms_enabled() -> bool:
    """Whether ``use_deterministic_algorithms(True)`` is in force."""
    return _deterministic[0]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether the deterministic mode was set with ``warn_only=True``."""
    return _deterministic[1]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode: int | str) -> None:
    """The deterministic mode by one number (PyTorch's): 0 or ``"default"`` off, 1 or ``"warn"``
    on with warnings, 2 or ``"error"`` on with errors."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    _deterministic[:] = [debug_mode != 0, debug_mode == 1]


def get_deterministic_debug_mode() -> int:
    """0 when the deterministic mode is off, 1 when it warns, 2 when it raises."""
    enabled, warn_only = _deterministic
    return 0 if not enabled else 1 if warn_only else 2


def set_flush_denormal(mode: bool) -> bool:
    """PyTorch's ``set_flush_denormal``: ask the CPU to flush subnormal floats to zero, and
    say whether it could. PyTorch sets the SSE control flags of its own threads; NumPy's
    arithmetic here has no such switch, so the request is refused and the answer is False,
    which is what PyTorch answers on a CPU that cannot (subnormals keep their values)."""
    if type(mode) is not bool:
        raise TypeError(f"set_flush_denormal(): argument 'mode' (position 1) must be bool, not "
                        f"{type(mode).__name__}")
    return False


def init_num_threads() -> None:
    """PyTorch's ``init_num_threads``: give the calling thread the process's thread count. The
    only thread pool here is the BLAS library's, which is process-wide and already has it
    (``set_num_threads``), so there is nothing to do per thread."""


# PyTorch's inter-op pool runs independent ops side by side (``torch.jit.fork``); tinygrad_bn
# runs ops one after another, so the count is only remembered, and may be set once, as there.
_interop_threads = [os.cpu_count() or 1, False]  # [count, set already]


def set_num_interop_threads(num: int) -> None:
    """PyTorch's ``set_num_interop_threads``: the size of the inter-op thread pool, which may be
    set once per process (later calls raise PyTorch's error). tinygrad_bn has no such pool: ops
    run one after another, so the number is remembered for ``get_num_interop_threads``."""
    if type(num) is not int and not isinstance(num, np.integer):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got "
                           f"{type(num).__name__}")
    if num <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _interop_threads[1]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has "
                           "started or set_num_interop_threads called")
    _interop_threads[:] = [int(num), True]


def get_num_interop_threads() -> int:
    """The inter-op thread count: the number of CPUs unless ``set_num_interop_threads`` set
    it (PyTorch's default is the machine's cores too)."""
    return _interop_threads[0]


def set_warn_always(b: bool) -> None:
    """PyTorch's ``set_warn_always``: with True, the warnings PyTorch gives once per process
    (see ``tinygrad_bn.warn_once``) are given every time."""
    if type(b) is not bool:
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {type(b).__name__}")
    _warn_always[0] = b


def is_warn_always_enabled() -> bool:
    """Whether ``set_warn_always(True)`` is in force (False by default)."""
    return _warn_always[0]


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """PyTorch's ``torch.set_anomaly_enabled``: anomaly detection on or off for the process, as
    ``autograd.set_detect_anomaly`` without the ``with`` block; ``check_nan`` (True by default)
    makes backward check each gradient for NaN while it is on."""
    if type(enabled) is not bool:
        raise TypeError(f"set_anomaly_enabled(): argument 'enabled' (position 1) must be bool, "
                        f"not {type(enabled).__name__}")
    if type(check_nan) is not bool:
        raise TypeError(f"set_anomaly_enabled(): argument 'check_nan' (position 2) must be "
                        f"bool, not {type(check_nan).__name__}")
    _AnomalyMode.enabled, _AnomalyMode.check_nan = enabled, check_nan


# What the library underneath can do, as PyTorch's build flags say of its own. tinygrad_bn's
# linear algebra and FFTs are NumPy's: LAPACK (NumPy's own or its BLAS library's) and
# pocketfft are always there; MKL only when NumPy links it (conda's NumPy, not the wheels'
# OpenBLAS); OpenMP never (NumPy's wheels build OpenBLAS with pthreads, and nothing here is
# parallel otherwise).
has_mkl = any("mkl" in os.path.basename(path).lower() for path in _loaded_libraries())
has_lapack = True
has_openmp = False
has_spectral = True
