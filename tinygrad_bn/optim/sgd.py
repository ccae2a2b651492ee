"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from .flat_state import (FlatState, concatenated, flat_weights, independent_gradients,
                         run_in_chunks)
from .optimizer import (
    Optimizer, Params, check_fused_foreach, check_non_negative, check_state_shape,
    check_step_flags, evaluate_closure, scalar_value, silent_on_nonfinite,
)


# The flat buffers pay while the parameters average at most this many bytes: they save four
# ufunc calls a parameter, but add a pass (the flat gradient) and lose the cache locality of
# one parameter's five passes. SGD(momentum=0.9), per-parameter step = 1: 16 parameters of
# 512, 2,048, 4,096 and 8,192 float32 0.54, 0.72, 0.97 and 1.36; 64 of 2,048 0.87; W1's 8
# (760 on average) 0.75; W4's 53 (3,859 on average) 1.09, so W4 steps per parameter.
_FLAT_BYTES_PER_PARAMETER = 8192


class SGD(Optimizer):
    """PyTorch's ``SGD``. For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                          (if weight_decay)
        b = g                       on the first step     (if momentum)
        b = momentum * b + (1 - dampening) * g   after
        g = g + momentum * b  if nesterov  else  b
        p = p - lr * g

    Parameters whose ``.grad`` is None are skipped.
    """

    supports_sparse_gradients = True  # sparse COO (see _update), as PyTorch's

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))
        check_fused_foreach(fused, foreach, differentiable)

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        flats, state = self._flat, self.state
        for index, group in enumerate(self.param_groups):
            check_step_flags(group)
            params = group["params"]
            if not group["momentum"]:
                self._update(group)
                continue
            flat = flats.get(index)
            serves = flat is not None and flat.serves(state, params)
            if serves and self._update_flat(group, params, flat):
                continue
            self._update(group)
            if not serves:  # buffers just made, replaced or loaded: flat from the next step on
                self._flat_buffers(index, params)
        return loss

    def _update(self, group):
        """One step of each parameter of ``group`` that has a gradient, one at a time, in
        PyTorch's order of operations (its first step with momentum makes the buffers)."""
        state = self.state
        lr, momentum, dampening = scalar_value(group["lr"]), group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        maximize = group["maximize"]
        updated = []  # their versions are bumped in one call, even if a later one raises
        try:
            for p in group["params"]:
                if p._grad is None:
                    continue
                grad = -p._grad._array if maximize else p._grad._array
                if weight_decay:
                    grad = grad + weight_decay * p._array
                if momentum:
                    p_state = state.get(p)
                    if p_state is None:
                        p_state = state[p] = {}
                    buffer = p_state.get("momentum_buffer")
                    if buffer is None:  # an array even for a 0-d parameter, whose grad
                        # arithmetic above gives a NumPy scalar: it is updated in place below
                        buffer = p_state["momentum_buffer"] = (
                            np.array(grad) if isinstance(grad, np.generic) else grad.copy())
                    else:
                        check_state_shape(p, buffer)
                        buffer *= momentum
                        buffer += (1 - dampening) * grad
                    grad = grad + momentum * buffer if nesterov else buffer
                p._array -= lr * grad
                updated.append(p)
        finally:
            bump_versions(updated)  # (0.1 us a parameter; p._bump_version() takes 0.25)

    def _flat_buffers(self, index, params):
        """Make the group's momentum buffers a ``FlatState``, flat arrays that each parameter's
        state views into, so that a step is a few vectorised calls instead of five per
        parameter; made right after the step that made the buffers, so that a buffer read
        from ``state`` after a step is the one the next step updates. Nothing (the
        per-parameter updates go on) unless the parameters are small (``_FLAT_BYTES_PER_
        PARAMETER``), every parameter has a gradient (a step that skipped one left the buffers
        as they were) and a buffer of its shape, all of one dtype with the parameters."""
        if (sum(p._array.nbytes for p in params) > _FLAT_BYTES_PER_PARAMETER * len(params)
                or any(p._grad is None for p in params)):
            return
        states = [self.state.get(p) for p in params]
        dtype = params[0]._array.dtype
        for p, p_state in zip(params, states):
            buffer = None if p_state is None else p_state.get("momentum_buffer")
            if (type(buffer) is not np.ndarray or buffer.shape != p._array.shape or buffer.dtype != dtype
                    or p._array.dtype != dtype):
                return
        self._flat[index] = FlatState(params, states, ("momentum_buffer",), 3)

    def _update_flat(self, group, params, flat):
        """``_update``'s arithmetic over the group's flat buffers (a ``FlatState``): every
        operation is element-wise, the constants are the state's dtype (what NumPy converts
        a Python float to), so each parameter gets the bits its own update would give. False
        (nothing done, the per-parameter updates run) if a gradient's dtype is not the
        buffers' (each parameter's update would compute in its own gradient's dtype), or if a
        gradient or a parameter may share memory with another parameter (a view, or the same
        array): one at a time, a parameter updated first changes what a later one reads, as
        in PyTorch's loop; flat, all are read before any is written."""
        buffer, scratch = flat.arrays["momentum_buffer"], flat.scratch
        dtype = buffer.dtype
        grads = independent_gradients(params, dtype)
        if grads is None:
            return False
        grad = concatenated(grads)
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * flat_weights(params)
        constants = flat.constants_for(dtype, (group["momentum"], 1 - group["dampening"],
                                               scalar_value(group["lr"])))
        run_in_chunks(_momentum_passes, (grad, buffer, scratch),
                      (*constants, group["nesterov"]))
        flat.subtract_update(params)
        return True


def _momentum_passes(grad, buffer, scratch, momentum, one_minus_dampening, lr, nesterov):
    """SGD's element-wise update with momentum, in place and in PyTorch's order:
    ``b = momentum * b + (1 - dampening) * g``, and ``lr * b`` (or ``lr * (g + momentum * b)``
    with Nesterov) left in ``scratch``."""
    buffer *= momentum
    np.multiply(grad, one_minus_dampening, scratch)
    buffer += scratch
    if nesterov:
        np.multiply(buffer, momentum, scratch)
        scratch += grad
        scratch *= lr
    else:
        np.multiply(buffer, lr, scratch)
