"""The differentiable operations, one class each, grouped by kind.

``Tensor`` methods call these explicitly; see ``autograd.graph.Op`` for the contract every op
follows.

Floating-point results outside a function's domain are PyTorch's, silently: ``log(-1)`` is nan,
``log(0)`` is -inf, ``1 / 0`` is inf. NumPy would also warn ("invalid value encountered in
log"). The filter below keeps NumPy's warnings raised by code in ``tinygrad_bn.ops`` and
``tinygrad_bn.autograd`` (where gradients add up) out of the user's output; reductions call
ufunc methods such as ``np.add.reduce`` so that their warnings are attributed to these modules.
It costs nothing when nothing is out of range (``np.errstate`` around every op would cost a few
percent of a training step: NumPy reads the error state on every call made inside one) and
leaves the user's own NumPy calls alone; a user's filter that turns RuntimeWarnings into errors
takes precedence over it. ``autograd.detect_anomaly`` reports where a nan appeared.
"""

import warnings

warnings.filterwarnings("ignore", category=RuntimeWarning,
                        module=r"tinygrad_bn\.(ops|autograd)\.")

from .allocator import keep_freed_memory

keep_freed_memory()  # see allocator.py: a training step's arrays reuse the last step's memory

from .elementwise import (
    Abs, Acos, Add, Asin, Atan, Atan2, Cast, Ceil, Clamp, Cos, Cosh, Div, Erf, Erfinv, Exp, Expm1,
    Floor, Fmod, GELU, Hypot, Lerp, Log, Log1p, Log2, Log10, LogAddExp, Logit, Maximum, Minimum, Mul, Neg,
    Pow, ReLU, Remainder, Round, RoundedDiv, Rsqrt, Sigmoid, Sign, Sin, Sinh, Sqrt, Sub, Tan, Tanh,
    Trunc, Where, XLogY,
)
from .counting import Unique
from . import complex_numbers  # noqa: F401 - marks the ops that compute complex results
from .derived import Derived
from .linalg import Einsum, Linear, MatMul, SingularValues
from .loss import CrossEntropy
from .movement import (
    Cat, Clone, Diag, Diagonal, Embedding, Expand, Flip, Gather, GetItem, IndexAdd, IndexSelect,
    Permute,
    Repeat, Reshape, Roll, ScatterAdd, ScatterReduce, Stack,
)
from .normalization import BatchNorm, LayerNorm
from .recurrent import GRUSequence, LSTMSequence, RNNSequence
from .reduce import (
    Cumprod, Cumsum, LogSoftmax, LogSumExp, Max, Mean, Min, Norm, Prod, Softmax, Std, Sum, Var,
)

__all__ = [
    "Abs", "Acos", "Add", "Asin", "Atan", "Atan2", "BatchNorm", "Cast", "Cat", "Ceil", "Clamp",
    "Clone", "Cos", "Cosh", "CrossEntropy", "Cumprod", "Cumsum", "Derived", "Diag", "Diagonal",
    "Div", "Einsum", "Embedding", "Erf", "Erfinv", "Exp", "Expand", "Expm1", "Flip", "Floor",
    "Fmod", "Gather", "GELU", "GetItem", "GRUSequence", "Hypot", "IndexAdd", "IndexSelect",
    "LayerNorm", "Lerp", "Linear", "Log", "Log10", "Log1p", "Log2", "LogAddExp", "Logit",
    "LogSoftmax", "LogSumExp", "LSTMSequence", "MatMul", "Max", "Maximum", "Mean", "Min",
    "Minimum", "Mul", "Neg", "Norm", "Permute", "Pow", "Prod", "ReLU", "Remainder", "Repeat",
    "Reshape", "RNNSequence", "Roll", "Round", "RoundedDiv", "Rsqrt", "ScatterAdd",
    "ScatterReduce", "Sigmoid", "Sign", "Sin", "SingularValues", "Sinh", "Softmax", "Sqrt",
    "Stack", "Std", "Sub", "Sum", "Tan", "Tanh", "Trunc", "Unique", "Var", "Where", "XLogY",
]
