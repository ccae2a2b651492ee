"""``SparseAdam``: Adam's update applied lazily, only to the rows a sparse gradient touches."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from ..tensor import Tensor
from .optimizer import Optimizer, Params, evaluate_closure, scalar_value


class SparseAdam(Optimizer):
    """PyTorch's ``SparseAdam``: for each parameter whose gradient ``g`` is a sparse COO
    tensor (``nn.Embedding(sparse=True)``'s), at step ``t`` (from 1, counted per parameter)
    and only at ``g``'s coalesced positions ``i``::

        m[i] += (1 - beta1) * (g[i] - m[i])
        v[i] += (1 - beta2) * (g[i]**2 - v[i])
        p[i] -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m[i] / (sqrt(v[i]) + eps)

    the moments elsewhere left as they are (the lazy variant of Adam). Same order of
    operations as PyTorch's ``F.sparse_adam`` (float64 results equal). A dense gradient is
    refused with PyTorch's message, and so are sparse or complex parameters."""

    supports_sparse_gradients = True

    def __init__(self, params: Params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))
        sparse_params, complex_params = [], []
        for index, group in enumerate(self.param_groups):
            for position, p in enumerate(group["params"]):
                if p.is_sparse:
                    sparse_params.append([index, position])
                if p.is_complex():
                    complex_params.append([index, position])
        if sparse_params:
            raise ValueError(f"Sparse params at indices {sparse_params}: SparseAdam requires "
                             "dense parameter tensors")
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not "
                             "support complex parameters")

    def _saved_state(self, p_state: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
        """The state as PyTorch's ``state_dict`` holds it: ``step`` a Python int (PyTorch's
        SparseAdam counts in an int), the moments as tensors (copies)."""
        return {k: Tensor(v) if isinstance(v, np.ndarray) else v for k, v in p_state.items()}

    @no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps = scalar_value(group["lr"]), group["eps"]
            updated = []
            for p in group["params"]:
                if p._grad is None:
                    continue
                grad = p._grad._array
                if not p._grad.is_sparse:
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["exp_avg"] = np.zeros_like(p._array)
                    state["exp_avg_sq"] = np.zeros_like(p._array)
                state["step"] += 1
                grad = (-grad if group.get("maximize", False) else grad).coalesce()
                values = grad.values
                if values.size == 0:
                    continue
                exp_avg, exp_avg_sq, step = state["exp_avg"], state["exp_avg_sq"], state["step"]
                old_exp_avg = grad.mask(exp_avg)
                exp_avg_update = (values - old_exp_avg) * values.dtype.type(1 - beta1)
                exp_avg += grad.with_values(exp_avg_update)
                old_exp_avg_sq = grad.mask(exp_avg_sq)
                exp_avg_sq_update = (values ** 2 - old_exp_avg_sq) * values.dtype.type(1 - beta2)
                exp_avg_sq += grad.with_values(exp_avg_sq_update)
                numer = exp_avg_update + old_exp_avg
                denom = np.sqrt(exp_avg_sq_update + old_exp_avg_sq) + values.dtype.type(eps)
                step_size = lr * math.sqrt(1 - beta2 ** step) / (1 - beta1 ** step)
                p._array += grad.with_values(values.dtype.type(-step_size) * (numer / denom))
                updated.append(p)
            bump_versions(updated)
        return loss
