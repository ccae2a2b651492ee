"""Gradient scaling for float16 training: PyTorch's ``torch.amp.GradScaler``, with its CPU
kernels (``_amp_foreach_non_finite_check_and_unscale_``, ``_amp_update_scale_``) written out.

A float16 gradient underflows to zero below 6e-8; multiplying the loss by a large scale before
``backward`` lifts the gradients into range, and dividing them by the same scale before the
optimizer step restores their values. A step whose gradients hold an inf or a NaN is skipped and
the scale halved; after ``growth_interval`` clean steps in a row it doubles.
"""

from __future__ import annotations

import inspect
import warnings
from collections import abc, defaultdict
from enum import Enum
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import no_grad
from ..autograd.graph import bump_versions
from ..creation import full
from ..device import CPU
from ..tensor import Tensor

__all__ = ["OptState", "GradScaler"]


class OptState(Enum):
    """Where an optimizer is in the iteration: nothing done, gradients unscaled, stepped."""
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh_per_optimizer_state() -> dict[str, Any]:
    # A module-level function, not a lambda, so that a GradScaler pickles (as in PyTorch).
    return {"stage": OptState.READY, "found_inf_per_device": {}}


def _non_finite_check_and_unscale_(grads: list[Tensor], found_inf: Tensor,
                                   inv_scale: Tensor) -> None:
    """PyTorch's CPU ``_amp_foreach_non_finite_check_and_unscale_``: ``found_inf`` becomes 1.0 if
    any gradient holds an inf or NaN; each gradient is multiplied in place by ``inv_scale`` (a
    0-d float32 tensor) computed in its op-math type (float32 for float16 and float32, float64
    for float64), and left untouched when ``inv_scale`` is 1."""
    inverse = inv_scale._array
    for grad in grads:
        values = grad._array
        if not np.isfinite(values).all():
            found_inf._array[...] = 1.0
        if inverse != 1.0:
            math_dtype = dtypes.float64 if values.dtype == dtypes.float64 else dtypes.float32
            np.multiply(values, inverse.astype(math_dtype), out=values, casting="unsafe",
                        dtype=math_dtype)
    bump_versions(grads)


def _update_scale_(scale: Tensor, growth_tracker: Tensor, found_inf: Tensor,
                   growth_factor: float, backoff_factor: float, growth_interval: int) -> None:
    """PyTorch's CPU ``_amp_update_scale_``: on an inf, ``scale *= backoff_factor`` (in float64,
    stored as float32) and the tracker resets; otherwise the tracker counts the clean step, and
    at ``growth_interval`` the scale grows by ``growth_factor`` unless that would overflow
    float32, and the tracker resets."""
    if found_inf._array:
        scale._array[...] = np.float64(scale._array) * backoff_factor
        growth_tracker._array[...] = 0
    else:
        successful = int(growth_tracker._array) + 1
        if successful == growth_interval:
            with np.errstate(over="ignore"):
                new_scale = np.float32(np.float64(scale._array) * growth_factor)
            if np.isfinite(new_scale):
                scale._array[...] = new_scale
            growth_tracker._array[...] = 0
        else:
            growth_tracker._array[...] = successful


class GradScaler:
    """PyTorch's ``GradScaler``: ``scale(loss)`` multiplies by the current scale,
    ``step(optimizer)`` unscales the gradients (unless ``unscale_`` already did) and runs
    ``optimizer.step()`` only if none holds an inf or NaN, returning its result (None when
    skipped), and ``update()`` adjusts the scale::

        inf/NaN found:                      scale *= backoff_factor, tracker = 0
        else, tracker + 1 == growth_interval:  scale *= growth_factor (if finite), tracker = 0
        else:                               tracker += 1

    The scale is a 0-d float32 tensor made at the first ``scale()``; ``1 / scale`` is computed in
    float64 and rounded to float32, as PyTorch does. ``device`` defaults to ``"cuda"`` as in
    PyTorch, and since CUDA is never available that scaler warns and disables itself; pass
    ``"cpu"``. When disabled, ``scale`` returns its argument, ``step`` just calls
    ``optimizer.step``, ``get_scale`` is 1.0 and ``state_dict`` is empty.

    Args: ``device``, ``init_scale`` (2**16), ``growth_factor`` (2.0, must be > 1),
    ``backoff_factor`` (0.5, must be < 1), ``growth_interval`` (2000), ``enabled`` (True).
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0**16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if self._device == "cuda" and enabled:
            warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  "
                          "Disabling.", stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
            self._init_scale = init_scale
            self._scale: Tensor | None = None  # made by the first scale()
            self._growth_factor = growth_factor
            self._backoff_factor = backoff_factor
            self._growth_interval = growth_interval
            self._init_growth_tracker = 0
            self._growth_tracker: Tensor | None = None
            self._per_optimizer_states: dict[int, dict[str, Any]] = defaultdict(
                _refresh_per_optimizer_state)

    def _check_scale_growth_tracker(self, funcname: str) -> tuple[Tensor, Tensor]:
        fix = ("This may indicate your script did not use scaler.scale(loss or outputs) earlier "
               "in the iteration.")
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)
        if self._growth_tracker is None:
            raise AssertionError(f"Attempted {funcname} but _growth_tracker is None.  " + fix)
        return self._scale, self._growth_tracker

    def _lazy_init_scale_growth_tracker(self) -> None:
        if self._growth_tracker is not None:
            raise AssertionError("_growth_tracker initialized before _scale")
        self._scale = full((), self._init_scale, dtype=dtypes.float32)
        self._growth_tracker = full((), self._init_growth_tracker, dtype=dtypes.int32)

    def scale(self, outputs):
        """``outputs`` (a tensor, or a list/tuple/iterable of them, nested) times the current
        scale; returned unchanged when disabled. Anything else raises ``ValueError``."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init_scale_growth_tracker()
            return outputs * self._scale

        def apply_scale(value):
            if isinstance(value, Tensor):
                if self._scale is None:
                    self._lazy_init_scale_growth_tracker()
                return value * self._scale
            if isinstance(value, abc.Iterable):
                scaled = map(apply_scale, value)
                if isinstance(value, (list, tuple)):
                    return type(value)(scaled)
                return scaled
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply_scale(outputs)

    def _unscale_grads_(self, optimizer, inv_scale: Tensor, found_inf: Tensor,
                        allow_fp16: bool) -> dict:
        """Check and unscale the gradients of ``optimizer``'s parameters, one dtype at a time;
        ``{device: found_inf}``, empty if no parameter has a gradient."""
        per_dtype_grads = defaultdict(list)
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    if not isinstance(param, Tensor):
                        raise AssertionError(
                            f"expected param to be torch.Tensor, got {type(param).__name__}")
                    if param.grad is None:
                        continue
                    if (not allow_fp16) and param.grad.dtype == dtypes.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    per_dtype_grads[param.grad.dtype].append(param.grad)
            for grads in per_dtype_grads.values():
                _non_finite_check_and_unscale_(grads, found_inf, inv_scale)
        return {CPU: found_inf} if per_dtype_grads else {}

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale in place and record whether any holds
        an inf or NaN (e.g. before clipping them). Once per optimizer per ``step``: a second
        call, or one after ``step``, raises ``RuntimeError``; float16 gradients raise
        ``ValueError``."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        # PyTorch takes the reciprocal in float64: float32 division can be inexact.
        inv_scale = Tensor(np.float32(1.0 / np.float64(self._scale._array)))
        found_inf = full((), 0.0, dtype=dtypes.float32)
        optimizer_state["found_inf_per_device"] = self._unscale_grads_(
            optimizer, inv_scale, found_inf, False)
        optimizer_state["stage"] = OptState.UNSCALED

    def _maybe_opt_step(self, optimizer, optimizer_state, *args, **kwargs):
        retval = None
        if not sum(v.item() for v in optimizer_state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        return retval

    def step(self, optimizer, *args, **kwargs):
        """Unscale ``optimizer``'s gradients (unless ``unscale_`` did) and call
        ``optimizer.step(*args, **kwargs)`` if none holds an inf or NaN; its return value, or
        None when the step was skipped. A ``closure`` keyword raises ``RuntimeError``, as does a
        second ``step`` before ``update``. An optimizer with ``_step_supports_amp_scaling``
        is handed ``grad_scale`` and ``found_inf`` attributes (or ``grad_scaler=self`` if its
        step takes that keyword) and steps itself, as in PyTorch."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        optimizer_state = self._per_optimizer_states[id(optimizer)]
        if optimizer_state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if getattr(optimizer, "_step_supports_amp_scaling", False):
            return self._step_amp_aware(optimizer, optimizer_state, args, kwargs)
        if optimizer_state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(optimizer_state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = self._maybe_opt_step(optimizer, optimizer_state, *args, **kwargs)
        optimizer_state["stage"] = OptState.STEPPED
        return retval

    def _step_amp_aware(self, optimizer, optimizer_state, args, kwargs):
        """PyTorch's contract with optimizers that unscale and skip by themselves."""
        has_grad_scaler_kwarg = "grad_scaler" in inspect.signature(optimizer.step).parameters
        if has_grad_scaler_kwarg:
            warnings.warn(
                "GradScaler is going to stop passing itself as a keyword argument to the passed "
                "optimizer. In the near future GradScaler registers `grad_scale: Tensor` and "
                "`found_inf: Tensor` to the passed optimizer and let the optimizer use them "
                "directly.", FutureWarning, stacklevel=3)
            kwargs.update({"grad_scaler": self})
        else:
            if optimizer_state["stage"] is OptState.READY:
                self._check_inf_per_device(optimizer)
            found_inf = sum(optimizer_state["found_inf_per_device"].values())
            optimizer.grad_scale = (getattr(optimizer, "grad_scale", None)
                                    if optimizer_state["stage"] == OptState.UNSCALED
                                    else self._scale * getattr(optimizer, "grad_scale", 1))
            optimizer.found_inf = found_inf
        retval = optimizer.step(*args, **kwargs)
        optimizer_state["stage"] = OptState.STEPPED
        if not has_grad_scaler_kwarg:
            del optimizer.grad_scale
            del optimizer.found_inf
        return retval

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Update the scale from the inf checks of this iteration's steps (the rule in the class
        docstring), or set it to ``new_scale`` (a float, or a one-element tensor that does not
        require grad); then forget the iteration's per-optimizer state."""
        if not self._enabled:
            return
        scale, growth_tracker = self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                scale.fill_(new_scale)
            else:
                reason = ("new_scale should be a float or a 1-element torch.cuda.FloatTensor or "
                          "torch.FloatTensor with requires_grad=False.")
                if new_scale.device.type != self._device:
                    raise AssertionError(reason)
                if new_scale.numel() != 1:
                    raise AssertionError(reason)
                if new_scale.requires_grad is True:
                    raise AssertionError(reason)
                scale.copy_(new_scale)
        else:
            found_infs = [found_inf for state in self._per_optimizer_states.values()
                          for found_inf in state["found_inf_per_device"].values()]
            if len(found_infs) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            found_inf_combined = found_infs[0]
            for found_inf in found_infs[1:]:
                found_inf_combined += found_inf
            _update_scale_(scale, growth_tracker, found_inf_combined, self._growth_factor,
                           self._backoff_factor, self._growth_interval)
        self._per_optimizer_states = defaultdict(_refresh_per_optimizer_state)

    def _get_scale_async(self) -> Tensor | None:
        return self._scale

    def get_scale(self) -> float:
        """The current scale as a Python float (``init_scale`` before the first ``scale()``),
        or 1.0 if scaling is disabled."""
        if self._enabled:
            return self._init_scale if self._scale is None else self._scale.item()
        return 1.0

    def get_growth_factor(self) -> float:
        """The factor the scale grows by after ``growth_interval`` clean steps."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the growth factor."""
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        """The factor the scale shrinks by after a step with an inf or NaN."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the backoff factor."""
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        """How many clean steps in a row make the scale grow."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set the growth interval."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if self._enabled:
            return (self._init_growth_tracker if self._growth_tracker is None
                    else self._growth_tracker.item())
        return 0

    def is_enabled(self) -> bool:
        """Whether this scaler scales (False if made with ``enabled=False``, or for CUDA)."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """``{"scale", "growth_factor", "backoff_factor", "growth_interval",
        "_growth_tracker"}`` as Python numbers, PyTorch's keys; empty if disabled."""
        if self._enabled:
            return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                    "backoff_factor": self._backoff_factor,
                    "growth_interval": self._growth_interval,
                    "_growth_tracker": self._get_growth_tracker()}
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned; a no-op if disabled, and an empty dict (saved
        from a disabled scaler) raises ``RuntimeError``."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._init_scale = state_dict["scale"]
        if self._scale is not None:
            self._scale.fill_(state_dict["scale"])
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = state_dict["_growth_tracker"]
        if self._growth_tracker is not None:
            self._growth_tracker.fill_(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict[str, Any]:
        """Pickled only between iterations; the scale and tracker travel as numbers and the
        tensors are made again at the next ``scale()``, as in PyTorch."""
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError("A GradScaler instance may only be pickled at the beginning "
                                     "of an iteration, or at the end after scaler.update().")
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def _check_inf_per_device(self, optimizer) -> dict:
        scale, _ = self._check_scale_growth_tracker("_check_inf_per_device")
        dummy_inv_scale = full((), 1.0, dtype=dtypes.float32)
        found_inf = full((), 0.0, dtype=dtypes.float32)
        self._per_optimizer_states[id(optimizer)]["found_inf_per_device"] = (
            self._unscale_grads_(optimizer, dummy_inv_scale, found_inf, True))
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]

    def _found_inf_per_device(self, optimizer) -> dict:
        return self._per_optimizer_states[id(optimizer)]["found_inf_per_device"]
