"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from ..autograd import no_grad
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
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                grad = -p._grad._array if group["maximize"] else p._grad._array
                if weight_decay:
                    grad = grad + weight_decay * p._array
                if momentum:
                    state = self.state.setdefault(p, {})
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        buffer = state["momentum_buffer"] = grad.copy()
                    else:
                        check_state_shape(p, buffer)
                        buffer *= momentum
                        buffer += (1 - dampening) * grad
                    grad = grad + momentum * buffer if nesterov else buffer
                p._array -= lr * grad
                p._bump_version()
