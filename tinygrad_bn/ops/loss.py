"""Softmax cross-entropy as one fused, numerically stable op, and the sum ``nll_loss`` reduces
float16 losses with (PyTorch's cascade, rounded as PyTorch's)."""

import numpy as np

from ..autograd.graph import Op
from .reduce import row_max, row_sums


def check_labels_in_range(labels, classes, ignore_index):
    """PyTorch's ``IndexError("Target 7 is out of bounds.")`` for the first class index outside
    ``[0, classes)`` that is not ``ignore_index``. Returns whether every label is in range
    (False also when some are out of range but ignored)."""
    if not labels.size:
        return True
    # int64 labels seen as unsigned: a negative one is huge, so one max checks both ends
    if labels.view(np.uint64).max() < classes if labels.dtype == np.int64 else (
            labels.min() >= 0 and labels.max() < classes):
        return True
    labels = labels[labels != ignore_index]  # rare: look closer
    bad = labels[(labels < 0) | (labels >= classes)]
    if bad.size:
        raise IndexError(f"Target {bad[0]} is out of bounds.")
    return False


class CrossEntropy(Op):
    """Cross-entropy of logits ``x`` ``(N, C)`` against class indices ``(N,)`` or class
    probabilities ``(N, C)``, PyTorch's ``F.cross_entropy`` semantics; class weights ``w``
    ``(C,)``, when given, are a third input that gets no gradient (PyTorch refuses to
    differentiate them). The other layouts, ``(C,)`` and ``(N, C, d1, ..., dK)``, arrive here
    as rows: ``nn.functional.cross_entropy``
    moves the class dim last and flattens every position ``(n, d1, ..., dK)`` into one row, so
    ``N`` below counts positions and ``"mean"`` divides by the same sums as PyTorch's.

    With ``log_p = x - logsumexp(x)`` (the max subtracted first, so logits of magnitude 1e4 give
    finite losses), weights ``w`` (ones by default) and label smoothing ``eps``:

    - class indices ``y``: ``loss_i = (1 - eps) * -w[y_i] * log_p[i, y_i]
      + eps / C * -sum_c w[c] * log_p[i, c]``; rows whose label is ``ignore_index`` count zero.
      ``reduction="mean"`` divides the sum by ``sum_i w[y_i]`` over rows not ignored (no such
      rows: the loss is nan and the gradient zero, as PyTorch's). Only the picked ``log_p``
      enters the unsmoothed loss, so ``-inf`` logits elsewhere or in ignored rows leave it
      finite.
    - probabilities ``t``: ``loss_i = -sum_c w[c] * t'[i, c] * log_p[i, c]`` with
      ``t' = (1 - eps) * t + eps / C``; ``"mean"`` divides by ``N``.

    Backward, with ``p = softmax(x)`` and ``q`` the effective per-class target weight of a row
    (``q = (1 - eps) * w[y] * onehot(y) + eps / C * w``, or ``w * t'``)::

        dL/dx[i] = scale_i * (p[i] * sum_c q[i, c] - q[i])

    which for one-hot targets without weights is the familiar ``softmax - target``, scaled by
    ``grad_output`` and the reduction's divisor.
    """

    __slots__ = ("ignore_index", "label_smoothing", "reduction")
    arguments = ("reduction",)

    def __init__(self, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        self.ignore_index = ignore_index
        self.reduction, self.label_smoothing = reduction, label_smoothing

    def forward(self, x, target, weight=None):
        n, classes = x.shape
        labels = target.dtype.kind != "f"
        in_range = labels and check_labels_in_range(target, classes, self.ignore_index)
        shifted = x - row_max(x)  # the max subtracted: exp never overflows
        exp = np.exp(shifted)
        total = row_sums(exp)
        plain = (in_range and weight is None and not self.label_smoothing and not (
            0 <= self.ignore_index < classes and (target == self.ignore_index).any()))
        if plain:  # class labels only, the common case: no (N, C) target matrix is needed
            rows = np.arange(n)
            # -log_p[i, y_i] = log(total_i) - shifted[i, y_i]; only the picked entries
            losses = np.log(total).reshape(n) - shifted[rows, target]
            probabilities = np.divide(exp, total, out=exp)
            self.saved = (probabilities, (rows, target), n)
        elif labels and weight is None and not self.label_smoothing:
            # Class labels, some rows ignored (a language model's padding): the plain path
            # with those rows' losses and gradients zero, the mean over the rows that count.
            counted = target != self.ignore_index
            rows = np.flatnonzero(counted)
            picked = target[rows]
            losses = np.zeros(n, dtype=x.dtype)
            losses[rows] = np.log(total).reshape(n)[rows] - shifted[rows, picked]
            probabilities = np.divide(exp, total, out=exp)
            np.multiply(probabilities, counted[:, None], out=probabilities)  # (nan stays nan)
            count = x.dtype.type(rows.size) if rows.size else None
            self.saved = (probabilities, (rows, picked), count)
        else:
            log_p = shifted - np.log(total)
            probabilities = exp / total
            if weight is None:
                weight = np.ones(x.shape[1], dtype=x.dtype)
            q, divisor = self._target_weights(x, target, weight)
            if target.dtype.kind == "f":
                with np.errstate(invalid="ignore"):  # 0 * -inf is nan, as in PyTorch
                    losses = -np.add.reduce(q * log_p, axis=1)
            else:
                losses = self._label_losses(log_p, target, weight)
            # Backward reads the weights only for a target that requires grad: a copy, so that
            # the weights stay free to change in place once the loss is computed.
            kept = weight.copy() if self.needs_input_grad[1:2] == (True,) else None
            self.saved = (probabilities, q, divisor, log_p, kept)
        if self.reduction == "none":
            return losses
        total_loss = np.add.reduce(losses)
        if self.reduction == "mean":
            divisor = self.saved[2]  # nothing counted, or zero total weight: nan, as PyTorch's
            total_loss = total_loss / divisor if divisor else np.nan
        return np.asarray(total_loss, dtype=x.dtype)

    def _label_losses(self, log_p, target, weight):
        """Per-row losses for class labels, computed from the picked log-probabilities only, so
        that a ``-inf`` logit of another class (or of an ignored row) never meets a zero weight
        (``0 * -inf`` would be nan where PyTorch's loss is finite)."""
        n, classes = log_p.shape
        valid = target != self.ignore_index
        labels = np.where(valid, target, 0)
        picked = np.where(valid, log_p[np.arange(n), labels], 0)
        losses = -(1 - self.label_smoothing) * weight[labels] * picked
        if self.label_smoothing:
            with np.errstate(invalid="ignore"):  # a -inf log_p makes the smoothed loss inf
                losses = losses - self.label_smoothing / classes * (log_p * weight).sum(axis=1)
        return np.where(valid, losses, 0).astype(log_p.dtype, copy=False)

    def _target_weights(self, x, target, weight):
        """``q``: each row's effective weight per class, and the divisor of ``"mean"`` (None
        when every row is ignored; 0 when rows count but their weights sum to 0)."""
        n, classes = x.shape
        eps = self.label_smoothing
        if target.dtype.kind == "f":
            smoothed = target * (1 - eps) + eps / classes if eps else target
            return weight * smoothed, n
        valid = target != self.ignore_index
        labels = np.where(valid, target, 0)
        q = np.zeros_like(x)
        q[np.arange(n), labels] = (1 - eps) * weight[labels]
        if eps:
            q += eps / classes * weight
        q *= valid[:, None]
        return q, weight[labels][valid].sum() if valid.any() else None

    def _scale(self, grad_output, divisor):
        """How ``grad_output`` and the reduction scale each row's gradient."""
        if self.reduction == "none":
            return grad_output[:, None]
        if self.reduction == "mean":
            if divisor is None:  # every row ignored: a zero gradient, as PyTorch's
                return np.zeros_like(grad_output)
            if divisor == 0:  # rows count but weigh 0 in total: nan everywhere, as PyTorch's
                return np.full_like(grad_output, np.nan)
            return grad_output / divisor
        return grad_output

    def backward(self, grad_output):
        probabilities, target_part, divisor = self.saved[:3]
        if isinstance(target_part, tuple):  # plain labels: softmax - onehot
            grad = probabilities.copy()
            grad[target_part] -= 1
        else:
            q = target_part
            grad = probabilities * np.add.reduce(q, axis=1, keepdims=True) - q
        scale = self._scale(grad_output, divisor)
        grad *= scale
        grad_target = None
        if self.needs_input_grad[1]:  # only float probabilities can require grad
            log_p, weight = self.saved[3:]
            grad_target = -(1 - self.label_smoothing) * weight * log_p * scale
        if len(self.needs_input_grad) == 3:  # the class weights get none
            return grad, grad_target, None
        return grad, grad_target

    def composite(self, x, target, weight=None):
        """The docstring's loss with primitive ops (``log_softmax``, ``gather``), for
        ``create_graph=True``; the weights and class labels are constants."""
        n, classes = x.shape
        constant = lambda array: type(x)._make(np.asarray(array), None)  # noqa: E731
        eps = self.label_smoothing
        log_p = x.log_softmax(1)
        w = np.ones(classes, x.dtype) if weight is None else weight._array
        if target._array.dtype.kind == "f":
            q = constant(w) * (target * (1 - eps) + eps / classes if eps else target)
            losses = -(q * log_p).sum(dim=1)
            divisor = n
        else:
            valid = target._array != self.ignore_index
            labels = np.where(valid, target._array, 0)
            picked = log_p.gather(1, constant(labels.reshape(n, 1))).reshape(n)
            losses = picked * constant(-(1 - eps) * w[labels] * valid)
            if eps:
                smoothed = (log_p * constant(w)).sum(dim=1) * constant(valid.astype(x.dtype))
                losses = losses - smoothed * (eps / classes)
            divisor = (w[labels] * valid).sum()
        if self.reduction == "none":
            return losses
        total = losses.sum()
        return total / float(divisor) if self.reduction == "mean" else total


class BinaryCrossEntropy(Op):
    """Elementwise ``-(t log(x) + (1 - t) log(1 - x))`` for probabilities ``x``, each log clamped
    at -100 (PyTorch's), so that ``x = 0`` or ``1`` costs at most 100.

    Gradients (PyTorch's closed forms, finite at ``x = 0`` and ``1``)::

        dL/dx = grad_output * (x - t) / max(x (1 - x), 1e-12)
        dL/dt = grad_output * (log(1 - x) - log(x))      (unclamped: infinite at 0 and 1)
    """

    __slots__ = ()

    def forward(self, x, t):
        if x.size and (x.min() < 0 or x.max() > 1 or np.isnan(x).any()):
            raise RuntimeError("all elements of input should be between 0 and 1")
        with np.errstate(divide="ignore"):  # log(0) = -inf, clamped at once
            log_x = np.maximum(np.log(x), -100.0)
            log_not_x = np.maximum(np.log1p(-x), -100.0)
        self.saved = (x, t)
        return -(t * log_x + (1 - t) * log_not_x)

    def backward(self, grad_output):
        x, t = self.saved
        needs_x, needs_t = self.needs_input_grad
        grad_x = grad_output * (x - t) / np.maximum(x * (1 - x), 1e-12) if needs_x else None
        grad_t = None
        if needs_t:
            with np.errstate(divide="ignore"):
                grad_t = grad_output * (np.log1p(-x) - np.log(x))
        return grad_x, grad_t

    def composite(self, x, t):
        """The docstring's loss with primitive ops, for ``create_graph=True``."""
        return -(t * x.log().clamp(min=-100) + (1 - t) * (1 - x).log().clamp(min=-100))


class CascadeSum(Op):
    """The sum of a 1-D array of losses in the order and precision of PyTorch's CPU
    ``nll_loss`` (and ``nll_loss2d``) kernels, for float16 (whose every partial sum there is a
    float16, rounded at each addition): ``counted`` (bool, same shape; an input that gets no
    gradient) says which positions add their value (the others, ignored targets, add nothing).

    The kernel keeps 8 levels of partial sums. Each counted position ``i`` (its index among all
    positions) adds its value to level 0; when ``i`` is a multiple of ``16`` level 0 is added
    into level 1 and cleared, when it is a multiple of ``16**2`` level 1 into level 2, and so on
    (16 is ``2**max(4, ceil(log2(n)) // 8)``, ``n`` all positions). The result is
    ``((0 + level0) + level1) + ... + level7``. Every addition is rounded to the array's dtype.

    Gradient: ``grad_output`` at every position (the kernel's backward ignores the rounding).
    """

    __slots__ = ("input_shape",)
    is_linear = True  # create_graph: see autograd/higher_order.py
    levels = 8

    def forward(self, values, counted):
        self.input_shape = values.shape
        n = values.shape[0]
        power = max(4, (n - 1).bit_length() // self.levels) if n > 1 else 4
        index = np.flatnonzero(counted)  # ignored positions add nothing and close no level
        items = values[index]
        total = np.zeros((), dtype=values.dtype)
        for level in range(self.levels):
            if level == self.levels - 1:  # the top level is never closed
                closed = np.zeros(0, dtype=np.int64)
            else:
                closed = np.flatnonzero(index % (1 << (power * (level + 1))) == 0)
            rest = items[closed[-1] + 1 if closed.size else 0:]
            if rest.size:  # what stays at this level, added into the total in level order
                remaining = _sequential_sums(rest, np.array([rest.size - 1]))[0]
                total = (total + remaining).astype(values.dtype)
            items, index = _sequential_sums(items, closed), index[closed]
        return total

    def backward(self, grad_output):
        return np.broadcast_to(grad_output, self.input_shape), None


def _sequential_sums(values, ends):
    """The sums of the runs of ``values`` that end at the positions ``ends`` (ascending; each
    run starts after the previous end), each added from left to right with every addition
    rounded to ``values``' dtype (NumPy's own sums of float16 add in float32 and round once).
    Vectorised across runs, one step per position within a run, longest runs first."""
    if not ends.size:
        return values[:0]
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    order = np.argsort(-lengths, kind="stable")
    starts, lengths = starts[order], lengths[order]
    sums = np.zeros(ends.size, dtype=values.dtype)
    active = ends.size
    for step in range(int(lengths[0])):
        while lengths[active - 1] <= step:  # runs sorted longest first: the done ones are last
            active -= 1
        sums[:active] += values[starts[:active] + step]
    result = np.empty_like(sums)
    result[order] = sums
    return result
