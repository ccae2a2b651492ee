"""Softmax cross-entropy as one fused, numerically stable op."""

import numpy as np

from ..autograd import Function
from .reduce import _stable_logsumexp


class CrossEntropy(Function):
    """Cross-entropy of logits ``x`` ``(N, C)`` against class indices ``(N,)`` or class
    probabilities ``(N, C)``, PyTorch's ``F.cross_entropy`` semantics.

    With ``log_p = x - logsumexp(x)`` (the max subtracted first, so logits of magnitude 1e4 give
    finite losses), weights ``w`` (ones by default) and label smoothing ``eps``:

    - class indices ``y``: ``loss_i = (1 - eps) * -w[y_i] * log_p[i, y_i]
      + eps / C * -sum_c w[c] * log_p[i, c]``; rows whose label is ``ignore_index`` count zero.
      ``reduction="mean"`` divides the sum by ``sum_i w[y_i]`` over rows not ignored.
    - probabilities ``t``: ``loss_i = -sum_c w[c] * t'[i, c] * log_p[i, c]`` with
      ``t' = (1 - eps) * t + eps / C``; ``"mean"`` divides by ``N``.

    Backward, with ``p = softmax(x)`` and ``q`` the effective per-class target weight of a row
    (``q = (1 - eps) * w[y] * onehot(y) + eps / C * w``, or ``w * t'``)::

        dL/dx[i] = scale_i * (p[i] * sum_c q[i, c] - q[i])

    which for one-hot targets without weights is the familiar ``softmax - target``, scaled by
    ``grad_output`` and the reduction's divisor.
    """

    __slots__ = ("weight", "ignore_index", "reduction", "label_smoothing")
    arguments = ("reduction",)

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        self.weight, self.ignore_index = weight, ignore_index
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, x, target):
        n, classes = x.shape
        log_p = x - _stable_logsumexp(x, (1,))
        weight = np.ones(classes, dtype=x.dtype) if self.weight is None else self.weight
        eps = self.label_smoothing
        if target.dtype.kind == "f":
            smoothed = target * (1 - eps) + eps / classes if eps else target
            q = weight * smoothed
            divisor = n
        else:
            valid = target != self.ignore_index
            labels = np.where(valid, target, 0)
            q = np.zeros_like(x)
            q[np.arange(n), labels] = (1 - eps) * weight[labels]
            if eps:
                q += eps / classes * weight
            q *= valid[:, None]
            divisor = weight[labels][valid].sum()
        losses = -(q * log_p).sum(axis=1)
        self.saved = (log_p, q, divisor)
        if self.reduction == "none":
            return losses
        total = losses.sum()
        return np.asarray(total / divisor if self.reduction == "mean" else total, dtype=x.dtype)

    def backward(self, grad_output):
        log_p, q, divisor = self.saved
        grad = np.exp(log_p) * q.sum(axis=1, keepdims=True) - q
        if self.reduction == "none":
            grad *= grad_output[:, None]
        else:
            grad *= grad_output / divisor if self.reduction == "mean" else grad_output
        grad_target = None
        if self.needs_input_grad[1]:  # only float probabilities can require grad
            weight = 1.0 if self.weight is None else self.weight
            scale = grad_output[:, None] if self.reduction == "none" else (
                grad_output / divisor if self.reduction == "mean" else grad_output
            )
            grad_target = -(1 - self.label_smoothing) * weight * log_p * scale
        return grad, grad_target
