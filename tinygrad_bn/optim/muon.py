"""``Muon`` (Jordan et al., 2024), as PyTorch 2.13's ``torch.optim.Muon``: momentum SGD for 2-d
parameters whose update is orthogonalised by a quintic Newton-Schulz iteration, computed in
bfloat16 as PyTorch computes it."""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from ..autograd import no_grad
from ..autograd.graph import bump_versions
from ..tensor import Tensor
from .optimizer import (
    Optimizer, Params, check_tensor_lr, evaluate_closure, scalar_value,
    silent_on_nonfinite,
)
from .pointwise import add_scaled_, lerp_

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _bfloat16(values) -> np.ndarray:
    """``values`` rounded to bfloat16 (to nearest, ties to even: the top 16 bits of a float32),
    held in float32. NumPy has no bfloat16; each bfloat16 op of PyTorch's CPU kernels computes
    in float32 and rounds its result once, which this rounding reproduces."""
    values = np.asarray(values, np.float32)
    bits = values.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return np.where(np.isnan(values), values, rounded.view(np.float32))


def zeropower_via_newtonschulz(grad: np.ndarray, ns_coefficients: tuple[float, float, float],
                               ns_steps: int, eps: float) -> np.ndarray:
    """The orthogonalisation of the matrix ``grad`` (about ``U V^T`` of its SVD ``U S V^T``,
    the singular values mapped into roughly [0.5, 1.5]): ``X = G / max(||G||, eps)`` (the
    transpose when ``G`` has more rows than columns), then ``ns_steps`` times ``A = X X^T``,
    ``X = a X + (b A + c A A) X``, each product and sum in bfloat16 as PyTorch's (every op's
    float32 result rounded to bfloat16: bit for bit with PyTorch's CPU kernels on a 6 x 10
    matrix over five iterations). Returns float32 values of bfloat16."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(coefficient) for coefficient in ns_coefficients)
    ortho = _bfloat16(grad)
    if grad.shape[0] > grad.shape[1]:
        ortho = ortho.T
    norm = _bfloat16(Tensor(ortho).norm()._array)
    ortho = _bfloat16(ortho / _bfloat16(max(norm, np.float32(eps))))
    for _ in range(ns_steps):
        gram = _bfloat16(ortho @ ortho.T)
        gram_update = _bfloat16(b * gram + c * (gram @ gram))
        ortho = _bfloat16(a * ortho + gram_update @ ortho)
    if grad.shape[0] > grad.shape[1]:
        ortho = ortho.T
    return ortho


def _adjust_lr(lr: float, adjust_lr_fn: str | None, shape: tuple[int, ...]) -> float:
    """The learning rate scaled for the matrix's shape ``(A, B)``: ``sqrt(max(1, A / B))``
    (Keller Jordan's, ``"original"``, the default) or ``0.2 * sqrt(max(A, B))``
    (``"match_rms_adamw"``, Moonshot's, for AdamW's learning rates)."""
    rows, columns = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / columns))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, columns))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """PyTorch's ``Muon``, for 2-d parameters only (use AdamW for biases and embeddings). For
    each parameter ``p`` with gradient ``g``::

        B = lerp(B, g, 1 - momentum)                       (momentum_buffer)
        U = lerp(g, B, momentum) if nesterov else B
        O = zeropower_via_newtonschulz(U)                  (in bfloat16)
        p = p * (1 - lr * weight_decay)
        p = p - adjust_lr(lr, shape) * O

    Defaults ``lr=1e-3``, ``weight_decay=0.1``, ``momentum=0.95``, ``nesterov=True``,
    ``ns_coefficients=(3.4445, -4.775, 2.0315)``, ``eps=1e-7``, ``ns_steps=5``. State per
    parameter: ``momentum_buffer``."""

    def __init__(self, params: Params, lr: float = 1e-3, weight_decay: float = 0.1,
                 momentum: float = 0.95, nesterov: bool = True,
                 ns_coefficients: tuple[float, float, float] = (DEFAULT_A, DEFAULT_B, DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS,
                 adjust_lr_fn: str | None = None) -> None:
        check_tensor_lr(lr)
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients,
                                      eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

    @no_grad()
    @silent_on_nonfinite
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = evaluate_closure(closure)
        for group in self.param_groups:
            lr, weight_decay, momentum = (scalar_value(group["lr"]), group["weight_decay"],
                                          group["momentum"])
            updated = []
            try:
                for p in group["params"]:
                    if p._grad is None:
                        continue
                    if np.iscomplexobj(p._array):
                        raise RuntimeError("Muon does not support complex parameters")
                    grad = p._grad._array
                    state = self.state[p]
                    if "momentum_buffer" not in state:
                        state["momentum_buffer"] = np.zeros_like(grad)
                    if grad.ndim != 2:
                        raise ValueError("Param gradient must be a 2D matrix")
                    buffer = state["momentum_buffer"]
                    lerp_(buffer, grad, 1 - momentum)
                    if group["nesterov"]:
                        update = np.array(grad)
                        lerp_(update, buffer, momentum)
                    else:
                        update = buffer
                    update = zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                                        group["ns_steps"], group["eps"])
                    adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p._array.shape)
                    p._array *= 1 - lr * weight_decay
                    add_scaled_(p._array, update.astype(p._array.dtype), -adjusted_lr)
                    updated.append(p)
            finally:
                bump_versions(updated)
        return loss
