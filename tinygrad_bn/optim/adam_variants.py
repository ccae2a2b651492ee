"""Adamax, NAdam and RAdam: PyTorch's variants of Adam (infinity-norm scaling, Nesterov
momentum, a rectified warm-up), each stepping one parameter at a time in PyTorch's
single-tensor order of operations."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from .adam import check_adam_arguments
from .optimizer import (
    Optimizer, Params, check_state_shape, check_step_flags, evaluate_closure, scalar_state,
    scalar_update, scalar_value, silent_on_nonfinite,
)
from .pointwise import add_scaled, addcdiv_, addcmul_, lerp_


class _AdamVariant(Optimizer):
    """What the three share: the state made at a parameter's first step, and a loop over the
    parameters with a gradient (negated if ``maximize``) that calls the subclass's
    ``_update(group, p, grad, state)`` and bumps the versions of those it updated."""

    _extra_state = {}  # name -> function making its initial value
    _capturable_names = "params and state_steps"  # (PyTorch's device check names them)

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            check_step_flags(group, self._capturable_names)
            updated = []
            try:
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    grad = -p._grad._array if group["maximize"] else p._grad._array
                    state = self.state.get(p)
                    if state is None:
                        state = self.state[p] = {"step": 0, **{
                            name: make(p) for name, make in self._extra_state.items()}}
                    check_state_shape(p, state["exp_avg"])
                    state["step"] += 1
                    self._update(group, p, grad, state)
                    updated.append(p)
            finally:
                bump_versions(updated)
        return loss

    def _update(self, group, p, grad, state):
        raise NotImplementedError


def _decayed_gradient(group, p, grad):
    """The gradient with the weight decay applied: ``p`` shrunk by ``1 - lr * weight_decay`` in
    place if the decay is decoupled (AdamW's), else ``weight_decay * p`` added (L2, rounded once
    as PyTorch's ``grad.add(p, alpha=weight_decay)``)."""
    weight_decay = group["weight_decay"]
    if weight_decay:
        if group.get("decoupled_weight_decay"):
            p._array *= 1 - scalar_value(group["lr"]) * weight_decay
        else:
            grad = add_scaled(grad, p._array, weight_decay)
    return grad


class Adamax(_AdamVariant):
    """PyTorch's ``Adamax``: Adam with the infinity norm (Kingma and Ba, section 7). At step
    ``t``, for each parameter ``p`` with gradient ``g``::

        g = g + weight_decay * p                        (if weight_decay)
        m = m + (1 - beta1) * (g - m)                   (exp_avg)
        u = max(beta2 * u, |g| + eps)                   (exp_inf)
        p = p - lr / (1 - beta1**t) * m / u

    State per parameter: ``step``, ``exp_avg``, ``exp_inf``. Default ``lr=2e-3``."""

    _extra_state = {"exp_avg": lambda p: np.zeros_like(p._array),
                    "exp_inf": lambda p: np.zeros_like(p._array)}

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        check_adam_arguments(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    def _update(self, group, p, grad, state):
        beta1, beta2 = group["betas"]
        grad = _decayed_gradient(group, p, grad)
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
        clr = scalar_value(group["lr"]) / (1 - beta1 ** state["step"])
        addcdiv_(p._array, exp_avg, exp_inf, -clr)


class NAdam(_AdamVariant):
    """PyTorch's ``NAdam``: Adam with Nesterov momentum (Dozat, 2016) and its momentum schedule.
    At step ``t``, for each parameter ``p`` with gradient ``g``::

        mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay));  prod = prod * mu_t
        m = m + (1 - beta1) * (g - m);   v = beta2 * v + (1 - beta2) * g**2
        denom = sqrt(v / (1 - beta2**t)) + eps
        p = p - lr * (1 - mu_t) / (1 - prod) * g / denom
              - lr * mu_{t+1} / (1 - prod * mu_{t+1}) * m / denom

    with ``weight_decay`` as an L2 term on ``g``, or with ``decoupled_weight_decay=True``
    (NAdamW) as ``p = p * (1 - lr * weight_decay)`` first. State per parameter: ``step``,
    ``mu_product`` (prod, in the default float dtype as PyTorch keeps it), ``exp_avg``,
    ``exp_avg_sq``. Defaults ``lr=2e-3``, ``momentum_decay=4e-3``."""

    _extra_state = {"mu_product": lambda p: scalar_state(1.0),
                    "exp_avg": lambda p: np.zeros_like(p._array),
                    "exp_avg_sq": lambda p: np.zeros_like(p._array)}

    def __init__(self, params: Params, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_adam_arguments(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize, foreach=foreach, capturable=capturable,
                                      differentiable=differentiable))

    _capturable_names = "params, mu_products and state_steps"

    def _update(self, group, p, grad, state):
        beta1, beta2 = group["betas"]
        lr, momentum_decay = scalar_value(group["lr"]), group["momentum_decay"]
        step = float(state["step"])
        bias_correction2 = 1 - beta2**step
        grad = _decayed_gradient(group, p, grad)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * momentum_decay)))
        mu_product = state["mu_product"] = scalar_update(state["mu_product"],
                                                         state["mu_product"] * mu)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
        denom = np.sqrt(exp_avg_sq / bias_correction2)
        denom += group["eps"]
        mu_product = float(mu_product)
        mu_product_next = mu_product * mu_next
        addcdiv_(p._array, grad, denom, -lr * (1.0 - mu) / (1.0 - mu_product))
        addcdiv_(p._array, exp_avg, denom, (-lr * mu_next) / (1.0 - mu_product_next))


class RAdam(_AdamVariant):
    """PyTorch's ``RAdam``: Adam with the variance of its adaptive rate rectified (Liu et al.,
    2019), plain momentum SGD while that variance is intractable. At step ``t``::

        m = m + (1 - beta1) * (g - m);   v = beta2 * v + (1 - beta2) * g**2
        rho_inf = 2 / (1 - beta2) - 1;   rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)
        m_hat = m / (1 - beta1**t)
        p = p - lr * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps) * r_t     if rho_t > 5
        p = p - lr * m_hat                                                  otherwise
        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))

    ``weight_decay`` is an L2 term on ``g``, or with ``decoupled_weight_decay=True`` (RAdamW)
    ``p = p * (1 - lr * weight_decay)`` first. State per parameter: ``step``, ``exp_avg``,
    ``exp_avg_sq``. Default ``lr=1e-3``."""

    _extra_state = {"exp_avg": lambda p: np.zeros_like(p._array),
                    "exp_avg_sq": lambda p: np.zeros_like(p._array)}

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False,
                 *, foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        check_adam_arguments(lr, betas, eps, weight_decay)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize,
                                      foreach=foreach, capturable=capturable,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      differentiable=differentiable))

    def _update(self, group, p, grad, state):
        beta1, beta2 = group["betas"]
        lr, step = scalar_value(group["lr"]), float(state["step"])
        grad = _decayed_gradient(group, p, grad)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        addcmul_(exp_avg_sq, grad, grad, 1 - beta2)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        bias_corrected_exp_avg = exp_avg / bias_correction1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            adaptive_lr = (bias_correction2**0.5) / (np.sqrt(exp_avg_sq) + group["eps"])
            p._array -= bias_corrected_exp_avg * lr * adaptive_lr * rect
        else:
            p._array -= bias_corrected_exp_avg * lr
