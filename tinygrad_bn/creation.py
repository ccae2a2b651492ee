"""Functions that make new tensors: from data, filled with a value, ranges, and random draws.

Signatures follow PyTorch (``zeros(2, 3)`` or ``zeros((2, 3))``, ``dtype=``, ``requires_grad=``).
Floating results take the default dtype (float32) unless told otherwise; random ones draw from
the generator ``manual_seed`` reseeds (see ``tinygrad_bn.random``). A jit capture may rebuild
tensors made from Python values alone (``zeros``, ``arange``) as constants; random draws are
``RandomDraw`` ops, which a replay draws again from the same generator.
"""

from __future__ import annotations

import math
import numbers
import warnings
from fractions import Fraction
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import dtypes, layouts
from .autograd import graph
from .dtypes import DTypeLike, Number
from .random import Generator
from .shapes import ShapeLike, new_shape
from .device import DeviceLike, check_device
from .ops import Derived
from .ops.random import RandomDraw
from .tensor import Tensor, scalar_for


def tensor(data: Any, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
           requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (a number, nested lists, an array or a tensor).

    Python floats become the default dtype, ints int64, bools bool; NumPy arrays keep their dtype
    (unsigned ints wider than a byte become int64). ``device`` must be the CPU (see ``tinygrad_bn.device``).
    """
    check_device(device)
    return Tensor(data, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy), as PyTorch's ``from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    if array.dtype not in dtypes.SUPPORTED:
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{array.dtype.type.__name__}. The only "
            f"supported types are: {dtypes.SUPPORTED_NAMES}."
        )
    return Tensor._make(dtypes.with_own_dtype(array), None)


_READ_ONLY_BUFFER_WARNED = [False]


def frombuffer(buffer: Any, *, dtype: DTypeLike, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """A 1-D tensor over the memory of ``buffer`` (any object with Python's buffer protocol:
    ``bytes``, ``bytearray``, ``memoryview``, ``array.array``, ``mmap``), sharing it (writes
    to either show in both), as PyTorch's ``frombuffer``: ``count`` elements of ``dtype``
    (-1: all that fit) from byte ``offset``. A read-only buffer gives a tensor anyway, with
    PyTorch's warning (once): writing to the tensor writes to the buffer."""
    dtype = dtypes.canonical(dtype)
    try:
        view = memoryview(buffer)
    except TypeError:
        raise ValueError("object does not implement Python buffer protocol.") from None
    length = view.nbytes
    itemsize = dtype.itemsize
    if length == 0 or count == 0:
        raise ValueError(f"both buffer length ({length}) and count ({count}) must not be 0")
    if offset < 0 or offset >= length:
        raise ValueError(f"offset ({offset} bytes) must be non-negative and no greater than "
                         f"buffer length ({length} bytes) minus 1")
    if count < 0:
        if (length - offset) % itemsize:
            raise ValueError(f"buffer length ({length - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({itemsize})")
        count = (length - offset) // itemsize
    elif offset + count * itemsize > length:
        raise ValueError(f"requested buffer length ({count} * {itemsize} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({length} bytes)")
    array = np.frombuffer(view, dtype=dtype, count=count, offset=offset)
    if not array.flags.writeable:
        if not _READ_ONLY_BUFFER_WARNED[0]:
            _READ_ONLY_BUFFER_WARNED[0] = True
            warnings.warn("The given buffer is not writable, and PyTorch does not support "
                          "non-writable tensors. This means you can write to the underlying "
                          "(supposedly non-writable) buffer using the tensor. You may want to "
                          "copy the buffer to protect its data or make it writable before "
                          "converting it to a tensor. This type of warning will be suppressed "
                          "for the rest of this program.", UserWarning, stacklevel=2)
        array = array.view()
        array.flags.writeable = False
    tensor = Tensor._make(array, None)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def as_tensor(data: Any, dtype: DTypeLike | None = None,
              device: DeviceLike | None = None) -> Tensor:
    """``data`` as a tensor, without copying when it can: a Tensor of the wanted dtype is
    returned itself (another dtype: ``data.to(dtype)``, still differentiable), a NumPy array of
    a supported dtype is shared as by ``from_numpy`` (writes to either show in both); anything
    else is copied as by ``tensor``."""
    check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and data.dtype in dtypes.SUPPORTED and (
            dtype is None or dtypes.canonical(dtype) == data.dtype):
        return Tensor._make(dtypes.with_own_dtype(data), None)
    return Tensor(data, dtype=dtype)


def asarray(obj: Any, *, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
            copy: bool | None = None, requires_grad: bool = False) -> Tensor:
    """``as_tensor`` with PyTorch's ``asarray`` switches: ``copy=True`` always copies,
    ``copy=False`` refuses to (raises when a copy is needed), ``None`` shares when it can;
    ``requires_grad`` marks the result."""
    result = as_tensor(obj, dtype=dtype, device=device)
    source = obj._array if isinstance(obj, Tensor) else obj
    shares = isinstance(source, np.ndarray) and np.shares_memory(result._array, source)
    if copy and shares:  # a copy made by an op, so that a jit capture sees where it comes from
        result = Derived.apply(result, function=_copy)
    elif copy is False and not shares:
        raise ValueError(f"asarray(copy=False): {type(obj).__name__} of dtype "
                         f"{getattr(obj, 'dtype', None)} cannot be turned into a tensor of dtype "
                         f"{result.dtype} without a copy")
    if requires_grad:
        result._require_grad_at_creation()
    return result


def _copy(array):
    """A C-ordered copy of ``array`` (``asarray(copy=True)``)."""
    return array.copy()


def _new(array, dtype, requires_grad, device=None):
    """A new tensor holding ``array`` (made from Python values and shapes alone: a constant to a
    jit capture) in ``dtype``."""
    return graph.constant(_wrap(array, dtype, requires_grad, device))


def _drawn(method, draw_arguments, generator, dtype, requires_grad, device=None):
    """A new tensor of random numbers, ``generator.<method>(*draw_arguments)`` in ``dtype``,
    drawn by a ``RandomDraw`` op (which a jit replay draws again, from the same generator)."""
    check_device(device)
    out = RandomDraw.apply(method=method, draw_arguments=draw_arguments,
                           dtype=dtypes.canonical(dtype), generator=generator)
    if requires_grad:
        out._require_grad_at_creation()
    return out


def _wrap(array, dtype, requires_grad, device):
    check_device(device)
    out = Tensor._make(array.astype(dtypes.canonical(dtype), copy=False), None)
    if requires_grad:
        out._require_grad_at_creation()
    return out


def _float_dtype(dtype):
    return dtypes.get_default_dtype() if dtype is None else dtype


def _sizes(name, sizes, size):
    """The shape arguments of ``zeros``/``ones``/``empty``/``rand``/``randn``: the positional
    sizes (ints or one sequence), or PyTorch's ``size=`` keyword (a sequence of ints, as in
    ``empty(size=(n, m))``), with PyTorch's TypeErrors for both at once or a non-sequence."""
    if size is None:
        return sizes
    if sizes:
        if name in ("rand", "randn"):  # PyTorch's first line of its overload list
            got = ", ".join(type(s).__name__ for s in sizes)
            raise TypeError(f"{name}() received an invalid combination of arguments - got "
                            f"({got}, size={type(size).__name__}), but expected one of:")
        raise TypeError(f"{name}() got multiple values for argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{name}(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    return (size,)


def zeros(*sizes: ShapeLike, size: ShapeLike | None = None, dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros with shape ``size`` (ints, one tuple or the keyword: ``zeros(2, 3)``,
    ``zeros((2, 3))``, ``zeros(size=(2, 3))``), as PyTorch's ``zeros``. ``dtype`` defaults to
    the default float dtype (float32 unless ``set_default_dtype`` changed it); ``device`` must
    be the CPU (or None); ``requires_grad=False`` by default."""
    shape = new_shape(_sizes("zeros", sizes, size), "zeros")
    return _new(np.zeros(shape), _float_dtype(dtype), requires_grad, device)


def ones(*sizes: ShapeLike, size: ShapeLike | None = None, dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones with shape ``size`` (ints or one tuple: ``ones(2, 3)``, ``ones((2, 3))``),
    as PyTorch's ``ones``. ``dtype`` defaults to the default float dtype (float32 unless
    ``set_default_dtype`` changed it); ``device`` must be the CPU (or None);
    ``requires_grad=False`` by default."""
    return _new(np.ones(new_shape(_sizes("ones", sizes, size))), _float_dtype(dtype),
                requires_grad, device)


def empty(*sizes: ShapeLike, size: ShapeLike | None = None, dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False,
          memory_format: layouts.memory_format = layouts.contiguous_format) -> Tensor:
    """Uninitialised memory (made in its final dtype: casting garbage could overflow), kept in
    row-major order or ``memory_format``'s (``channels_last`` for a 4-d size)."""
    layouts.check(memory_format, "empty")
    if memory_format is layouts.preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    dtype = dtypes.canonical(_float_dtype(dtype))
    array = np.empty(new_shape(_sizes("empty", sizes, size)), dtype=dtype)
    return _new(_in_format(array, memory_format), dtype, requires_grad, device)


def _in_format(array, memory_format):
    """``array`` kept in ``memory_format``'s order: itself for row-major and (a ``*_like``'s
    default) ``preserve_format``, which here makes row-major results (PyTorch copies the
    strides of a dense ``input``: the same values, other strides)."""
    if layouts.order(memory_format, array.ndim) is None:
        return array
    return layouts.laid_out(array, memory_format)


def full(size: ShapeLike, fill_value: Number | Tensor, dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``; the dtype follows the value (bool,
    int64 or the default float) unless given."""
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = dtypes.bool
        elif isinstance(fill_value, numbers.Integral):
            dtype = dtypes.int64
        elif isinstance(fill_value, (complex, np.complexfloating)):
            dtype = dtypes.default_complex()
        else:
            dtype = dtypes.get_default_dtype()
    _check_fill_tensor("full", fill_value)
    value = scalar_for(fill_value, dtypes.canonical(dtype))  # PyTorch's overflow check
    return _filled(np.full(new_shape((size,)), value), fill_value, dtype, requires_grad,
                   device)


def _check_fill_tensor(name, fill_value):
    """A tensor passes for a number only when it is 0-d and requires no grad, as in PyTorch's
    argument parser."""
    if isinstance(fill_value, Tensor) and (fill_value.ndim != 0 or fill_value.requires_grad):
        raise TypeError(f"{name}(): argument 'fill_value' (position 2) must be Number, not "
                        "Tensor")


def _filled(array, fill_value, dtype, requires_grad, device):
    """``full``'s tensor: a constant unless ``fill_value`` is a tensor (whose value NumPy read,
    which a jit capture refuses)."""
    if isinstance(fill_value, Tensor):
        return _wrap(array, dtype, requires_grad, device)
    return _new(array, dtype, requires_grad, device)


def zeros_like(input: Tensor, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
               requires_grad: bool = False,
               memory_format: layouts.memory_format = layouts.preserve_format) -> Tensor:
    """Zeros with ``input``'s shape and, unless ``dtype`` is given, its dtype (PyTorch's ``*_like``
    rule); ``requires_grad=False`` by default and the result is a new leaf, outside ``input``'s
    graph."""
    layouts.check(memory_format, "zeros_like")
    dtype = input.dtype if dtype is None else dtypes.canonical(dtype)
    return _new(_in_format(np.zeros(input._array.shape, dtype=dtype), memory_format), dtype,
                requires_grad, device)


def ones_like(input: Tensor, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
              requires_grad: bool = False,
               memory_format: layouts.memory_format = layouts.preserve_format) -> Tensor:
    """Ones with ``input``'s shape and, unless ``dtype`` is given, its dtype (PyTorch's ``*_like``
    rule); ``requires_grad=False`` by default and the result is a new leaf, outside ``input``'s
    graph."""
    layouts.check(memory_format, "ones_like")
    dtype = input.dtype if dtype is None else dtypes.canonical(dtype)
    return _new(_in_format(np.ones(input._array.shape, dtype=dtype), memory_format), dtype,
                requires_grad, device)


def empty_like(input: Tensor, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
               requires_grad: bool = False,
               memory_format: layouts.memory_format = layouts.preserve_format) -> Tensor:
    """Uninitialised memory of ``input``'s shape and (unless given) dtype."""
    layouts.check(memory_format, "empty_like")
    if memory_format is layouts.preserve_format:
        memory_format = layouts.contiguous_format
    return empty(*input.shape, dtype=input.dtype if dtype is None else dtype, device=device,
                 requires_grad=requires_grad, memory_format=memory_format)


def full_like(input: Tensor, fill_value: Number | Tensor, dtype: DTypeLike | None = None,
              device: DeviceLike | None = None, requires_grad: bool = False,
               memory_format: layouts.memory_format = layouts.preserve_format) -> Tensor:
    """A tensor filled with ``fill_value`` with ``input``'s shape and, unless ``dtype`` is given,
    its dtype (PyTorch's ``*_like`` rule); ``requires_grad=False`` by default and the result is a
    new leaf, outside ``input``'s graph."""
    layouts.check(memory_format, "full_like")
    _check_fill_tensor("full_like", fill_value)
    return _filled(_in_format(np.full(input.shape, fill_value), memory_format), fill_value,
                   input.dtype if dtype is None else dtype, requires_grad, device)


def arange(start: Number, end: Number | None = None, step: Number = 1,
           dtype: DTypeLike | None = None, device: DeviceLike | None = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` (default 0) up to but excluding ``end``, ``step`` apart. Integer
    arguments give int64, any float argument the default float dtype.

    An integer ``dtype`` follows PyTorch's rule: the values are ``int(start) + i * int(step)``
    (each argument truncated toward zero, then wrapped into ``dtype``); the length is
    ``ceil((end - start) / step)`` from the arguments as given, except for int64, whose length
    is the integer quotient ``(int(end) - int(start) + int(step) - sign(step)) / int(step)``
    truncated toward zero."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    for bound in (start, end):
        if not np.isfinite(bound):
            raise RuntimeError(f"unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.get_default_dtype()
    if np.dtype(dtype).kind in "iu":
        return _new(_integer_range(start, end, step, np.dtype(dtype)), dtype, requires_grad,
                    device)
    return _new(np.arange(start, end, step), dtype, requires_grad, device)


def _integer_range(start, end, step, dtype):
    """``arange``'s values in an integer ``dtype`` (the rule in ``arange``'s docstring)."""
    first, last, stride = int(start), int(end), int(step)
    if dtype == np.int64:
        if stride == 0:  # a nonzero step truncated to 0 is PyTorch's ValueError
            raise (ValueError if step != 0 else RuntimeError)("step must be nonzero")
        span = last - first + stride - (1 if stride > 0 else -1)
        size = abs(span) // abs(stride) * (1 if (span >= 0) == (stride > 0) else -1)
    else:
        size = int(np.ceil((float(end) - float(start)) / float(step)))
    return (first + np.arange(max(size, 0), dtype=np.int64) * stride).astype(dtype)


def linspace(start: Number | Tensor, end: Number | Tensor, steps: int,
             dtype: DTypeLike | None = None, device: DeviceLike | None = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (a 1-D tensor of
    length ``steps``), as PyTorch's ``linspace``; ``start`` and ``end`` may be numbers or 0-d
    tensors (their values are read). ``dtype`` defaults to the default float dtype (float32
    unless ``set_default_dtype`` changed it); ``device`` must be the CPU (or None);
    ``requires_grad=False`` by default.

    The values are PyTorch's CPU kernel's, to the bit: with ``step = (end - start) / (steps -
    1)`` computed in ``dtype``, the first ``steps // 2`` are ``start + step * i`` and the rest
    ``end - step * (steps - 1 - i)``, so that both ends are exact. In float32 and float64 each
    is one fused multiply-add (one rounding, as the compiled kernel contracts it), in float16
    each operation rounds to float16 (c10::Half's arithmetic)."""
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        names = ", ".join(_argument_type_name(v) for v in (start, end, steps))
        raise TypeError(f"linspace() received an invalid combination of arguments - got "
                        f"({names}), but expected one of:\n"
                        " * (Tensor start, Tensor end, int steps, *, torch.dtype dtype = None, ...)\n"
                        " * (Number start, Number end, int steps, *, torch.dtype dtype = None, "
                        "...)")
    if isinstance(start, Tensor) or isinstance(end, Tensor):
        tensors = [(name, v) for name, v in (("start", start), ("end", end))
                   if isinstance(v, Tensor)]
        if any(v.ndim for _, v in tensors):  # PyTorch names every bound that is a tensor
            got = " and ".join(f"{name} with {v.ndim} dimension(s)" for name, v in tensors)
            raise RuntimeError("linspace only supports 0-dimensional start and end tensors, but "
                               f"got {got}.")
        start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = _float_dtype(dtype)
    if np.dtype(dtype).kind == "b":
        raise dtypes.not_implemented("linspace_cpu", dtype)
    for bound in (start, end):
        _check_convertible(bound, np.dtype(dtype))
    return _new(linspace_values(start, end, steps, np.dtype(dtype)), dtype, requires_grad,
                device)


def linspace_values(start, end, steps, dtype):
    """The array ``linspace(start, end, steps, dtype=dtype)`` holds, for numbers ``start`` and
    ``end`` (also the bin edges of ``histc``)."""
    if dtype.kind in "iub":
        return _integer_linspace(start, end, steps, dtype)
    return _float_linspace(start, end, steps, dtype)


# The C++ names PyTorch's Scalar conversion prints in its overflow message.
_CONVERTED_TYPE_NAMES = {"float16": "c10::Half", "float32": "float", "float64": "double",
                         "uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
                         "int64": "int64_t"}


def _check_convertible(value, dtype):
    """PyTorch's check when a Python number becomes a ``dtype`` scalar: a finite float beyond
    a floating dtype's range, and NaN, infinity or a number beyond an integer dtype's range
    (an unsigned one takes negatives down to minus its maximum) do not convert."""
    if dtype.kind == "b":
        return
    if dtype.kind == "f":
        fits = not math.isfinite(value) or abs(value) <= float(np.finfo(dtype).max)
    else:
        limits = np.iinfo(dtype)
        lowest = -int(limits.max) if limits.min == 0 else int(limits.min)
        fits = math.isfinite(value) and lowest <= value <= int(limits.max)
    if not fits:
        raise RuntimeError(f"value cannot be converted to type {_CONVERTED_TYPE_NAMES[str(dtype)]} "
                           "without overflow")


def _argument_type_name(value):
    """How PyTorch's argument parser names a value's type in its messages."""
    return "Tensor" if isinstance(value, Tensor) else type(value).__name__


def _float_linspace(start, end, steps, dtype):
    """``linspace``'s values in a floating ``dtype`` (the rule in its docstring)."""
    kind = dtype.type
    first, last = kind(start), kind(end)
    if steps <= 1:
        return np.full(steps, first, dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        step = (last - first) / kind(steps - 1)
        index = np.arange(steps)
        from_end = steps - 1 - index
        if dtype == np.float16:
            values = np.where(index < steps // 2, first + step * index.astype(dtype),
                              last - step * from_end.astype(dtype))
        else:
            values = np.where(index < steps // 2, _fused_multiply_add(step, index, first),
                              _fused_multiply_add(-step, from_end, last))
    return values.astype(dtype, copy=False)


def _fused_multiply_add(a, counts, c):
    """``a * counts + c`` rounded once to ``a``'s dtype (float32 or float64), for a scalar ``a``
    and ``c`` and an array of non-negative integers ``counts``: computed in a wider dtype
    (float64 for float32, x87 long double for float64), then rounded; where that wider value
    is exactly halfway between two results (the only place where rounding twice can differ
    from rounding once, when the wider sum is exact), the sum is redone exactly with
    fractions. For float64 beyond 2**11 the long double product rounds too: the result may
    then differ in the last bit, which only PyTorch's own fused instruction would avoid."""
    dtype = np.asarray(a).dtype
    wide = np.float64 if dtype == np.float32 else np.longdouble
    product = wide(a) * counts.astype(wide)
    exact = product + wide(c)
    result = exact.astype(dtype)
    if not np.all(np.isfinite(result)):
        return result
    above = exact > result.astype(wide)
    neighbour = np.where(above, np.nextafter(result, dtype.type(np.inf)),
                         np.nextafter(result, dtype.type(-np.inf)))
    halfway = result.astype(wide) + neighbour.astype(wide) == 2 * exact
    spare_bits = np.finfo(wide).nmant - np.finfo(dtype).nmant
    if counts.size and int(counts.max()) < 2 ** spare_bits:
        # the product is exact: where the sum is exact too (its two-sum error is 0), the wide
        # value is the true one and its rounding a correct single rounding, halfway or not
        back = exact - product
        error = (product - (exact - back)) + (wide(c) - back)
        halfway &= error != 0
    ties = np.nonzero(halfway)[0]
    for i in ties:
        total = Fraction(float(a)) * int(counts[i]) + Fraction(float(c))
        result[i] = _round_fraction(total, dtype)
    return result


def _round_fraction(value, dtype):
    """The ``dtype`` number nearest ``value`` (a Fraction), ties to even."""
    guess = np.asarray(float(value), dtype=np.float64).astype(dtype)  # within one step
    candidates = [np.nextafter(guess, dtype.type(-np.inf)), guess,
                  np.nextafter(guess, dtype.type(np.inf))]
    bits = np.int32 if dtype == np.float32 else np.int64
    return min(candidates, key=lambda x: (abs(Fraction(float(x)) - value),
                                          int(np.asarray(x).view(bits)) & 1))


def _integer_linspace(start, end, steps, dtype):
    """``linspace`` in an integer ``dtype``, PyTorch's rule: ``start`` and ``end`` truncated to
    integers, ``step = (end - start) / (steps - 1)`` in float64, the first half ``start + step
    * i`` and the second half ``end - step * (steps - 1 - i)`` (one step: ``start``), each a
    fused multiply-add in float64 truncated toward zero."""
    first, last = (int(np.asarray(int(v)).astype(dtype)) for v in (start, end))  # -5: 251
    if steps <= 1:
        return np.full(steps, first).astype(dtype)
    index = np.arange(steps)
    step = np.float64((float(last) - float(first)) / (steps - 1))
    values = np.where(index < steps // 2, _fused_multiply_add(step, index, np.float64(first)),
                      _fused_multiply_add(-step, steps - 1 - index, np.float64(last)))
    return np.trunc(values).astype(np.int64).astype(dtype)


def eye(n: int, m: int | None = None, dtype: DTypeLike | None = None,
        device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``): ones on the main diagonal,
    zeros elsewhere. ``dtype`` defaults to the default float dtype (float32 unless
    ``set_default_dtype`` changed it); ``device`` must be the CPU (or None);
    ``requires_grad=False`` by default. Negative sizes raise PyTorch's RuntimeError."""
    for name, position, size in (("n", 1, n), ("m", 2, m)):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)):
            raise TypeError(f"eye(): argument '{name}' (position {position}) must be int, not "
                            f"{type(size).__name__}")
        if size < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {size}")
    return _new(np.eye(n, m), _float_dtype(dtype), requires_grad, device)


def randn(*sizes: ShapeLike, size: ShapeLike | None = None, dtype: DTypeLike | None = None,
          device: DeviceLike | None = None,
          requires_grad: bool = False, generator: Generator | None = None) -> Tensor:
    """Samples from the standard normal distribution."""
    shape = new_shape(_sizes("randn", sizes, size))
    return _drawn("standard_normal", (shape,), generator, _float_dtype(dtype), requires_grad,
                  device)


def rand(*sizes: ShapeLike, size: ShapeLike | None = None, dtype: DTypeLike | None = None,
         device: DeviceLike | None = None,
         requires_grad: bool = False, generator: Generator | None = None) -> Tensor:
    """Samples from the uniform distribution on ``[0, 1)``."""
    shape = new_shape(_sizes("rand", sizes, size))
    return _drawn("random", (shape,), generator, _float_dtype(dtype), requires_grad, device)


def randint(*args: int | Sequence[int], low: int | None = None, high: int | None = None,
            size: Sequence[int] | None = None, dtype: DTypeLike | None = None,
            device: DeviceLike | None = None, generator: Generator | None = None,
            requires_grad: bool = False) -> Tensor:
    """Integers drawn uniformly from ``[low, high)``: ``randint(high, size)``,
    ``randint(low, high, size)`` or with keywords, as in PyTorch; int64 unless ``dtype`` says
    otherwise."""
    if low is not None or high is not None:
        args = (0 if low is None else low, high) + args
    if size is not None:
        args = args + (size,)
    if len(args) == 2:
        low, (high, size) = 0, args
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError("randint() expects (high, size) or (low, high, size)")
    if not low < high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    shape = new_shape((size,))
    return _drawn("integers", (low, high, shape), generator,
                  dtypes.int64 if dtype is None else dtype, requires_grad, device)


def randperm(n: int, generator: Generator | None = None, dtype: DTypeLike | None = None,
             device: DeviceLike | None = None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    new_shape((n,))
    return _drawn("permutation", (n,), generator, dtypes.int64 if dtype is None else dtype,
                  False, device)
