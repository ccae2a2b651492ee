"""Conversions: copies (``clone``, ``contiguous``), other dtypes and devices (``to``,
``float()``, ``type()``, ...), Python and NumPy values (``item``, ``numpy``, ``tolist``,
``bool(t)``, ``len(t)``, ...), new tensors like this one (``new_zeros``, ...) or drawn from its
probabilities (``multinomial``, ``bernoulli``), and the printing hooks (``repr``, ``format``,
``draw``).

Some of these hand over to modules that build on ``Tensor`` (``creation``, ``sampling``,
``tensor_types``, ``viz``): each method that calls up to them imports them inside itself."""

from __future__ import annotations

import warnings
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, int as _int
from typing import Any

import numpy as np

from .. import dtypes, layouts
from ..autograd import graph
from ..autograd.grad_mode import thread_state
from ..device import DeviceLike, check_device, parse_to_arguments
from ..dtypes import DTypeLike, Number
from ..ops import Cast, Clone
from ..printing import format_tensor
from ..random import Generator
from ..warn_once import warn_always
from ..shapes import ShapeLike, new_shape
from .core import Tensor


_NUMPY_OF_GRAD_ERROR = ("Can't call numpy() on Tensor that requires grad. Use "
                        "tensor.detach().numpy() instead.")

# Warnings that PyTorch gives once per process (its TORCH_WARN_ONCE), and whether they were.
_warned = {"float of grad": False}


class ConversionMethods:
    """The conversions and printing hooks of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    # ------------------------------------------------------------------ copies

    def clone(self, *, memory_format: layouts.memory_format = layouts.preserve_format) -> Tensor:
        """A copy in new memory that stays in the graph (its gradient flows back unchanged),
        kept in row-major order, or in ``memory_format``'s order when that is
        ``channels_last``/``channels_last_3d``. PyTorch's default ``preserve_format`` keeps
        the strides of a dense input (a ``t()`` view's clone is column-major there); here it
        gives a row-major copy, as ``contiguous_format`` does: the same values, other
        strides."""
        layouts.check(memory_format, "clone")
        if layouts.order(memory_format, self.ndim) is not None:
            return self._laid_out(memory_format, copy=True)
        return Clone.apply(self)

    def contiguous(self, memory_format: layouts.memory_format = layouts.contiguous_format
                   ) -> Tensor:
        """This tensor if its memory is in row-major order (or in ``memory_format``'s order:
        ``channels_last`` is ``(N, H, W, C)`` for a 4-d ``(N, C, H, W)`` tensor,
        ``channels_last_3d`` ``(N, D, H, W, C)``), else a copy in that order, in the graph.
        ``preserve_format`` is refused for a tensor that is not contiguous, as in PyTorch."""
        layouts.check(memory_format, "contiguous")
        if memory_format is layouts.contiguous_format:
            return self if self._array.flags.c_contiguous else Clone.apply(self)
        if self.is_contiguous(memory_format):
            return self
        if memory_format is layouts.preserve_format:
            raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
        return self._laid_out(memory_format, copy=False)

    def _laid_out(self, memory_format, copy):
        """This tensor in ``memory_format``'s order, from the differentiable ops: the dimensions
        put in memory order, a row-major copy (made only if needed, unless ``copy``), and the
        dimensions put back (a view)."""
        dims = layouts.order(memory_format, self.ndim)
        in_order = self.permute(dims)
        in_order = in_order.clone() if copy else in_order.contiguous()
        return in_order.permute(tuple(np.argsort(dims).tolist()))

    def is_contiguous(self, memory_format: layouts.memory_format = layouts.contiguous_format
                      ) -> _bool:
        """Whether the values are stored in row-major (C) order with no gaps (or densely in
        ``memory_format``'s order); views such as ``t()`` are not. ``contiguous()`` makes a
        copy that is."""
        layouts.check(memory_format, "is_contiguous")
        if memory_format is layouts.contiguous_format:
            return self._array.flags.c_contiguous
        return layouts.is_contiguous_as(self._array.shape, self.stride(), memory_format)

    def cpu(self) -> Tensor:
        """This tensor: tinygrad_bn keeps every tensor in the CPU's memory."""
        return self

    # ------------------------------------------------------------------ dtype and device

    def to(self, *args: Any, dtype: DTypeLike | None = None, device: DeviceLike | None = None,
           non_blocking: _bool = False, copy: _bool = False,
           memory_format: layouts.memory_format = layouts.preserve_format) -> Tensor:
        """Convert to a dtype (differentiable): ``to(float64)``, ``to(other)`` (its dtype),
        ``to(device, dtype)``, each optionally followed by ``non_blocking`` and ``copy`` as in
        PyTorch; the device must be the CPU (``"cpu"``, ``device("cpu")``).
        ``memory_format`` other than ``preserve_format`` gives the result that order
        (``contiguous(memory_format)``). Returns this tensor when nothing changes, unless
        ``copy=True``."""
        layouts.check(memory_format, "to")
        if args and type(args[-1]) is _bool:  # PyTorch's positional (..., non_blocking, copy)
            flags = args[-2:] if len(args) > 1 and type(args[-2]) is _bool else args[-1:]
            args = args[:len(args) - len(flags)]
            if len(flags) == 2:
                copy = flags[1]
        target = parse_to_arguments(args, dtype, device)
        result = self
        if target is not None:
            target = dtypes.canonical(target)
            if target is not self._array.dtype:
                result = Cast.apply(self, dtype=target)
        if memory_format is not layouts.preserve_format:
            result = result.contiguous(memory_format)
        if copy and result is self:
            return result.clone(memory_format=memory_format)
        return result

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
        from ..tensor_types import BY_DTYPE, BY_NAME  # they build on the tensor: a layer up

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

    def float(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.float32)`` (differentiable). Returns this tensor if it is already
        float32."""
        return self.to(dtypes.float32, memory_format=memory_format)

    def double(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.float64)`` (differentiable; what ``gradcheck`` wants). Returns
        this tensor if it is already float64."""
        return self.to(dtypes.float64, memory_format=memory_format)

    def long(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.int64)``. Returns this tensor if it is already int64."""
        return self.to(dtypes.int64, memory_format=memory_format)

    def int(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.int32)``. Returns this tensor if it is already int32."""
        return self.to(dtypes.int32, memory_format=memory_format)

    def short(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.int16)``. Returns this tensor if it is already int16."""
        return self.to(dtypes.int16, memory_format=memory_format)

    def char(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.int8)``. Returns this tensor if it is already int8."""
        return self.to(dtypes.int8, memory_format=memory_format)

    def byte(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.uint8)``. Returns this tensor if it is already uint8."""
        return self.to(dtypes.uint8, memory_format=memory_format)

    def half(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.float16)`` (differentiable). Returns this tensor if it is already
        float16."""
        return self.to(dtypes.float16, memory_format=memory_format)

    def bfloat16(self, memory_format: layouts.memory_format = layouts.preserve_format
                 ) -> Tensor:
        """``self.to(tinygrad_bn.bfloat16)``: refused with a ``TypeError``, NumPy has no
        bfloat16 (see ``dtypes.bfloat16``)."""
        return self.to(dtypes.bfloat16, memory_format=memory_format)

    def pin_memory(self, device: Any = None) -> Tensor:
        """Page-locked memory is for copies to a GPU: with none, PyTorch refuses, and so does
        tinygrad_bn, with PyTorch's error (``DataLoader(pin_memory=True)`` warns instead)."""
        raise RuntimeError("Cannot access accelerator device when none is available.")

    def is_pinned(self, device: Any = None) -> _bool:
        """Always False: tensors live in ordinary memory."""
        return False

    def bool(self, memory_format: layouts.memory_format = layouts.preserve_format
            ) -> Tensor:
        """``self.to(tinygrad_bn.bool)``: nonzero becomes True. Returns this tensor if it is
        already bool."""
        return self.to(dtypes.bool, memory_format=memory_format)

    # ------------------------------------------------------------------ Python and NumPy values

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
            raise RuntimeError(_NUMPY_OF_GRAD_ERROR)
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
        """``numpy.asarray(tensor)`` is the array itself, shared as ``numpy()`` shares it (so, as
        in PyTorch, a tensor that requires grad refuses); ``numpy.array(tensor)`` is a copy."""
        if self._requires_grad:
            raise RuntimeError(_NUMPY_OF_GRAD_ERROR)
        if graph.tracer is not None:
            graph.tracer.read_value(self, "numpy.asarray(tensor)")
        array = self._array
        if dtype is not None and np.dtype(dtype) != array.dtype:
            if copy is False:
                raise ValueError("Unable to avoid copy while creating an array as requested.")
            return array.astype(dtype)
        return array.copy() if copy else array

    def __len__(self):
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __bool__(self):
        if self._array.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self._array.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(this one has {self._array.size})"
            )
        if graph.tracer is not None:
            graph.tracer.read_value(self, "bool(tensor)")
        return bool(self._array)

    def __float__(self):
        """``float(t)``, and so ``"%.4f" % t`` and ``math.exp(t)``. As in PyTorch, the first
        conversion in a process of a tensor that requires grad, with grad mode on, warns that
        the number leaves the graph (``f"{t:.4f}"``, ``int(t)``, ``item()`` and any conversion
        under ``no_grad`` do not warn)."""
        if (self._requires_grad and (not _warned["float of grad"] or warn_always())
                and thread_state.grad_enabled):
            _warned["float of grad"] = True
            warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to "
                          "unexpected behavior.\nConsider using tensor.detach() first.",
                          UserWarning, stacklevel=2)
        value = self._python_scalar()
        if type(value) is complex:
            raise RuntimeError("value cannot be converted to type double without overflow")
        return float(value)

    def __int__(self):
        return int(self._python_scalar())

    def _python_scalar(self):
        """``item()`` for ``float(t)`` and ``int(t)``, which PyTorch refuses for several
        elements with a ValueError (``item()`` raises RuntimeError)."""
        if self._array.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __index__(self):
        if self._array.dtype.kind not in "iu" or self._array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        if graph.tracer is not None:
            graph.tracer.read_value(self, "a tensor used as an index")
        return int(self._array)

    # ------------------------------------------------------------------ new tensors like this one

    def new_tensor(self, data: Any, dtype: DTypeLike | None = None,
                   device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """A new tensor holding a copy of ``data``, in this tensor's dtype unless ``dtype`` is
        given (``tinygrad_bn.tensor`` with a different default dtype)."""
        from .. import creation  # creation builds on the tensor: a layer up

        if isinstance(data, Tensor):
            warnings.warn(
                "To copy construct from a tensor, it is recommended to use "
                "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                ".requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                UserWarning, stacklevel=2)
        return creation.tensor(data, self._array.dtype if dtype is None else dtype, device,
                               requires_grad)

    def new_zeros(self, *sizes: ShapeLike, size: ShapeLike | None = None,
                  dtype: DTypeLike | None = None,
                  device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Zeros of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        from .. import creation  # creation builds on the tensor: a layer up

        # PyTorch's message for a negative size here is not zeros' own
        new_shape(sizes if size is None else size)

        return creation.zeros(*sizes, size=size,
                              dtype=self._array.dtype if dtype is None else dtype,
                              device=device, requires_grad=requires_grad)

    def new_ones(self, *sizes: ShapeLike, size: ShapeLike | None = None,
                 dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Ones of shape ``size``, in this tensor's dtype unless ``dtype`` is given."""
        from .. import creation  # creation builds on the tensor: a layer up

        return creation.ones(*sizes, size=size,
                             dtype=self._array.dtype if dtype is None else dtype,
                             device=device, requires_grad=requires_grad)

    def new_empty(self, *sizes: ShapeLike, size: ShapeLike | None = None,
                  dtype: DTypeLike | None = None,
                  device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Uninitialised memory of shape ``size``, in this tensor's dtype unless ``dtype`` is
        given."""
        from .. import creation  # creation builds on the tensor: a layer up

        return creation.empty(*sizes, size=size,
                              dtype=self._array.dtype if dtype is None else dtype,
                              device=device, requires_grad=requires_grad)

    def new_full(self, size: ShapeLike, fill_value: Number, dtype: DTypeLike | None = None,
                 device: DeviceLike | None = None, requires_grad: _bool = False) -> Tensor:
        """Shape ``size`` filled with ``fill_value``, converted to this tensor's dtype unless
        ``dtype`` is given (``3.7`` in an int64 tensor's ``new_full`` is 3, as in PyTorch)."""
        from .. import creation  # creation builds on the tensor: a layer up

        return creation.full(size, fill_value, dtype=self._array.dtype if dtype is None else dtype,
                             device=device, requires_grad=requires_grad)

    def multinomial(self, num_samples: _int, replacement: _bool = False, *,
                    generator: Generator | None = None) -> Tensor:
        """Category indices drawn with these weights (see ``tinygrad_bn.sampling``)."""
        from ..sampling import multinomial  # sampling builds on the tensor: a layer up

        return multinomial(self, num_samples, replacement, generator=generator)

    def bernoulli(self, p: Number | None = None, *, generator: Generator | None = None) -> Tensor:
        """Ones with probability ``self`` (or ``p``), else zeros."""
        from ..sampling import bernoulli  # sampling builds on the tensor: a layer up

        return bernoulli(self, p, generator=generator)

    # ------------------------------------------------------------------ printing and drawing

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

    def draw(self, **kwargs: Any) -> Any:
        """The graph that produced this tensor, as a ``graphviz.Digraph``: a shortcut for
        ``tinygrad_bn.viz.draw_graph(self, **kwargs)``."""
        from ..viz import draw_graph  # viz draws tensors: a layer up (and optional)

        return draw_graph(self, **kwargs)
