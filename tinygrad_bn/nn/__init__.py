"""Neural-network building blocks with PyTorch's names: ``Module`` and ``Parameter``, layers,
losses, ``functional`` and ``init``."""

from . import functional, init, utils
from .activation import (
    ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, ReLU6, Sigmoid, SiLU, Softmax, Softplus, Tanh,
)
from .sparse import Embedding
from .container import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .dropout import Dropout
from .linear import Flatten, Identity, Linear, Unflatten
from .loss import (
    BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,
    SmoothL1Loss,
)
from .module import Module, Parameter
from .normalization import BatchNorm1d, LayerNorm

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "HuberLoss", "KLDivLoss", "L1Loss", "SmoothL1Loss",
    "ELU", "Embedding", "GELU", "Hardtanh", "LeakyReLU", "ReLU6", "SiLU", "Softplus",
    "BatchNorm1d", "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "LayerNorm", "Linear",
    "LogSoftmax", "MSELoss", "Module", "ModuleDict", "ModuleList", "NLLLoss", "Parameter",
    "ParameterDict", "ParameterList", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "Unflatten", "functional", "init", "utils",
]
