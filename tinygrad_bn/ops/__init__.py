"""The differentiable operations, one class each, grouped by kind.

``Tensor`` methods call these explicitly; see ``autograd.graph.Op`` for the contract every op
follows.
"""

from .elementwise import (
    Abs, Acos, Add, Asin, Atan, Atan2, Cast, Ceil, Clamp, Cos, Cosh, Div, Erf, Exp, Expm1, Floor,
    Hypot, Lerp, Log, Log1p, Log2, Log10, Logit, Maximum, Minimum, Mul, Neg, Pow, ReLU, Remainder,
    Round, RoundedDiv, Rsqrt, Sigmoid, Sign, Sin, Sinh, Sqrt, Sub, Tan, Tanh, Trunc, Where,
)
from .counting import Unique
from .linalg import Einsum, Linear, MatMul
from .loss import CrossEntropy
from .movement import (
    Cat, Clone, Diag, Expand, Flip, Gather, GetItem, IndexSelect, Permute, Repeat, Reshape, Roll,
    ScatterAdd, Stack,
)
from .normalization import BatchNorm
from .reduce import (
    Cumprod, Cumsum, LogSoftmax, LogSumExp, Max, Mean, Min, Norm, Prod, Softmax, Std, Sum, Var,
)

__all__ = [
    "Abs", "Acos", "Add", "Asin", "Atan", "Atan2", "BatchNorm", "Cast", "Cat", "Ceil", "Clamp",
    "Clone", "Cos", "Cosh", "CrossEntropy", "Cumprod", "Cumsum", "Diag", "Div", "Einsum", "Erf",
    "Exp", "Expand", "Expm1", "Flip", "Floor", "Gather", "GetItem", "Hypot", "IndexSelect", "Lerp",
    "Linear", "Log", "Log10", "Log1p", "Log2", "LogSoftmax", "LogSumExp", "Logit", "MatMul", "Max",
    "Maximum", "Mean", "Min", "Minimum", "Mul", "Neg", "Norm", "Permute", "Pow", "Prod", "ReLU",
    "Remainder", "Repeat", "Reshape", "Roll", "Round", "RoundedDiv", "Rsqrt", "ScatterAdd",
    "Sigmoid", "Sign", "Sin", "Sinh", "Softmax", "Sqrt", "Stack", "Sub", "Sum", "Tan", "Tanh",
    "Std", "Trunc", "Unique", "Var", "Where",
]
