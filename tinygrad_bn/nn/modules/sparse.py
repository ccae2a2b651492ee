"""PyTorch's ``torch.nn.modules.sparse``: the embedding layers."""

from ..sparse import Embedding, EmbeddingBag  # noqa: F401

__all__ = ["Embedding", "EmbeddingBag"]
