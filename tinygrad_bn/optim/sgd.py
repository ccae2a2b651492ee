"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from .optimizer import (
    Optimizer, Params, check_non_negative, check_state_shape, silent_on_nonfinite,
)


class SGD(Optimizer):
    """PyTorch's ``SGD``. For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                          (if weight_decay)
        b = g                       on the first step     (if momentum)
        b = momentum * b + (1 - dampening) * g   after
        g = g + momentum * b  if nesterov  else  b
        p = p - lr * g

    Parameters whose ``.grad`` is None are skipped.
    """

    def __init__(self, params: Params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, maximize: bool = False) -> None:
        check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    @no_grad()
    @silent_on_nonfinite
    def step(self) -> None:
        state = self.state
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
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
                        if buffer is None:
                            buffer = p_state["momentum_buffer"] = grad.copy()
                        else:
                            check_state_shape(p, buffer)
                            buffer *= momentum
                            buffer += (1 - dampening) * grad
                        grad = grad + momentum * buffer if nesterov else buffer
                    p._array -= lr * grad
                    updated.append(p)
            finally:
                bump_versions(updated)  # (0.1 us a parameter; p._bump_version() takes 0.25)
