"""Loss modules: wrappers that hold the options of the loss functions in ``nn.functional``,
with PyTorch's signatures (including the deprecated ``size_average``/``reduce`` flags, which
become a ``reduction`` with PyTorch's warning)."""

from __future__ import annotations

import warnings

from ..tensor import Tensor
from . import functional as F
from .module import Module


def legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """The ``reduction`` that PyTorch's deprecated ``size_average`` and ``reduce`` flags mean
    (either left None counts as True): both true ``"mean"``, only ``reduce`` ``"sum"``, else
    ``"none"``; with PyTorch's deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{reduction}' instead.", UserWarning, stacklevel=3)
    return reduction


class _Loss(Module):
    """A loss module's options: ``reduction``, or the legacy ``size_average``/``reduce``."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            reduction = legacy_reduction(size_average, reduce)
        self._check(reduction)
        self.reduction = reduction

    @staticmethod
    def _check(reduction):
        F._check_reduction(reduction)


class _WeightedLoss(_Loss):
    """A loss with a per-class ``weight``, kept as a buffer (so ``.to`` and ``state_dict`` see
    it, as in PyTorch)."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits ``(N, C)`` against int64 class indices ``(N,)`` or float
    class probabilities ``(N, C)``, and likewise of ``(C,)`` against ``()`` or ``(C,)`` and of
    ``(N, C, d1, ..., dK)`` against ``(N, d1, ..., dK)`` or ``(N, C, d1, ..., dK)`` (one loss
    per position, e.g. per pixel); one fused, numerically stable node. See
    ``nn.functional.cross_entropy`` for ``weight``, ``ignore_index``, ``reduction`` and
    ``label_smoothing``."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities ``(N, C)`` at int64 targets ``(N,)``, of
    ``(C,)`` at ``()`` and of ``(N, C, d1, ..., dK)`` at ``(N, d1, ..., dK)``. See
    ``nn.functional.nll_loss``."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(input - target)**2`` with ``reduction`` ``"mean"``, ``"sum"`` or
    ``"none"``."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|``."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above (see ``functional.smooth_l1_loss``)."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic up to ``delta``, linear beyond (see ``functional.huber_loss``). PyTorch's
    has no legacy flags."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (see ``functional.binary_cross_entropy``)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits, with an
    optional ``pos_weight`` per class (see ``functional.binary_cross_entropy_with_logits``);
    ``weight`` and ``pos_weight`` are buffers."""

    def __init__(self, weight: Tensor | None = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class KLDivLoss(_Loss):
    """KL divergence of ``target`` from the log-probabilities ``input`` (see
    ``functional.kl_div``); ``reduction="batchmean"`` gives the true KL divergence."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean", log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    @staticmethod
    def _check(reduction):
        if reduction not in F.REDUCTIONS + ("batchmean",):
            raise ValueError(f"{reduction} is not a valid value for reduction")

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, self.reduction, self.log_target)
