"""Adadelta, Rprop and ASGD: PyTorch's element-wise optimizers that keep their own per-weight
step sizes (Adadelta's running update size, Rprop's sign-adapted steps, ASGD's decaying rate
and running average of the weights)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from .optimizer import (
    Optimizer, Params, check_non_negative, check_state_shape, check_step_flags,
    evaluate_closure, scalar_state, scalar_update, scalar_value, silent_on_nonfinite,
)
from .pointwise import add_scaled_, addcmul_
from .rmsprop import _gradients


class Adadelta(Optimizer):
    """PyTorch's ``Adadelta`` (Zeiler, 2012). For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                                  (if weight_decay)
        v = rho * v + (1 - rho) * g**2                            (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2                        (acc_delta)
        p = p - lr * delta

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u). Defaults ``lr=1``,
    ``rho=0.9``, ``eps=1e-6``, as in PyTorch."""

    def __init__(self, params: Params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(eps=eps, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, capturable=capturable, foreach=foreach,
                                      differentiable=differentiable))

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            check_step_flags(group, xla=False)
            lr, rho, eps = scalar_value(group["lr"]), group["rho"], group["eps"]
            updated = []
            try:
                for p, grad in _gradients(group):
                    state = self.state.setdefault(p, {"step": 0,
                                                      "square_avg": np.zeros_like(p._array),
                                                      "acc_delta": np.zeros_like(p._array)})
                    check_state_shape(p, state["square_avg"])
                    state["step"] += 1
                    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                    square_avg *= rho
                    addcmul_(square_avg, grad, grad, 1 - rho)
                    std = np.sqrt(square_avg + eps)
                    delta = np.array(np.sqrt(acc_delta + eps))
                    delta /= std
                    delta *= grad
                    acc_delta *= rho
                    addcmul_(acc_delta, delta, delta, 1 - rho)
                    add_scaled_(p._array, delta, -lr)
                    updated.append(p)
            finally:
                bump_versions(updated)
        return loss


class Rprop(Optimizer):
    """PyTorch's ``Rprop`` (resilient backpropagation, the iRprop- variant). Each weight keeps its
    own step size ``s`` (starting at ``lr``) and the gradient it saw last ``g_prev``::

        s = clip(s * etaplus,  *step_sizes)    where g * g_prev > 0   (same sign: grow)
        s = clip(s * etaminus, *step_sizes)    where g * g_prev < 0   (sign flipped: shrink,
                                               and g counts as 0 this step)
        p = p - sign(g) * s;  g_prev = g

    Only the gradient's sign is used. State per parameter: ``step``, ``prev`` (g_prev),
    ``step_size`` (s). Defaults ``lr=1e-2``, ``etas=(0.5, 1.2)``, ``step_sizes=(1e-6, 50)``."""

    def __init__(self, params: Params, lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            check_step_flags(group)
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            updated = []
            try:
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    grad = -p._grad._array if group["maximize"] else p._grad._array
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {
                            "step": 0, "prev": np.zeros_like(p._array),
                            "step_size": np.full_like(grad, scalar_value(group["lr"]))}
                    check_state_shape(p, state["prev"])
                    state["step"] += 1
                    sign = np.array(np.sign(grad * state["prev"]))  # (an array even 0-d)
                    sign[sign > 0] = etaplus
                    sign[sign < 0] = etaminus
                    sign[sign == 0] = 1
                    step_size = state["step_size"]
                    step_size *= sign
                    np.clip(step_size, step_size_min, step_size_max, out=step_size)
                    grad = np.array(grad)
                    grad[sign == etaminus] = 0
                    p._array -= np.sign(grad) * step_size
                    state["prev"][...] = grad
                    updated.append(p)
            finally:
                bump_versions(updated)
        return loss


class ASGD(Optimizer):
    """PyTorch's ``ASGD`` (averaged SGD, Polyak and Juditsky). At step ``t`` (from 1), for each
    parameter ``p`` with gradient ``g``::

        g   = g + weight_decay * p                       (if weight_decay)
        p   = p * (1 - lambd * eta) - eta * g
        ax  = ax + mu * (p - ax)      (ax = p while mu == 1)
        eta = lr / (1 + lambd * lr * t) ** alpha
        mu  = 1 / max(1, t - t0)

    ``ax``, the running average of the weights, is what the method returns as its answer (read
    it from ``optimizer.state[p]["ax"]``); ``eta`` and ``mu`` are kept as PyTorch keeps them, in
    the default float dtype. State per parameter: ``step``, ``eta``, ``mu``, ``ax``."""

    def __init__(self, params: Params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_non_negative(lr=lr, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            check_step_flags(group, "params, mus, etas, and state_steps")
            lr, lambd, alpha, t0 = (scalar_value(group["lr"]), group["lambd"], group["alpha"],
                                    group["t0"])
            updated = []
            try:
                for p, grad in _gradients(group):
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {"step": 0, "eta": scalar_state(lr),
                                                 "mu": scalar_state(1.0),
                                                 "ax": np.zeros_like(p._array)}
                    check_state_shape(p, state["ax"])
                    step = state["step"] = state["step"] + 1
                    eta = float(state["eta"])
                    p._array *= 1 - lambd * eta
                    add_scaled_(p._array, grad, -eta)
                    ax = state["ax"]
                    if float(state["mu"]) != 1:
                        ax += (p._array - ax) * float(state["mu"])
                    else:
                        ax[...] = p._array
                    # (PyTorch's eta.copy_(torch.as_tensor(...)): made in the default dtype,
                    # then copied into the entry's)
                    state["eta"] = scalar_update(
                        state["eta"], scalar_state(lr / ((1 + lambd * lr * step) ** alpha)))
                    state["mu"] = scalar_update(state["mu"], scalar_state(1 / max(1, step - t0)))
                    updated.append(p)
            finally:
                bump_versions(updated)
        return loss
