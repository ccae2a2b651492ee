"""``autocast``: PyTorch's context manager and decorator for mixed-precision regions, and the
functions that read and set its per-thread state (``is_autocast_enabled``,
``get_autocast_dtype``, ...). Which ops cast, and to what, is in tinygrad_bn/autocast_state.py.

On the CPU PyTorch autocasts to bfloat16 unless told otherwise; tinygrad_bn's ``bfloat16`` is a
name only (NumPy has no such type), so an enabled CPU region must be given
``dtype=torch.float16``, and one with bfloat16 raises rather than compute in another dtype.
``autocast("cuda")`` warns and disables itself, as PyTorch does on a machine without CUDA.
"""

from __future__ import annotations

import collections.abc
import functools
import warnings
from typing import Any

from .. import autocast_state, dtypes
from ..autocast_state import BFLOAT16
from ..device import device
from ..tensor import Tensor

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype",
           "set_autocast_enabled", "set_autocast_dtype", "is_autocast_cache_enabled",
           "set_autocast_cache_enabled", "clear_autocast_cache", "custom_fwd", "custom_bwd",
           "is_autocast_cpu_enabled", "get_autocast_cpu_dtype", "get_autocast_gpu_dtype"]


def _device_type(device_type: str) -> str:
    """The device type named by ``device_type`` (``"cpu:0"`` is ``"cpu"``); an unknown name
    raises PyTorch's device-string error."""
    return device(device_type).type


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast exists for ``device_type`` (every device type PyTorch's CPU build
    accepts, all but ``"meta"``); an unknown name raises ``RuntimeError``."""
    return _device_type(device_type) != "meta"


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on for ``device_type`` in this thread; with no argument, for CUDA
    (PyTorch's deprecated form), which is never on here."""
    return autocast_state.state.enabled.get(
        "cuda" if device_type is None else _device_type(device_type), False)


def get_autocast_dtype(device_type: str):
    """The dtype autocast uses on ``device_type`` in this thread: float16, except on the CPU,
    where PyTorch's default is ``bfloat16`` (a name only here: an autocast region enabled with
    it raises; set ``dtype=torch.float16`` or call ``set_autocast_dtype("cpu",
    torch.float16)``)."""
    return autocast_state.get_dtype(_device_type(device_type))


def set_autocast_enabled(device_type: str, enabled: bool) -> None:
    """Switch autocast on or off for ``device_type`` in this thread, keeping its dtype (a CPU
    dtype of bfloat16 cannot be switched on: ``RuntimeError``)."""
    device_type = _device_type(device_type)
    dtype = autocast_state.get_dtype(device_type)
    if enabled and dtype is BFLOAT16 and device_type == "cpu":
        raise RuntimeError(_no_bfloat16(device_type))
    autocast_state.set_state(device_type, enabled, dtype)


def set_autocast_dtype(device_type: str, dtype) -> None:
    """Set the dtype autocast uses on ``device_type`` in this thread."""
    device_type = _device_type(device_type)
    dtype = dtype if dtype is BFLOAT16 else dtypes.canonical(dtype)
    autocast_state.set_state(device_type, autocast_state.state.enabled.get(device_type, False),
                             dtype)


def is_autocast_cache_enabled() -> bool:
    """Whether autocast's cast cache is on (a flag only: tinygrad_bn casts the weights again at
    each op instead of caching them, which gives the same values)."""
    return autocast_state.state.cache_enabled


def set_autocast_cache_enabled(enabled: bool) -> None:
    """Set the flag ``is_autocast_cache_enabled`` reads."""
    autocast_state.state.cache_enabled = enabled


def clear_autocast_cache() -> None:
    """Nothing to clear: tinygrad_bn keeps no cast cache (see ``is_autocast_cache_enabled``)."""


def _no_bfloat16(device_type) -> str:
    return (f"autocast on '{device_type}' with dtype torch.bfloat16 (PyTorch's default autocast "
            "dtype on the CPU): tinygrad_bn has no bfloat16 dtype (NumPy has none). Pass "
            "dtype=torch.float16, or enabled=False.")


def _is_supported_dtype(dtype) -> bool:
    if dtype is BFLOAT16:
        return True
    try:
        return dtypes.canonical(dtype) == dtypes.float16
    except (TypeError, ValueError):
        return False


class autocast:
    """PyTorch's ``autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: a
    context manager or decorator in which the ops of PyTorch's CPU autocast lists run in
    ``dtype`` (matmul, linear, convolutions, ...) or in float32 (losses, ...); the list is in
    tinygrad_bn/autocast_state.py. ``dtype=None`` takes ``get_autocast_dtype(device_type)`` of
    the moment (bfloat16 on the CPU unless a surrounding region set another), and the state the
    region found is restored when it ends. It is per thread.

    As in PyTorch: a dtype other than float16/bfloat16 warns and disables the region; a CUDA
    region warns that CUDA is not available and is disabled; ``device_type`` must be a string.
    Unlike PyTorch, an enabled CPU region with bfloat16 raises ``RuntimeError`` (tinygrad_bn has
    no bfloat16); ``enabled=False`` never raises. The weight cache is not kept
    (``cache_enabled`` is recorded only), which changes no value.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        self.device = device_type
        kind = _device_type(device_type)
        self.fast_dtype = autocast_state.get_dtype(kind) if dtype is None else dtype
        if not is_autocast_available(device_type):
            raise RuntimeError(
                f"User specified an unsupported autocast device_type '{self.device}'")
        self._cache_enabled = (autocast_state.state.cache_enabled if cache_enabled is None
                               else cache_enabled)
        if enabled:
            if kind == "cuda":
                warnings.warn("CUDA is not available or torch_xla is imported. Disabling "
                              "autocast.", stacklevel=2)
                enabled = False
            elif not _is_supported_dtype(self.fast_dtype):
                name = kind.upper()
                warnings.warn(
                    f"In {name} autocast, but the target dtype is not supported. Disabling "
                    f"autocast.\n{name} Autocast only supports dtypes of torch.bfloat16, "
                    "torch.float16 currently.", stacklevel=2)
                enabled = False
            elif self.fast_dtype is BFLOAT16 and kind == "cpu":
                raise RuntimeError(_no_bfloat16(device_type))
        if self.fast_dtype is not BFLOAT16:
            self.fast_dtype = dtypes.canonical(self.fast_dtype)
        self._enabled = enabled
        self._kind = kind

    def __enter__(self):
        """Switch the region's state on, remembering what it replaces."""
        state = autocast_state.state
        self.prev_cache_enabled = state.cache_enabled
        self.prev = state.enabled.get(self._kind, False)
        self.prev_fastdtype = autocast_state.get_dtype(self._kind)
        autocast_state.set_state(self._kind, self._enabled, self.fast_dtype)
        state.nesting += 1
        state.cache_enabled = self._cache_enabled
        return self

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> bool:
        """Restore the state the region found."""
        state = autocast_state.state
        state.nesting -= 1
        autocast_state.set_state(self._kind, self.prev, self.prev_fastdtype)
        state.cache_enabled = self.prev_cache_enabled
        return False

    def __call__(self, func):
        """Use as a decorator: ``func`` runs inside this region."""
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return decorate_autocast


class _DeprecatedAutocast(autocast):
    """``torch.cpu.amp.autocast`` / ``torch.cuda.amp.autocast``: ``autocast`` for one device
    type, with PyTorch's FutureWarning."""

    _device = "cpu"
    _default_dtype = None

    def __init__(self, enabled: bool = True, dtype=None, cache_enabled: bool = True) -> None:
        warnings.warn(
            f"`torch.{self._device}.amp.autocast(args...)` is deprecated. Please use "
            f"`torch.amp.autocast('{self._device}', args...)` instead.", FutureWarning,
            stacklevel=2)
        super().__init__(self._device, enabled=enabled,
                         dtype=self._default_dtype if dtype is None else dtype,
                         cache_enabled=cache_enabled)


class cpu_autocast(_DeprecatedAutocast):
    """``torch.cpu.amp.autocast(enabled=True, dtype=torch.bfloat16, cache_enabled=True)``:
    deprecated, ``autocast("cpu", ...)`` with a FutureWarning."""

    _device = "cpu"
    _default_dtype = BFLOAT16


class cuda_autocast(_DeprecatedAutocast):
    """``torch.cuda.amp.autocast(enabled=True, dtype=torch.float16, cache_enabled=True)``:
    deprecated, ``autocast("cuda", ...)`` with a FutureWarning (and CUDA is not available, so
    an enabled one warns and disables itself)."""

    _device = "cuda"
    _default_dtype = dtypes.float16


def is_autocast_cpu_enabled() -> bool:
    """Deprecated (PyTorch's DeprecationWarning): ``is_autocast_enabled("cpu")``."""
    warnings.warn("torch.is_autocast_cpu_enabled() is deprecated. Please use "
                  "torch.is_autocast_enabled('cpu') instead.", DeprecationWarning, stacklevel=2)
    return is_autocast_enabled("cpu")


def get_autocast_cpu_dtype():
    """Deprecated (PyTorch's DeprecationWarning): ``get_autocast_dtype("cpu")``."""
    warnings.warn("torch.get_autocast_cpu_dtype() is deprecated. Please use "
                  "torch.get_autocast_dtype('cpu') instead.", DeprecationWarning, stacklevel=2)
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    """Deprecated (PyTorch's DeprecationWarning): ``get_autocast_dtype("cuda")``."""
    warnings.warn("torch.get_autocast_gpu_dtype() is deprecated. Please use "
                  "torch.get_autocast_dtype('cuda') instead.", DeprecationWarning, stacklevel=2)
    return get_autocast_dtype("cuda")


def _cast(value, device_type: str, dtype):
    """PyTorch's ``autocast_mode._cast``: floating tensors on ``device_type`` that are not
    float64 as ``dtype``, through mappings, lists, tuples and other iterables; strings, bytes
    and NumPy arrays unchanged."""
    if isinstance(value, Tensor):
        eligible = (value.is_floating_point() and value.device.type == device_type
                    and value.dtype != dtypes.float64)
        return value.to(dtype) if eligible else value
    if isinstance(value, (str, bytes)) or type(value).__module__ == "numpy":
        return value
    if isinstance(value, collections.abc.Mapping):
        return {_cast(k, device_type, dtype): _cast(v, device_type, dtype)
                for k, v in value.items()}
    if isinstance(value, collections.abc.Iterable):
        iterable = (_cast(v, device_type, dtype) for v in value)
        return type(value)(iterable) if isinstance(value, (list, tuple)) else iterable
    return value


def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorate the ``forward`` of a custom ``autograd.Function`` (PyTorch's
    ``torch.amp.custom_fwd``): it records on ``ctx`` whether autocast was on for
    ``device_type`` (``custom_bwd`` runs ``backward`` the same way); with ``cast_inputs`` a
    dtype, inside an enabled region the floating tensor arguments are cast to it and
    ``forward`` runs with autocast off. ``device_type`` must be a string."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(*args, **kwargs):
        args[0]._dtype = autocast_state.get_dtype(_device_type(device_type))
        if cast_inputs is None:
            args[0]._fwd_used_autocast = is_autocast_enabled(device_type)
            return fwd(*args, **kwargs)
        args[0]._fwd_used_autocast = False
        if is_autocast_enabled(device_type):
            with autocast(device_type=device_type, enabled=False):
                return fwd(*_cast(args, device_type, cast_inputs),
                           **_cast(kwargs, device_type, cast_inputs))
        return fwd(*args, **kwargs)

    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorate the ``backward`` of a custom ``autograd.Function`` (PyTorch's
    ``torch.amp.custom_bwd``): it runs in the autocast state its ``custom_fwd`` forward ran
    in."""
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(*args, **kwargs):
        with autocast(device_type=device_type, enabled=args[0]._fwd_used_autocast,
                      dtype=args[0]._dtype):
            return bwd(*args, **kwargs)

    return decorate_bwd


def cuda_custom_fwd(fwd=None, *, cast_inputs=None):
    """``torch.cuda.amp.custom_fwd``: deprecated, ``custom_fwd(..., device_type="cuda")`` with
    PyTorch's FutureWarning."""
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(custom_fwd, device_type="cuda")(fwd=fwd, cast_inputs=cast_inputs)


def cuda_custom_bwd(bwd):
    """``torch.cuda.amp.custom_bwd``: deprecated, ``custom_bwd(..., device_type="cuda")`` with
    PyTorch's FutureWarning."""
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning,
                  stacklevel=2)
    return functools.partial(custom_bwd, device_type="cuda")(bwd)
