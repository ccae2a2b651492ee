"""The differentiable operations, one class each, grouped by kind.

``Tensor`` methods call these explicitly; see ``autograd.graph.Op`` for the contract every op
follows.

Floating-point results outside a function's domain are PyTorch's, silently: ``log(-1)`` is nan,
``log(0)`` is -inf, ``1 / 0`` is inf. NumPy would also warn ("invalid value encountered in
log") from inside these modules; the filter below keeps those warnings out of the user's
output, as PyTorch does (``autograd.detect_anomaly`` is the tool that reports where a nan
appeared). It matches only warnings raised by code in ``tinygrad_bn.ops`` and
``tinygrad_bn.autograd`` (where gradients add up), costs nothing when nothing is out of range,
and leaves warnings from the user's own NumPy calls alone.
"""

import warnings

warnings.filterwarnings("ignore", category=RuntimeWarning,
                        module=r"tinygrad_bn\.(ops|autograd)\.")

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
