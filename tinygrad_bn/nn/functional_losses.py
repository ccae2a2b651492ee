"""The losses of ``torch.nn.functional`` beyond cross-entropy and the regression losses in
``functional.py``: margin and ranking losses (``margin_ranking_loss``,
``hinge_embedding_loss``, ``cosine_embedding_loss``, ``triplet_margin_loss``,
``triplet_margin_with_distance_loss``, ``soft_margin_loss``, ``multilabel_soft_margin_loss``,
``multi_margin_loss``, ``multilabel_margin_loss``) and likelihoods (``poisson_nll_loss``,
``gaussian_nll_loss``).

Each is PyTorch's formula composed of existing ops, in PyTorch's order (where it clamps, adds
an eps or picks a side at a kink, so do these), with its checks and messages; the gradients are
what autograd derives, which is PyTorch's closed-form backward. Like PyTorch's, the functions
take the deprecated ``size_average``/``reduce`` flags (with its warning) where PyTorch's do.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np

from .. import dtypes
from ..autocast_state import float32_op
from ..autograd import graph, no_grad
from ..creation import ones_like
from ..ops import Derived
from ..printing import dtype_name
from ..tensor import Tensor, where
from .functional_activations import logsigmoid
from .functional_distance import pairwise_distance


def _check_reduction(reduction):
    from .functional import _check_reduction as check  # functional imports this file
    check(reduction)


def _reduce(losses, reduction, divisor):
    from .functional import _reduce as reduce  # functional imports this file
    return reduce(losses, reduction, divisor)


def legacy_reduction(size_average: bool | None, reduce: bool | None, stacklevel: int = 3) -> str:
    """The ``reduction`` that PyTorch's deprecated ``size_average`` and ``reduce`` flags mean
    (either left None counts as True): both true ``"mean"``, only ``reduce`` ``"sum"``, else
    ``"none"``; with PyTorch's deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=stacklevel)
    return reduction


def _reduction(size_average, reduce, reduction):
    """``reduction``, or what the legacy flags mean when either is given; checked."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, stacklevel=4)
    _check_reduction(reduction)
    return reduction


@float32_op
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -y * (x1 - x2) + margin)``: ``x1`` should rank above ``x2`` where ``y`` is 1,
    below where it is -1."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {_size(input1)}, input2: {_size(input2)}, target: {_size(target)} ")
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction, None)


@float32_op
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``x`` where ``y`` is 1, ``max(0, margin - x)`` where ``y`` is -1 (``x`` usually a
    distance); PyTorch's composition: the margin term where ``y != 1`` plus ``x`` where
    ``y != -1``."""
    reduction = _reduction(size_average, reduce, reduction)
    margin_term = where(target != 1, (margin - input).clamp(min=0), 0.0)
    return _reduce(margin_term + where(target != -1, input, 0.0), reduction, None)


@float32_op
def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y * x))``, ``y`` in {1, -1}."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce((-input * target).exp().log1p(), reduction, None)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """One-versus-all logistic loss of ``input`` ``(N, C)`` against 0/1 ``target`` ``(N, C)``:
    ``-(y log sigmoid(x) + (1 - y) log sigmoid(-x))``, times ``weight`` ``(C,)``, averaged over
    the classes (one loss per sample), then reduced."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.ndim - 1
    loss = loss.sum(dim=class_dim) / input.shape[class_dim]
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(reduction + " is not valid")


@float32_op
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``y`` is 1, ``max(0, cos(x1, x2) - margin)`` where it is -1,
    over rows of ``(N, D)`` inputs with ``(N,)`` targets (or ``(D,)`` with ``()``). PyTorch's
    cosine: ``sum(x1 x2) / sqrt((sum(x1^2) + 1e-12) * (sum(x2^2) + 1e-12))``."""
    reduction = _reduction(size_average, reduce, reduction)
    target_dim = target.ndim
    if target_dim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if target_dim == 1 and not (input1.ndim == 2 and input2.ndim == 2):
        raise RuntimeError(
            f"1D target tensor expects 2D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}.")
    if target_dim == 0 and not (input1.ndim == 1 and input2.ndim == 1):
        raise RuntimeError(
            f"0D target tensor expects 1D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}.")
    epsilon = 1e-12
    product_sum = (input1 * input2).sum(target_dim)
    magnitude1 = (input1 * input1).sum(target_dim) + epsilon
    magnitude2 = (input2 * input2).sum(target_dim) + epsilon
    cos = product_sum / (magnitude1 * magnitude2).sqrt()
    positive = where(target == 1, 1 - cos, 0.0)
    negative = where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(positive + negative, reduction, None)


def _check_triplet_dims(anchor, positive, negative):
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {anchor.ndim}D, positive {positive.ndim}D, and "
            f"negative {negative.ndim}D inputs")


@float32_op
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the ``pairwise_distance`` (``p``-norm
    of the difference plus ``eps``); ``swap`` takes ``min(d(a, n), d(p, n))`` for the negative
    distance (Balntas et al. 2016)."""
    reduction = _reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    distance_positive = pairwise_distance(anchor, positive, p, eps)
    distance_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        distance_negative = distance_negative.minimum(pairwise_distance(positive, negative, p,
                                                                        eps))
    return _reduce((margin + distance_positive - distance_negative).clamp(min=0), reduction,
                   None)


def triplet_margin_with_distance_loss(
        anchor: Tensor, positive: Tensor, negative: Tensor, *,
        distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
        margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """``triplet_margin_loss`` with any ``distance_function(x1, x2)`` (default
    ``pairwise_distance``)."""
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    _check_triplet_dims(anchor, positive, negative)
    if distance_function is None:
        distance_function = pairwise_distance
    distance_positive = distance_function(anchor, positive)
    distance_negative = distance_function(anchor, negative)
    if swap:
        distance_negative = distance_negative.minimum(distance_function(positive, negative))
    return _reduce((margin + distance_positive - distance_negative).clamp(min=0), reduction,
                   None)


def _check_margin_input(input):
    """PyTorch's ``multi_margin_loss``/``multilabel_margin_loss`` input check: a non-empty
    vector or matrix, or a 0-d tensor."""
    shape = input.shape
    if not ((input.ndim == 2 and shape[1] != 0) or (input.ndim == 1 and shape[0] != 0)
            or input.ndim == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(shape)}")
    frames = 1 if input.ndim <= 1 else shape[0]
    classes = 1 if input.ndim == 0 else shape[-1]
    return frames, classes


def _not_label(labels, classes):
    """``(N, C)`` bool: whether each class is not the row's label, after PyTorch's check that
    every label is a class."""
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise RuntimeError("target out of range")
    return labels[:, None] != np.arange(classes)


@float32_op
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss of ``input`` ``(N, C)`` (or ``(C,)``) at int64 class indices
    ``target`` ``(N,)``: ``sum over i != y of w[y] * max(0, margin - x[y] + x[i])^p / C``, ``p``
    1 or 2. The gradient is 0 where the hinge is exactly 0, as PyTorch's kernel; ``weight``
    gets none (PyTorch's neither)."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    frames, classes = _check_margin_input(input)
    if target.ndim > 1 or target.numel() != frames:
        raise RuntimeError(
            f"multi_margin_loss: target tensor should be 1-D with size equal to the number of "
            f"input samples (batch size). Expected target size [{frames}], but got "
            f"{list(target.shape)}. Input has shape {list(input.shape)}.")
    if weight is not None and weight.numel() != classes:
        raise RuntimeError(
            f"inconsistent weight size, expected {classes} but got {list(weight.shape)}")
    if target.dtype != dtypes.int64:
        raise RuntimeError(f"expected scalar type Long but found "
                           f"{dtypes.scalar_type_name(target.dtype)}")
    rows, labels = input.reshape(frames, classes), target.reshape(frames)
    others = Derived.apply(labels, function=_not_label, keywords={"classes": classes})
    picked = rows[np.arange(frames), labels].reshape(frames, 1)
    hinge = margin - picked + rows
    hinge = where(others & (hinge > 0), hinge if p == 1 else hinge * hinge, 0.0)
    if weight is not None:
        hinge = hinge * weight.detach().to(input.dtype)[labels].reshape(frames, 1)
    losses = hinge.sum(dim=1) / classes
    if reduction == "none":
        return losses if target.ndim > 0 else losses.reshape(())
    return _reduce(losses, reduction, None)


def _label_counts(target):
    """``(N, C)`` counts of each class among each row's labels (those before its first -1,
    PyTorch's convention for ``multilabel_margin_loss``), after PyTorch's range check."""
    frames, classes = target.shape
    if target.size and (target.min() < -1 or target.max() >= classes):
        raise RuntimeError("argument #2 'target' is out of range")
    counts = np.zeros((frames, classes), dtype=np.int64)
    for row, labels in enumerate(target):
        for label in labels:
            if label < 0:
                break
            counts[row, label] += 1
    return counts


@float32_op
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss of ``input`` ``(N, C)`` (or ``(C,)``): ``target`` holds each
    row's class indices, ended by -1 (or filling the row). ``sum over labels j and non-labels
    i of max(0, 1 - (x[j] - x[i])) / C``; a label listed twice counts twice, as in PyTorch."""
    reduction = _reduction(size_average, reduce, reduction)
    frames, classes = _check_margin_input(input)
    if input.ndim <= 1:
        consistent = target.ndim <= 1 and target.numel() == classes
    else:
        consistent = target.ndim == 2 and tuple(target.shape) == (frames, classes)
    if not consistent:
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    if target.dtype != dtypes.int64:
        raise RuntimeError(f"expected scalar type Long but found "
                           f"{dtypes.scalar_type_name(target.dtype)}")
    rows = input.reshape(frames, classes)
    counts = Derived.apply(target.reshape(frames, classes), function=_label_counts)
    labelled = counts > 0
    hinge = 1 - rows.reshape(frames, classes, 1) + rows.reshape(frames, 1, classes)
    counted = labelled.reshape(frames, classes, 1) & ~labelled.reshape(frames, 1, classes)
    hinge = where(counted & (hinge > 0), hinge, 0.0) * counts.to(input.dtype).reshape(
        frames, classes, 1)
    losses = hinge.sum(dim=(1, 2)) / classes
    if reduction == "none":
        return losses if target.ndim > 1 else losses.reshape(())
    return _reduce(losses, reduction, None)


@float32_op
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Poisson of rate ``exp(input)``
    (``log_input``) or ``input``: ``exp(x) - y x``, or ``x - y log(x + eps)``; ``full`` adds
    Stirling's approximation of ``log(y!)``, ``y log y - y + 0.5 log(2 pi y)``, where
    ``y > 1``."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + where(target <= 1, 0.0, stirling)
    return _reduce(loss, reduction, None)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of ``target`` under a Gaussian of mean ``input`` and variance
    ``var``: ``0.5 * (log(var) + (x - y)^2 / var)`` (plus ``0.5 log(2 pi)`` with ``full``).
    ``var`` is the input's shape, or one dim short, or one size-1 dim short (homoscedastic), or
    a float; it is clamped to ``eps`` without that clamp counting for the gradient, as PyTorch
    clamps it under ``no_grad``."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * ones_like(input)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.ndim == var.ndim and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    difference = input - target
    loss = 0.5 * (var.log() + difference * difference / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction, None)


def _size(tensor):
    return f"torch.Size({list(tensor.shape)})"


@float32_op
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """Connectionist temporal classification (Graves et al. 2006): ``-log p(target | input)``
    summed over every alignment of the target to the ``T`` steps of ``log_probs`` ``(T, N, C)``
    (or ``(T, C)``), with ``blank`` between labels and repeats. ``targets`` are ``(N, S)``
    padded or the ``N`` sequences concatenated; the lengths are tensors or lists. ``"mean"``
    divides each loss by its target length (at least 1), then averages over the batch;
    ``zero_infinity`` replaces an impossible alignment's infinite loss (and its gradient) by 0.

    The forward recursion runs in probability space, rescaled to sum 1 at each step (Graves's
    own scaling, so nothing underflows) and in float64, so that autograd's gradient has no
    ``0 * inf`` from ``-inf`` log-probabilities of unreachable states. PyTorch's gradient with
    respect to ``log_probs`` is that of logits through ``log_softmax``: ``exp(log_probs)`` more
    than the derivative of the loss (LossCTC.cpp); a zero-valued term adds it here too."""
    _check_reduction(reduction)
    graph.untraceable("ctc_loss reads its targets and lengths in Python")
    batched = log_probs.ndim == 3
    if not batched:
        log_probs = log_probs.unsqueeze(1)
    steps, batch, classes = log_probs.shape
    input_lengths = _lengths(input_lengths, batch)
    target_lengths = _lengths(target_lengths, batch)
    labels = targets.detach().numpy().astype(np.int64)
    if labels.ndim == 1 and batched:  # the sequences concatenated: padded here
        offsets = np.concatenate([[0], np.cumsum(target_lengths)])
        padded = np.full((batch, max(int(target_lengths.max(initial=0)), 1)), blank, np.int64)
        for n in range(batch):
            padded[n, :target_lengths[n]] = labels[offsets[n]:offsets[n + 1]]
        labels = padded
    labels = labels.reshape(batch, -1)
    length = 2 * labels.shape[1] + 1
    extended = np.full((batch, length), blank, np.int64)
    extended[:, 1::2] = labels
    skip = np.zeros((batch, length), bool)
    skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    wide = log_probs.to(dtypes.float64)
    emissions = wide.permute(1, 0, 2)[np.arange(batch)[:, None, None],
                                      np.arange(steps)[None, :, None],
                                      extended[:, None, :]].exp()  # (N, T, L)
    start = np.zeros((batch, length), bool)
    start[:, 0] = True
    start[:, 1] = target_lengths > 0
    alpha = where(Tensor(start), emissions[:, 0], 0.0)
    log_scale = alpha.sum(1).log()
    alpha = alpha / alpha.sum(1, keepdim=True)
    zeros = Tensor(np.zeros((batch, 2)))
    skip_mask = Tensor(skip)
    for t in range(1, steps):
        shifted = _shift(alpha, 1, zeros) + where(skip_mask, _shift(alpha, 2, zeros), 0.0)
        new = (alpha + shifted) * emissions[:, t]
        total = new.sum(1, keepdim=True)
        reachable = total > 0
        total = where(reachable, total, 1.0)
        active = Tensor((t < input_lengths)[:, None])
        alpha = where(active, new / total, alpha)
        log_scale = log_scale + where(active & reachable, total.log(), 0.0).reshape(batch)
    ends = np.stack([2 * target_lengths, np.maximum(2 * target_lengths - 1, 0)], 1)
    final = alpha[np.arange(batch)[:, None], ends]
    final = where(Tensor(np.stack([np.ones(batch, bool), target_lengths > 0], 1)), final, 0.0)
    final = final.sum(1)
    possible = final > 0
    nll = -(log_scale + where(possible, final, 1.0).log())
    nll = where(possible, nll, math.inf)
    counted = Tensor((np.arange(steps)[:, None] < input_lengths[None, :])[:, :, None])
    softmax_term = where(counted, wide.exp() - wide.exp().detach(), 0.0).sum((0, 2))
    if zero_infinity:
        nll = where(possible, nll, 0.0)
        softmax_term = where(possible, softmax_term, 0.0)
    nll = (nll + softmax_term).to(log_probs.dtype)
    if reduction == "mean":
        return (nll / Tensor(np.maximum(target_lengths, 1)).to(nll.dtype)).mean()
    if reduction == "sum":
        return nll.sum()
    return nll if batched else nll.reshape(())


def _lengths(lengths, batch):
    """Sequence lengths (a tensor, list or tuple) as a NumPy int64 array ``(N,)``."""
    if isinstance(lengths, Tensor):
        lengths = lengths.detach().numpy()
    return np.asarray(lengths, dtype=np.int64).reshape(batch)


def _shift(alpha, by, zeros):
    """``alpha`` moved ``by`` states along dim 1, zeros coming in."""
    from ..tensor import cat
    return cat([zeros[:, :by], alpha[:, :-by]], 1)
