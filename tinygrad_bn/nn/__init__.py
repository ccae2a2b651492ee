"""Neural-network building blocks with PyTorch's names: ``Module`` and ``Parameter``, layers,
losses, ``functional`` and ``init``."""

from . import functional, init
from .activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .container import Sequential
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import CrossEntropyLoss, MSELoss, NLLLoss
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm

__all__ = [
    "BatchNorm1d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "LayerNorm", "Linear",
    "LogSoftmax", "MSELoss", "Module", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid",
    "Softmax", "Tanh", "functional", "init",
]
