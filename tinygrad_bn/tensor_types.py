"""PyTorch's legacy typed constructors: ``FloatTensor``, ``LongTensor`` and their siblings.

Each is a constructor with a fixed dtype, as in PyTorch:

- ``FloatTensor(2, 3)`` or ``FloatTensor(size=(2, 3))``: an uninitialised tensor of that shape
  (``FloatTensor()`` is empty, shape ``(0,)``);
- ``FloatTensor([1, 2])`` (a list, tuple or array): the data converted to the type's dtype;
- ``FloatTensor(t)`` for a tensor ``t`` of the same dtype: ``t`` itself; another dtype raises.

``isinstance(t, FloatTensor)`` is true for any tensor of dtype float32, and ``t.type()`` returns
the name ``"torch.FloatTensor"``, which ``t.type("torch.LongTensor")`` accepts back.
"""

import warnings

import numpy as np

from . import dtypes
from .device import check_device
from .printing import MODULE_NAME, Size
from .shapes import size_arguments
from .tensor import Tensor


class _TensorTypeMeta(type):
    """Makes ``isinstance(t, FloatTensor)`` ask whether ``t`` is a float32 tensor."""

    def __instancecheck__(cls, instance):
        return isinstance(instance, Tensor) and instance.dtype == cls.dtype

    def __repr__(cls):
        return f"<class '{MODULE_NAME}.{cls.__name__}'>"


class _TensorType(metaclass=_TensorTypeMeta):
    dtype = None

    def __new__(cls, *args, size=None, device=None):
        check_device(device)
        if size is not None:
            if args:
                raise TypeError(f"{cls.__name__}() got both positional data and size=")
            args = tuple(size)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0].dtype != cls.dtype:
                raise TypeError(
                    f"expected {dtypes.scalar_type_name(cls.dtype)} tensor (got "
                    f"{dtypes.scalar_type_name(args[0].dtype)} tensor): {cls.__name__}(t) "
                    f"only wraps a tensor of its own dtype; use t.to({MODULE_NAME}."
                    f"{cls.dtype}) to convert")
            return args[0]
        if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)) and \
                not isinstance(args[0], Size):
            return Tensor(args[0], dtype=cls.dtype)
        if len(args) == 1 and isinstance(args[0], Size):
            args = tuple(args[0])
        if any(isinstance(a, float) for a in args):
            raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")
        shape = size_arguments(args) if args else (0,)
        for size_value in shape:
            if size_value < 0:
                raise RuntimeError(
                    f"Trying to create tensor with negative dimension {size_value}: "
                    f"{list(shape)}")
        return Tensor._make(np.empty(shape, dtype=cls.dtype), None)


def _tensor_type(name, dtype):
    return _TensorTypeMeta(name, (_TensorType,), {
        "dtype": dtype, "__module__": MODULE_NAME,
        "__doc__": f"A constructor of {dtype} tensors (see the module docstring).",
    })


FloatTensor = _tensor_type("FloatTensor", dtypes.float32)
DoubleTensor = _tensor_type("DoubleTensor", dtypes.float64)
HalfTensor = _tensor_type("HalfTensor", dtypes.float16)
ByteTensor = _tensor_type("ByteTensor", dtypes.uint8)
CharTensor = _tensor_type("CharTensor", dtypes.int8)
ShortTensor = _tensor_type("ShortTensor", dtypes.int16)
IntTensor = _tensor_type("IntTensor", dtypes.int32)
LongTensor = _tensor_type("LongTensor", dtypes.int64)
BoolTensor = _tensor_type("BoolTensor", dtypes.bool)

BY_NAME = {f"{MODULE_NAME}.{t.__name__}": t for t in (
    FloatTensor, DoubleTensor, HalfTensor, ByteTensor, CharTensor, ShortTensor, IntTensor,
    LongTensor, BoolTensor)}
BY_DTYPE = {t.dtype: name for name, t in BY_NAME.items()}
# PyTorch names complex tensors' legacy type too, though it has no constructor for it
BY_DTYPE.update({dtypes.complex64: f"{MODULE_NAME}.ComplexFloatTensor",
                 dtypes.complex128: f"{MODULE_NAME}.ComplexDoubleTensor"})


def typename(obj: object) -> str:
    """The name PyTorch's ``torch.typename`` gives: a tensor's legacy type name
    (``"torch.FloatTensor"``, also for a Parameter), else the object's class with its module
    (``"torch.nn.modules.linear.Linear"`` is ``"tinygrad_bn.nn.linear.Linear"`` here,
    ``"numpy.ndarray"``); a class itself gives its own name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    if module in ("builtins", "__builtin__", None):
        return cls.__qualname__
    return f"{module}.{cls.__qualname__}"


def set_default_tensor_type(t: type | str) -> None:
    """PyTorch's deprecated ``set_default_tensor_type``: ``FloatTensor``, ``DoubleTensor`` or
    ``HalfTensor`` (the class or its name, ``"torch.DoubleTensor"``) sets the default float
    dtype, with PyTorch's deprecation warning; any other type raises its error."""
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    if isinstance(t, str):
        if t not in BY_NAME:
            if ".cuda." in t:
                raise TypeError(f"type {t} not available. Torch not compiled with CUDA enabled.")
            raise TypeError(f"invalid type: '{t}'")
        t = BY_NAME[t]
    if not isinstance(t, _TensorTypeMeta):
        raise TypeError(f"invalid type object: {t!r}")
    dtypes.set_default_dtype(t.dtype)
