"""The differentiable operations, one class each, grouped by kind.

``Tensor`` methods call these explicitly; see ``autograd.graph.Op`` for the contract every op
follows.
"""

from .elementwise import (
    Abs, Add, Cast, Clamp, Div, Exp, Log, Maximum, Minimum, Mul, Neg, Pow, ReLU, Sigmoid, Sqrt,
    Sub, Tanh, Where,
)
from .linalg import Linear, MatMul
from .loss import CrossEntropy
from .movement import Cat, Expand, GetItem, Permute, Reshape, Stack
from .normalization import BatchNorm
from .reduce import LogSoftmax, LogSumExp, Max, Mean, Min, Softmax, Sum, Var

__all__ = [
    "Abs", "Add", "BatchNorm", "Cast", "Cat", "Clamp", "CrossEntropy", "Div",
    "Exp", "Expand", "GetItem", "Linear", "Log", "LogSoftmax", "LogSumExp", "MatMul",
    "Max", "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "Permute",
    "Pow", "ReLU", "Reshape", "Sigmoid", "Softmax", "Sqrt", "Stack", "Sub",
    "Sum", "Tanh", "Var", "Where",
]
