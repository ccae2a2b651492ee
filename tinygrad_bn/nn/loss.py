"""Loss modules: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss`` (wrappers that hold the options
of the functions in ``nn.functional``)."""

from . import functional as F
from .module import Module


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits ``(N, C)`` against int64 class indices ``(N,)`` or float
    class probabilities ``(N, C)``, and likewise of ``(C,)`` against ``()`` or ``(C,)`` and of
    ``(N, C, d1, ..., dK)`` against ``(N, d1, ..., dK)`` or ``(N, C, d1, ..., dK)`` (one loss
    per position, e.g. per pixel); one fused, numerically stable node. See
    ``nn.functional.cross_entropy`` for ``weight``, ``ignore_index``, ``reduction`` and
    ``label_smoothing``."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__()
        F._check_reduction(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(Module):
    """Negative log-likelihood of log-probabilities ``(N, C)`` at int64 targets ``(N,)``, of
    ``(C,)`` at ``()`` and of ``(N, C, d1, ..., dK)`` at ``(N, d1, ..., dK)``. See
    ``nn.functional.nll_loss``."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction)
        self.register_buffer("weight", weight)
        self.ignore_index, self.reduction = ignore_index, reduction

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(Module):
    """Mean squared error ``(input - target)**2`` with ``reduction`` ``"mean"``, ``"sum"`` or
    ``"none"``."""

    def __init__(self, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class _ElementwiseLoss(Module):
    """A loss with only ``reduction`` (and a fixed parameter of its own, if any)."""

    function = None
    parameter = None  # the name of the loss's own keyword (beta, delta), if it has one

    def __init__(self, reduction="mean", **parameter):
        super().__init__()
        F._check_reduction(reduction)
        self.reduction = reduction
        self.__dict__.update(parameter)

    def forward(self, input, target):
        extra = {} if self.parameter is None else {self.parameter: getattr(self, self.parameter)}
        return type(self).function(input, target, reduction=self.reduction, **extra)


class L1Loss(_ElementwiseLoss):
    """Mean absolute error ``|input - target|``."""

    function = staticmethod(F.l1_loss)


class SmoothL1Loss(_ElementwiseLoss):
    """Quadratic below ``beta``, linear above (see ``functional.smooth_l1_loss``)."""

    function = staticmethod(F.smooth_l1_loss)
    parameter = "beta"

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction, beta=beta)


class HuberLoss(_ElementwiseLoss):
    """Quadratic up to ``delta``, linear beyond (see ``functional.huber_loss``)."""

    function = staticmethod(F.huber_loss)
    parameter = "delta"

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction, delta=delta)


class BCELoss(Module):
    """Binary cross-entropy of probabilities (see ``functional.binary_cross_entropy``)."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__()
        F._check_reduction(reduction)
        self.weight, self.reduction = weight, reduction

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(Module):
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits, with an
    optional ``pos_weight`` per class (see ``functional.binary_cross_entropy_with_logits``)."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__()
        F._check_reduction(reduction)
        self.weight, self.reduction, self.pos_weight = weight, reduction, pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)


class KLDivLoss(Module):
    """KL divergence of ``target`` from the log-probabilities ``input`` (see
    ``functional.kl_div``); ``reduction="batchmean"`` gives the true KL divergence."""

    def __init__(self, reduction="mean", log_target=False):
        super().__init__()
        if reduction not in F.REDUCTIONS + ("batchmean",):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input, target):
        return F.kl_div(input, target, self.reduction, self.log_target)
