"""The core of ``Tensor``: what makes a NumPy array a tensor that autograd can follow.

One NumPy array holds the values (the private field ``_array``). Around it: creation from data,
the autograd state (``requires_grad``, ``grad``, ``grad_fn``, hooks), the version counter that
in-place writes bump, ``backward``, ``detach`` and ``.data``, and the array's own properties
(shape, dtype, strides). Every other method lives in the module of its family (``arithmetic``,
``elementwise``, ``comparison``, ``reduction``, ``shape``, ``indexing``, ``inplace``,
``conversion``); ``tinygrad_bn/tensor/__init__.py`` makes their methods this class's own.
"""

from __future__ import annotations

import math
import numbers
import weakref
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import graph
from ..autograd.engine import backward as autograd_backward
from ..autograd.graph import VersionCounter, _node_hooks, version_counter
from ..autograd.hooks import LeafHooks, RemovableHandle
from ..device import CPU
from ..device import device as _device
from ..dtypes import DTypeLike
from ..printing import Size
from ..shapes import normalize_dim

_new_object = object.__new__


class Tensor:
    """An n-dimensional array with reverse-mode automatic differentiation.

    The values live in one NumPy array, the private field ``_array``; ``.numpy()`` returns it
    and ``.data`` is another Tensor over it, outside the graph, as in PyTorch. ``grad`` is
    ``None`` until a backward pass reaches this tensor, then a Tensor of the same shape that
    later passes add to until it is zeroed; ``grad_fn`` is the op node that produced this tensor
    (``None`` for leaves). ``Tensor(data)`` behaves like ``tinygrad_bn.tensor(data)``: Python
    floats become the default dtype (float32), ints int64, NumPy arrays keep their dtype; the
    data is copied.

    Tensors that share an array (``.data``, ``detach()``, views such as ``reshape`` or basic
    indexing) share a version counter (``_version``) that every in-place write bumps; ``_base``
    is the tensor a view was taken from.

    Python attributes can be set on a tensor (``x.g = grad``), as in PyTorch; they live in its
    ``__dict__``, which pickling and ``copy`` carry along (see ``copying``). The autograd fields
    are slots, so reading them never looks in that dict.
    """

    __slots__ = ("_array", "_grad", "grad_fn", "_requires_grad", "_version_counter", "_base",
                 "_hooks", "__weakref__", "__dict__")
    __array_ufunc__ = None  # ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, data: Any, dtype: DTypeLike | None = None,
                 requires_grad: _bool = False) -> None:
        self._array = _to_array(data, dtype)
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._version_counter = self._base = self._hooks = None
        if graph.tracer is not None:  # a jit capture classifies where the values came from
            graph.tracer.record_created(self, data)
        if requires_grad:
            self._require_grad_at_creation()

    def _require_grad_at_creation(self):
        """``requires_grad=True`` given when the tensor is made (``tensor``, ``zeros``, ...):
        PyTorch refuses a non-floating dtype there in its own words."""
        if not dtypes.is_differentiable(self._array.dtype):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        self.requires_grad = True

    @staticmethod
    def _make(data, grad_fn):
        """Wrap an array produced by an op without copying or checking it. (A jit replay makes
        its ``.grad`` tensors and its results with it: static, ``object.__new__`` read once and
        one chained assignment keep it short.)"""
        tensor = _new_object(Tensor)
        tensor._array = data if type(data) is np.ndarray else np.asarray(data)
        tensor._grad = tensor._version_counter = tensor._base = tensor._hooks = None
        tensor.grad_fn = grad_fn
        tensor._requires_grad = grad_fn is not None
        tracer = graph.tracer
        if tracer is not None:  # a jit capture notes every tensor made while it runs
            tracer.record_made(tensor)
        return tensor

    # ------------------------------------------------------------------ gradient

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (a Tensor of this tensor's shape and dtype), or
        None."""
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        """Assign a gradient; as in PyTorch it must be None or a Tensor of this tensor's shape
        and dtype, so that the next backward can accumulate into it."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError("assigned grad expected to be a Tensor or None but got grad of "
                                f"type {qualified_type_name(value)}")
            if value._array.shape != self._array.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value._array.shape)}' to a "
                    f"tensor of size '{list(self._array.shape)}'. Please ensure that the "
                    "gradient and the tensor are the same size")
            if value._array.dtype != self._array.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype "
                    f"'{dtypes.cpp_type_name(value._array.dtype)}' to a tensor with grad_dtype "
                    f"'{dtypes.scalar_type_name(self._array.dtype)}'. The gradient must match "
                    "the tensor's grad_dtype (defaults to the tensor's dtype).")
        if graph.tracer is not None:  # a jit capture replays the assignment
            graph.tracer.record_grad_set(self, value)
        self._grad = value

    # ------------------------------------------------------------------ storage and versions

    @property
    def data(self) -> Tensor:
        """This tensor's values as a Tensor outside the graph: it shares the array (writes
        through it change this tensor), requires no grad, has no ``grad_fn``. As in PyTorch,
        writes through it are invisible to autograd: they do not even count in this tensor's
        version (``detach()`` is the handle whose writes do). ``t.data = other`` makes ``t``
        use ``other``'s array (any shape)."""
        handle = Tensor._make(self._array, None)
        if graph.tracer is not None:  # a jit capture reads the array through this tensor
            graph.tracer.record_alias(handle, self)
        return handle

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"data must be a Tensor, got {type(value).__name__}; use "
                "tinygrad_bn.from_numpy(array) for a NumPy array"
            )
        if dtypes.is_differentiable(self._array.dtype) != \
                dtypes.is_differentiable(value._array.dtype) and self._requires_grad:
            raise RuntimeError(
                f"data set to a tensor that requires gradients must be floating point or complex "
                f"dtype (got {value._array.dtype})"
            )
        if graph.tracer is not None:
            graph.untraceable("assigning .data inside the function (a replay holds the arrays "
                              "it was captured with)")
        self._array = value._array

    @property
    def _version(self):
        """How many in-place writes this tensor's array has had (shared with its views)."""
        counter = self._version_counter
        return 0 if counter is None else counter.value

    def _bump_version(self):
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = VersionCounter()
        counter.bump()

    def data_ptr(self) -> _int:
        """The address of this tensor's first element."""
        return self._array.__array_interface__["data"][0]

    # ------------------------------------------------------------------ autograd state

    @property
    def requires_grad(self) -> _bool:
        """Whether gradients are computed for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: _bool) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        if value and not dtypes.is_differentiable(self._array.dtype):
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients "
                f"(this tensor is {self._array.dtype})"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: _bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return this tensor."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> _bool:
        """True for tensors no recorded op produced (created by the user, or needing no grad)."""
        return self.grad_fn is None

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after backward (leaves keep it anyway)."""
        node = self.grad_fn
        if node is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if node.num_outputs == 1:
            node.retained_output = weakref.ref(self)
            return
        if node.retained_output is None:  # one of several outputs: kept by output number
            node.retained_output = {}
        node.retained_output[node.output_numbers[id(self)]] = weakref.ref(self)

    @property
    def retains_grad(self) -> _bool:
        """Whether ``retain_grad()`` was called on this non-leaf tensor, so that backward fills its
        ``.grad``. Always False for leaves, which keep their gradient anyway."""
        node = self.grad_fn
        if node is None or node.retained_output is None:
            return False
        if type(node.retained_output) is dict:
            return node.output_numbers[id(self)] in node.retained_output
        return node.retained_output() is self

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """Call ``hook(grad)`` each time this tensor's gradient is computed; if it returns a
        Tensor, that replaces the gradient flowing on (and into ``.grad``). Returns a handle
        whose ``remove()`` takes the hook out again."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = LeafHooks()
            graph._Structure.count += 1  # a jit plan would not run the hook: it captures again
            return RemovableHandle.append(self._hooks, hook)
        if self.grad_fn.num_outputs != 1:
            raise RuntimeError(
                "register_hook on an output of a custom Function with several outputs is not "
                "supported by tinygrad_bn"
            )
        return RemovableHandle.append(_node_hooks(self.grad_fn, "tensor"), hook)

    def register_post_accumulate_grad_hook(
            self, hook: Callable[[Tensor], None]) -> RemovableHandle:
        """Call ``hook(tensor)`` after each backward pass has accumulated this leaf's gradient
        into ``.grad`` (an optimizer stepping each parameter inside backward); the hook must
        return None. As PyTorch's, for leaves that require grad only. tinygrad_bn runs these
        hooks once the whole walk is over, leaf after leaf, where PyTorch runs each as soon as
        its leaf's gradient is complete: the values are the same, the order of calls may not be.
        """
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._hooks is None:
            self._hooks = LeafHooks()
        graph._Structure.count += 1  # a jit plan would not run the hook: it captures again
        handle = RemovableHandle(self._hooks.post_accumulate)
        self._hooks.post_accumulate[handle.id] = hook
        return handle

    def backward(self, gradient: Tensor | None = None, retain_graph: _bool | None = None,
                 create_graph: _bool = False,
                 inputs: Tensor | Sequence[Tensor] | None = None) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf that requires grad.

        ``gradient`` is dL/d(self); it may be omitted only for one-element tensors (it is then 1).
        Saved arrays are freed afterwards unless ``retain_graph=True``, so a second backward
        through the same graph raises.
        """
        autograd_backward(self, None if gradient is None else (gradient,), retain_graph,
                          create_graph, inputs)

    def detach(self) -> Tensor:
        """A tensor sharing this one's array and version counter, outside the graph (no
        ``grad_fn``, no ``requires_grad``)."""
        handle = Tensor._make(self._array, None)
        handle._version_counter = version_counter(self)
        if graph.tracer is not None:  # a jit capture reads the array through this tensor
            graph.tracer.record_alias(handle, self)
        return handle

    def detach_(self) -> Tensor:
        """Detach in place: make this tensor a leaf that requires no grad."""
        if self._base is not None and self._base._requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ------------------------------------------------------------------ array properties

    @property
    def shape(self) -> Size:
        """The sizes of the dimensions, as a ``Size`` (a tuple)."""
        return Size(self._array.shape)

    @property
    def ndim(self) -> _int:
        """The number of dimensions (0 for a scalar tensor), as PyTorch's ``Tensor.ndim``."""
        return self._array.ndim

    @property
    def dtype(self) -> np.dtype:
        """The element type, a NumPy dtype (``tinygrad_bn.float32`` is ``numpy.float32``'s dtype).
        Python floats default to float32 and ints to int64, as in PyTorch."""
        return self._array.dtype

    @property
    def device(self) -> _device:
        """Always ``device(type='cpu')``."""
        return CPU

    def dim(self) -> _int:
        """The number of dimensions (0 for a scalar tensor); the same as ``ndim``."""
        return self._array.ndim

    def numel(self) -> _int:
        """The number of elements: the product of the shape (1 for a scalar tensor). ``nelement``
        is the same method."""
        return self._array.size

    nelement = numel

    def ndimension(self) -> _int:
        """The number of dimensions; PyTorch's older spelling of ``dim()``."""
        return self._array.ndim

    def element_size(self) -> _int:
        """The bytes one element takes (4 for float32)."""
        return self._array.itemsize

    @property
    def itemsize(self) -> _int:
        """The bytes one element takes, as ``element_size()``."""
        return self._array.itemsize

    @property
    def nbytes(self) -> _int:
        """``numel() * element_size()``: the bytes of the elements this tensor shows (a
        broadcast view counts each element it shows, as in PyTorch)."""
        return self._array.size * self._array.itemsize

    def stride(self, dim: _int | None = None) -> tuple[_int, ...] | _int:
        """How many elements apart neighbours are in memory along each dim (0 along a broadcast
        one), as a tuple, or along one ``dim``.

        NumPy allocates an empty array (a size 0) with every stride 0; PyTorch gives it the
        contiguous strides of its shape with each 0 counted as 1 (``(2, 0, 4)``: ``(4, 4, 1)``),
        and so does this. An empty view keeps the strides it was cut with, as in PyTorch."""
        array = self._array
        if array.size == 0 and not any(array.strides):
            return _empty_strides(array.shape, dim)
        strides = tuple(step // array.itemsize for step in array.strides)
        if dim is None:
            return strides
        return strides[normalize_dim(dim, self._array.ndim, wrap_scalar=False)]

    def size(self, dim: _int | None = None) -> Size | _int:
        """The shape, or the size of one ``dim``."""
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[normalize_dim(dim, self._array.ndim, wrap_scalar=False)]

    def is_floating_point(self) -> _bool:
        """Whether the dtype is float16, float32 or float64."""
        return dtypes.is_floating(self._array.dtype)


def _empty_strides(shape, dim):
    """PyTorch's strides of a freshly made empty tensor of ``shape`` (``computeStrides``: the
    product of the later sizes, each at least 1), or the one along ``dim``."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    strides = tuple(reversed(strides))
    if dim is None:
        return strides
    return strides[normalize_dim(dim, len(shape), wrap_scalar=False)]


# Documented, printed and pickled as ``tinygrad_bn.tensor.Tensor``, the name users import. Set
# after the class statement: Python 3.13+ then drops ``__firstlineno__``, a line of this file.
Tensor.__module__ = "tinygrad_bn.tensor"

# The autograd core wraps the results of ops in this class (``Op.apply``).
graph.Tensor = Tensor


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is a ``Tensor``."""
    return isinstance(obj, Tensor)


def _ragged_message(data):
    """PyTorch's message for nested sequences of unequal lengths, or None: the shape is read
    from the first element at each depth, then every sequence is checked against it, depth
    first ("expected sequence of length 2 at dim 1 (got 1)")."""
    def is_sequence(value):
        return isinstance(value, (list, tuple))

    shape, first = [], data
    while is_sequence(first):
        shape.append(len(first))
        first = first[0] if len(first) else None
    if 0 in shape:  # PyTorch stores no element then, and checks no length (it accepts)
        return None
    pending = [(data, 0)]
    while pending:
        sequence, dim = pending.pop()
        if not is_sequence(sequence) or dim >= len(shape):
            continue
        if len(sequence) != shape[dim]:
            return (f"expected sequence of length {shape[dim]} at dim {dim} (got "
                    f"{len(sequence)})")
        pending.extend((item, dim + 1) for item in reversed(sequence))
    return None


def _to_array(data, dtype=None):
    """Build the array behind a new tensor: copied, of a supported dtype. Python numbers (and
    NumPy scalars) that do not fit the dtype raise instead of wrapping around, as in PyTorch;
    arrays convert as NumPy casts them."""
    from_python = not isinstance(data, (Tensor, np.ndarray))
    target_kind = None if dtype is None else dtypes.canonical(dtype).kind
    floating_target = target_kind == "f"
    if isinstance(data, Tensor):
        array = np.array(data._array)
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data)
    else:
        try:
            array = np.array(data, dtype=np.float64 if floating_target else
                             np.complex128 if target_kind == "c" else None)
        except (ValueError, OverflowError, TypeError) as error:
            if floating_target and _holds_complex(data):
                raise TypeError("must be real number, not complex") from None
            ragged = _ragged_message(data)
            if ragged:
                raise ValueError(ragged) from None
            raise ValueError(f"could not build a tensor from {data!r}: {error}") from None
        if array.dtype == object:
            _refuse_huge_integers(data)
            raise TypeError(f"could not build a tensor from {data!r}: not numbers of one shape")
        if array.dtype == np.uint64:  # Python ints from 2**63 to 2**64 - 1
            _refuse_huge_integers(data)
        if array.dtype.kind == "f" and dtype is None:
            # Python floats become the default dtype; with an explicit dtype the value goes
            # straight from float64 to it (never through float32).
            array = array.astype(dtypes.get_default_dtype())
        elif array.dtype.kind == "c" and dtype is None:
            array = array.astype(dtypes.default_complex())  # PyTorch's rule for floats
    target = dtypes.canonical(array.dtype if dtype is None else dtype)
    if target.kind in "iu" and array.dtype.kind in "iuf" and array.size \
            and array.dtype is not target:
        _check_integer_range(array, target, from_python)
    if array.dtype is target:
        return array
    with np.errstate(over="ignore"):  # 1e6 into float16 is inf, without a warning, as in PyTorch
        return array.astype(target)


def _holds_complex(data):
    """Whether nested lists ``data`` hold a Python complex number (PyTorch refuses one for a
    real dtype)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, (complex, np.complexfloating)):
            return True
    return False


def _check_integer_range(array, target, from_python):
    """Numbers converted to an integer dtype must fit: Python numbers as PyTorch checks them
    (nan and inf never fit), NumPy's unsigned 64-bit integers (which have no tensor dtype)
    into int64."""
    if not from_python and array.dtype != np.uint64:
        return  # an array converted to another dtype casts as NumPy and PyTorch do
    for value in (array.min(), array.max()):  # nan propagates into both
        scalar_for(value.item(), target)


def scalar_for(value: Any, dtype: np.dtype) -> Any:
    """A number about to be written into a tensor of ``dtype`` (a fill, a masked fill, an
    indexed write, ``full``), as a NumPy scalar of that dtype. Into an integer dtype it must
    fit, as PyTorch checks: ``RuntimeError`` otherwise (nan and inf never fit; negative
    integers wrap into unsigned dtypes down to ``-max``, as in PyTorch; floats truncate toward
    zero). Anything else passes unchanged."""
    if dtype.kind not in "iu" or isinstance(value, (bool, np.bool_)) or \
            not isinstance(value, (numbers.Real, np.generic)):
        return value
    limits = np.iinfo(dtype)
    integer = isinstance(value, (int, np.integer))
    lowest = -int(limits.max) if limits.min == 0 and integer else int(limits.min)
    finite = integer or math.isfinite(value)
    if not finite or not lowest <= value <= limits.max:
        raise RuntimeError(f"value cannot be converted to type {dtype} without overflow: {value}")
    return np.asarray(int(value)).astype(dtype)[()]


def _refuse_huge_integers(data):
    """PyTorch's error for a Python int that no tensor dtype holds (beyond int64)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, int) and not -2**63 <= item < 2**63:
            raise ValueError(f"Overflow when unpacking long long: {item} does not fit in int64, "
                             "the widest integer dtype of tensors")


def qualified_type_name(value: object) -> str:
    """``numpy.ndarray``, ``list``: a type as PyTorch's messages name it."""
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"
