"""PyTorch's ``torch.nn.parameter`` path: ``Parameter`` and the lazy modules' uninitialised
placeholders (defined in nn/module.py and nn/lazy.py), so that ``from torch.nn.parameter import
UninitializedParameter`` runs with the import swapped."""

from .lazy import UninitializedBuffer, UninitializedParameter, UninitializedTensorMixin, is_lazy
from .module import Parameter

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer",
           "UninitializedTensorMixin", "is_lazy"]
