"""PyTorch's ``torch.nn.modules.distance``: the distance layers."""

from ..distance import PairwiseDistance, CosineSimilarity  # noqa: F401

__all__ = ["PairwiseDistance", "CosineSimilarity"]
