"""``Tensor``: a NumPy array that records the operations applied to it, so ``backward()`` can
compute gradients.

Every differentiable method calls one op class from ``tinygrad_bn.ops`` explicitly, so reading
this file tells you every op there is. Conventions follow PyTorch: names, defaults, dtype rules
(float32 by default), ``dim``/``keepdim`` arguments and error wording.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import warnings
import weakref
# Inside Tensor, ``bool``, ``int`` and ``float`` name methods, so annotations there use these:
from builtins import bool as _bool, float as _float, int as _int
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import dtypes
from .autograd import graph
from .autograd.engine import backward as autograd_backward
from .autograd.grad_mode import thread_state
from .autograd.graph import VersionCounter, _node_hooks, version_counter
from .autograd.function import CUSTOM_FUNCTION_VIEWS
from .autograd.hooks import RemovableHandle
from .device import CPU, DeviceLike, check_device, parse_to_arguments
from .device import device as _device
from .dtypes import DTypeLike, Number
from .ops.assignment import Copy, Fill, ReadView, SetItem, WriteThroughView, view_positions
from .printing import Size, format_tensor, return_types
from .random import Generator, numpy_generator
from .shapes import (
    broadcast_error, broadcastable, broadcastable_into, index_error_message, normalize_dim,
    normalize_dims, reduced_count, resolve_shape, size_arguments, ShapeLike,
)
from .ops import (
    Cumsum, Derived, Flip, Gather, Prod, Remainder, Repeat, RoundedDiv, ScatterAdd,
    Abs, Add, Cast, Cat, Ceil, Clamp, Clone, Cos, Div, Erf, Exp, Expand, Expm1, Floor, GetItem, Log,
    Log1p, Log2, Log10, LogSoftmax, LogSumExp, MatMul, Max, Maximum, Mean, Min, Minimum, Mul, Neg,
    Permute, Pow, ReLU, Reshape, Round, Rsqrt, Sigmoid, Sign, Sin, Softmax, Sqrt, Stack, Sub, Sum,
    Std, Tanh, Trunc, Var, Where,
    Acos, Asin, Atan, Atan2, Cosh, Cumprod, Diag, Einsum, Hypot, IndexSelect, Lerp, Logit, Norm,
    Roll, Sinh, Tan,
)
from .ops.linalg import einsum_subscripts
from .ops.movement import INDEX_TENSOR, resolve_index
from .ops.positions import (
    cumulative_extremum_positions, kth_positions, median_positions, mode_positions,
    repeated_positions, sort_positions, topk_positions,
)


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
    """

    __slots__ = ("_array", "_grad", "grad_fn", "_requires_grad", "_version_counter", "_base",
                 "_hooks", "__weakref__")
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
            self.requires_grad = True

    @classmethod
    def _make(cls, data, grad_fn):
        """Wrap an array produced by an op without copying or checking it."""
        tensor = object.__new__(Tensor)
        tensor._array = data if type(data) is np.ndarray else np.asarray(data)
        tensor._grad = None
        tensor.grad_fn = grad_fn
        tensor._requires_grad = grad_fn is not None
        tensor._version_counter = tensor._base = tensor._hooks = None
        if graph.tracer is not None:  # a jit capture notes every tensor made while it runs
            graph.tracer.record_made(tensor)
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
        if dtypes.is_floating(self._array.dtype) != dtypes.is_floating(value._array.dtype) and \
                self._requires_grad:
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
        if value and not dtypes.is_floating(self._array.dtype):
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
                self._hooks = {}
            graph._Structure.count += 1  # a jit plan would not run the hook: it captures again
            return RemovableHandle.append(self._hooks, hook)
        if self.grad_fn.num_outputs != 1:
            raise RuntimeError(
                "register_hook on an output of a custom Function with several outputs is not "
                "supported by tinygrad_bn"
            )
        return RemovableHandle.append(_node_hooks(self.grad_fn, "tensor"), hook)

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

    def draw(self, **kwargs: Any) -> Any:
        """The graph that produced this tensor, as a ``graphviz.Digraph``: a shortcut for
        ``tinygrad_bn.viz.draw_graph(self, **kwargs)``."""
        from .viz import draw_graph  # imported here: drawing is optional at import time

        return draw_graph(self, **kwargs)

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
        one), as a tuple, or along one ``dim``."""
        strides = tuple(step // self._array.itemsize for step in self._array.strides)
        if dim is None:
            return strides
        if self._array.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        return strides[normalize_dim(dim, self._array.ndim)]

    def is_floating_point(self) -> _bool:
        """Whether the dtype is float16, float32 or float64."""
        return dtypes.is_floating(self._array.dtype)

    def clone(self) -> Tensor:
        """A copy in new memory that stays in the graph (its gradient flows back unchanged)."""
        return Clone.apply(self)

    # ------------------------------------------------------------------ new tensors like this one

    def new_tensor(self, data: Any, dtype: DTypeLike | None = None,
                   device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """A new tensor holding a copy of ``data``, in this tensor's dtype unless ``dtype`` is
        given (``tinygrad_bn.tensor`` with a different default dtype)."""
        from . import creation  # creation builds on Tensor

        if isinstance(data, Tensor):
            warnings.warn(
                "To copy construct from a tensor, it is recommended to use "
                "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                ".requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                UserWarning, stacklevel=2)
        return creation.tensor(data, self._array.dtype if dtype is None else dtype, device,
                               requires_grad)

    def new_zeros(self, *size: ShapeLike, dtype: DTypeLike | None = None,
                  device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Zeros of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        from . import creation

        return creation.zeros(*size, dtype=self._array.dtype if dtype is None else dtype,
                              device=device, requires_grad=requires_grad)

    def new_ones(self, *size: ShapeLike, dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Ones of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        from . import creation

        return creation.ones(*size, dtype=self._array.dtype if dtype is None else dtype,
                             device=device, requires_grad=requires_grad)

    def new_empty(self, *size: ShapeLike, dtype: DTypeLike | None = None,
                  device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Uninitialised memory of shape ``size``, in this tensor's dtype unless ``dtype`` is
        given."""
        from . import creation

        return creation.empty(*size, dtype=self._array.dtype if dtype is None else dtype,
                              device=device, requires_grad=requires_grad)

    def new_full(self, size: ShapeLike, fill_value: Number, dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Shape ``size`` filled with ``fill_value``, converted to this tensor's dtype unless
        ``dtype`` is given (``3.7`` in an int64 tensor's ``new_full`` is 3, as in PyTorch)."""
        from . import creation

        return creation.full(size, fill_value, dtype=self._array.dtype if dtype is None else dtype,
                             device=device, requires_grad=requires_grad)

    def contiguous(self) -> Tensor:
        """This tensor if its memory is in row-major order, else a row-major copy."""
        return self if self._array.flags.c_contiguous else Clone.apply(self)

    def is_contiguous(self) -> _bool:
        """Whether the values are stored in row-major (C) order with no gaps; views such as ``t()``
        are not. ``contiguous()`` makes a copy that is."""
        return self._array.flags.c_contiguous

    def cpu(self) -> Tensor:
        """This tensor: tinygrad_bn keeps every tensor in the CPU's memory."""
        return self

    def size(self, dim: _int | None = None) -> Size | _int:
        """The shape, or the size of one ``dim``."""
        if dim is None:
            return Size(self._array.shape)
        return self._array.shape[normalize_dim(dim, self._array.ndim)]

    def item(self) -> Number:
        """The value of a one-element tensor as a Python number."""
        if self._array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._array.size} elements cannot be converted to Scalar"
            )
        if graph.tracer is not None:
            graph.tracer.read_value(self, "Tensor.item()")
        return self._array.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied), as PyTorch's ``Tensor.numpy()``."""
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        if graph.tracer is not None:
            graph.tracer.read_value(self, "Tensor.numpy()")
        return self._array

    def tolist(self) -> Any:
        """The values as nested Python lists of Python numbers (a single number for a 0-D tensor),
        outside the graph."""
        if graph.tracer is not None:
            graph.tracer.read_value(self, "Tensor.tolist()")
        return self._array.tolist()

    def __array__(self, dtype=None, copy=None):
        if graph.tracer is not None:
            graph.tracer.read_value(self, "numpy.asarray(tensor)")
        return self._array if dtype is None else self._array.astype(dtype)

    def __len__(self):
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(this one has {self._array.size})"
            )
        if graph.tracer is not None:
            graph.tracer.read_value(self, "bool(tensor)")
        return bool(self._array)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._array.dtype.kind not in "iu" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        if graph.tracer is not None:
            graph.tracer.read_value(self, "a tensor used as an index")
        return int(self._array)

    __hash__ = object.__hash__

    def __repr__(self):
        if graph.tracer is not None:
            graph.tracer.read_value(self, "printing a tensor")
        return format_tensor(self)

    def __format__(self, format_spec):
        """A 0-d tensor formats as its number (``f"{loss:.4f}"``); any other tensor only with
        an empty spec, as in PyTorch."""
        if graph.tracer is not None:
            graph.tracer.read_value(self, "formatting a tensor")
        if self._array.ndim == 0:
            return self._array.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    # ------------------------------------------------------------------ dtype conversion

    def to(self, *args: Any, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
           non_blocking: _bool = False, copy: _bool = False) -> Tensor:
        """Convert to a dtype (differentiable): ``to(float64)``, ``to(other)`` (its dtype),
        ``to(device, dtype)``; the device must be the CPU (``"cpu"``, ``device("cpu")``).
        Returns this tensor when nothing changes, unless ``copy=True``."""
        target = parse_to_arguments(args, dtype, device)
        result = self
        if target is not None:
            target = dtypes.canonical(target)
            if target is not self._array.dtype:
                result = Cast.apply(self, dtype=target)
        return result.clone() if copy and result is self else result

    def cuda(self, device: DeviceLike | None = None, non_blocking: _bool = False) -> Tensor:
        """Refused: tinygrad_bn runs on the CPU only (the error says so)."""
        check_device("cuda" if device is None else device)
        return self

    @property
    def is_cuda(self) -> _bool:
        """Always False: tinygrad_bn runs on the CPU only. Kept so that PyTorch code that checks it
        runs."""
        return False

    def type(self, dtype: Any = None, non_blocking: _bool = False) -> Any:
        """Without an argument, the legacy type name (``"torch.FloatTensor"``); with a dtype, a
        name like ``"torch.LongTensor"`` or a class like ``LongTensor``, this tensor
        converted to it."""
        from .tensor_types import BY_DTYPE, BY_NAME  # they build on Tensor

        if dtype is None:
            return BY_DTYPE[self._array.dtype]
        if isinstance(dtype, str):
            if dtype not in BY_NAME:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = BY_NAME[dtype]
        return self.to(getattr(dtype, "dtype", dtype))

    def type_as(self, other: Tensor) -> Tensor:
        """This tensor converted to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self) -> Tensor:
        """``self.to(tinygrad_bn.float32)`` (differentiable). Returns this tensor if it is already
        float32."""
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        """``self.to(tinygrad_bn.float64)`` (differentiable; what ``gradcheck`` wants). Returns
        this tensor if it is already float64."""
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        """``self.to(tinygrad_bn.int64)``. Returns this tensor if it is already int64."""
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        """``self.to(tinygrad_bn.int32)``. Returns this tensor if it is already int32."""
        return self.to(dtypes.int32)

    def short(self) -> Tensor:
        """``self.to(tinygrad_bn.int16)``. Returns this tensor if it is already int16."""
        return self.to(dtypes.int16)

    def char(self) -> Tensor:
        """``self.to(tinygrad_bn.int8)``. Returns this tensor if it is already int8."""
        return self.to(dtypes.int8)

    def byte(self) -> Tensor:
        """``self.to(tinygrad_bn.uint8)``. Returns this tensor if it is already uint8."""
        return self.to(dtypes.uint8)

    def half(self) -> Tensor:
        """``self.to(tinygrad_bn.float16)`` (differentiable). Returns this tensor if it is already
        float16."""
        return self.to(dtypes.float16)

    def bool(self) -> Tensor:
        """``self.to(tinygrad_bn.bool)``: nonzero becomes True. Returns this tensor if it is
        already bool."""
        return self.to(dtypes.bool)

    # ------------------------------------------------------------------ arithmetic

    def add(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """``self + alpha * other``."""
        if alpha != 1:
            other = other * alpha
        return Add.apply(*_operands(self, other))

    def sub(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """``self - alpha * other``."""
        if alpha != 1:
            other = other * alpha
        return Sub.apply(*_subtraction_operands(self, other))

    def mul(self, other: Tensor | Number) -> Tensor:
        """``self * other``, elementwise; the shapes broadcast and the dtypes promote as in PyTorch
        (``other`` may be a Python number)."""
        return Mul.apply(*_operands(self, other))

    def div(self, other: Tensor | Number, *, rounding_mode: str | None = None) -> Tensor:
        """``self / other``: true division (integers give the default float dtype), or rounded
        toward zero (``rounding_mode="trunc"``) or down (``"floor"``), integers kept."""
        if rounding_mode is None:
            return Div.apply(*_operands(self, other, true_division=True))
        if rounding_mode not in ("trunc", "floor"):
            raise RuntimeError(
                "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                f"'{rounding_mode}'"
            )
        operands = _no_bool(f"div_{rounding_mode}_cpu", _operands(self, other))
        return RoundedDiv.apply(*operands, mode=rounding_mode)

    divide = true_divide = div

    def floor_divide(self, other: Tensor | Number) -> Tensor:
        """``self // other`` rounded toward minus infinity, as PyTorch's ``floor_divide`` since
        1.13 (``div(other, rounding_mode="floor")``); broadcasts. The gradient is zero."""
        return self.div(other, rounding_mode="floor")

    def remainder(self, other: Tensor | Number) -> Tensor:
        """The remainder with the sign of ``other`` (Python's ``%``)."""
        return Remainder.apply(*_no_bool("remainder_cpu", _operands(self, other)))

    def fmod(self, other: Tensor | Number) -> Tensor:
        """The remainder with the sign of ``self`` (C's ``fmod``): ``self - trunc(self/other)
        * other``, in the operands' promoted dtype."""
        a, b = _no_bool("fmod_cpu", _operands(self, other))
        return a - RoundedDiv.apply(a, b, mode="trunc") * b

    def __floordiv__(self, other):
        return self.floor_divide(other)

    def __rfloordiv__(self, other):
        operands = _no_bool("div_floor_cpu", _operands(self, other, reflected=True))
        return RoundedDiv.apply(*operands, mode="floor")

    def __mod__(self, other):
        return self.remainder(other)

    def __rmod__(self, other):
        return Remainder.apply(*_no_bool("remainder_cpu", _operands(self, other, reflected=True)))

    def pow(self, exponent: Tensor | Number) -> Tensor:
        """``self ** exponent``, elementwise; ``exponent`` is a number or a tensor that broadcasts
        with ``self``, and the dtypes promote as in PyTorch. Bool tensors raise."""
        return Pow.apply(*_no_bool("pow", _operands(self, exponent)))

    def neg(self) -> Tensor:
        """``-self``, elementwise, same shape and dtype. A bool tensor raises (PyTorch asks for
        ``~`` or ``logical_not()`` instead)."""
        if self._array.dtype is dtypes.bool:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return Neg.apply(self)

    def matmul(self, other: Tensor) -> Tensor:
        """Matrix product with NumPy's rules for 1-D, 2-D and batched operands. Both must have
        one dtype: PyTorch promotes nothing here (a float32 weight times float64 data is an
        error, not a silent float64 result)."""
        if not isinstance(other, Tensor):
            raise TypeError(f"matmul expected a Tensor, got {type(other).__name__}")
        if self._array.dtype is not other._array.dtype:
            raise RuntimeError(
                "expected m1 and m2 to have the same dtype, but got: "
                f"{dtypes.cpp_type_name(self._array.dtype)} != "
                f"{dtypes.cpp_type_name(other._array.dtype)}")
        return MatMul.apply(self, other)

    def mm(self, other: Tensor) -> Tensor:
        """Matrix product of two 2-D tensors (``matmul`` without broadcasting or 1-D rules)."""
        if self.ndim != 2:
            raise RuntimeError(f"self must be a matrix (got a {self.ndim}-D tensor)")
        if not isinstance(other, Tensor) or other.ndim != 2:
            got = f"a {other.ndim}-D tensor" if isinstance(other, Tensor) else type(other).__name__
            raise RuntimeError(f"mat2 must be a matrix (got {got})")
        return self.matmul(other)

    def bmm(self, other: Tensor) -> Tensor:
        """Batched matrix product: ``(b, n, k) @ (b, k, m) -> (b, n, m)``, same ``b``."""
        if self.ndim != 3:
            raise RuntimeError(f"batch1 must be a 3D tensor (got a {self.ndim}-D tensor)")
        if not isinstance(other, Tensor) or other.ndim != 3:
            got = f"a {other.ndim}-D tensor" if isinstance(other, Tensor) else type(other).__name__
            raise RuntimeError(f"batch2 must be a 3D tensor (got {got})")
        if self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"batch1 and batch2 must have same number of batches, got {self.shape[0]} and "
                f"{other.shape[0]}"
            )
        return self.matmul(other)

    def dot(self, other: Tensor) -> Tensor:
        """The inner product of two 1-D tensors of one dtype and length."""
        other = _tensor_argument(other, "dot", "tensor", 2)
        if self.ndim != 1 or other.ndim != 1:
            raise RuntimeError(
                f"1D tensors expected, but got {self.ndim}D and {other.ndim}D tensors")
        if self._array.dtype is not other._array.dtype:
            raise RuntimeError(
                "dot : expected both vectors to have same dtype, but found "
                f"{dtypes.scalar_type_name(self.dtype)} and {dtypes.scalar_type_name(other.dtype)}")
        if self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented("dot", self._array.dtype)
        if self.shape[0] != other.shape[0]:
            raise RuntimeError(
                f"inconsistent tensor size, expected tensor [{self.shape[0]}] and src "
                f"[{other.shape[0]}] to have the same number of elements, but got "
                f"{self.shape[0]} and {other.shape[0]} elements respectively")
        return MatMul.apply(self, other)

    def outer(self, vec2: Tensor) -> Tensor:
        """The outer product of two 1-D tensors: ``out[i, j] = self[i] * vec2[j]``, shape
        ``(n, m)`` (dtypes promote as in ``*``)."""
        vec2 = _tensor_argument(vec2, "outer", "vec2", 1)
        for name, t in (("self", self), ("vec2", vec2)):
            if t.ndim != 1:
                raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
        return self.reshape(-1, 1) * vec2

    ger = outer

    def addmm(self, mat1: Tensor, mat2: Tensor, *, beta: Number = 1, alpha: Number = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)``: ``mat1`` ``(n, k)``, ``mat2`` ``(k, m)``,
        ``self`` broadcastable to ``(n, m)``; all three of one dtype. With ``beta=0`` ``self``
        is ignored (even its NaNs), as in PyTorch; integer tensors truncate ``alpha``/``beta``."""
        mat1 = _tensor_argument(mat1, "addmm", "mat1", 1)
        mat2 = _tensor_argument(mat2, "addmm", "mat2", 2)
        name = dtypes.scalar_type_name
        for label, t in (("self", self), ("mat1", mat1)):
            if t._array.dtype is not mat2._array.dtype:
                raise RuntimeError(f"{label} and mat2 must have the same dtype, but got "
                                   f"{name(t.dtype)} and {name(mat2.dtype)}")
        for label, t in (("mat1", mat1), ("mat2", mat2)):
            if t.ndim != 2:
                raise RuntimeError(f"{label} must be a matrix, got {t.ndim}-D tensor")
        product = mat1.matmul(mat2)
        self.expand(*product.shape)  # PyTorch's error when self does not broadcast to it
        if not dtypes.is_floating(self._array.dtype):
            alpha, beta = int(alpha), int(beta)
        if alpha != 1:
            product = product * alpha
        if beta == 0:
            return product
        return product + (self if beta == 1 else self * beta)

    def addcmul(self, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
        """``self + value * tensor1 * tensor2``, elementwise with broadcasting (integer tensors
        truncate ``value``, as in PyTorch)."""
        product = _tensor_argument(tensor1, "addcmul", "tensor1", 1) * \
            _tensor_argument(tensor2, "addcmul", "tensor2", 2)
        if not dtypes.is_floating(product._array.dtype) and \
                not dtypes.is_floating(self._array.dtype):
            value = int(value)
        return self + (product if value == 1 else product * value)

    def addcdiv(self, tensor1: Tensor, tensor2: Tensor, *, value: Number = 1) -> Tensor:
        """``self + value * tensor1 / tensor2``, elementwise with broadcasting; PyTorch refuses
        two integer ``tensor1``/``tensor2`` (its old integer division), and so does this."""
        tensor1 = _tensor_argument(tensor1, "addcdiv", "tensor1", 1)
        tensor2 = _tensor_argument(tensor2, "addcdiv", "tensor2", 2)
        if not tensor1.is_floating_point() and not tensor2.is_floating_point():
            raise RuntimeError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes.")
        quotient = tensor1 / tensor2
        return self + (quotient if value == 1 else quotient * value)

    def lerp(self, end: Tensor, weight: Tensor | Number) -> Tensor:
        """Linear interpolation ``self + weight * (end - self)``, with ``weight`` a number or a
        tensor; all broadcast together. ``self``, ``end`` (and a tensor ``weight``) must share
        one floating dtype, as in PyTorch."""
        end = _tensor_argument(end, "lerp", "end", 1)
        kernel = "lerp_kernel_tensor" if isinstance(weight, Tensor) else "lerp_kernel_scalar"
        if not dtypes.is_floating(self._array.dtype):
            raise dtypes.not_implemented(kernel, self._array.dtype)
        if not isinstance(weight, Tensor):
            weight = constant_tensor(np.asarray(weight, dtype=self._array.dtype), weight)
        for name, t in (("end", end), ("weight", weight)):
            if t._array.dtype is not self._array.dtype:
                raise RuntimeError(
                    f"expected dtype {dtypes.cpp_type_name(self.dtype)} for `{name}` but got "
                    f"dtype {dtypes.cpp_type_name(t.dtype)}")
        shape = self._array.shape
        for t in (end, weight):
            if not broadcastable(shape, t._array.shape):
                raise RuntimeError(broadcast_error(shape, t._array.shape))
            shape = np.broadcast_shapes(shape, t._array.shape)
        return Lerp.apply(self, end, weight)

    def __add__(self, other):
        return Add.apply(*_operands(self, other))

    def __sub__(self, other):
        return Sub.apply(*_subtraction_operands(self, other))

    __mul__ = mul
    __truediv__ = div
    __pow__ = pow
    __neg__ = neg
    __matmul__ = matmul

    def __radd__(self, other):
        return Add.apply(*_operands(self, other, reflected=True))

    def __rsub__(self, other):
        return Sub.apply(*_subtraction_operands(self, other, reflected=True))

    def __rmul__(self, other):
        return Mul.apply(*_operands(self, other, reflected=True))

    def __rtruediv__(self, other):
        return Div.apply(*_operands(self, other, true_division=True, reflected=True))

    def __rpow__(self, other):
        return Pow.apply(*_operands(self, other, reflected=True))

    def __rmatmul__(self, other):
        return MatMul.apply(*_operands(self, other, reflected=True, broadcast=False))

    def __pos__(self):
        return self

    # ------------------------------------------------------------------ elementwise math

    def _floating(self):
        """This tensor, or for an integer or bool one its values in the default float dtype:
        PyTorch's float functions (``exp``, ``sin``, ...) give floats for any input."""
        if dtypes.is_floating(self._array.dtype):
            return self
        return self.to(dtypes.get_default_dtype())

    def exp(self) -> Tensor:
        """``e ** self``, elementwise, same shape; integer and bool inputs give the default float
        dtype, as in PyTorch."""
        return Exp.apply(self._floating())

    def log(self) -> Tensor:
        """Natural logarithm, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch. ``log(0)`` is ``-inf`` and a negative input gives nan, as in
        PyTorch."""
        return Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        """``self ** 0.5``, elementwise, same shape; integer and bool inputs give the default float
        dtype, as in PyTorch. A negative input gives nan."""
        return Sqrt.apply(self._floating())

    def tanh(self) -> Tensor:
        """Hyperbolic tangent, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch. The gradient is ``1 - tanh(self)**2``."""
        return Tanh.apply(self._floating())

    def sigmoid(self) -> Tensor:
        """The logistic function ``1 / (1 + exp(-self))``, elementwise, same shape; integer and
        bool inputs give the default float dtype, as in PyTorch. The gradient is ``sigmoid(self) *
        (1 - sigmoid(self))``."""
        return Sigmoid.apply(self._floating())

    def sin(self) -> Tensor:
        """``sin(self)`` in radians, elementwise, same shape; integer and bool inputs give the
        default float dtype, as in PyTorch."""
        return Sin.apply(self._floating())

    def cos(self) -> Tensor:
        """``cos(self)`` in radians, elementwise, same shape; integer and bool inputs give the
        default float dtype, as in PyTorch."""
        return Cos.apply(self._floating())

    def log2(self) -> Tensor:
        """Base-2 logarithm, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch."""
        return Log2.apply(self._floating())

    def log10(self) -> Tensor:
        """Base-10 logarithm, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch."""
        return Log10.apply(self._floating())

    def log1p(self) -> Tensor:
        """``log(1 + x)``, accurate when ``x`` is small."""
        return Log1p.apply(self._floating())

    def expm1(self) -> Tensor:
        """``exp(x) - 1``, accurate when ``x`` is small."""
        return Expm1.apply(self._floating())

    def rsqrt(self) -> Tensor:
        """``1 / sqrt(x)``."""
        return Rsqrt.apply(self._floating())

    def erf(self) -> Tensor:
        """The error function (as ``math.erf``, elementwise)."""
        return Erf.apply(self._floating())

    def tan(self) -> Tensor:
        """``tan(self)`` in radians, elementwise, same shape; integer and bool inputs give the
        default float dtype, as in PyTorch."""
        return Tan.apply(self._floating())

    def asin(self) -> Tensor:
        """The inverse sine, in ``[-pi/2, pi/2]`` (NaN outside ``[-1, 1]``)."""
        return Asin.apply(self._floating())

    def acos(self) -> Tensor:
        """The inverse cosine, in ``[0, pi]`` (NaN outside ``[-1, 1]``)."""
        return Acos.apply(self._floating())

    def atan(self) -> Tensor:
        """The inverse tangent, in ``(-pi/2, pi/2)``."""
        return Atan.apply(self._floating())

    arcsin, arccos, arctan = asin, acos, atan

    def sinh(self) -> Tensor:
        """Hyperbolic sine, elementwise, same shape; integer and bool inputs give the default float
        dtype, as in PyTorch."""
        return Sinh.apply(self._floating())

    def cosh(self) -> Tensor:
        """Hyperbolic cosine, elementwise, same shape; integer and bool inputs give the default
        float dtype, as in PyTorch."""
        return Cosh.apply(self._floating())

    def atan2(self, other: Tensor) -> Tensor:
        """The angle of the point ``(other, self)`` from the positive x axis, in ``(-pi, pi]``,
        elementwise with broadcasting; integer operands give the default float dtype."""
        a, b = _operands(self, _tensor_argument(other, "atan2", "other", 2))
        return Atan2.apply(a._floating(), b._floating())

    arctan2 = atan2

    def hypot(self, other: Tensor) -> Tensor:
        """``sqrt(self**2 + other**2)`` elementwise (without overflow), for floating tensors."""
        a, b = _operands(self, _tensor_argument(other, "hypot", "other", 2))
        if not dtypes.is_floating(a._array.dtype):
            raise dtypes.not_implemented("hypot_cpu", a._array.dtype)
        return Hypot.apply(a, b)

    def logit(self, eps: _float | None = None) -> Tensor:
        """``log(p / (1 - p))``, the inverse of ``sigmoid``; with ``eps``, ``p`` is first clamped
        to ``[eps, 1 - eps]`` so the result stays finite at 0 and 1."""
        return Logit.apply(self._floating(), eps=eps)

    def square(self) -> Tensor:
        """``self ** 2`` (integer and bool tensors give integers, as in PyTorch)."""
        return self.pow(2)

    def _stepwise(self, op):
        """floor, ceil, round, trunc, sign: an integer or bool tensor comes back as a copy of
        itself (its dtype kept, as in PyTorch), a floating one through the op (zero gradient)."""
        if dtypes.is_floating(self._array.dtype):
            return op.apply(self)
        if op is Sign and self._array.dtype is not dtypes.bool:
            return Derived.apply(self, function=np.sign)
        return Clone.apply(self)

    def floor(self) -> Tensor:
        """Round down to the nearest integer: elementwise, same shape; integer and bool tensors
        come back unchanged with their dtype (PyTorch's rule), and the gradient is zero."""
        return self._stepwise(Floor)

    def ceil(self) -> Tensor:
        """Round up to the nearest integer: elementwise, same shape; integer and bool tensors come
        back unchanged with their dtype (PyTorch's rule), and the gradient is zero."""
        return self._stepwise(Ceil)

    def round(self) -> Tensor:
        """Round to the nearest integer, halves to even (as PyTorch)."""
        return self._stepwise(Round)

    def trunc(self) -> Tensor:
        """Round toward zero: elementwise, same shape; integer and bool tensors come back unchanged
        with their dtype (PyTorch's rule), and the gradient is zero."""
        return self._stepwise(Trunc)

    def sign(self) -> Tensor:
        """-1, 0 or 1 by the sign of each element, same shape and dtype (a bool tensor comes back
        unchanged, as in PyTorch); the gradient is zero."""
        return self._stepwise(Sign)

    def relu(self) -> Tensor:
        """``max(self, 0)``, elementwise, same shape and dtype. The gradient is 1 where ``self >
        0`` and 0 elsewhere (including at 0, as in PyTorch)."""
        return ReLU.apply(self)

    def abs(self) -> Tensor:
        """``|self|``, elementwise, same shape and dtype. The gradient is ``sign(self)`` (0 at 0,
        as in PyTorch)."""
        return Abs.apply(self)

    __abs__ = abs

    def clamp(self, min: Tensor | Number | None = None,
              max: Tensor | Number | None = None) -> Tensor:
        """Limit values to ``[min, max]``; either bound may be omitted, not both. A bound may
        be a tensor (broadcast), which then gets the gradient where it is the result."""
        if min is None and max is None:
            raise RuntimeError("clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            result = self
            if min is not None:
                result = where(result < min, min, result)
            if max is not None:
                result = where(result > max, max, result)
            return result
        for name, bound in (("min", min), ("max", max)):
            if bound is not None and not isinstance(bound, numbers.Real):
                raise TypeError(f"clamp: '{name}' must be a real number, got {bound!r}")
        if not dtypes.is_floating(self._array.dtype) and (
                isinstance(min, (float, np.floating)) or isinstance(max, (float, np.floating))):
            return Clamp.apply(self._floating(), min=min, max=max)  # a float bound promotes
        return Clamp.apply(self, min=min, max=max)

    clip = clamp

    def clamp_min(self, min: Tensor | Number) -> Tensor:
        """``max(self, min)``: ``clamp`` with a lower bound only."""
        return self.clamp(min=min)

    def clamp_max(self, max: Tensor | Number) -> Tensor:
        """``min(self, max)``: ``clamp`` with an upper bound only."""
        return self.clamp(max=max)

    def maximum(self, other: Tensor) -> Tensor:
        """The larger of ``self`` and ``other`` elementwise; the shapes broadcast and the dtypes
        promote as in PyTorch. Where the two are equal each receives half the gradient."""
        return Maximum.apply(*_operands(self, other))

    def minimum(self, other: Tensor) -> Tensor:
        """The smaller of ``self`` and ``other`` elementwise; the shapes broadcast and the dtypes
        promote as in PyTorch. Where the two are equal each receives half the gradient."""
        return Minimum.apply(*_operands(self, other))

    # ------------------------------------------------------------------ comparisons (no grad)
    # Comparisons, logical and bitwise ops, and the indices below are ``Derived`` ops: results
    # without a gradient, computed as recorded ops so that a jit replay recomputes them.

    def _compare(self, other, compare):
        if not isinstance(other, (Tensor, numbers.Number, np.generic, np.ndarray, list, tuple)):
            return NotImplemented  # so that `tensor == None` is False, as in PyTorch
        return Derived.apply(*_operands(self, other), function=compare)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def _bitwise(self, other, function, name):
        """``& | ^`` on bool or integer tensors (no gradient), as PyTorch's bitwise ops."""
        a, b = _operands(self, other)
        for t in (a, b):
            if t._array.dtype.kind not in "biu":
                raise TypeError(f'"{name}_cpu" not implemented for '
                                f"'{dtypes.scalar_type_name(t._array.dtype)}'")
        return Derived.apply(a, b, function=function)

    def __and__(self, other):
        return self._bitwise(other, np.bitwise_and, "bitwise_and")

    def __or__(self, other):
        return self._bitwise(other, np.bitwise_or, "bitwise_or")

    def __xor__(self, other):
        return self._bitwise(other, np.bitwise_xor, "bitwise_xor")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def logical_not(self) -> Tensor:
        """Whether each element is zero, as a bool tensor (for any dtype)."""
        return Derived.apply(self, function=np.logical_not)

    def logical_and(self, other: Tensor | Number) -> Tensor:
        """Whether both elements are nonzero, as a bool tensor (any dtypes, broadcast)."""
        return self._logical(other, np.logical_and, "logical_and")

    def logical_or(self, other: Tensor | Number) -> Tensor:
        """Whether either element is nonzero, as a bool tensor."""
        return self._logical(other, np.logical_or, "logical_or")

    def logical_xor(self, other: Tensor | Number) -> Tensor:
        """Whether exactly one of the two elements is nonzero, as a bool tensor."""
        return self._logical(other, np.logical_xor, "logical_xor")

    def _logical(self, other, function, name):
        other = _tensor_argument(other, name, "other", 2)
        if not broadcastable(self._array.shape, other._array.shape):
            raise RuntimeError(broadcast_error(self._array.shape, other._array.shape))
        return Derived.apply(self, other, function=function)

    def __invert__(self):
        if self._array.dtype.kind not in "biu":
            raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors, got "
                            f"{self._array.dtype}")
        return Derived.apply(self, function=np.invert)

    def isnan(self) -> Tensor:
        """A bool tensor of the same shape, True where the value is nan. Not differentiable
        (outside the graph), as in PyTorch."""
        return Derived.apply(self, function=np.isnan)

    def isinf(self) -> Tensor:
        """A bool tensor of the same shape, True where the value is ``+inf`` or ``-inf``. Not
        differentiable (outside the graph), as in PyTorch."""
        return Derived.apply(self, function=np.isinf)

    def isfinite(self) -> Tensor:
        """A bool tensor of the same shape, True where the value is neither inf nor nan. Not
        differentiable (outside the graph), as in PyTorch."""
        return Derived.apply(self, function=np.isfinite)

    def isclose(self, other: Tensor | Number, rtol: _float = 1e-05, atol: _float = 1e-08,
                equal_nan: _bool = False) -> Tensor:
        """Elementwise ``|self - other| <= atol + rtol * |other|`` (PyTorch's and NumPy's rule)."""
        return Derived.apply(*_operands(self, other), function=np.isclose,
                             keywords={"rtol": rtol, "atol": atol, "equal_nan": equal_nan})

    def allclose(self, other: Tensor | Number, rtol: _float = 1e-05, atol: _float = 1e-08,
                 equal_nan: _bool = False) -> _bool:
        """Whether ``isclose`` holds everywhere, as a Python bool (read from the values: a jit
        capture refuses it)."""
        return bool(self.isclose(other, rtol, atol, equal_nan).all())

    def equal(self, other: Tensor) -> _bool:
        """Whether ``other`` has the same shape and the same values, as a Python bool (read
        from the values: a jit capture refuses it)."""
        if self.shape != other.shape:
            return False
        if graph.tracer is not None:
            graph.tracer.read_value(self, "Tensor.equal()")
        return bool((self._array == other._array).all())

    def all(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Whether every element is nonzero (over ``dim``), as a bool tensor."""
        dims = normalize_dims(dim, self.ndim)
        return Derived.apply(self, function=np.all, keywords={"axis": dims, "keepdims": keepdim})

    def any(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Whether any element is nonzero (over ``dim``), as a bool tensor."""
        dims = normalize_dims(dim, self.ndim)
        return Derived.apply(self, function=np.any, keywords={"axis": dims, "keepdims": keepdim})

    def argmax(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """Index of the largest value (in the flattened tensor when ``dim`` is None)."""
        self._check_reducible("argmax", dim, IndexError)
        if dim is None:
            return Derived.apply(self, function=np.argmax)
        return Derived.apply(self, function=np.argmax,
                             keywords={"axis": normalize_dim(dim, self.ndim), "keepdims": keepdim})

    def argmin(self, dim: _int | None = None, keepdim: _bool = False) -> Tensor:
        """Index of the smallest value (in the flattened tensor when ``dim`` is None)."""
        self._check_reducible("argmin", dim, IndexError)
        if dim is None:
            return Derived.apply(self, function=np.argmin)
        return Derived.apply(self, function=np.argmin,
                             keywords={"axis": normalize_dim(dim, self.ndim), "keepdims": keepdim})

    # ------------------------------------------------------------------ reductions

    def sum(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False, *,
            dtype: DTypeLike | None = None) -> Tensor:
        """Sum over ``dim`` (all dims when None), in ``dtype`` when given. Bool and integer
        tensors sum to int64, as in PyTorch."""
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_floating(source._array.dtype) and source._array.dtype is not dtypes.int64:
            source = source.to(dtypes.int64)
        return Sum.apply(source, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Average over ``dim`` (an int, a tuple of ints, or None for every element; the default);
        ``keepdim=False`` drops the reduced dimensions, ``keepdim=True`` keeps them with size 1.
        Floating tensors only: an integer tensor raises, as in PyTorch."""
        if not dtypes.is_floating(self._array.dtype):
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {self._array.dtype}"
            )
        return Mean.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def var(self, dim: _int | Sequence[_int] | None = None, unbiased: _bool | None = None,
            keepdim: _bool = False, *, correction: Number | None = None) -> Tensor:
        """Variance over ``dim``, divided by ``n - correction``.

        ``correction=1`` (the default, same as ``unbiased=True``) is the unbiased estimate;
        ``correction=0`` (``unbiased=False``) is the biased one batch norm normalises with.
        """
        dims, correction = self._spread_arguments("var", dim, unbiased, correction)
        return Var.apply(self, dim=dims, correction=correction, keepdim=keepdim)

    def std(self, dim: _int | Sequence[_int] | None = None, unbiased: _bool | None = None,
            keepdim: _bool = False, *, correction: Number | None = None) -> Tensor:
        """Standard deviation: the square root of ``var`` with the same arguments, one node
        whose gradient is 0 for a constant input (PyTorch's convention; see ``ops.Std``)."""
        dims, correction = self._spread_arguments("std", dim, unbiased, correction)
        return Std.apply(self, dim=dims, correction=correction, keepdim=keepdim)

    def _spread_arguments(self, name, dim, unbiased, correction):
        """``(dims, correction)`` of ``var``/``std``, PyTorch's ways of saying them."""
        if not dtypes.is_floating(self._array.dtype):
            raise RuntimeError("std and var only support floating point and complex dtypes")
        if isinstance(dim, bool):  # var(True): PyTorch's positional unbiased
            dim, unbiased = None, dim
        if unbiased is not None and correction is not None:
            raise ValueError(f"{name}: pass either unbiased or correction, not both")
        if correction is None:
            correction = 0 if unbiased is False else 1
        dims = normalize_dims(dim, self.ndim)
        if reduced_count(self._array.shape, dims) - correction <= 0:
            warnings.warn(
                f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
                "the reduction factor (input numel divided by output numel).",
                UserWarning,
                stacklevel=4,
            )
        return dims, correction

    def max(self, dim: _int | Sequence[_int] | Tensor | None = None,
            keepdim: _bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """The maximum of all elements, or, with an int ``dim``, the pair ``(values, indices)``
        along it as PyTorch returns (a tuple of dims reduces all of them, like ``amax``).
        ``torch.max(a, b)`` with a tensor ``b`` is the elementwise ``maximum``."""
        if isinstance(dim, Tensor):
            return self.maximum(dim)
        return self._extremum(Max, dim, keepdim, Tensor.argmax)

    def min(self, dim: _int | Sequence[_int] | Tensor | None = None,
            keepdim: _bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """The minimum of all elements, or ``(values, indices)`` along an int ``dim``;
        ``torch.min(a, b)`` with a tensor ``b`` is the elementwise ``minimum``."""
        if isinstance(dim, Tensor):
            return self.minimum(dim)
        return self._extremum(Min, dim, keepdim, Tensor.argmin)

    def _extremum(self, op, dim, keepdim, arg):
        self._check_reducible(op.__name__.lower(), dim)
        if isinstance(dim, (int, np.integer)):
            d = normalize_dim(dim, self.ndim)
            values = op.apply(self, dim=d, keepdim=keepdim)
            pair = return_types.max if op is Max else return_types.min
            return pair(values, arg(self, d, keepdim))
        return op.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def amax(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Largest value over ``dim`` (an int, a tuple of ints, or None for all dimensions; the
        default), without indices; ``keepdim=False`` drops the reduced dimensions. As PyTorch's
        ``amax``, the gradient is split evenly between tied maxima."""
        self._check_reducible("amax", dim)
        return Max.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def amin(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """Smallest value over ``dim`` (an int, a tuple of ints, or None for all dimensions; the
        default), without indices; ``keepdim=False`` drops the reduced dimensions. As PyTorch's
        ``amin``, the gradient is split evenly between tied minima."""
        self._check_reducible("amin", dim)
        return Min.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def _check_reducible(self, name, dim, no_dim_error=RuntimeError):
        """Max, min and their indices have no value over nothing: an empty tensor needs a
        ``dim``, and the dims reduced must not be empty (PyTorch's errors)."""
        if self._array.size:
            return
        if dim is None:
            message = f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
            if no_dim_error is RuntimeError:
                message += " Specify the reduction dim with the 'dim' argument."
            raise no_dim_error(message)
        for d in normalize_dims(dim, self.ndim):
            if self._array.shape[d] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")

    def aminmax(self, *, dim: _int | None = None, keepdim: _bool = False) -> tuple[Tensor, Tensor]:
        """``(min, max)`` over ``dim`` (an int, or all elements when None), as the named tuple
        ``return_types.aminmax``; both differentiable like ``amin``/``amax``."""
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError(f"aminmax(): argument 'dim' must be int, not {type(dim).__name__}")
        if reduced_count(self.shape, normalize_dims(dim, self.ndim)) == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        return return_types.aminmax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def count_nonzero(self, dim: _int | Sequence[_int] | None = None) -> Tensor:
        """How many elements are nonzero over ``dim`` (an int, a tuple, or all when None), as
        int64."""
        return Derived.apply(self, function=_count_nonzero,
                             keywords={"axis": normalize_dims(dim, self.ndim)})

    def norm(self, p: Number | str | None = "fro", dim: _int | Sequence[_int] | None = None,
             keepdim: _bool = False, dtype: DTypeLike | None = None) -> Tensor:
        """The vector ``p``-norm over ``dim`` (all elements when None): ``sum(|x|**p) ** (1/p)``,
        ``max |x|`` for ``p=inf``, ``min |x|`` for ``-inf``, the count of nonzeros for 0.

        ``"fro"`` (the default) is the 2-norm; over two dims it is the Frobenius norm of those
        matrices. Computed in ``dtype`` when given. Floating tensors only, as in PyTorch. The
        nuclear norm (``"nuc"``) is not implemented.
        """
        if p is None:
            p = "fro"
        if isinstance(p, str):
            dims = () if dim is None else tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
            if p == "fro" and len(dims) <= 2:
                p = 2
            elif p in ("fro", "nuc") and len(dims) > 2:
                raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                                   + " ".join(map(str, dims)))
            elif p == "nuc":
                raise NotImplementedError(
                    "norm(p='nuc'): the nuclear norm (the sum of singular values) is not "
                    "implemented in tinygrad_bn")
            else:
                raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
        return self._vector_norm(p, dim, keepdim, dtype)

    def _vector_norm(self, ord, dim, keepdim, dtype):
        """PyTorch's ``linalg.vector_norm`` (see ``norm``)."""
        source = self._norm_input(dtype, "linalg.vector_norm")
        ord = float(ord)
        dims = normalize_dims(dim, self.ndim)
        if np.isinf(ord) and reduced_count(self.shape, dims) == 0:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {ord:g} norm on an empty "
                               "tensor because the operation does not have an identity")
        return Norm.apply(source, p=ord, dim=dims, keepdim=keepdim)

    def _norm_input(self, dtype, name):
        """This tensor in the dtype a norm is computed in, with PyTorch's checks: a floating
        tensor, and a ``dtype`` it converts to without narrowing."""
        scalar_name = dtypes.scalar_type_name
        if not dtypes.is_floating(self._array.dtype):
            raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                               f"Got {scalar_name(self._array.dtype)}")
        if dtype is None:
            return self
        dtype = dtypes.canonical(dtype)
        if dtypes.promote(self._array.dtype, dtype) is not dtype:
            raise RuntimeError(
                f"{name}: the dtype of the input ({scalar_name(self.dtype)}) should be "
                f"convertible without narrowing to the specified dtype ({scalar_name(dtype)})")
        return self.to(dtype)

    def median(self, dim: _int | None = None,
               keepdim: _bool = False) -> Tensor | tuple[Tensor, Tensor]:
        """The median: without ``dim``, of all elements, as a 0-d tensor; with ``dim``, the named
        tuple ``(values, indices)`` along it. With an even count it is the lower of the two
        middle values (PyTorch's convention, not their mean); a slice holding NaN gives NaN (at
        its first NaN). The gradient goes to the element picked."""
        self._check_sortable("median")
        if dim is None:
            flat = self.reshape(-1)
            if flat._array.size == 0:
                empty = np.nan if self.is_floating_point() else np.iinfo(self._array.dtype).min
                return constant_tensor(np.asarray(empty, dtype=self._array.dtype))
            position = Derived.apply(flat, function=median_positions, keywords={"dim": 0})
            return flat[position.reshape(())]
        return self._pick_along(dim, keepdim, median_positions, {}, return_types.median,
                                "median")

    def kthvalue(self, k: _int, dim: _int = -1, keepdim: _bool = False) -> tuple[Tensor, Tensor]:
        """The ``k``-th smallest value along ``dim`` (``k`` counts from 1) and its index, as the
        named tuple ``(values, indices)``; NaN counts as the largest value. Among tied values
        the index is the one a stable sort puts ``k``-th, which may differ from PyTorch's (its
        quickselect leaves the choice unspecified)."""
        self._check_sortable("kthvalue")
        d = normalize_dim(dim, self.ndim)
        size = self.shape[d] if self.ndim else 1
        if not 1 <= k <= size:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
        return self._pick_along(dim, keepdim, kth_positions, {"k": int(k)},
                                return_types.kthvalue, "kthvalue")

    def mode(self, dim: _int = -1, keepdim: _bool = False) -> tuple[Tensor, Tensor]:
        """The most frequent value along ``dim`` (the smallest of equally frequent ones) and
        the index of its last occurrence, as the named tuple ``(values, indices)``."""
        return self._pick_along(dim, keepdim, mode_positions, {}, return_types.mode, "mode")

    def _check_sortable(self, name):
        if self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented(f"{name}_cpu", self._array.dtype)

    def _pick_along(self, dim, keepdim, positions, keywords, result_type, name):
        """``(values, indices)`` of one element per slice along ``dim``:
        ``positions(array, dim=d, **keywords)`` (a function of ``ops.positions``) returns its
        int64 index in each slice (with ``d`` kept as size 1); the values are a ``gather`` of
        it, so they are differentiable."""
        d = normalize_dim(dim, self.ndim)
        source = self.reshape(1) if self.ndim == 0 else self
        if source.shape[d] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
        index = Derived.apply(source, function=positions, keywords={"dim": d, **keywords})
        values = source.gather(d, index)
        if self.ndim == 0:
            return result_type(values.reshape(()), index.reshape(()))
        if not keepdim:
            values, index = values.squeeze(d), index.squeeze(d)
        return result_type(values, index)

    def logsumexp(self, dim: _int | Sequence[_int] | None = None, keepdim: _bool = False) -> Tensor:
        """``log(sum(exp(self)))`` over ``dim``, computed stably."""
        return LogSumExp.apply(self, dim=normalize_dims(dim, self.ndim), keepdim=keepdim)

    def softmax(self, dim: _int, dtype: DTypeLike | None = None) -> Tensor:
        """``exp(x) / sum(exp(x))`` along ``dim``, computed in ``dtype`` when given."""
        source = self._softmax_input("softmax", dtype)
        return Softmax.apply(source, dim=normalize_dim(dim, self.ndim))

    def log_softmax(self, dim: _int, dtype: DTypeLike | None = None) -> Tensor:
        """``x - logsumexp(x)`` along ``dim``, computed in ``dtype`` when given."""
        source = self._softmax_input("log_softmax", dtype)
        return LogSoftmax.apply(source, dim=normalize_dim(dim, self.ndim))

    def _softmax_input(self, name, dtype):
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_floating(source._array.dtype):
            raise NotImplementedError(
                f"{name}(): not implemented for '{dtypes.scalar_type_name(source.dtype)}' "
                f"tensors; convert with .float() or pass dtype=torch.float32"
            )
        return source

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape: ShapeLike) -> Tensor:
        """The same elements in a new shape, given as ints or one tuple (``reshape(4, -1)``,
        ``reshape((4, -1))``); one dimension may be -1 and is then inferred. As PyTorch's
        ``reshape``, the result shares the data (a view) when the layout allows and is a copy
        otherwise (a transposed tensor); ``view`` is the same method here."""
        return Reshape.apply(self, shape=resolve_shape(size_arguments(shape), self._array.size))

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        """This tensor with ``other``'s shape (a view when the memory allows, as ``view``)."""
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: _int = 0, end_dim: _int = -1) -> Tensor:
        """Merge dims ``start_dim`` to ``end_dim`` (inclusive) into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start, end = normalize_dim(start_dim, self.ndim), normalize_dim(end_dim, self.ndim)
        if start > end:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        shape = self.shape
        return self.reshape(shape[:start] + (-1,) + shape[end + 1 :])

    def squeeze(self, dim: _int | Sequence[_int] | None = None) -> Tensor:
        """Remove size-1 dims (all of them, or those in ``dim`` that have size 1)."""
        dims = range(self.ndim) if dim is None else normalize_dims(dim, self.ndim) or ()
        shape = tuple(s for d, s in enumerate(self.shape) if not (d in dims and s == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim: _int) -> Tensor:
        """Insert a size-1 dim at position ``dim`` (in ``[-ndim - 1, ndim]``)."""
        d = normalize_dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims: ShapeLike) -> Tensor:
        """A view with the dimensions reordered: ``x.permute(2, 0, 1)`` or ``x.permute((2, 0,
        1))``; ``dims`` must name every dimension once (negative indices allowed). Shares the data.
        """
        dims = tuple(size_arguments(dims))
        if len(dims) != self.ndim:
            raise RuntimeError(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the "
                "length of the desired ordering of dimensions i.e. input.dim() = "
                f"{self.ndim} is not equal to len(dims) = {len(dims)}"
            )
        dims = tuple(normalize_dim(d, self.ndim) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"permute(): duplicate dims are not allowed (got {dims})")
        return Permute.apply(self, dims=dims)

    def transpose(self, dim0: _int, dim1: _int) -> Tensor:
        """A view with dimensions ``dim0`` and ``dim1`` swapped (negative indices allowed); shares
        the data, as PyTorch's ``transpose``."""
        dims = list(range(self.ndim))
        d0, d1 = normalize_dim(dim0, self.ndim), normalize_dim(dim1, self.ndim)
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return Permute.apply(self, dims=tuple(dims))

    @property
    def T(self) -> Tensor:
        """All dims reversed (the transpose, for a matrix)."""
        return Permute.apply(self, dims=tuple(reversed(range(self.ndim))))

    def t(self) -> Tensor:
        """The transpose of a matrix: a 2-D tensor gets its two dimensions swapped (a view); 0-D
        and 1-D tensors come back as they are. More than 2 dimensions raise, as in PyTorch."""
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.T

    def expand(self, *sizes: ShapeLike) -> Tensor:
        """Broadcast size-1 dims to ``sizes`` without copying; ``-1`` keeps a dim's size."""
        sizes = tuple(size_arguments(sizes))
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                f"the number of dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        target = list(sizes)
        for i, size in enumerate(self.shape):
            wanted = sizes[lead + i]
            if wanted == -1:
                target[lead + i] = size
            elif size != 1 and wanted != size:
                raise RuntimeError(
                    f"The expanded size of the tensor ({wanted}) must match the existing size "
                    f"({size}) at non-singleton dimension {lead + i}.  Target sizes: "
                    f"{list(sizes)}.  Tensor sizes: {list(self.shape)}"
                )
        return Expand.apply(self, shape=tuple(target))

    def expand_as(self, other: Tensor) -> Tensor:
        """``self.expand(*other.shape)``: a broadcast view with ``other``'s shape (no copy); the
        gradient is summed back over the broadcast dimensions."""
        return self.expand(*other.shape)

    def flip(self, *dims: ShapeLike) -> Tensor:
        """The order of the elements along ``dims`` reversed (a copy, as in PyTorch)."""
        dims = normalize_dims(tuple(size_arguments(dims)), self.ndim)
        return Flip.apply(self, dims=dims)

    def repeat(self, *repeats: ShapeLike) -> Tensor:
        """Tile the tensor ``repeats[i]`` times along dim ``i`` (new leading dims when
        ``repeats`` is longer than ``ndim``)."""
        repeats = tuple(size_arguments(repeats))
        if len(repeats) < self.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of dimensions "
                "of tensor"
            )
        if any(r < 0 for r in repeats):
            padded = (1,) * (len(repeats) - self.ndim) + tuple(self.shape)
            shape = [r * size for r, size in zip(repeats, padded)]
            negative = next(size for size in shape if size < 0)
            raise RuntimeError(
                f"Trying to create tensor with negative dimension {negative}: {shape}")
        return Repeat.apply(self, repeats=repeats)

    def tile(self, *dims: ShapeLike) -> Tensor:
        """``repeat`` with ``dims`` padded with leading 1s when it is shorter than ``ndim``:
        ``x.tile(2)`` of a matrix repeats its columns."""
        dims = tuple(size_arguments(dims))
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def repeat_interleave(self, repeats: Tensor | _int | None = None, dim: _int | None = None, *,
                          output_size: _int | None = None) -> Tensor:
        """Each element repeated ``repeats`` times along ``dim`` (an int for all, or a tensor of
        one count per element), over the flattened tensor when ``dim`` is None:
        ``[1, 2] -> [1, 1, 2, 2]``. Without ``repeats``, this tensor holds the counts and the
        result repeats the indices ``0, 1, ...`` (``torch.repeat_interleave(counts)``)."""
        if repeats is None:
            self._check_repeat_counts(self, 0, -1, None)
            return Derived.apply(self, function=repeated_positions,
                                 keywords={"size": self.numel(), "output_size": None})
        source = self.reshape(-1) if dim is None else self
        d = normalize_dim(0 if dim is None else dim, source.ndim)
        size = source.shape[d] if source.ndim else 1
        if isinstance(repeats, Tensor):  # the positions are computed from the counts' values
            self._check_repeat_counts(repeats, d, size, output_size)
            index = Derived.apply(repeats, function=repeated_positions,
                                  keywords={"size": size, "output_size": output_size})
        else:
            if repeats < 0:
                raise RuntimeError("Repeats must be non-negative")
            index = repeated_positions(np.asarray(int(repeats)), size, output_size)
            index = constant_tensor(index)
        if source.ndim == 0:
            source = source.reshape(1)
        return IndexSelect.apply(source, index, dim=d)

    @staticmethod
    def _check_repeat_counts(repeats, dim, size, output_size):
        """PyTorch's checks of the dtype and shape of ``repeat_interleave``'s tensor of counts
        (``repeated_positions`` checks their values). Unless ``output_size`` is given, the
        result's shape depends on the counts' values: a jit capture refuses it (without
        ``repeats``, ``output_size`` is ignored, so it always does)."""
        if output_size is None:
            graph.untraceable("repeat_interleave returns a shape that depends on the tensor's "
                              "values")
        counts = repeats._array
        if counts.dtype.kind not in "iu":
            raise dtypes.not_implemented("repeat_interleave_cpu", counts.dtype)
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if counts.ndim == 1 and size >= 0 and len(counts) != size:
            raise RuntimeError(
                "repeats must have the same size as input along dim, but got repeats.size(0) = "
                f"{len(counts)} and input.size({dim}) = {size}")

    def split(self, split_size_or_sections: _int | Sequence[_int],
              dim: _int = 0) -> tuple[Tensor, ...]:
        """Views of consecutive pieces along ``dim``: of ``split_size`` each (the last may be
        smaller), or of the given list of sizes."""
        d = normalize_dim(dim, self.ndim)
        length = self.shape[d]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            sizes = [min(step, length - start) for start in range(0, length, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != length:
                raise RuntimeError(
                    f"split_with_sizes expects split_sizes to sum exactly to {length} (input "
                    f"tensor's size at dimension {d}), but got split_sizes={sizes}"
                )
        pieces, start = [], 0
        for size in sizes:
            index = (slice(None),) * d + (slice(start, start + size),)
            pieces.append(self[index])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: _int, dim: _int = 0) -> tuple[Tensor, ...]:
        """At most ``chunks`` views of (nearly) equal size along ``dim``."""
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0, got: "
                               f"{chunks}")
        length = self.shape[normalize_dim(dim, self.ndim)]
        return self.split(max(-(-length // chunks), 1), dim)

    def unbind(self, dim: _int = 0) -> tuple[Tensor, ...]:
        """The slices along ``dim``, as a tuple of views with that dim removed."""
        if self.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        d = normalize_dim(dim, self.ndim)
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self.shape[d]))

    def narrow(self, dim: _int, start: _int | Tensor, length: _int) -> Tensor:
        """The view ``self[..., start:start + length, ...]`` along ``dim`` (``start`` may be
        negative, counting from the end, or a 0-d tensor)."""
        if self.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        d = normalize_dim(dim, self.ndim)
        size, start = self.shape[d], int(start)
        if not -size <= start <= size:
            raise IndexError(
                f"start out of range (expected to be in range of [{-size}, {size}], but got "
                f"{start})")
        if length < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
        start = start + size if start < 0 else start
        if start + length > size:
            raise RuntimeError(
                f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def movedim(self, source: _int | Sequence[_int], destination: _int | Sequence[_int]) -> Tensor:
        """The view with dims ``source`` (an int or a sequence) moved to positions
        ``destination``, the other dims keeping their order (NumPy's ``moveaxis``)."""
        sources = tuple(source) if isinstance(source, (tuple, list)) else (source,)
        targets = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
        if len(sources) != len(targets):
            raise RuntimeError(
                "movedim: Invalid source or destination dims: source "
                f"({list(sources)} dims) should contain the same number of dims as destination "
                f"({list(targets)} dims)")
        moved = [normalize_dim(d, self.ndim) for d in sources]
        placed = [normalize_dim(d, self.ndim) for d in targets]
        for name, given, normalised in (("source", sources, moved),
                                        ("destination", targets, placed)):
            if len(set(normalised)) != len(normalised):
                raise RuntimeError(f"movedim: repeated dim in `{name}` ({list(given)})")
        if self.ndim == 0:
            return Permute.apply(self, dims=())
        order = [d for d in range(self.ndim) if d not in moved]
        for target, d in sorted(zip(placed, moved)):
            order.insert(target, d)
        return Permute.apply(self, dims=tuple(order))

    moveaxis = movedim

    def swapaxes(self, axis0: _int, axis1: _int) -> Tensor:
        """``transpose(axis0, axis1)``, NumPy's name."""
        return self.transpose(axis0, axis1)

    def swapdims(self, dim0: _int, dim1: _int) -> Tensor:
        """``transpose(dim0, dim1)``."""
        return self.transpose(dim0, dim1)

    def unflatten(self, dim: _int, sizes: Sequence[_int]) -> Tensor:
        """Split ``dim`` into dims of ``sizes`` (their product must be its size; one may be
        -1): the inverse of ``flatten``, a view."""
        if self.ndim == 0:
            raise RuntimeError("unflatten: a 0-dim tensor has no dim to unflatten")
        d = normalize_dim(dim, self.ndim)
        sizes = tuple(size_arguments((sizes,)))
        if not sizes:
            raise RuntimeError("unflatten: sizes must be non-empty")
        size = self.shape[d]
        if sizes.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = int(np.prod([s for s in sizes if s != -1]))
        resolved = sizes
        if -1 in sizes and known > 0 and size % known == 0:
            resolved = tuple(size // known if s == -1 else s for s in sizes)
        if -1 in resolved or int(np.prod(resolved)) != size:
            raise RuntimeError(
                f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                f"{d} ({size}) in the input tensor")
        return self.reshape(self.shape[:d] + resolved + self.shape[d + 1:])

    def broadcast_to(self, size: Sequence[_int]) -> Tensor:
        """The view of this tensor broadcast to shape ``size`` (``expand``; -1 keeps a size)."""
        return self.expand(*size)

    @property
    def mT(self) -> Tensor:
        """The last two dims swapped (the transpose of each matrix in a batch), a view."""
        return self._matrix_transpose("mT")

    @property
    def mH(self) -> Tensor:
        """``mT``: the conjugate transpose of real matrices is their transpose."""
        return self._matrix_transpose("mH")

    def _matrix_transpose(self, name):
        if self.ndim < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                               f"matrices. Got {self.ndim}-D tensor.")
        return self.transpose(-2, -1)

    def roll(self, shifts: _int | Sequence[_int],
             dims: _int | Sequence[_int] | None = None) -> Tensor:
        """The elements moved ``shifts`` places along ``dims`` (an int or a sequence, one shift
        each), those pushed off the end coming back at the start; along the flattened tensor
        when ``dims`` is None (the shape is kept)."""
        shift_list = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        dim_list = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) \
            else (dims,)
        if len(shift_list) != max(len(dim_list), 1) or (dims is not None and not dim_list):
            raise RuntimeError("shifts and dimensions must align. shifts: "
                               f"{len(shift_list)}, dims:{len(dim_list)}")
        if dims is None:
            return Roll.apply(self, shifts=int(shift_list[0]), dims=None)
        dim_list = tuple(normalize_dim(d, self.ndim) for d in dim_list)
        return Roll.apply(self, shifts=tuple(int(s) for s in shift_list), dims=dim_list)

    def diag(self, diagonal: _int = 0) -> Tensor:
        """A 1-D tensor becomes the square matrix with it on diagonal ``diagonal`` (0 the main
        one, positive above it, negative below); a matrix gives that diagonal, as a copy."""
        if self.ndim not in (1, 2):
            raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {self.ndim}D")
        return Diag.apply(self, diagonal=int(diagonal))

    def trace(self) -> Tensor:
        """The sum of a matrix's main diagonal (integers sum to int64)."""
        if self.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {self.ndim}")
        if self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented("trace", self._array.dtype)
        return self.diag().sum()

    def diff(self, n: _int = 1, dim: _int = -1, prepend: Tensor | None = None,
             append: Tensor | None = None) -> Tensor:
        """The ``n``-th forward difference along ``dim``: ``out[i] = x[i + 1] - x[i]``, applied
        ``n`` times, after joining ``prepend`` and ``append`` (tensors) to either end. Bool
        tensors give ``x[i + 1] != x[i]``, as in PyTorch."""
        if self.ndim == 0:
            raise RuntimeError("diff expects input to be at least one-dimensional")
        if n < 0:
            raise RuntimeError(f"order must be non-negative but got {n}")
        d = normalize_dim(dim, self.ndim)
        pieces = [self]
        for name, extra in (("prepend", prepend), ("append", append)):
            if extra is None:
                continue
            _tensor_argument(extra, "diff", name, None)
            if extra.ndim != self.ndim:
                raise RuntimeError(
                    "diff expects prepend or append to be the same dimension as input")
            for axis in range(self.ndim):
                if axis != d and extra.shape[axis] != self.shape[axis]:
                    raise RuntimeError(
                        "diff expects the shape of tensor to prepend or append to match that of "
                        "input except along the differencing dimension; input.size("
                        f"{axis}) = {self.shape[axis]}, but got tensor.size({axis}) = "
                        f"{extra.shape[axis]}")
            pieces.insert(0 if name == "prepend" else len(pieces), extra)
        result = cat(pieces, d) if len(pieces) > 1 else self
        for _ in range(n):
            length = result.shape[d]
            if length == 0:
                break
            later = result.narrow(d, 1, length - 1)
            earlier = result.narrow(d, 0, length - 1)
            result = later.logical_xor(earlier) if result._array.dtype is dtypes.bool \
                else later - earlier
        return result

    def index_select(self, dim: _int, index: Tensor) -> Tensor:
        """The slices at positions ``index`` (a 1-D int64 or int32 tensor; repeats allowed)
        along ``dim``, as a copy; the gradient is added back at those positions."""
        _tensor_argument(index, "index_select", "index", 2)
        if index._array.dtype not in (dtypes.int32, dtypes.int64):
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        if index.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        d = normalize_dim(dim, self.ndim)
        if self.ndim == 0:  # a scalar's only element, picked once
            if index._array.size != 1:
                raise RuntimeError("index_select(): Index to scalar can have only 1 value, got "
                                   f"{index._array.size} value(s)")
            return IndexSelect.apply(self.reshape(1), index, dim=0, scalar=True).reshape(())
        return IndexSelect.apply(self, index, dim=d)

    def masked_select(self, mask: Tensor) -> Tensor:
        """The elements where the boolean ``mask`` holds (the two broadcast together), as a
        1-D tensor in row-major order; the gradient flows back to those positions."""
        _tensor_argument(mask, "masked_select", "mask", 1)
        if mask._array.dtype is not dtypes.bool:
            raise RuntimeError("masked_select: expected BoolTensor for mask")
        if not broadcastable(mask._array.shape, self._array.shape):
            raise RuntimeError(broadcast_error(mask._array.shape, self._array.shape))
        graph.untraceable("masked_select returns a shape that depends on the tensor's values")
        shape = np.broadcast_shapes(mask._array.shape, self._array.shape)
        source = self if self._array.shape == shape else self.expand(*shape)
        return source[mask if mask._array.shape == shape else mask.expand(*shape)]

    def nonzero(self, *, as_tuple: _bool = False) -> Tensor | tuple[Tensor, ...]:
        """The indices of the nonzero elements: an int64 tensor of shape ``(count, ndim)``, one
        row per element in row-major order, or with ``as_tuple`` one 1-D tensor per dim (ready
        to index with)."""
        graph.untraceable("nonzero returns a shape that depends on the tensor's values")
        array = self._array
        if not as_tuple:
            return Tensor._make(np.argwhere(array).astype(np.int64), None)
        if array.ndim == 0:
            return (Tensor._make(np.zeros(int(bool(array)), dtype=np.int64), None),)
        return tuple(Tensor._make(i.astype(np.int64), None) for i in np.nonzero(array))

    def argwhere(self) -> Tensor:
        """``nonzero()``: the ``(count, ndim)`` indices of the nonzero elements."""
        return self.nonzero()

    def tril(self, diagonal: _int = 0) -> Tensor:
        """The lower triangle (on and below the ``diagonal``) of the last two dims; zeros
        elsewhere."""
        return self._triangle(np.tril, diagonal, "tril")

    def triu(self, diagonal: _int = 0) -> Tensor:
        """The upper triangle (on and above the ``diagonal``) of the last two dims."""
        return self._triangle(np.triu, diagonal, "triu")

    def _triangle(self, pick, diagonal, name):
        if self.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        keep = pick(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return where(constant_tensor(keep), self, 0)

    def gather(self, dim: _int, index: Tensor) -> Tensor:
        """``out[i][j] = self[index[i][j]][j]`` for ``dim=0`` (and likewise along any dim);
        ``index`` is int64 with the same number of dims."""
        d = normalize_dim(dim, self.ndim)
        _check_gather_index(self, d, index, "gather")
        return Gather.apply(self, index, dim=d)

    def scatter_add(self, dim: _int, index: Tensor, src: Tensor) -> Tensor:
        """A copy with ``src`` added at the positions ``index`` names along ``dim``
        (repeated positions add up)."""
        return self._scatter(dim, index, src, overwrite=False, name="scatter_add")

    def scatter(self, dim: _int, index: Tensor, src: Tensor | Number) -> Tensor:
        """A copy with ``src`` (a tensor or a number) written at the positions ``index`` names
        along ``dim``."""
        return self._scatter(dim, index, src, overwrite=True, name="scatter")

    def _scatter(self, dim, index, src, overwrite, name):
        d = normalize_dim(dim, self.ndim)
        _check_gather_index(self, d, index, name)
        if not isinstance(src, Tensor):
            src = constant_tensor(np.full(index._array.shape, src, dtype=self._array.dtype))
        elif src._array.dtype is not self._array.dtype:
            raise RuntimeError(
                f"{name}(): Expected self.dtype to be equal to src.dtype")
        return ScatterAdd.apply(self, src, index, dim=d, overwrite=overwrite)

    def sort(self, dim: _int = -1, descending: _bool = False,
             stable: _bool = False) -> tuple[Tensor, Tensor]:
        """``(values, indices)`` along ``dim``, ascending unless ``descending`` (ties keep
        their order); values are differentiable (a gather)."""
        d = normalize_dim(dim, self.ndim)
        indices = self.argsort(d, descending)
        return return_types.sort(self.gather(d, indices), indices)

    def argsort(self, dim: _int = -1, descending: _bool = False, stable: _bool = False) -> Tensor:
        """The indices that sort the tensor along ``dim`` (a stable sort)."""
        return Derived.apply(self, function=sort_positions, keywords={
            "dim": normalize_dim(dim, self.ndim), "descending": bool(descending)})

    def topk(self, k: _int, dim: _int = -1, largest: _bool = True,
             sorted: _bool = True) -> tuple[Tensor, Tensor]:
        """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
        d = normalize_dim(dim, self.ndim)
        if not 0 <= k <= self.shape[d]:
            raise RuntimeError("selected index k out of range")
        indices = Derived.apply(self, function=topk_positions,
                                keywords={"dim": d, "k": int(k), "largest": bool(largest)})
        return return_types.topk(self.gather(d, indices), indices)

    def unique(self, sorted: _bool = True, return_inverse: _bool = False,
               return_counts: _bool = False,
               dim: _int | None = None) -> Tensor | tuple[Tensor, ...]:
        """The distinct values, sorted (see ``tinygrad_bn.counting.unique``)."""
        from .counting import unique  # counting builds on Tensor

        return unique(self, sorted, return_inverse, return_counts, dim)

    def histc(self, bins: _int = 100, min: Number = 0, max: Number = 0) -> Tensor:
        """Counts in equal-width bins (see ``tinygrad_bn.counting.histc``)."""
        from .counting import histc

        return histc(self, bins, min, max)

    def multinomial(self, num_samples: _int, replacement: _bool = False, *,
                    generator: Generator | None = None) -> Tensor:
        """Category indices drawn with these weights (see ``tinygrad_bn.sampling``)."""
        from .sampling import multinomial  # sampling builds on Tensor

        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p: Number | None = None, *, generator: Generator | None = None) -> Tensor:
        """Ones with probability ``self`` (or ``p``), else zeros."""
        from .sampling import bernoulli

        return bernoulli(self, p, generator=generator)

    def cumsum(self, dim: _int) -> Tensor:
        """Running sums along ``dim`` (integer and bool inputs give int64, as in PyTorch)."""
        d = normalize_dim(dim, self.ndim)
        source = self if dtypes.is_floating(self._array.dtype) else self.to(dtypes.int64)
        return Cumsum.apply(source, dim=d)

    def cumprod(self, dim: _int, *, dtype: DTypeLike | None = None) -> Tensor:
        """Running products along ``dim``, in ``dtype`` when given (integer and bool inputs give
        int64, as in PyTorch). The gradient is exact with zeros in the input."""
        d = normalize_dim(dim, self.ndim)
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_floating(source._array.dtype):
            source = source.to(dtypes.int64)
        if self.ndim == 0:
            return Cumprod.apply(source.reshape(1), dim=0).reshape(())
        return Cumprod.apply(source, dim=d)

    def cummax(self, dim: _int) -> tuple[Tensor, Tensor]:
        """The running maximum along ``dim`` and where it was found, as the named tuple
        ``(values, indices)``; a tie moves the index to the later element, NaN propagates.
        The values are differentiable (the gradient goes to the indexed element)."""
        return self._cumulative_extremum(dim, True, return_types.cummax)

    def cummin(self, dim: _int) -> tuple[Tensor, Tensor]:
        """The running minimum along ``dim`` and where it was found (see ``cummax``)."""
        return self._cumulative_extremum(dim, False, return_types.cummin)

    def _cumulative_extremum(self, dim, largest, result_type):
        d = normalize_dim(dim, self.ndim)
        source = self.reshape(1) if self.ndim == 0 else self
        index = Derived.apply(source, function=cumulative_extremum_positions,
                              keywords={"dim": d, "largest": largest})
        values = source.gather(d, index)
        if self.ndim == 0:
            return result_type(values.reshape(()), index.reshape(()))
        return result_type(values, index)

    def prod(self, dim: _int | None = None, keepdim: _bool = False, *,
             dtype: DTypeLike | None = None) -> Tensor:
        """The product of all elements, or over one ``dim``."""
        source = self if dtype is None else self.to(dtype)
        if not dtypes.is_floating(source._array.dtype):
            source = source.to(dtypes.int64)
        d = None if dim is None else normalize_dim(dim, self.ndim)
        return Prod.apply(source, dim=d, keepdim=keepdim)

    def __getitem__(self, index):
        template, tensors = _index(index)
        return GetItem.apply(self, *tensors, index=template)

    # ------------------------------------------------------------------ in-place operations

    def _write(self, method, *args, **kwargs):
        """The in-place form of ``method``: ``method(self, *args, **kwargs)`` stored back into
        this tensor's own array (every handle on the array sees it), bumping its version.

        Under ``no_grad``, or when nothing involved requires grad, that is all. When autograd
        records the write, PyTorch's rules hold: a leaf that requires grad (or a view of one)
        refuses; otherwise the old value (a copy, keeping the old ``grad_fn``) becomes the op's
        input and the op's node becomes this tensor's ``grad_fn``. Written through a view, the
        base tensor is rebased too, so both differentiate through the write.
        """
        base = self._base
        if not (thread_state.grad_enabled and (
                self._requires_grad or _any_requires_grad(args)
                or (base is not None and base._requires_grad))):
            self._store(method(self, *args, **kwargs)._array)
            return self
        self._check_recorded_write()
        old = _old_value(self)
        result = method(old, *args, **kwargs)
        if base is None:
            self._store(result._array)
            _saved_output_is(result.grad_fn, self)
            _move_retained_grad(old.grad_fn, result.grad_fn, self)
            self.grad_fn, self._requires_grad = result.grad_fn, result.grad_fn is not None
            _replay_views(self)
            return self
        positions = view_positions(base._array, self._array)
        old_base = _old_value(base)
        self._store(result._array)  # writes into the base's memory
        _saved_output_is(result.grad_fn, self)
        new_base = WriteThroughView.apply(old_base, result, positions=positions)
        base.grad_fn, base._requires_grad = new_base.grad_fn, True
        _replay_views(base)  # this view among them
        return self

    def _check_recorded_write(self):
        """PyTorch's refusals of an in-place write that autograd would have to record."""
        if self.grad_fn is None and self._requires_grad:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation."
            )
        base = self._base
        if base is None:
            return
        if base.grad_fn is None and base._requires_grad:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place "
                "operation."
            )
        if CUSTOM_FUNCTION_VIEWS.get(id(self)) is self:
            raise RuntimeError(
                "Output 0 of a custom Function is a view and is being modified inplace. This "
                "view was created inside a custom Function (or because an input was returned "
                "as-is) and the autograd logic to handle view+inplace would override the custom "
                "backward associated with the custom Function, leading to incorrect gradients. "
                "This behavior is forbidden. You can fix this by cloning the output of the "
                "custom Function."
            )
        if base._requires_grad and not self._requires_grad:
            raise RuntimeError(
                "A view was created in no_grad mode and is being modified inplace with grad mode "
                "enabled. Given that this use case is ambiguous and error-prone, it is "
                "forbidden. You can clarify your code by moving both the view and the inplace "
                "either both inside the no_grad block (if you don't want the inplace to be "
                "tracked) or both outside (if you want the inplace to be tracked)."
            )

    def _store(self, array):
        """Write ``array`` (the result of an in-place op) into this tensor's array."""
        target = self._array
        if array.shape != target.shape:
            raise RuntimeError(
                f"output with shape {list(target.shape)} doesn't match the broadcast shape "
                f"{list(array.shape)}"
            )
        if array.dtype is not target.dtype and not dtypes.can_store(array.dtype, target.dtype):
            raise RuntimeError(
                f"result type {dtypes.scalar_type_name(array.dtype)} can't be cast to the "
                f"desired output type {dtypes.scalar_type_name(target.dtype)}"
            )
        self._check_writeable()
        np.copyto(target, array, casting="unsafe")
        self._bump_version()

    def _check_writeable(self):
        if not self._array.flags.writeable:
            raise RuntimeError(
                "unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location. Please clone() the tensor before performing the "
                "operation."
            )

    def _fill(self, value):
        """Set every element to ``value`` (a number), recorded when this tensor is in the graph."""
        if thread_state.grad_enabled and self._requires_grad:
            return self._write(Fill.apply, value=value)
        self._check_writeable()
        self._array[...] = scalar_for(value, self._array.dtype)
        self._bump_version()
        return self

    def add_(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """In place: ``self += alpha * other``."""
        return self._write(Tensor.add, other, alpha=alpha)

    def sub_(self, other: Tensor | Number, *, alpha: Number = 1) -> Tensor:
        """In place: ``self -= alpha * other``."""
        return self._write(Tensor.sub, other, alpha=alpha)

    def mul_(self, other: Tensor | Number) -> Tensor:
        """In-place ``mul``: writes the result into this tensor's array and returns ``self``.
        ``other`` must broadcast to this tensor's shape, and the result is stored in this tensor's
        dtype (a float result into an integer tensor raises, as in PyTorch). As in PyTorch it bumps
        the version counter, and a leaf that requires grad refuses unless under ``no_grad()``."""
        return self._write(Tensor.mul, other)

    def div_(self, other: Tensor | Number) -> Tensor:
        """In-place ``div``: writes the result into this tensor's array and returns ``self``.
        ``other`` must broadcast to this tensor's shape, and the result is stored in this tensor's
        dtype (a float result into an integer tensor raises, as in PyTorch). As in PyTorch it bumps
        the version counter, and a leaf that requires grad refuses unless under ``no_grad()``."""
        return self._write(Tensor.div, other)

    def pow_(self, exponent: Tensor | Number) -> Tensor:
        """In-place ``pow``: writes the result into this tensor's array and returns ``self``.
        ``other`` must broadcast to this tensor's shape, and the result is stored in this tensor's
        dtype (a float result into an integer tensor raises, as in PyTorch). As in PyTorch it bumps
        the version counter, and a leaf that requires grad refuses unless under ``no_grad()``."""
        return self._write(Tensor.pow, exponent)

    def matmul_(self, other: Tensor) -> Tensor:
        """In-place ``matmul``: ``self @ other`` written into this tensor and ``self`` returned;
        the product must have this tensor's shape (so ``other`` is square in its last two
        dimensions). Bumps the version counter; a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.matmul, other)

    def neg_(self) -> Tensor:
        """In-place ``neg``: writes the result into this tensor's array and returns ``self``. As in
        PyTorch it bumps the version counter, and a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.neg)

    def exp_(self) -> Tensor:
        """In-place ``exp``: writes the result into this tensor's array and returns ``self``. As in
        PyTorch it bumps the version counter, and a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.exp)

    def log_(self) -> Tensor:
        """In-place ``log``: writes the result into this tensor's array and returns ``self``. As in
        PyTorch it bumps the version counter, and a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.log)

    def sqrt_(self) -> Tensor:
        """In-place ``sqrt``: writes the result into this tensor's array and returns ``self``. As
        in PyTorch it bumps the version counter, and a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.sqrt)

    def abs_(self) -> Tensor:
        """In-place ``abs``: writes the result into this tensor's array and returns ``self``. As in
        PyTorch it bumps the version counter, and a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.abs)

    def tanh_(self) -> Tensor:
        """In-place ``tanh``: writes the result into this tensor's array and returns ``self``. As
        in PyTorch it bumps the version counter, and a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.tanh)

    def sigmoid_(self) -> Tensor:
        """In-place ``sigmoid``: writes the result into this tensor's array and returns ``self``.
        As in PyTorch it bumps the version counter, and a leaf that requires grad refuses unless
        under ``no_grad()``."""
        return self._write(Tensor.sigmoid)

    def relu_(self) -> Tensor:
        """In-place ``relu``: writes the result into this tensor's array and returns ``self``. As
        in PyTorch it bumps the version counter, and a leaf that requires grad refuses unless under
        ``no_grad()``."""
        return self._write(Tensor.relu)

    def clamp_(self, min: Tensor | Number | None = None,
               max: Tensor | Number | None = None) -> Tensor:
        """In-place ``clamp``: limits each element to ``[min, max]`` (either may be None; the
        defaults) and returns ``self``. Bumps the version counter; a leaf that requires grad
        refuses unless under ``no_grad()``. ``clip_`` is the same method."""
        return self._write(Tensor.clamp, min, max)

    clip_ = clamp_

    def clamp_min_(self, min: Tensor | Number) -> Tensor:
        """In-place ``clamp_min``: writes the result into this tensor's array and returns ``self``.
        As in PyTorch it bumps the version counter, and a leaf that requires grad refuses unless
        under ``no_grad()``."""
        return self._write(Tensor.clamp, min, None)

    def clamp_max_(self, max: Tensor | Number) -> Tensor:
        """In-place ``clamp_max``: writes the result into this tensor's array and returns ``self``.
        As in PyTorch it bumps the version counter, and a leaf that requires grad refuses unless
        under ``no_grad()``."""
        return self._write(Tensor.clamp, None, max)

    def masked_fill_(self, mask: Tensor, value: Tensor | Number) -> Tensor:
        """In place: ``value`` where the boolean ``mask`` (broadcast to this shape) holds."""
        return self._write(Tensor.masked_fill, mask, value)

    def masked_fill(self, mask: Tensor, value: Tensor | Number) -> Tensor:
        """A copy with ``value`` (a number or a 0-d tensor) where the boolean ``mask`` holds."""
        if not isinstance(mask, Tensor) or mask._array.dtype is not dtypes.bool:
            got = mask._array.dtype if isinstance(mask, Tensor) else type(mask).__name__
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype {got}")
        if isinstance(value, Tensor) and value.ndim != 0:
            raise RuntimeError(
                "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        if not isinstance(value, Tensor):
            value = _scalar_tensor(value, self._array.dtype)
        return where(mask, value.to(self._array.dtype), self)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ipow__ = pow_
    __imatmul__ = matmul_

    def zero_(self) -> Tensor:
        """Set every element to zero in place (used on ``.grad``)."""
        return self._fill(0)

    def fill_(self, value: Tensor | Number) -> Tensor:
        """Set every element to ``value`` (a number or a one-element tensor) in place."""
        if isinstance(value, Tensor):
            if value.ndim != 0:
                raise RuntimeError(
                    "fill_ only supports 0-dimension value tensor but got tensor with "
                    f"{value.ndim} dimensions."
                )
            if value._requires_grad and thread_state.grad_enabled:
                return self.copy_(value)
            value = value.item()
        return self._fill(value)

    def copy_(self, source: Tensor | Any) -> Tensor:
        """Copy ``source``'s values into this tensor in place (broadcast to this shape, cast to
        this dtype); recorded, so gradients reach ``source``."""
        if not isinstance(source, Tensor):
            source = Tensor(source)
        if not broadcastable_into(source._array.shape, self._array.shape):
            raise RuntimeError(_broadcast_into_error(source._array.shape, self._array.shape))
        return self._write(_copy_from, source)

    def uniform_(self, a: _float = 0.0, b: _float = 1.0, *,
                 generator: Generator | None = None) -> Tensor:
        """Fill in place with draws from U(a, b)."""
        graph.untraceable("a random draw (uniform_) cannot be replayed")
        return self._write_random(numpy_generator(generator).uniform, a, b)

    def normal_(self, mean: _float = 0.0, std: _float = 1.0, *,
                generator: Generator | None = None) -> Tensor:
        """Fill in place with draws from N(mean, std**2)."""
        graph.untraceable("a random draw (normal_) cannot be replayed")
        return self._write_random(numpy_generator(generator).normal, mean, std)

    def exponential_(self, lambd: _float = 1.0, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with draws from the exponential distribution of rate ``lambd`` (mean
        ``1 / lambd``)."""
        if not dtypes.is_floating(self._array.dtype):
            raise RuntimeError(
                "Exponential distribution is a continuous probability distribution. dtype must "
                f"be a floating point but you specified {dtypes.scalar_type_name(self.dtype)}")
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
        graph.untraceable("a random draw (exponential_) cannot be replayed")
        return self._write_values(numpy_generator(generator).exponential(1 / lambd, self.shape))

    def random_(self, *args: _int, generator: Generator | None = None, **bounds: _int) -> Tensor:
        """Fill in place with integers drawn uniformly from ``[from, to)``: ``random_(to)``,
        ``random_(from, to)`` (also as keywords ``from=``, ``to=``), or ``random_()`` for
        ``[0, 2**mantissa]`` in a floating tensor and the dtype's non-negative range in an
        integer one."""
        if len(args) > 2 or set(bounds) - {"from", "to"}:
            raise TypeError("random_() takes (to), (from, to) or (from=, to=) as bounds")
        if len(args) == 1:
            bounds["to"] = args[0]
        elif len(args) == 2:
            bounds["from"], bounds["to"] = args
        low, high = bounds.get("from", 0), bounds.get("to")
        for value in (low, high):
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, (int, np.integer))):
                raise TypeError(f"random_() expects integer bounds, got {value!r}")
        dtype = self._array.dtype
        if dtype is dtypes.bool:
            limits = (0, 1)
        elif dtypes.is_floating(dtype):
            digits = np.finfo(dtype).nmant + 1
            limits = (-(2**digits), 2**digits)
        else:
            limits = (int(np.iinfo(dtype).min), int(np.iinfo(dtype).max))
        if high is None:
            high = limits[1] + 1
        if low >= high:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                               f">= to={high}")
        for name, value in (("from", low), ("to - 1", high - 1)):
            if limits[0] <= value <= limits[1]:
                continue
            if not dtypes.is_floating(dtype):
                raise RuntimeError(f"{name} is out of bounds for {dtypes.cpp_type_name(dtype)}")
            warnings.warn(
                f"{name} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                f"limitations {dtypes.cpp_type_name(dtype)} can support discrete uniform "
                "distribution only within this range. This warning will become an error in "
                "version 1.7 release, please fix the code in advance", UserWarning, stacklevel=2)
        graph.untraceable("a random draw (random_) cannot be replayed")
        return self._write_values(numpy_generator(generator).integers(low, high, self.shape))

    def bernoulli_(self, p: Tensor | _float = 0.5, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with ones drawn with probability ``p`` (a number, or a floating tensor
        that broadcasts to this shape) and zeros otherwise."""
        graph.untraceable("a random draw (bernoulli_) cannot be replayed")
        if isinstance(p, Tensor):
            if not dtypes.is_floating(p._array.dtype):
                raise dtypes.not_implemented("bernoulli_tensor_cpu_p_", p._array.dtype)
            probabilities = p.expand(*self.shape)._array
            if np.any((probabilities < 0) | (probabilities > 1) | np.isnan(probabilities)):
                raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
        else:
            if not 0 <= p <= 1:
                raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
            probabilities = p
        return self._write_values(numpy_generator(generator).random(self.shape) < probabilities)

    def _write_random(self, draw, first, second):
        return self._write_values(draw(first, second, self._array.shape))

    def _write_values(self, values):
        """Write freshly drawn ``values`` (an array of this shape) into this tensor in place:
        the path every random fill takes. Recorded in the graph when this tensor is in it (the
        gradient through a fill is zero, as in PyTorch)."""
        values = values.astype(self._array.dtype, copy=False)
        if thread_state.grad_enabled and self._requires_grad:
            return self._write(_copy_from, Tensor._make(values, None))
        self._store(values)
        return self

    def squeeze_(self, dim: _int | Sequence[_int] | None = None) -> Tensor:
        """``squeeze`` in place: this tensor takes the new shape (same memory)."""
        return self._view_in_place(Tensor.squeeze, dim)

    def unsqueeze_(self, dim: _int) -> Tensor:
        """``unsqueeze`` in place: this tensor takes the new shape (same memory)."""
        return self._view_in_place(Tensor.unsqueeze, dim)

    def t_(self) -> Tensor:
        """``t`` in place: a matrix becomes its transpose (same memory)."""
        if self.ndim > 2:
            raise RuntimeError(
                f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self._view_in_place(Tensor.t)

    def transpose_(self, dim0: _int, dim1: _int) -> Tensor:
        """``transpose`` in place (same memory)."""
        return self._view_in_place(Tensor.transpose, dim0, dim1)

    def _view_in_place(self, view, *args):
        """Make this tensor ``view(self, *args)``: the same memory seen with another shape or
        order. As in PyTorch this counts as an in-place write (the version goes up, a leaf that
        requires grad refuses), and when recorded the view's node becomes this tensor's
        ``grad_fn``, its input a handle on the old shape."""
        if thread_state.grad_enabled and self._requires_grad:
            self._check_recorded_write()
            old = Tensor._make(self._array, self.grad_fn)
            old._requires_grad = True
            node = self.grad_fn
            if node is not None and node.num_outputs != 1:  # the same output of its node
                node.output_numbers[id(old)] = node.output_numbers[id(self)]
            result = view(old, *args)
            _move_retained_grad(node, result.grad_fn, self)
            self.grad_fn = result.grad_fn
        else:
            result = view(self, *args)
        self._array = result._array
        self._bump_version()
        return self

    def __setitem__(self, index, value):
        """``self[index] = value`` in place, for every index form ``__getitem__`` accepts;
        ``value`` (a number, array or Tensor) broadcasts to the indexed shape and is cast to
        this tensor's dtype. Recorded when this tensor or ``value`` is in the graph."""
        template, tensors = _index(index)
        value_requires_grad = isinstance(value, Tensor) and value._requires_grad
        if thread_state.grad_enabled and (self._requires_grad or value_requires_grad):
            if not isinstance(value, Tensor):
                value = _scalar_tensor(value, self._array.dtype)
            self._write(_set_item, template, tensors, value)
            return
        index = resolve_index(template, [t._array for t in tensors]) if tensors else template
        array = value._array if isinstance(value, Tensor) else scalar_for(value, self._array.dtype)
        self._check_writeable()
        try:
            self._array[index] = array
        except IndexError as error:
            raise IndexError(index_error_message(error, self.shape)) from None
        except ValueError:
            target = self._array[index]
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(np.shape(array))} cannot be "
                f"broadcast to indexing result of shape {list(np.shape(target))}"
            ) from None
        except TypeError as error:
            raise TypeError(f"can't assign a {type(value).__name__} to a tensor: {error}") from None
        self._bump_version()


def _any_requires_grad(args):
    for arg in args:
        if isinstance(arg, Tensor) and arg._requires_grad:
            return True
    return False


def _old_value(tensor):
    """A copy of ``tensor``'s values carrying its history: the input of a recorded write."""
    node = tensor.grad_fn
    old = Tensor._make(tensor._array.copy(), node)
    old._requires_grad = tensor._requires_grad
    if node is not None and node.num_outputs != 1:  # the copy is the same output of its node
        node.output_numbers[id(old)] = node.output_numbers[id(tensor)]
    return old


def _move_retained_grad(old_node, new_node, tensor):
    """``retain_grad()`` follows the tensor to its new grad_fn (PyTorch keeps the gradient of
    the tensor's current value)."""
    if old_node is not None and old_node.num_outputs == 1 and new_node is not None and \
            old_node.retained_output is not None and old_node.retained_output() is tensor:
        new_node.retained_output, old_node.retained_output = old_node.retained_output, None


def _replay_views(base):
    """After a recorded write rebased ``base``, every live view of it reads its values from the
    new base: its ``grad_fn`` becomes a ``ReadView`` of ``base`` (PyTorch regenerates a view's
    grad_fn the same way), so a view taken before the write differentiates through it."""
    counter = base._version_counter
    if not counter.views:
        return
    live = []
    for ref in counter.views:
        view = ref()
        if view is None or view._base is not base:
            continue
        live.append(ref)
        positions = view_positions(base._array, view._array)
        view.grad_fn = ReadView.apply(base, positions=positions).grad_fn
        view._requires_grad = True
    counter.views[:] = live


def _saved_output_is(node, tensor):
    """An in-place op that saves its result (``exp_``) saved, in PyTorch, the tensor it wrote:
    make a later write to ``tensor`` an error for ``node`` too, as it is there."""
    if node is not None and node.output_counter is not None:
        node.output_counter = version_counter(tensor)
        node.write_stamp = graph._Writes.count


def _copy_from(destination, source):
    return Copy.apply(destination, source)


def _set_item(destination, template, tensors, value):
    index = resolve_index(template, [t._array for t in tensors]) if tensors else template
    indexed_shape = np.shape(destination._array[index])
    if not broadcastable_into(value._array.shape, indexed_shape):
        raise RuntimeError(
            f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to "
            f"indexing result of shape {list(indexed_shape)}"
        )
    if value._array.dtype is not destination._array.dtype:
        value = value.to(destination._array.dtype)
    return SetItem.apply(destination, value, *tensors, index=template)


def _broadcast_into_error(shape, target):
    if broadcastable(shape, target):
        broadcast = np.broadcast_shapes(shape, target)
        return (f"output with shape {list(target)} doesn't match the broadcast shape "
                f"{list(broadcast)}")
    return broadcast_error(target, shape)


def _check_gather_index(tensor, dim, index, name):
    """PyTorch's checks of the dtype and shape of an index to pick along ``dim`` of ``tensor``
    (``Gather``/``ScatterAdd`` check its values, at every forward)."""
    if not isinstance(index, Tensor) or index._array.dtype is not dtypes.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    shape = index._array.shape
    if len(shape) != tensor.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for axis, size in enumerate(shape):
        if axis != dim and size > tensor.shape[axis]:
            raise RuntimeError(
                f"Size does not match at dimension {axis} expected index {list(shape)} to "
                f"be smaller than self {list(tensor.shape)} apart from dimension {dim}"
            )


def _count_nonzero(array, axis):
    """``count_nonzero``'s result: how many elements are nonzero over ``axis``, as int64."""
    return np.asarray(np.count_nonzero(array, axis=axis), dtype=np.int64)


def accept_numpy_names(function: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``function`` take NumPy's ``axis=`` and ``keepdims=`` for ``dim=`` and ``keepdim=``,
    as every PyTorch function with those parameters does."""

    @functools.wraps(function)
    def with_numpy_names(*args, **kwargs):
        if "axis" in kwargs or "keepdims" in kwargs:
            for alias, name in (("axis", "dim"), ("keepdims", "keepdim")):
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{function.__name__}() got both '{name}' and its NumPy "
                                        f"alias '{alias}'")
                    kwargs[name] = kwargs.pop(alias)
        return function(*args, **kwargs)

    return with_numpy_names


for _name, _method in list(vars(Tensor).items()):
    if inspect.isfunction(_method) and not _name.startswith("_"):
        _parameters = inspect.signature(_method).parameters
        if "dim" in _parameters or "keepdim" in _parameters:
            setattr(Tensor, _name, accept_numpy_names(_method))

graph.Tensor = Tensor


# ---------------------------------------------------------------------- joining tensors


@accept_numpy_names
def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate tensors along an existing ``dim``; all other sizes must match."""
    tensors = _tensor_list(tensors, "cat")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = normalize_dim(dim, ndim)
    first = tensors[0].shape
    for i, t in enumerate(tensors[1:], start=1):
        if t.ndim != ndim:
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {ndim} and {t.ndim}"
            )
        for axis in range(ndim):
            if axis != d and t.shape[axis] != first[axis]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{first[axis]} but got size {t.shape[axis]} for tensor number {i} in the list."
                )
    return Cat.apply(*_common_dtype(tensors), dim=d)


@accept_numpy_names
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim ``dim``."""
    tensors = _tensor_list(tensors, "stack")
    for i, t in enumerate(tensors[1:], start=1):
        if t.shape != tensors[0].shape:
            raise RuntimeError(
                "stack expects each tensor to be equal size, but got "
                f"{list(tensors[0].shape)} at entry 0 and {list(t.shape)} at entry {i}"
            )
    return Stack.apply(*_common_dtype(tensors), dim=normalize_dim(dim, tensors[0].ndim + 1))


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors column-wise: 1-D (and 0-d) tensors end to end, others along dim 1."""
    tensors = [_at_least(t, 1) for t in _tensor_list(tensors, "hstack", "a non-empty TensorList")]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Join tensors row-wise: 1-D (and 0-d) tensors become rows of a matrix; others are
    joined along dim 0."""
    tensors = [_at_least(t, 2) for t in _tensor_list(tensors, "vstack", "a non-empty TensorList")]
    return cat(tensors, 0)


def _at_least(tensor, ndim):
    """``atleast_1d``/``atleast_2d``: a 0-d tensor as ``(1,)`` or ``(1, 1)``, a 1-D one of
    length ``n`` as ``(1, n)`` for 2 (views)."""
    if tensor.ndim >= ndim:
        return tensor
    return tensor.reshape((1,) * (ndim - tensor.ndim) + tuple(tensor.shape))


def meshgrid(*tensors: Tensor | Sequence[Tensor],
             indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors of sizes ``n0, n1, ...``: one tensor of shape
    ``(n0, n1, ...)`` each, the ``i``-th varying along dim ``i`` (``indexing="ij"``, matrix
    indexing) or with the first two dims swapped (``"xy"``, Cartesian, as NumPy's default).
    The results are broadcast views. Without ``indexing`` PyTorch warns and uses ``"ij"``;
    so does this."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    tensors = _tensor_list(tensors, "meshgrid", "a non-empty TensorList")
    if any(t._array.dtype is not tensors[0]._array.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: a {t.ndim}-D tensor of shape {tuple(t.shape)}")
    if indexing not in ("ij", "xy"):
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for axis, t in zip(axes, tensors):
        shape[axis] = t.numel()
    grids = []
    for axis, t in zip(axes, tensors):
        along = [1] * len(tensors)
        along[axis] = -1
        grids.append(t.reshape(along).expand(*shape))
    return tuple(grids)


def broadcast_shapes(*shapes: ShapeLike) -> Size:
    """The shape that tensors of ``shapes`` broadcast to, as a ``Size``."""
    result = []
    for index, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        result = [1] * (len(shape) - len(result)) + result
        for k in range(-1, -len(shape) - 1, -1):  # from the last dim, as PyTorch reports
            size = shape[k]
            if size != 1 and result[k] not in (1, size):
                raise RuntimeError(
                    f"Attempting to broadcast a dimension of length {size} at {k}! Mismatching "
                    f"argument at index {index} had {shape}; but expected shape should be "
                    f"broadcastable to {result}")
            if size != 1:
                result[k] = size
    return Size(result)


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """The tensors expanded to their common broadcast shape (views), as a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        _tensor_argument(t, "broadcast_tensors", "tensors", None)
        if not broadcastable(shape, t._array.shape):
            raise RuntimeError(broadcast_error(shape, t._array.shape))
        shape = np.broadcast_shapes(shape, t._array.shape)
    return tuple(t if t._array.shape == shape else t.expand(*shape) for t in tensors)


def einsum(equation: str, *operands: Tensor | Sequence[Tensor]) -> Tensor:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` is ``a @ b``. Each operand gets one
    letter per dim; letters shared by operands are multiplied along, letters missing from the
    output (after ``->``) are summed over, a letter repeated in one operand takes its diagonal,
    ``...`` stands for the remaining (broadcast) dims. Without ``->`` the output is the letters
    used once, in alphabetical order, as in PyTorch. Operands may also come as one list. All
    operands must share a dtype. Differentiable with respect to every operand."""
    if not isinstance(equation, str):
        raise TypeError("einsum(): the equation must be a string such as 'ij,jk->ik' (the "
                        "sublist format is not supported)")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    for position, t in enumerate(operands):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {position} in argument 1, but got "
                            f"{type(t).__name__}")
    if not operands:
        raise ValueError("einsum(): must specify the equation string and at least one operand, "
                         "or at least one operand and its subscripts list")
    first = operands[0]._array.dtype
    for t in operands[1:]:
        if t._array.dtype is not first:
            raise RuntimeError(f"expected scalar type {dtypes.scalar_type_name(first)} but found "
                               f"{dtypes.scalar_type_name(t._array.dtype)}")
    inputs, output = einsum_subscripts(equation, [t._array.shape for t in operands])
    return Einsum.apply(*operands, equation=",".join(inputs) + "->" + output)


@accept_numpy_names
def var_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Number | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` in one call, with ``var``'s arguments (``correction=1``,
    the unbiased estimate, unless told otherwise)."""
    return _spread_and_mean(input, Tensor.var, "var_mean", dim, unbiased, keepdim, correction)


@accept_numpy_names
def std_mean(input: Tensor, dim: int | Sequence[int] | None = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: Number | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` in one call, with ``std``'s arguments."""
    return _spread_and_mean(input, Tensor.std, "std_mean", dim, unbiased, keepdim, correction)


def _spread_and_mean(input, spread, name, dim, unbiased, keepdim, correction):
    if not dtypes.is_floating(input._array.dtype):
        raise RuntimeError(f"{name} only support floating point and complex dtypes")
    if isinstance(dim, bool):  # var_mean(x, False): PyTorch's positional unbiased
        dim, unbiased = None, dim
    return (spread(input, dim, unbiased, keepdim, correction=correction),
            input.mean(dim, keepdim))


def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is a ``Tensor``."""
    return isinstance(obj, Tensor)


def where(condition: Tensor | Any, input: Tensor | Number, other: Tensor | Number) -> Tensor:
    """Elementwise ``input`` where ``condition`` holds, else ``other`` (either may be a scalar)."""
    if not isinstance(condition, Tensor):
        condition = Tensor(condition)
    if condition._array.dtype is not dtypes.bool:
        raise RuntimeError(
            "where expected condition to be a boolean tensor, but got a tensor with dtype "
            f"{condition._array.dtype}"
        )
    if isinstance(input, Tensor):
        input, other = _operands(input, other, broadcast=False)
    elif isinstance(other, Tensor):
        input, other = _operands(other, input, reflected=True, broadcast=False)
    else:  # two numbers: PyTorch's scalar type rules pick the dtype
        for value in (input, other):
            if not isinstance(value, numbers.Number):
                raise TypeError(
                    f"where(): expected a Tensor or a number, got {type(value).__name__}")
        kind = bool if all(isinstance(v, bool) for v in (input, other)) else (
            int if all(isinstance(v, numbers.Integral) for v in (input, other)) else float)
        dtype = {bool: dtypes.bool, int: dtypes.int64}.get(kind, dtypes.get_default_dtype())
        input = constant_tensor(np.asarray(input, dtype=dtype), input)
        other = constant_tensor(np.asarray(other, dtype=dtype), other)
    shapes = (condition._array.shape, input._array.shape, other._array.shape)
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(
            f"where: the shapes of condition {shapes[0]}, input {shapes[1]} and other "
            f"{shapes[2]} do not broadcast"
        ) from None
    return Where.apply(condition, input, other)


def _tensor_argument(value, function, name, position):
    """``value`` if it is a Tensor, else PyTorch's ``TypeError`` for a non-tensor argument."""
    if not isinstance(value, Tensor):
        where = f" (position {position})" if position is not None else ""
        raise TypeError(f"{function}(): argument '{name}'{where} must be Tensor, not "
                        f"{type(value).__name__}")
    return value


def _tensor_list(tensors, name, empty_message=None):
    tensors = list(tensors)
    if not tensors:
        if empty_message is not None:  # the wording of PyTorch's functions written in C++
            raise RuntimeError(f"{name} expects {empty_message}")
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"{name}(): expected a sequence of Tensors, but element {i} is "
                f"{type(t).__name__}"
            )
    return tensors


def _common_dtype(tensors):
    """Convert tensors to their promoted common dtype (``dtypes.promote``)."""
    common = tensors[0]._array.dtype
    for t in tensors[1:]:
        common = dtypes.promote(common, t._array.dtype)
    return [t if t._array.dtype is common else t.to(common) for t in tensors]


# ---------------------------------------------------------------------- helpers


def _to_array(data, dtype=None):
    """Build the array behind a new tensor: copied, of a supported dtype. Python numbers (and
    NumPy scalars) that do not fit the dtype raise instead of wrapping around, as in PyTorch;
    arrays convert as NumPy casts them."""
    from_python = not isinstance(data, (Tensor, np.ndarray))
    floating_target = dtype is not None and dtypes.is_floating(dtypes.canonical(dtype))
    if isinstance(data, Tensor):
        array = np.array(data._array)
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.array(data)
    else:
        try:
            array = np.array(data, dtype=np.float64 if floating_target else None)
        except (ValueError, OverflowError, TypeError) as error:
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
    target = dtypes.canonical(array.dtype if dtype is None else dtype)
    if target.kind in "iu" and array.dtype.kind in "iuf" and array.size \
            and array.dtype is not target:
        _check_integer_range(array, target, from_python)
    return array if array.dtype is target else array.astype(target)


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


def _operands(tensor, other, *, reflected=False, true_division=False, broadcast=True):
    """The two operands of a binary op as tensors of one dtype, PyTorch's result type.

    A Python scalar becomes a constant tensor of the dtype ``dtypes.scalar_dtype`` picks; two
    dtypes that differ both become ``dtypes.result_type`` of the pair; ``true_division`` turns
    two integer operands into the default float dtype. With ``broadcast``, shapes that do not
    broadcast raise PyTorch's message naming both.
    """
    if not isinstance(other, Tensor):
        other = _constant(other, tensor._array.dtype)
    a, b = (other, tensor) if reflected else (tensor, other)
    a_dtype, b_dtype = a._array.dtype, b._array.dtype
    if true_division and not dtypes.is_floating(a_dtype) and not dtypes.is_floating(b_dtype):
        default = dtypes.get_default_dtype()
        a, b = a.to(default), b.to(default)
    elif a_dtype is not b_dtype:
        common = dtypes.result_type(a._array, b._array)
        a, b = a.to(common), b.to(common)
    if broadcast and not broadcastable(a._array.shape, b._array.shape):
        raise RuntimeError(broadcast_error(a._array.shape, b._array.shape))
    return a, b


def qualified_type_name(value: object) -> str:
    """``numpy.ndarray``, ``list``: a type as PyTorch's messages name it."""
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else \
        f"{kind.__module__}.{kind.__qualname__}"


def _no_bool(kernel, operands):
    """``operands`` of an op PyTorch has no bool kernel for, refused when both are bool (after
    promotion: a bool with a number is computed in the number's dtype)."""
    if operands[0]._array.dtype is dtypes.bool:
        raise dtypes.not_implemented(kernel, dtypes.bool)
    return operands


def _subtraction_operands(tensor, other, reflected=False):
    """``_operands`` of a subtraction, which PyTorch refuses for bool operands."""
    if tensor._array.dtype is dtypes.bool or isinstance(other, (bool, np.bool_)) or (
            isinstance(other, Tensor) and other._array.dtype is dtypes.bool):
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
            "trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )
    return _operands(tensor, other, reflected=reflected)


def constant_tensor(array, value=None):
    """A tensor over ``array``, made from Python values and shapes alone: a jit capture replays
    it as a constant (``graph.constant``; ``value`` is the Python number it was made of, if
    any)."""
    return graph.constant(Tensor._make(array, None), value)


def _scalar_tensor(value, dtype):
    """A Python number written into a tensor of ``dtype`` (``masked_fill``, ``x[i] = 3``), as a
    0-d constant, with PyTorch's overflow check."""
    return constant_tensor(np.asarray(scalar_for(value, dtype), dtype=dtype))


def _constant(value, tensor_dtype):
    """A Python scalar, list or array met by a tensor op, as a tensor that requires no grad.
    An integer that does not fit an integer tensor's dtype wraps around, as in PyTorch
    (``uint8_tensor + 300`` adds 44)."""
    if isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, complex):
        dtype = dtypes.scalar_dtype(value, tensor_dtype)
        if dtype.kind in "iu" and isinstance(value, (int, np.integer)) and \
                not isinstance(value, (bool, np.bool_)):
            _refuse_huge_integers(value)
            return constant_tensor(np.asarray(int(value), dtype=np.int64).astype(dtype))
        return constant_tensor(np.asarray(value, dtype=dtype), value)
    if isinstance(value, (np.ndarray, list, tuple)):
        return Tensor(value)
    raise TypeError(f"unsupported operand type for a Tensor operation: {type(value).__name__}")


def _index(index):
    """An index as ``(template, tensors)`` for ``GetItem``/``SetItem``: each tensor in it is
    replaced by ``INDEX_TENSOR`` in the template and becomes an input of the op (so that a jit
    capture replays it from the data); Python lists become NumPy arrays. Dtypes are checked.
    A boolean tensor selects as many elements as it holds True: a jit capture refuses it."""
    parts = index if isinstance(index, tuple) else (index,)
    converted, tensors = [], []
    for part in parts:
        if isinstance(part, Tensor):
            _check_index_dtype(part._array.dtype)
            if part._array.dtype is dtypes.bool:
                graph.untraceable("indexing with a boolean mask returns a shape that depends on "
                                  "the tensor's values")
            tensors.append(part)
            part = INDEX_TENSOR
        elif isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray):
            _check_index_dtype(part.dtype)
            if part.ndim == 0 and part.dtype.kind in "iu":
                part = int(part)
        elif isinstance(part, float):
            raise IndexError(f"only integers, slices, None, ... and integer or boolean tensors "
                             f"are valid indices (got {part!r})")
        converted.append(part)
    if isinstance(index, tuple) or len(converted) != 1:
        return tuple(converted), tensors
    return converted[0], tensors


def _check_index_dtype(dtype):
    if dtype.kind not in "iub":
        raise IndexError(
            f"tensors used as indices must be long, int, byte or bool tensors (got {dtype})")
