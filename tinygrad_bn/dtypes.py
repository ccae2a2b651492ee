"""The four dtypes a Tensor can hold, the default floating dtype, and the promotion rule.

Dtypes are NumPy's own dtype objects, so ``tensor.dtype == numpy.float32`` holds and arrays pass
between tinygrad_bn and NumPy without conversion. Promotion follows PyTorch's categories
(bool < integer < floating): an integer or bool operand takes the floating operand's dtype, two
floating operands follow NumPy (float32 with float64 gives float64), and a Python scalar never
widens a tensor (``float32_tensor * 2.5`` stays float32).
"""

import builtins

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int64 = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 - the public name, as in PyTorch

SUPPORTED = (float32, float64, int64, bool)
FLOATING = (float32, float64)

_default_float = float32


def set_default_dtype(dtype):
    """Set the dtype of floating tensors made from Python floats (float32 unless changed)."""
    global _default_float
    dtype = np.dtype(dtype)
    if dtype not in FLOATING:
        raise TypeError(f"only floating-point types are supported as the default type, got {dtype}")
    _default_float = dtype


def get_default_dtype():
    """The dtype of floating tensors made from Python floats."""
    return _default_float


def is_floating(dtype):
    return dtype is float32 or dtype is float64


def canonical(dtype):
    """Map any NumPy dtype onto the four supported ones (ints widen to int64, small floats to
    float32); anything else raises ``TypeError`` naming it."""
    dtype = np.dtype(dtype)
    if dtype in SUPPORTED:
        return dtype
    if dtype.kind in "iu":
        return int64
    if dtype.kind == "f" and dtype.itemsize < 4:
        return float32
    raise TypeError(
        f"unsupported dtype {dtype}: tinygrad_bn tensors hold float32, float64, int64 or bool"
    )


def scalar_dtype(value, other_dtype):
    """The dtype a Python scalar takes when it meets a tensor of ``other_dtype``.

    As in PyTorch, a scalar adopts the tensor's dtype when it is of the same or a lower category,
    and the default float dtype (or int64) when it is of a higher one: ``int_tensor * 0.5`` is
    floating, ``float32_tensor * 2`` stays float32.
    """
    if isinstance(value, (builtins.bool, np.bool_)):
        return other_dtype
    if isinstance(value, (int, np.integer)):
        return other_dtype if other_dtype is not bool else int64
    if isinstance(value, (float, np.floating)):
        return other_dtype if is_floating(other_dtype) else _default_float
    raise TypeError(f"unsupported operand type: {type(value).__name__}")


def promote(a, b):
    """The result dtype of a binary op on two tensors of dtypes ``a`` and ``b``."""
    if a is b:
        return a
    a_float, b_float = is_floating(a), is_floating(b)
    if a_float and b_float:
        return float64
    if a_float:
        return a
    if b_float:
        return b
    return int64  # int64 with bool


_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2}
_SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "int64": "Long", "bool": "Bool"}


def can_store(result, destination):
    """Whether an in-place op may write a ``result`` dtype into a ``destination`` dtype:
    PyTorch allows the same or a lower category (bool < integer < floating), never a float into
    an integer tensor or an integer into a bool one."""
    return _CATEGORY[np.dtype(result).kind] <= _CATEGORY[np.dtype(destination).kind]


def scalar_type_name(dtype):
    """PyTorch's short name of a dtype in error messages: ``Float``, ``Long``, ..."""
    return _SCALAR_TYPE_NAMES.get(str(dtype), str(dtype))
