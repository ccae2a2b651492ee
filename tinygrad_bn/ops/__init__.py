"""The differentiable operations, one class each, grouped by kind.

``Tensor`` methods call these explicitly; see ``autograd.graph.Op`` for the contract every op
follows.
"""

from .elementwise import (
    Abs, Add, Cast, Ceil, Clamp, Cos, Div, Erf, Exp, Expm1, Floor, Log, Log1p, Log2, Log10, Maximum,
    Minimum, Mul, Neg, Pow, ReLU, Remainder, Round, RoundedDiv, Rsqrt, Sigmoid, Sign, Sin, Sqrt, Sub, Tanh, Trunc, Where,
)
from .counting import Unique
from .linalg import Linear, MatMul
from .loss import CrossEntropy
from .movement import (
    Cat, Clone, Expand, Flip, Gather, GetItem, Permute, Repeat, Reshape, ScatterAdd, Stack,
)
from .normalization import BatchNorm
from .reduce import Cumsum, LogSoftmax, LogSumExp, Max, Mean, Min, Prod, Softmax, Sum, Var

__all__ = [
    "Abs", "Add", "BatchNorm", "Cast", "Cat", "Ceil", "Clamp", "Clone", "Cos", "CrossEntropy",
    "Cumsum", "Div", "Erf", "Exp", "Expand", "Expm1", "Flip", "Floor", "Gather", "GetItem",
    "Linear", "Log", "Log10", "Log1p", "Log2", "LogSoftmax", "LogSumExp", "MatMul", "Max",
    "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "Permute", "Pow", "Prod", "ReLU",
    "Remainder", "Repeat", "Reshape", "Round", "RoundedDiv", "Rsqrt", "ScatterAdd", "Sigmoid",
    "Sign", "Sin", "Softmax", "Sqrt", "Stack", "Sub", "Sum", "Tanh", "Trunc", "Unique", "Var",
    "Where",
]
