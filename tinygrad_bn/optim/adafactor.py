"""``Adafactor`` (Shazeer and Stern, 2018), as PyTorch 2.13's ``torch.optim.Adafactor``: second
moments of a matrix kept factored, as a row and a column of running means, and the update's
size clipped by its root mean square."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from ..tensor import Tensor
from .optimizer import (
    Optimizer, Params, check_tensor_lr, evaluate_closure, scalar_state, scalar_value,
    silent_on_nonfinite,
)
from .pointwise import add_scaled_, lerp_


def _norm(array, dim=None):
    """The 2-norm of ``array`` (over ``dim``, kept, if given), by tinygrad_bn's ``norm``, whose
    reduction follows PyTorch's."""
    return Tensor(array).norm(2, dim, keepdim=dim is not None)._array


class Adafactor(Optimizer):
    """PyTorch's ``Adafactor``. At step ``t`` (from 1), for each parameter ``p`` with gradient
    ``g`` (negated if ``maximize``)::

        beta2_t = 1 - t ** beta2_decay;   rho_t = min(lr, 1 / sqrt(t))
        alpha   = max(eps2, rms(p)) * rho_t                   (rms(x) = ||x|| / sqrt(x.numel()))
        p = p * (1 - lr * weight_decay)                       (if weight_decay)
        matrices (and batches of them, the last two dims):
            R = lerp(R, ||g||_row ** 2 / cols, 1 - beta2_t)   (row_var, last dim kept as 1)
            C = lerp(C, ||g||_col ** 2 / rows, 1 - beta2_t)   (col_var, dim -2 kept as 1)
            v = (R @ C) / max(mean_rows(R), eps1)
        vectors and scalars:
            v = lerp(v, g * g, 1 - beta2_t)                    (variance)
        u = g / sqrt(max(v, eps1 ** 2));   p = p - alpha / max(1, rms(u) / d) * u

    ``eps1`` defaults (``eps=(None, 1e-3)``) to the machine epsilon of the first parameter's
    dtype, as PyTorch's loop sets it. State per parameter: ``step`` and ``row_var`` and
    ``col_var``, or ``variance``. The lerps and the update round as PyTorch's CPU kernels
    (``optim.pointwise``); the norms are tinygrad_bn's. ``foreach`` is recorded (one
    implementation: PyTorch's single-tensor loop)."""

    def __init__(self, params: Params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0,
                 weight_decay: float = 0.0, *, foreach: bool | None = None,
                 maximize: bool = False) -> None:
        check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize))

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            eps1, eps2 = group["eps"]
            updated = []
            try:
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    if np.iscomplexobj(p._array):
                        raise RuntimeError("Adafactor does not support complex parameters")
                    if eps1 is None:  # (PyTorch's loop keeps it for the group's later ones)
                        eps1 = float(np.finfo(p._array.dtype).eps)
                    self._update(group, p, eps1, eps2)
                    updated.append(p)
            finally:
                bump_versions(updated)
        return loss

    def _update(self, group, p, eps1, eps2):
        grad = p._grad._array
        state = self.state[p]
        if not state:
            state["step"] = 0
            if grad.ndim > 1:
                state["row_var"] = np.zeros(grad.shape[:-1] + (1,), grad.dtype)
                state["col_var"] = np.zeros(grad.shape[:-2] + (1,) + grad.shape[-1:],
                                            grad.dtype)
            else:
                state["variance"] = np.zeros_like(grad)
        if group["maximize"]:
            grad = -grad
        lr, weight_decay = scalar_value(group["lr"]), group["weight_decay"]
        step = state["step"] = state["step"] + 1
        step_float = float(scalar_state(step))  # (PyTorch's step is a float32 tensor)
        one_minus_beta2 = step_float ** group["beta2_decay"]
        rho = min(lr, 1 / (step_float ** 0.5))
        alpha = max(eps2, float(_norm(p._array)) / (p._array.size ** 0.5)) * rho
        if weight_decay != 0:
            p._array *= 1 - lr * weight_decay
        if grad.ndim > 1:
            row_var, col_var = state["row_var"], state["col_var"]
            row_mean = np.square(_norm(grad, -1)) / grad.dtype.type(grad.shape[-1])
            lerp_(row_var, row_mean, one_minus_beta2)
            col_mean = np.square(_norm(grad, -2)) / grad.dtype.type(grad.shape[-2])
            lerp_(col_var, col_mean, one_minus_beta2)
            estimate = np.matmul(row_var, col_var)
            estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
        else:
            variance = state["variance"]
            lerp_(variance, grad * grad, one_minus_beta2)
            estimate = np.array(variance)
        update = np.maximum(estimate, eps1 * eps1)
        update = 1 / np.sqrt(update)
        update *= grad
        denom = max(1.0, float(_norm(update)) / ((update.size ** 0.5) * group["d"]))
        add_scaled_(p._array, update, -alpha / denom)
