"""Adam and AdamW: adaptive moment estimation, with PyTorch's bias correction and order of
operations."""

import numpy as np

from ..autograd import no_grad
from .optimizer import Optimizer


class Adam(Optimizer):
    """PyTorch's ``Adam``. At step ``t`` (from 1), for each parameter ``p`` with gradient ``g``::

        g   = g + weight_decay * p                 (L2 penalty, if weight_decay)
        m   = m + (1 - beta1) * (g - m)            (first moment, PyTorch's lerp)
        v   = beta2 * v + (1 - beta2) * g * g      (second moment)
        v_max = max(v_max, v); use v_max for v     (if amsgrad)
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        p   = p - lr / (1 - beta1**t) * m / denom

    State per parameter: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v) and with amsgrad
    ``max_exp_avg_sq``. Parameters whose ``.grad`` is None are skipped.
    """

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False):
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize))

    @no_grad()
    def step(self):
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad.data if group["maximize"] else p.grad.data
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {
                        "step": 0,
                        "exp_avg": np.zeros_like(p.data),
                        "exp_avg_sq": np.zeros_like(p.data),
                    }
                    if amsgrad:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                step = state["step"]
                if weight_decay:
                    if self.decoupled_weight_decay:
                        p.data *= 1 - lr * weight_decay
                    else:
                        grad = grad + weight_decay * p.data
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg += (1 - beta1) * (grad - exp_avg)
                exp_avg_sq *= beta2
                exp_avg_sq += (1 - beta2) * grad * grad
                if amsgrad:
                    np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
                    second_moment = state["max_exp_avg_sq"]
                else:
                    second_moment = exp_avg_sq
                bias_correction1 = 1 - beta1**step
                bias_correction2_sqrt = (1 - beta2**step) ** 0.5
                denom = np.sqrt(second_moment) / bias_correction2_sqrt + eps
                p.data -= (lr / bias_correction1) * (exp_avg / denom)  # addcdiv_'s rounding


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter): before the Adam update,
    ``p = p * (1 - lr * weight_decay)``, and the gradient carries no L2 term. Default
    ``weight_decay=1e-2``, as in PyTorch."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
