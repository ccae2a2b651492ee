"""Loss modules: ``CrossEntropyLoss``, ``NLLLoss``, ``MSELoss`` (wrappers that hold the options
of the functions in ``nn.functional``)."""

from . import functional as F
from .module import Module


class CrossEntropyLoss(Module):
    """Softmax cross-entropy of logits ``(N, C)`` against int64 class indices ``(N,)`` or float
    class probabilities ``(N, C)``; one fused, numerically stable node. See
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
    """Negative log-likelihood of log-probabilities ``(N, C)`` at int64 targets ``(N,)``."""

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
