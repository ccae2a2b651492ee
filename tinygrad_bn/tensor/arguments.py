"""How ``Tensor``'s methods take their arguments: a Python number or list becomes a constant
tensor, the two operands of a binary op get one dtype (PyTorch's result type) and shapes that
broadcast, an argument of the wrong kind gets PyTorch's error, and ``accept_numpy_names`` lets a
function take NumPy's ``axis=`` and ``keepdims=``. Shared by the families of methods."""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import graph
from ..ops.opmath import FLOAT, HALF
from ..shapes import broadcast_error, broadcastable
from .core import Tensor, _refuse_huge_integers, scalar_for


def _operands(tensor, other, *, reflected=False, true_division=False, broadcast=True):
    """The two operands of a binary op as tensors of one dtype, PyTorch's result type.

    A Python scalar becomes a constant tensor of the dtype ``dtypes.scalar_dtype`` picks; two
    dtypes that differ both become ``dtypes.result_type`` of the pair; ``true_division`` turns
    two integer operands into the default float dtype. With ``broadcast``, shapes that do not
    broadcast raise PyTorch's message naming both.
    """
    if type(other) is float and tensor._array.dtype.kind == "f":
        # x * 0.5, the common case: the scalar takes the tensor's dtype (so nothing promotes),
        # and a 0-d array broadcasts with any shape.
        other = constant_tensor(np.asarray(other, dtype=tensor._array.dtype), other)
        return (other, tensor) if reflected else (tensor, other)
    if not isinstance(other, Tensor):
        other = _constant(other, tensor._array.dtype)
    a, b = (other, tensor) if reflected else (tensor, other)
    a_dtype, b_dtype = a._array.dtype, b._array.dtype
    if true_division and a_dtype.kind not in "fc" and b_dtype.kind not in "fc":
        default = dtypes.get_default_dtype()
        a, b = a.to(default), b.to(default)
    elif a_dtype is not b_dtype:
        common = dtypes.result_type(a._array, b._array)
        a, b = a.to(common), b.to(common)
    if broadcast and not broadcastable(a._array.shape, b._array.shape):
        raise RuntimeError(broadcast_error(a._array.shape, b._array.shape))
    return a, b


def in_opmath(function, *tensors, **keywords):
    """``function(*tensors, **keywords)`` computed as PyTorch's fused kernel for it computes
    float16 (``ops/opmath.py``): with float16 among ``tensors`` and no float32 or float64
    (which would promote the result anyway), each float16 tensor is widened to float32
    (``Tensor.float``, so gradients flow back through the cast), ``function`` runs on those,
    and its float32 result is rounded to float16 once. For a function of several ops
    (``addcmul``, ``addmm``, ``huber_loss``) whose intermediate results PyTorch never rounds
    to float16. Any other dtypes call ``function`` as it is, after one dtype test per tensor.
    ``None`` entries (an absent bias) pass through."""
    half = False
    for t in tensors:
        if t is not None:
            dtype = t._array.dtype
            if dtype is HALF:
                half = True
            elif dtype.kind == "f":
                return function(*tensors, **keywords)
    if not half:
        return function(*tensors, **keywords)
    out = function(*[t.float() if t is not None and t._array.dtype is HALF else t
                     for t in tensors], **keywords)
    return out.half() if out._array.dtype is FLOAT else out


def opmath_scalar(value):
    """Whether ``value`` is a real number (Python or NumPy, not bool), which PyTorch's ``mul``,
    ``div`` and ``div`` with a rounding mode of a float16 tensor keep in float32 (its opmath
    type; ``TensorIterator``'s ``original_scalar_value``) rather than rounding it to float16,
    computing in float32 and rounding the result once (``with_opmath_scalar``). The callers
    test the tensor's dtype first, so that any other dtype pays one identity test."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return -2**63 <= value < 2**63  # larger integers keep PyTorch's overflow error
    return isinstance(value, (float, np.floating))


def with_opmath_scalar(op, tensor, value, reflected=False, **arguments):
    """``op(tensor, value)`` (``op(value, tensor)`` if ``reflected``) for a float16 ``tensor``
    and a number ``value`` (``opmath_scalar``), as PyTorch's kernel computes it:
    ``float16(float32(tensor) op float32(value))``, one rounding, the result float16. Built of
    ``Tensor.float``, ``op`` and ``Tensor.half``, so the gradient is PyTorch's too: the
    float16 ``grad_output`` widened, ``op``'s float32 gradient, rounded once to float16."""
    constant = constant_tensor(np.asarray(value, dtype=FLOAT), value)
    wide = tensor.float()
    return op.apply(*((constant, wide) if reflected else (wide, constant)), **arguments).half()


def _no_bool(kernel, operands):
    """``operands`` of an op PyTorch has no bool kernel for, refused when both are bool (after
    promotion: a bool with a number is computed in the number's dtype)."""
    if operands[0]._array.dtype is dtypes.bool:
        raise dtypes.not_implemented(kernel, dtypes.bool)
    return operands


def _subtraction_operands(tensor, other, reflected=False):
    """``_operands`` of a subtraction, which PyTorch refuses for bool operands."""
    other_is_bool = isinstance(other, (bool, np.bool_)) or (
        isinstance(other, Tensor) and other._array.dtype is dtypes.bool)
    # a Python bool is a bool tensor to PyTorch here (a NumPy bool is not)
    if tensor._array.dtype is dtypes.bool and (type(other) is bool or (
            isinstance(other, Tensor) and other_is_bool)):
        raise RuntimeError(
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` "
            "or `logical_xor()` operator instead.")
    if tensor._array.dtype is dtypes.bool or other_is_bool:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return _operands(tensor, other, reflected=reflected)


def _constant(value, tensor_dtype):
    """A Python scalar, list or array met by a tensor op, as a tensor that requires no grad.
    An integer that does not fit an integer tensor's dtype wraps around, as in PyTorch
    (``uint8_tensor + 300`` adds 44)."""
    if isinstance(value, (numbers.Number, np.generic)):
        dtype = dtypes.scalar_dtype(value, tensor_dtype)
        if dtype.kind in "iu" and isinstance(value, (int, np.integer)) and \
                not isinstance(value, (bool, np.bool_)):
            _refuse_huge_integers(value)
            return constant_tensor(np.asarray(int(value), dtype=np.int64).astype(dtype))
        return constant_tensor(np.asarray(value, dtype=dtype), value)
    if isinstance(value, (np.ndarray, list, tuple)):
        return Tensor(value)
    raise TypeError(f"unsupported operand type for a Tensor operation: {type(value).__name__}")


def constant_tensor(array, value=None):
    """A tensor over ``array``, made from Python values and shapes alone: a jit capture replays
    it as a constant (``graph.constant``; ``value`` is the Python number it was made of, if
    any)."""
    return graph.constant(Tensor._make(array, None), value)


def _scalar_tensor(value, dtype):
    """A Python number written into a tensor of ``dtype`` (``masked_fill``, ``x[i] = 3``), as a
    0-d constant, with PyTorch's overflow check."""
    return constant_tensor(np.asarray(scalar_for(value, dtype), dtype=dtype))


def _tensor_argument(value, function, name, position):
    """``value`` if it is a Tensor, else PyTorch's ``TypeError`` for a non-tensor argument."""
    if not isinstance(value, Tensor):
        where = f" (position {position})" if position is not None else ""
        raise TypeError(f"{function}(): argument '{name}'{where} must be Tensor, not "
                        f"{type(value).__name__}")
    return value


def _tensor_list(tensors, name):
    """The ``tensors`` argument of ``cat``, ``stack`` and their kin, checked with PyTorch's
    messages: a list or tuple (not a Tensor, not a generator), of Tensors only, not empty
    (``cat`` raises ValueError for that, the others RuntimeError)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if not tensors:
        if name == "cat":
            raise ValueError("torch.cat(): expected a non-empty list of Tensors")
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


def _common_dtype(tensors):
    """Convert tensors to their promoted common dtype (``dtypes.promote``)."""
    common = tensors[0]._array.dtype
    for t in tensors[1:]:
        common = dtypes.promote(common, t._array.dtype)
    return [t if t._array.dtype is common else t.to(common) for t in tensors]


def accept_numpy_names(function: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``function`` take NumPy's ``axis=`` and ``keepdims=`` for ``dim=`` and ``keepdim=``,
    as every PyTorch function with those parameters does."""

    @functools.wraps(function)
    def with_numpy_names(*args, **kwargs):
        if not kwargs:  # the common call: nothing to rename
            return function(*args)
        if "axis" in kwargs or "keepdims" in kwargs:
            for alias, name in (("axis", "dim"), ("keepdims", "keepdim")):
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{function.__name__}() got both '{name}' and its NumPy "
                                        f"alias '{alias}'")
                    kwargs[name] = kwargs.pop(alias)
        return function(*args, **kwargs)

    return with_numpy_names
