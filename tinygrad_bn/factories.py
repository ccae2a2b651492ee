"""More of PyTorch's top-level functions that make tensors or answer questions about dtypes:
``logspace``, ``range`` (deprecated, end included), ``scalar_tensor``, ``empty_strided``, the
signal windows (``hann_window``, ``hamming_window``, ``blackman_window``, ``bartlett_window``,
``kaiser_window``), ``result_type``/``promote_types``/``can_cast``, ``unravel_index``, ``pdist``,
and the draws ``poisson``/``binomial``.

The windows follow PyTorch's formulas step by step in the window's dtype (``periodic=True``, the
default, computes ``N + 1`` points and drops the last, for spectral analysis)."""

from __future__ import annotations

import builtins
import math
import numbers
import warnings

import numpy as np

from . import dtypes
from .creation import _argument_type_name, _float_dtype, _new, linspace_values
from .dtypes import DTypeLike, Number
from .ops.draws import Binomial, Poisson
from .tensor import Tensor, cdist
from .tensor.arguments import _tensor_argument, constant_tensor


def logspace(start: Number, end: Number, steps: int, base: float = 10.0,
             dtype: DTypeLike | None = None, device=None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)``: the exponents are ``linspace``'s (PyTorch's
    kernel computes them the same way, both ends exact), the power is taken in ``dtype``
    (integer dtypes: in float64, truncated)."""
    if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
        names = ", ".join(_argument_type_name(v) for v in (start, end, steps))
        raise TypeError(f"logspace() received an invalid combination of arguments - got "
                        f"({names}), but expected one of:\n"
                        " * (Tensor start, Tensor end, int steps, float base = 10.0, ...)\n"
                        " * (Number start, Number end, int steps, float base = 10.0, ...)")
    if isinstance(start, Tensor) or isinstance(end, Tensor):
        tensors = [(name, v) for name, v in (("start", start), ("end", end))
                   if isinstance(v, Tensor)]
        if any(v.ndim for _, v in tensors):
            got = " and ".join(f"{name} with {v.ndim} dimension(s)" for name, v in tensors)
            raise RuntimeError("logspace only supports 0-dimensional start and end tensors, but "
                               f"got {got}.")
        start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = np.dtype(_float_dtype(dtype))
    if dtype.kind == "b":
        raise dtypes.not_implemented("logspace_cpu", dtype)
    if steps == 1:  # PyTorch fills base ** start, computed in float64
        values = np.asarray([math.pow(float(base), float(start))])
        if dtype.kind != "f":
            values = np.trunc(values)
    elif dtype.kind == "f":
        # float16: the exponents and the power in float32, rounded once (measured)
        compute = np.float32 if dtype == np.float16 else dtype.type
        bounds = (float(dtype.type(start)), float(dtype.type(end)))  # rounded to the dtype
        exponents = linspace_values(*bounds, steps, np.dtype(compute))
        values = np.power(compute(base), exponents)
    else:  # PyTorch's kernel casts the bounds (not the base) to the integer dtype first
        exponents = linspace_values(int(start), int(end), steps, np.dtype(np.float64))
        values = np.trunc(np.power(float(base), exponents))
    return _new(values.astype(dtype), dtype, requires_grad, device)


def range(start: Number = 0, end: Number | None = None, step: Number = 1,  # noqa: A001
          dtype: DTypeLike | None = None, device=None, requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to ``end`` INCLUDED (``arange`` stops before it), in the
    default float dtype unless ``dtype`` is given. Deprecated in PyTorch, which warns; so does
    this."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (step > 0 and start > end) or (step < 0 and start < end):
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    dtype = np.dtype(_float_dtype(dtype))
    count = int(math.floor((end - start) / step)) + 1
    if dtype.kind == "f":
        values = (start + np.arange(count, dtype=np.float64) * step).astype(dtype)
    else:
        values = (int(start) + np.arange(count, dtype=np.int64) * int(step)).astype(dtype)
    return _new(values, dtype, requires_grad, device)


def scalar_tensor(s: Number, *, dtype: DTypeLike | None = None, device=None,
                  requires_grad: bool = False) -> Tensor:
    """The number ``s`` as a 0-d tensor of the default float dtype (whatever the number's
    type) unless ``dtype`` is given."""
    dtype = np.dtype(_float_dtype(dtype))
    return _new(np.asarray(s).astype(dtype), dtype, requires_grad, device)


def empty_strided(size, stride, *, dtype: DTypeLike | None = None, device=None,
                  requires_grad: bool = False) -> Tensor:
    """Uninitialised memory of shape ``size`` laid out with element strides ``stride``
    (``stride()`` reports them)."""
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    dtype = np.dtype(_float_dtype(dtype))
    needed = 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    storage = np.zeros(needed, dtype=dtype)
    array = np.lib.stride_tricks.as_strided(storage, size, tuple(s * dtype.itemsize
                                                                  for s in stride))
    return _new(array, dtype, requires_grad, device)


def empty_permuted(size, physical_layout, *, dtype: DTypeLike | None = None, layout=None,
                   device=None, requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Uninitialised memory of shape ``size`` laid out in the order ``physical_layout`` (its
    dims from outermost to innermost): ``empty([size[d] for d in physical_layout])`` permuted
    back, so ``empty_permuted((2, 3, 4), (2, 0, 1)).stride()`` is ``(3, 1, 6)``."""
    size, order = tuple(int(s) for s in size), tuple(int(d) for d in physical_layout)
    if len(size) != len(order):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(size)} is not equal to "
                           f"len(physical_layout) = {len(order)}")
    seen = set()
    for index, dim in enumerate(order):
        if not 0 <= dim < len(size):
            raise RuntimeError(f"Dimension out of range (expected to be between 0 and "
                               f"{len(size) - 1}, but got {dim} at index {index}).  NB: "
                               f"negative dims not currently supported; file an issue if you "
                               f"want it.")
        if dim in seen:
            raise RuntimeError("Duplicate dim not allowed")
        seen.add(dim)
    dtype = np.dtype(_float_dtype(dtype))
    physical = np.empty([size[d] for d in order], dtype=dtype)
    return _new(physical.transpose(np.argsort(order)), dtype, requires_grad, device)


# ---------------------------------------------------------------------------- windows


def _window(name, window_length, periodic, dtype, device, requires_grad, formula):
    """A window of ``window_length`` points: ``formula(n, N)`` on ``n = arange(N)`` in
    ``dtype``, ``N = window_length + 1`` when periodic (the last point then dropped)."""
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got "
                           f"window_length={window_length}")
    dtype = np.dtype(_float_dtype(dtype))
    if dtype.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                           f"{dtypes.cpp_type_name(dtype)}, device=cpu, layout=Strided "
                           "(default), requires_grad=false (default), pinned_memory=false, "
                           "memory_format=(nullopt))")
    if window_length <= 1:
        return _new(np.ones(window_length, dtype=dtype), dtype, requires_grad, device)
    length = window_length + 1 if periodic else window_length
    values = formula(np.arange(length, dtype=dtype), length, dtype.type)
    return _new(np.ascontiguousarray(values[:window_length]).astype(dtype), dtype, requires_grad,
                device)


def _hamming(alpha, beta):
    return lambda n, N, t: np.cos(n * t(2 * math.pi / (N - 1))) * t(-beta) + t(alpha)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54,
                   beta: float = 0.46, *, dtype: DTypeLike | None = None, device=None,
                   requires_grad: bool = False) -> Tensor:
    """``alpha - beta * cos(2 pi n / (N - 1))``."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   _hamming(alpha, beta))


def hann_window(window_length: int, periodic: bool = True, *, dtype: DTypeLike | None = None,
                device=None, requires_grad: bool = False) -> Tensor:
    """``0.5 - 0.5 cos(2 pi n / (N - 1))``: ``hamming_window`` with ``alpha = beta = 0.5``."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   _hamming(0.5, 0.5))


def blackman_window(window_length: int, periodic: bool = True, *,
                    dtype: DTypeLike | None = None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """``0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))``."""
    def formula(n, N, t):
        angle = n * t(math.pi / (N - 1))
        return np.cos(angle * t(4)) * t(0.08) - np.cos(angle * t(2)) * t(0.5) + t(0.42)
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


def bartlett_window(window_length: int, periodic: bool = True, *,
                    dtype: DTypeLike | None = None, device=None,
                    requires_grad: bool = False) -> Tensor:
    """The triangle ``1 - |2 n / (N - 1) - 1|``: ``2 n / (N - 1)`` rising to the middle, ``2``
    minus it after."""
    def formula(n, N, t):
        values = n * t(2.0 / (N - 1))
        first_half = ((N - 1) >> 1) + 1
        values[first_half:] = values[first_half:] * t(-1) + t(2)
        return values
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *,
                  dtype: DTypeLike | None = None, device=None,
                  requires_grad: bool = False) -> Tensor:
    """``I0(beta sqrt(1 - ((n - a) / a)^2)) / I0(beta)``, ``a = (N - 1) / 2`` (computed in
    float64, rounded once to ``dtype``)."""
    def formula(n, N, t):
        alpha = (N - 1) / 2.0
        ratio = (n.astype(np.float64) - alpha) / alpha
        return np.i0(beta * np.sqrt(np.maximum(1 - ratio * ratio, 0))) / np.i0(beta)
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   formula)


# ---------------------------------------------------------------------------- dtypes


def _as_operand(value, other_dtype):
    if isinstance(value, Tensor):
        return value._array
    if isinstance(value, numbers.Number):
        return np.asarray(0, dtype=dtypes.scalar_dtype(value, other_dtype))
    raise TypeError(f"result_type() received an invalid combination of arguments - got "
                    f"({type(value).__name__})")


def result_type(tensor: Tensor | Number, other: Tensor | Number) -> np.dtype:
    """The dtype ``tensor`` and ``other`` (tensors or numbers) promote to in an arithmetic op:
    PyTorch's rule (a number ranks below a 0-d tensor, which ranks below a tensor with dims)."""
    if not isinstance(tensor, Tensor) and not isinstance(other, Tensor):
        kinds = [bool if isinstance(v, bool) else float if isinstance(v, float) else int
                 for v in (tensor, other)]
        if float in kinds:
            return dtypes.get_default_dtype()
        return dtypes.int64 if int in kinds else dtypes.bool
    if not isinstance(tensor, Tensor):
        tensor, other = other, tensor
    a = tensor._array
    b = _as_operand(other, a.dtype)
    if not isinstance(other, Tensor):
        return dtypes.result_type(a, b) if a.ndim else dtypes.promote(a.dtype, b.dtype)
    return dtypes.result_type(a, b)


def promote_types(type1: DTypeLike, type2: DTypeLike) -> np.dtype:
    """The smallest dtype both ``type1`` and ``type2`` convert to without losing their kind."""
    return dtypes.promote(dtypes.canonical(type1), dtypes.canonical(type2))


def can_cast(from_: DTypeLike, to: DTypeLike) -> bool:
    """Whether PyTorch's casting rule allows ``from_`` into ``to``: never a float into an
    integer (or bool) dtype, never a non-bool into bool."""
    source, target = np.dtype(dtypes.canonical(from_)), np.dtype(dtypes.canonical(to))
    if source.kind == "f" and target.kind != "f":
        return False
    return not (source.kind != "b" and target.kind == "b")


# ---------------------------------------------------------------------------- positions


def unravel_index(indices: Tensor, shape) -> tuple[Tensor, ...]:
    """The coordinates in ``shape`` of flat (C-order) ``indices``: one int64 tensor per dim of
    ``shape``, each ``(index // stride) % size``, as PyTorch computes it (so an index outside
    the shape wraps)."""
    if not isinstance(indices, Tensor):
        raise TypeError(f"expected 'indices' to be integer tensor, but got "
                        f"{type(indices).__name__}")
    if indices._array.dtype.kind not in "iu":
        raise TypeError(f"expected 'indices' to be integer dtype, but got "
                        f"tinygrad_bn.{indices._array.dtype}".replace("tinygrad_bn.", "torch."))
    shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= size
    strides = np.array(strides[::-1], dtype=np.int64)
    array = indices._array.astype(np.int64)[..., None]
    coordinates = (array // strides) % np.array(shape, dtype=np.int64)
    return tuple(constant_tensor(np.array(coordinates[..., k]))
                 for k in builtins.range(len(shape)))


def pdist(input: Tensor, p: float = 2) -> Tensor:
    """The ``p``-norm distance between every pair of rows ``i < j`` of a 2-D tensor, in the
    order ``(0, 1), (0, 2), ..., (1, 2), ...`` (``N (N - 1) / 2`` values): ``F.pairwise_distance``
    of the paired rows without its ``eps``, the upper triangle of ``cdist``."""
    input = _tensor_argument(input, "pdist", "input", 1)
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if not dtypes.is_floating(input._array.dtype):
        raise RuntimeError("pdist only supports floating-point dtypes")
    rows, columns = np.triu_indices(input.shape[0], 1)
    if rows.size == 0:  # no pair: empty, in the graph as PyTorch's
        return input.reshape(-1)[:0].clone()
    return cdist(input[rows].unsqueeze(1), input[columns].unsqueeze(1), p=p).reshape(-1)


# ---------------------------------------------------------------------------- draws


def poisson(input: Tensor, generator=None) -> Tensor:
    """Draws from Poisson(``input``) elementwise, in ``input``'s float dtype; the gradient is
    zero, PyTorch's."""
    input = _tensor_argument(input, "poisson", "input", 1)
    if not dtypes.is_floating(input._array.dtype):
        raise dtypes.not_implemented("poisson_cpu", input._array.dtype)
    if input._array.size and bool((input._array < 0).any()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    return Poisson.apply(input, generator=generator)


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Draws from Binomial(``count``, ``prob``) elementwise (shapes broadcast), in ``count``'s
    float dtype. PyTorch defines no gradient; backward raises its error."""
    count = _tensor_argument(count, "binomial", "count", 1)
    prob = _tensor_argument(prob, "binomial", "prob", 2)
    for name, t in (("count", count), ("prob", prob)):
        if not dtypes.is_floating(t._array.dtype):
            raise ValueError(f"binomial only supports floating-point dtypes for {name}, got: "
                             f"{dtypes.scalar_type_name(t.dtype)}")
    return Binomial.apply(count, prob, generator=generator)
