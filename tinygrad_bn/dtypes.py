"""The dtypes a Tensor can hold, the default floating dtype, and PyTorch's promotion rule.

Dtypes are NumPy's own dtype objects, so ``tensor.dtype == numpy.float32`` holds and arrays pass
between tinygrad_bn and NumPy without conversion. Nine are supported: ``float16``/``half``,
``float32``/``float``, ``float64``/``double``, ``uint8``, ``int8``, ``int16``/``short``,
``int32``/``int``, ``int64``/``long``, ``bool``, ``complex64``/``cfloat`` and
``complex128``/``cdouble``. The floating and complex ones take gradients.

Promotion follows PyTorch's ``result_type``. Categories are ordered bool < integer < floating;
operands come in three priorities: tensors with dimensions, 0-d tensors, Python scalars. The
result is the promoted dtype of the highest-priority operands, unless a lower-priority operand
is of a higher category: then it joins (a Python float turns an int32 tensor into the default
float, a Python int never widens an int32 tensor, a 0-d float64 tensor never widens a float32
one). Within a category, the wider dtype wins and uint8 with int8 gives int16; an integer
meeting a float takes the float's dtype (int16 with float16 is float16, unlike NumPy).
"""

from __future__ import annotations

import builtins
from typing import Union

import numpy as np

# What ``dtype=`` arguments accept: a NumPy dtype, a scalar type (``float``, ``np.int64``) or
# a name (``"float32"``); and the Python numbers tensors mix with.
DTypeLike = Union[np.dtype, type, str]
Number = Union[int, float, builtins.bool]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool = np.dtype(np.bool_)  # noqa: A001 - the public name, as in PyTorch
complex64 = np.dtype(np.complex64)
complex128 = np.dtype(np.complex128)



class DTypeNumPyLacks:
    """A PyTorch dtype NumPy has no type for (``bfloat16``): the name exists, so that scripts
    which list dtypes (``{"float16": torch.float16, "bfloat16": torch.bfloat16}``) run, and any
    use of it as a dtype raises a ``TypeError`` naming it. NumPy reads a ``dtype`` attribute of
    any object it is asked to turn into a dtype, so every ``np.dtype(...)`` in the package
    raises that error."""

    __slots__ = ("name", "is_complex", "is_floating_point")

    def __init__(self, name: str, is_complex: builtins.bool = False) -> None:
        self.name = name
        self.is_complex = is_complex
        self.is_floating_point = not is_complex

    @property
    def dtype(self):
        raise TypeError(f"unsupported dtype {self.name}: tinygrad_bn tensors hold "
                        f"{SUPPORTED_NAMES} (NumPy has no {self.name})")

    is_signed = True

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name  # pickles as the module attribute, one object per process


bfloat16 = DTypeNumPyLacks("bfloat16")
complex32 = DTypeNumPyLacks("complex32", is_complex=True)

SUPPORTED = (float16, float32, float64, uint8, int8, int16, int32, int64, bool, complex64,
             complex128)
FLOATING = (float16, float32, float64)
COMPLEX = (complex64, complex128)

_default_float = float32


def set_default_dtype(dtype: DTypeLike) -> None:
    """Set the dtype of floating tensors made from Python floats (float32 unless changed)."""
    global _default_float
    dtype = np.dtype(dtype)
    if dtype not in FLOATING:
        raise TypeError(f"only floating-point types are supported as the default type, got {dtype}")
    _default_float = dtype


def get_default_dtype() -> np.dtype:
    """The dtype of floating tensors made from Python floats."""
    return _default_float


def is_floating(dtype: np.dtype) -> builtins.bool:
    return dtype.kind == "f"


def is_complex(dtype: np.dtype) -> builtins.bool:
    return dtype.kind == "c"


def is_differentiable(dtype: np.dtype) -> builtins.bool:
    """Whether tensors of ``dtype`` may require gradients: floating and complex ones."""
    return dtype.kind == "f" or dtype.kind == "c"


def to_complex(dtype: np.dtype) -> np.dtype:
    """PyTorch's ``toComplexType``: the complex dtype whose parts are ``dtype`` (float32 ->
    complex64, float64 -> complex128; a complex dtype itself). float16 would be complex32,
    which NumPy lacks: ``TypeError``."""
    if dtype.kind == "c":
        return dtype
    if dtype is float64:
        return complex128
    if dtype is float32:
        return complex64
    return np.dtype(complex32)  # raises complex32's TypeError


def to_real(dtype: np.dtype) -> np.dtype:
    """PyTorch's ``toRealValueType``: the dtype of a complex dtype's parts (complex64 ->
    float32); any other dtype itself."""
    if dtype is complex64:
        return float32
    if dtype is complex128:
        return float64
    return dtype


def default_complex() -> np.dtype:
    """The complex dtype of tensors made from Python complex numbers: the default float's
    (complex64 for float32, complex128 for float64; float16's complex32 does not exist in
    NumPy, complex64 stands for it)."""
    return complex128 if _default_float is float64 else complex64


SUPPORTED_NAMES = ("float16, float32, float64, uint8, int8, int16, int32, int64, bool, "
                   "complex64 or complex128")

_SUPPORTED_BY_VALUE = {dtype: dtype for dtype in SUPPORTED}  # equal dtypes hash alike


def with_own_dtype(array: np.ndarray) -> np.ndarray:
    """``array``, or a view of it whose dtype is the very object above when its own is merely
    equal to one: an array that was pickled (a worker process, ``pickle``, ``copy``) comes
    back with a dtype object of its own, and tinygrad_bn tests dtypes by identity
    (``dtype is float16``), which such an array would fail silently. For the arrays a tensor
    takes over without copying (``from_numpy``, ``as_tensor``, unpickling)."""
    dtype = array.dtype
    supported = _SUPPORTED_BY_VALUE.get(dtype)
    if supported is None or supported is dtype:
        return array
    return array.view(supported)


def canonical(dtype: DTypeLike) -> np.dtype:
    """The supported dtype equal to ``dtype``; unsigned integers wider than a byte become int64
    (PyTorch has no arithmetic on them); anything else raises ``TypeError`` naming it."""
    dtype = np.dtype(dtype)
    for supported in SUPPORTED:
        if dtype == supported:
            return supported
    if dtype.kind == "u":
        return int64
    raise TypeError(f"unsupported dtype {dtype}: tinygrad_bn tensors hold {SUPPORTED_NAMES}")


def scalar_dtype(value: Number, other_dtype: np.dtype) -> np.dtype:
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
        return other_dtype if other_dtype.kind in "fc" else _default_float
    if isinstance(value, (complex, np.complexfloating)):
        if other_dtype.kind == "c":
            return other_dtype
        return to_complex(other_dtype) if other_dtype.kind == "f" else default_complex()
    raise TypeError(f"unsupported operand type: {type(value).__name__}")


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's ``promote_types``: the dtype that holds values of both ``a`` and ``b``."""
    if a is b:
        return a
    if a.kind == "c" or b.kind == "c":
        if a.kind == "c" and b.kind == "c":
            return complex128 if complex128 in (a, b) else complex64
        complex_one, other = (a, b) if a.kind == "c" else (b, a)
        if other.kind == "f" and (other is float64 or complex_one is complex128):
            return complex128
        return complex_one
    a_float, b_float = is_floating(a), is_floating(b)
    if a_float != b_float:
        return a if a_float else b
    return canonical(np.promote_types(a, b))


def result_type(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """The dtype of a binary op's result on arrays ``a`` and ``b``: PyTorch's ``result_type``
    for two tensors, a 0-d one counting below one with dimensions (see the module docstring).
    A Python scalar arrives here as a 0-d array too, but already of the dtype ``scalar_dtype``
    chose for it: the tensor's own unless the scalar is of a higher category, so it never
    widens the tensor (it ranks below 0-d tensors, which this rule alone would not give)."""
    if a.dtype is b.dtype:
        return a.dtype
    if (a.ndim == 0) == (b.ndim == 0):
        return promote(a.dtype, b.dtype)
    higher, lower = (b.dtype, a.dtype) if a.ndim == 0 else (a.dtype, b.dtype)
    if _CATEGORY[lower.kind] > _CATEGORY[higher.kind]:
        if lower.kind == "c" and higher.kind == "f":
            return to_complex(higher)  # PyTorch keeps the float's width
        return promote(higher, lower)
    return higher


_CATEGORY = {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}
_SCALAR_TYPE_NAMES = {
    "float16": "Half", "float32": "Float", "float64": "Double", "uint8": "Byte", "int8": "Char",
    "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool",
    "complex64": "ComplexFloat", "complex128": "ComplexDouble",
}


def can_store(result: DTypeLike, destination: DTypeLike) -> builtins.bool:
    """Whether an in-place op may write a ``result`` dtype into a ``destination`` dtype:
    PyTorch allows the same or a lower category (bool < integer < floating < complex), never a
    float into an integer tensor or an integer into a bool one."""
    return _CATEGORY[np.dtype(result).kind] <= _CATEGORY[np.dtype(destination).kind]


_CPP_TYPE_NAMES = {
    "float16": "c10::Half", "float32": "float", "float64": "double", "uint8": "unsigned char",
    "int8": "signed char", "int16": "short int", "int32": "int", "int64": "long int",
    "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>",
}


def cpp_type_name(dtype: DTypeLike) -> str:
    """The C++ name PyTorch's lower-level messages use for a dtype: ``double``, ``long int``."""
    return _CPP_TYPE_NAMES.get(str(dtype), str(dtype))


def not_implemented(kernel: str, dtype: DTypeLike) -> NotImplementedError:
    """PyTorch's error for an op without a kernel for ``dtype``, to raise:
    ``"histogram_cpu" not implemented for 'Long'``."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{scalar_type_name(dtype)}\'')


def scalar_type_name(dtype: DTypeLike) -> str:
    """PyTorch's short name of a dtype in error messages: ``Float``, ``Long``, ..."""
    return _SCALAR_TYPE_NAMES.get(str(dtype), str(dtype))


class _DTypeClass(type):
    """``isinstance(x, dtype)`` holds for every dtype tinygrad_bn names: NumPy's dtype objects
    and the ones NumPy lacks (``bfloat16``)."""

    def __instancecheck__(cls, instance) -> builtins.bool:
        return isinstance(instance, (np.dtype, DTypeNumPyLacks))


class dtype(metaclass=_DTypeClass):  # noqa: N801 - PyTorch's class name
    """PyTorch's ``torch.dtype``, the class of the dtypes: for ``isinstance(x, torch.dtype)``
    and annotations. tinygrad_bn's dtypes are NumPy's dtype objects (see the module docstring),
    so this class stands for them rather than being their type; as in PyTorch, it makes no
    instances."""

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'torch.dtype' instances")
