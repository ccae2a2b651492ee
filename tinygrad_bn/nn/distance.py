"""Distance layers for metric learning: ``CosineSimilarity`` and ``PairwiseDistance``, the
modules over ``functional.cosine_similarity`` and ``functional.pairwise_distance``."""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module


class CosineSimilarity(Module):
    """``sum(x1 / max(||x1||, eps) * x2 / max(||x2||, eps))`` along ``dim`` (default 1), as
    PyTorch 2.13's: ``(N, D)`` and ``(N, D)`` give ``(N,)``; the inputs broadcast together.
    No parameters."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """``||x1 - x2 + eps||_p`` over the last dim, as PyTorch's (``eps`` added to the
    difference): ``(N, D)`` and ``(N, D)`` give ``(N,)``, ``(N, 1)`` with ``keepdim``. The
    order ``p`` is kept as ``norm``, PyTorch's attribute name. No parameters."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
