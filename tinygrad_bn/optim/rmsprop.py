"""RMSprop and Adagrad: steps scaled by a running measure of each weight's gradient size."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from .optimizer import (
    Optimizer, Params, check_fused_foreach, check_non_negative, check_state_shape,
    check_step_flags, evaluate_closure, scalar_value, silent_on_nonfinite,
)
from .pointwise import add_scaled, add_scaled_, addcdiv_, addcmul_, lerp_


def _gradients(group):
    """``(parameter, gradient)`` for each parameter of ``group`` that has a gradient, negated
    for ``maximize`` and with ``weight_decay * p`` added (L2 regularisation, rounded once as
    PyTorch's ``grad.add(p, alpha=weight_decay)``)."""
    for p in group["params"]:
        if p._grad is None:
            continue
        grad = -p._grad._array if group["maximize"] else p._grad._array
        if group["weight_decay"]:
            grad = add_scaled(grad, p._array, group["weight_decay"])
        yield p, grad


class RMSprop(Optimizer):
    """PyTorch's ``RMSprop``. For each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                                  (if weight_decay)
        v = alpha * v + (1 - alpha) * g**2
        m = alpha * m + (1 - alpha) * g;  v_hat = v - m**2        (if centered; else v_hat = v)
        step = g / (sqrt(v_hat) + eps)
        b = momentum * b + step;  p = p - lr * b                  (if momentum; else p -= lr * step)
    """

    def __init__(self, params: Params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay, momentum=momentum,
                           alpha=alpha)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      capturable=capturable, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable))

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            check_step_flags(group)
            lr, alpha, eps = scalar_value(group["lr"]), group["alpha"], group["eps"]
            momentum, centered = group["momentum"], group["centered"]
            updated = []
            for p, grad in _gradients(group):
                state = self.state.get(p)
                if state is None:  # (PyTorch's order of the names)
                    state = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p._array)}
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(p._array)
                    if centered:
                        state["grad_avg"] = np.zeros_like(p._array)
                check_state_shape(p, state["square_avg"])
                state["step"] += 1
                square_avg = state["square_avg"]
                square_avg *= alpha
                addcmul_(square_avg, grad, grad, 1 - alpha)
                if centered:
                    grad_avg = state.setdefault("grad_avg", np.zeros_like(p._array))
                    lerp_(grad_avg, grad, 1 - alpha)
                    avg = np.array(square_avg)
                    addcmul_(avg, grad_avg, grad_avg, -1)
                    avg = np.sqrt(avg)
                else:
                    avg = np.sqrt(square_avg)
                avg += eps
                if momentum > 0:
                    buffer = state.setdefault("momentum_buffer", np.zeros_like(p._array))
                    buffer *= momentum
                    buffer += grad / avg
                    add_scaled_(p._array, buffer, -lr)
                else:
                    addcdiv_(p._array, grad, avg, -lr)
                updated.append(p)
            bump_versions(updated)
        return loss


def _sparse_adagrad(p, grad, state_sum, eps, rate):
    """Adagrad's step for a coalesced sparse gradient, PyTorch's ``_make_sparse`` path: the
    squares added into the sum at the gradient's positions, and only those rows of ``p``
    updated, by ``rate * g / (sqrt(sum) + eps)`` read there."""
    values = grad.values
    state_sum += grad.with_values(values ** 2)
    std = np.sqrt(grad.mask(state_sum)) + values.dtype.type(eps)
    p._array += grad.with_values(values.dtype.type(-rate) * (values / std))


class Adagrad(Optimizer):
    """PyTorch's ``Adagrad``. For each parameter ``p`` with gradient ``g`` at step ``t``::

        g = g + weight_decay * p                        (if weight_decay)
        s = s + g**2                                    (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    """

    supports_sparse_gradients = True  # sparse COO (_sparse_adagrad), as PyTorch's

    def __init__(self, params: Params, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_non_negative(lr=lr, eps=eps, weight_decay=weight_decay, lr_decay=lr_decay,
                           initial_accumulator_value=initial_accumulator_value)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))
        check_fused_foreach(fused, foreach, differentiable)

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            check_step_flags(group)
            updated = []
            if group["weight_decay"] and any(p._grad is not None and p._grad.is_sparse
                                             for p in group["params"]):
                raise RuntimeError("weight_decay option is not compatible with sparse gradients")
            for p, grad in _gradients(group):
                state = self.state.setdefault(p, {
                    "step": 0,
                    "sum": np.full_like(p._array, group["initial_accumulator_value"])})
                check_state_shape(p, state["sum"])
                state["step"] += 1
                rate = scalar_value(group["lr"]) / (1 + (state["step"] - 1) * group["lr_decay"])
                if getattr(grad, "is_sparse_array", False):  # a sparse COO gradient
                    _sparse_adagrad(p, grad.coalesce(), state["sum"], group["eps"], rate)
                    updated.append(p)
                    continue
                addcmul_(state["sum"], grad, grad, 1)
                std = np.sqrt(state["sum"])
                std += group["eps"]
                addcdiv_(p._array, grad, std, -rate)
                updated.append(p)
            bump_versions(updated)
        return loss
