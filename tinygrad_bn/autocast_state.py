"""Autocast's per-thread state and the casts its ops make at their entry points.

``amp.autocast`` (tinygrad_bn/amp/autocast_mode.py) switches this state; the ops PyTorch's CPU
autocast policy lists read it where they are entered (``F.linear``, ``Tensor.matmul``, the
convolutions, the losses, ...), never inside the op classes. It lives here, below the tensor
and nn modules, because those modules import it.

PyTorch's CPU policy (``autocast_mode.cpp``, checked against torch 2.13 with
``torch.autocast("cpu", dtype=torch.float16)``, tests/test_amp_swa.py):

- *lower precision*: floating arguments that are not float64 are cast to the autocast dtype.
  Here: ``matmul`` (so ``mm``, ``bmm``, ``@``, ``linalg.matmul``, ``multi_dot``,
  ``chain_matmul``, ``matrix_power``), ``F.linear``, ``addmm``, ``conv1d/2d/3d``,
  ``conv_transpose1d/2d/3d``, ``prelu``, ``scaled_dot_product_attention``, ``linalg.vecdot``,
  ``tensordot`` and an ``einsum`` that sums across operands (PyTorch's reach ``bmm``).
  PyTorch's list also has ``baddbmm``, ``addbmm``, ``conv_tbc``,
  ``_native_multi_head_attention``.
- *float32*: floating arguments are cast to float32. Here: the losses (``cross_entropy``,
  ``nll_loss``, ``mse``, ``l1``, ``smooth_l1``, ``huber``, ``binary_cross_entropy`` (with
  logits), ``kl_div``, ``soft_margin``, ``cosine_embedding``, ``margin_ranking``,
  ``hinge_embedding``, ``poisson_nll``, ``triplet_margin``, ``multi_margin``,
  ``multilabel_margin``, ``ctc_loss``), ``prod``, ``cdist``, ``trace``, reflect padding of 1-2
  dims, replicate padding, ``avg_pool3d``, ``max_pool3d``, ``adaptive_avg/max_pool3d``,
  ``fractional_max_pool2d/3d``, ``max_unpool1d/2d/3d``, ``grid_sample``, and the decompositions: ``inverse``/``linalg.inv(_ex)``, ``cholesky``
  (``linalg.cholesky(_ex)``, ``cholesky_solve``, ``cholesky_inverse``), ``qr``, ``svd``
  (``linalg.svdvals``), ``pinverse``, ``linalg.solve``, ``lstsq``, ``eigh``, ``eigvalsh``,
  ``cond``, ``matrix_rank``, ``householder_product``/``orgqr``, ``ormqr``, ``geqrf``,
  ``lu_solve``, ``triangular_solve``, ``tensorinv``, ``tensorsolve``. PyTorch's list also has
  ``quantile``, ``stft``, ``fft_*``, ``polar``, ...: an op added with one of those names should
  take ``float32_op``.
- every other op runs in the dtypes it is given (``softmax``, ``layer_norm``, ``sum``,
  ``linalg.det``, ``linalg.lu_factor``, ...), as do in-place and ``out=`` forms. Not
  followed: PyTorch's ``linalg.pinv`` is a float32 SVD then a float16 matrix product (a float16
  result); ours is one op and stays float32.

Inside a listed op autocast is off (PyTorch excludes its dispatch key), so an op's own building
blocks are not cast again.
"""

from __future__ import annotations

import functools
import threading

from . import dtypes
from .autograd import graph

# PyTorch's default autocast dtype on the CPU (and HPU): the name exists (dtypes.bfloat16), but
# NumPy has no such type, so enabling autocast with it raises.
BFLOAT16 = dtypes.bfloat16
DEFAULT_DTYPES = {"cpu": BFLOAT16, "hpu": BFLOAT16}  # every other device type: float16


class _State(threading.local):
    """One thread's autocast state: per device type whether it is on and its dtype, the cache
    flag, the nesting depth, and ``cpu_dtype``: the dtype CPU ops cast to now (None when CPU
    autocast is off or an autocast op is running)."""

    def __init__(self):
        self.enabled: dict[str, bool] = {}
        self.dtype: dict[str, object] = {}
        self.cache_enabled = True
        self.nesting = 0
        self.cpu_dtype = None


state = _State()

# How many threads have CPU autocast casting now. Entry points read this module global first
# (one global read, ~20 ns) and look at the thread-local state only when it is not zero.
casting = 0
_casting_lock = threading.Lock()


def get_dtype(device_type: str):
    """The autocast dtype of ``device_type`` in this thread (``bfloat16`` for the CPU's
    default)."""
    return state.dtype.get(device_type, DEFAULT_DTYPES.get(device_type, dtypes.float16))


def set_state(device_type: str, enabled: bool, dtype) -> None:
    """Switch autocast on or off for ``device_type`` in this thread, with ``dtype``."""
    global casting
    state.enabled[device_type] = enabled
    state.dtype[device_type] = dtype
    if device_type == "cpu":
        was_casting = state.cpu_dtype is not None
        state.cpu_dtype = dtype if enabled and dtype is dtypes.float16 else None
        now_casting = state.cpu_dtype is not None
        if was_casting != now_casting:
            with _casting_lock:
                casting += 1 if now_casting else -1
            if now_casting:  # jit plans captured without autocast must not replay under it:
                graph._Structure.count += 1  # they capture again, which autocast refuses


def _cast(value, dtype):
    """``value`` as ``dtype`` if it is a floating tensor that is not float64 (PyTorch's
    eligibility rule); anything else (None, ints, float64 tensors) unchanged."""
    array = getattr(value, "_array", None)
    if array is None or array.dtype.kind != "f" or array.dtype == dtypes.float64:
        return value
    return value if array.dtype == dtype else value.to(dtype)


def _refuse_capture():
    """A jit capture does not record the autocast state, so a replay could not follow a change
    of it: a function that autocasts runs eagerly (the capture is told why)."""
    if graph.tracer is not None:
        graph.untraceable("an op autocast to another dtype (a replay would not follow a change "
                          "of the autocast state)")


def lower_precision(*values):
    """The arguments of a lower-precision op (matmul, linear, conv, ...): floating tensors that
    are not float64 cast to the autocast dtype when CPU autocast is on in this thread; a tuple
    of all the arguments, unchanged when it is off."""
    dtype = state.cpu_dtype
    if dtype is None:
        return values
    _refuse_capture()
    return tuple(_cast(value, dtype) for value in values)


def full_precision(*values):
    """The arguments of a float32 op, floating ones that are not float64 cast to float32 when
    CPU autocast is on in this thread (``float32_op`` for the ops it decorates)."""
    if state.cpu_dtype is None:
        return values
    _refuse_capture()
    return tuple(_cast(value, dtypes.float32) for value in values)


class excluded:
    """Autocast off in this thread while an autocast op (or an in-place write) runs: PyTorch
    excludes its autocast key there."""

    def __enter__(self):
        self.saved, state.cpu_dtype = state.cpu_dtype, None

    def __exit__(self, *exc_info):
        state.cpu_dtype = self.saved


def _cast_arguments(args, kwargs, dtype):
    _refuse_capture()
    return (tuple(_cast_nested(a, dtype) for a in args),
            {k: _cast_nested(v, dtype) for k, v in kwargs.items()})


def _cast_nested(value, dtype):
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, dtype) for v in value)
    return _cast(value, dtype)


def float32_op(function):
    """Decorate an op of PyTorch's CPU float32 list: under CPU autocast its floating arguments
    (not float64) are cast to float32 and it runs with autocast off; otherwise it is called as
    is (the cost: one call and one global read)."""

    @functools.wraps(function)
    def autocast_to_float32(*args, **kwargs):
        if casting and state.cpu_dtype is not None:
            args, kwargs = _cast_arguments(args, kwargs, dtypes.float32)
            with excluded():
                return function(*args, **kwargs)
        return function(*args, **kwargs)

    return autocast_to_float32


def lower_precision_op(function):
    """Decorate an op of PyTorch's CPU lower-precision list that tinygrad_bn builds from other
    ops (``addmm``, ``scaled_dot_product_attention``, ``prelu``, ``tensordot``): under CPU
    autocast its floating arguments (not float64) are cast to the autocast dtype and it runs
    with autocast off, so that its own float32 steps (float16 is computed in float32 and
    rounded once) are not cast down again."""

    @functools.wraps(function)
    def autocast_to_lower_precision(*args, **kwargs):
        if casting and state.cpu_dtype is not None:
            args, kwargs = _cast_arguments(args, kwargs, state.cpu_dtype)
            with excluded():
                return function(*args, **kwargs)
        return function(*args, **kwargs)

    return autocast_to_lower_precision


def not_autocast(function):
    """Decorate an op that PyTorch runs as one kernel outside the autocast lists but that
    tinygrad_bn builds from listed ops (``bilinear``, the recurrent cells): under CPU autocast it
    runs with autocast off, in the dtypes it is given, as PyTorch's does."""

    @functools.wraps(function)
    def without_autocast(*args, **kwargs):
        if casting and state.cpu_dtype is not None:
            with excluded():
                return function(*args, **kwargs)
        return function(*args, **kwargs)

    return without_autocast
