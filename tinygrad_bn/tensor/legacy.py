"""The flags and older methods of PyTorch's ``Tensor`` that programs still touch: where a tensor
lives (``is_cpu`` True; ``is_meta``, ``is_sparse``, ``is_quantized``, ... False: there is one
device and one dense layout here), the legacy constructor ``new``, ``resize_``/``resize``,
the Python-function maps ``apply_``/``map_``/``map2_``, the random fills ``cauchy_``,
``geometric_`` and ``log_normal_``, ``set_``, and ``output_nr``, ``as_subclass``,
``const_data_ptr``, ``dim_order``.

Not here: ``storage()``/``untyped_storage()``. A tensor's memory is a NumPy array, and a view's
storage would have to be its base's whole buffer with PyTorch's byte offsets and a storage
object that ``set_`` and ``torch.is_storage`` accept; a partial stand-in would answer
``data_ptr``/``nbytes`` for some tensors and not others, so it is left out.
"""

from __future__ import annotations

import numbers
import warnings
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import bool as _bool, float as _float, int as _int
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes, layouts
from ..device import check_device
from ..printing import Size
from ..random import Generator, numpy_generator
from ..shapes import new_shape
from ..autograd import graph
from ..autograd.grad_mode import thread_state
from .core import Tensor


def _legacy_type(dtype) -> str:
    """PyTorch's legacy type name of a CPU tensor of ``dtype``: ``torch.FloatTensor``."""
    return f"torch.{dtypes.scalar_type_name(dtype)}Tensor"


def _argument_types(args, kwargs) -> str:
    """How PyTorch's argument parser lists the arguments it could not match:
    ``(int, dtype=torch.dtype)``."""
    def name(value):
        if isinstance(value, layouts.memory_format) or isinstance(value, layouts.layout):
            return f"torch.{type(value).__name__}"
        if isinstance(value, dtypes.dtype):
            return "torch.dtype"
        if isinstance(value, Tensor):
            return "Tensor"
        return type(value).__name__
    parts = [name(value) for value in args] + [f"{key}={name(value)}"
                                                for key, value in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _is_size_argument(value) -> _bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


class LegacyMethods:
    """PyTorch's flags and legacy methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    # ------------------------------------------------------------------ where a tensor lives

    @property
    def is_cpu(self) -> _bool:
        """True: every tensor here lives in the CPU's memory."""
        return True

    @property
    def is_meta(self) -> _bool:
        """False: there are no meta tensors (shapes without data) here."""
        return False

    @property
    def is_sparse(self) -> _bool:
        """False: every tensor here is dense (layout ``strided``)."""
        return False

    @property
    def is_sparse_csr(self) -> _bool:
        """False: every tensor here is dense (layout ``strided``)."""
        return False

    @property
    def is_quantized(self) -> _bool:
        """False: there are no quantized tensors here."""
        return False

    @property
    def is_mkldnn(self) -> _bool:
        """False: no tensor here is in oneDNN's layout."""
        return False

    @property
    def is_nested(self) -> _bool:
        """False: there are no nested (ragged) tensors here."""
        return False

    @property
    def is_xpu(self) -> _bool:
        """False: tinygrad_bn runs on the CPU only."""
        return False

    @property
    def is_mps(self) -> _bool:
        """False: tinygrad_bn runs on the CPU only."""
        return False

    @property
    def is_vulkan(self) -> _bool:
        """False: tinygrad_bn runs on the CPU only."""
        return False

    @property
    def is_ipu(self) -> _bool:
        """False: tinygrad_bn runs on the CPU only."""
        return False

    @property
    def is_xla(self) -> _bool:
        """False: tinygrad_bn runs on the CPU only."""
        return False

    @property
    def is_maia(self) -> _bool:
        """False: tinygrad_bn runs on the CPU only."""
        return False

    @property
    def is_mtia(self) -> _bool:
        """False: tinygrad_bn runs on the CPU only."""
        return False

    def is_distributed(self) -> _bool:
        """False: nothing is sharded across processes here."""
        return False

    # ------------------------------------------------------------------ the legacy constructor

    def new(self, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's legacy constructor, in this tensor's dtype: ``x.new()`` is empty,
        ``x.new(2, 3)`` or ``x.new(torch.Size([2, 3]))`` uninitialised memory of that shape,
        ``x.new([1, 2])`` (a list, tuple or array: data, even a tuple of ints) a new tensor of
        those values cast to this dtype, and ``x.new(t)`` a view of the tensor ``t``, which must
        have this dtype. Only ``device=`` (the CPU) may be given as a keyword; ``new_empty``,
        ``new_tensor`` and ``new_zeros`` are the modern forms."""
        if set(kwargs) - {"device"}:
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"{_argument_types(args, kwargs)}, but expected one of:")
        check_device(kwargs.get("device"))
        dtype = self._array.dtype
        if not args:
            return Tensor._make(np.empty((0,), dtype=dtype), None)
        if len(args) == 1 and isinstance(args[0], Tensor):
            other = args[0]
            if other._array.dtype is not dtype:
                raise TypeError(f"expected {_options(dtype)} "
                                f"(got {_options(other._array.dtype)})")
            return other.view_as(other)
        if all(_is_size_argument(value) for value in args) or (
                len(args) == 1 and isinstance(args[0], Size)):
            shape = new_shape(args, "new")
            return Tensor._make(np.empty(shape, dtype=dtype), None)
        if len(args) == 1:
            data = args[0]
            if not isinstance(data, (list, tuple, np.ndarray)):
                raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
            return Tensor._make(np.array(np.asarray(data).astype(dtype), copy=True), None)
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"{_argument_types(args, kwargs)}, but expected one of:")

    # ------------------------------------------------------------------ resizing

    def resize_(self, *sizes: Any,
                memory_format: layouts.memory_format | None = None) -> Tensor:
        """Give this tensor the shape ``sizes`` in place, keeping its first values in row-major
        order: shrinking keeps a view of the same memory (when it is row-major), growing moves
        the values to new memory whose further elements are zeros (PyTorch leaves them
        uninitialised). A tensor that requires grad refuses, as in PyTorch; the version goes
        up when the shape changes."""
        shape = _resize_shape(sizes, "resize_")
        if self._requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        if memory_format is not None:
            layouts.check(memory_format, "resize_")
        array = self._array
        count = int(np.prod(shape, dtype=np.int64))
        if shape != array.shape:
            if count <= array.size and array.flags.c_contiguous:
                resized = array.reshape(-1)[:count].reshape(shape)
            else:
                resized = np.zeros(count, dtype=array.dtype)
                resized[:min(count, array.size)] = array.reshape(-1)[:count]
                resized = resized.reshape(shape)
            self._array = resized
            self._bump_version()
        if memory_format is not None and layouts.order(memory_format, len(shape)) is not None:
            self._array = layouts.laid_out(self._array, memory_format)
        return self

    def resize_as_(self, the_template: Tensor,
                   memory_format: layouts.memory_format | None = None) -> Tensor:
        """``resize_`` to ``the_template``'s shape."""
        return self.resize_(tuple(the_template.shape), memory_format=memory_format)

    def resize(self, *sizes: Any) -> Tensor:
        """Deprecated (PyTorch warns so): this tensor with the shape ``sizes``, which must hold
        as many elements (a differentiable ``reshape``)."""
        warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
        return _autograd_resize(self, _resize_shape(sizes, "resize"))

    def resize_as(self, tensor: Tensor) -> Tensor:
        """Deprecated (PyTorch warns so): ``resize`` to ``tensor``'s shape."""
        warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
        return _autograd_resize(self, tuple(tensor.shape))

    # ------------------------------------------------------------------ Python functions

    def apply_(self, callable: Callable[[Any], Any]) -> Tensor:
        """Replace each element ``v`` by ``callable(v)`` in place (``v`` a Python number; the
        result, a real number, is cast to this dtype). Slow, as in PyTorch: one Python call per
        element. A tensor that requires grad refuses."""
        _refuse_grad(self, "apply_")
        return self._set_values(callable, ())

    def map_(self, tensor: Tensor, callable: Callable[[Any, Any], Any]) -> Tensor:
        """Replace each element ``v`` by ``callable(v, w)`` in place, ``w`` the element of
        ``tensor`` (which broadcasts to this shape and has this dtype) at that place."""
        _refuse_grad(self, "map_")
        other = _same_type(self, tensor, "map_", "'other'")
        return self._set_values(callable, (other.expand(*self.shape),))

    def map2_(self, x: Tensor, y: Tensor, callable: Callable[[Any, Any, Any], Any]) -> Tensor:
        """Replace each element ``v`` by ``callable(v, a, b)`` in place, ``a`` and ``b`` the
        elements of ``x`` and ``y`` (which broadcast to this shape and have this dtype)."""
        _refuse_grad(self, "map2_")
        x = _same_type(self, x, "map2_", "argument 'x'")
        y = _same_type(self, y, "map2_", "argument 'y'")
        return self._set_values(callable, (x.expand(*self.shape), y.expand(*self.shape)))

    def _set_values(self, callable, others):
        """The values ``callable(v, *others' elements)`` written into this tensor in place."""
        columns = [self._array.reshape(-1).tolist()] + [o._array.reshape(-1).tolist()
                                                        for o in others]
        results = []
        for values in zip(*columns):
            result = callable(*values)
            if not isinstance(result, (numbers.Real, np.bool_)):
                raise TypeError(f"must be real number, not {type(result).__name__}")
            results.append(result)
        # each result cast to the dtype as PyTorch casts a Python number (ints truncate)
        self._array[...] = np.array(results, dtype=object).astype(self._array.dtype).reshape(
            self._array.shape)
        self._bump_version()
        return self

    # ------------------------------------------------------------------ random fills

    def cauchy_(self, median: _float = 0, sigma: _float = 1, *,
                generator: Generator | None = None) -> Tensor:
        """Fill in place with draws from the Cauchy distribution, ``median + sigma * tan(pi *
        (u - 1/2))`` for ``u`` uniform on ``[0, 1)``."""
        if not dtypes.is_floating(self._array.dtype):
            raise RuntimeError(
                "Cauchy distribution is a continuous probability distribution. dtype must be a "
                f"floating point but you specified {dtypes.cpp_type_name(self.dtype)}")
        if not sigma > 0:
            raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma:g}")
        graph.untraceable("a random draw (cauchy_) cannot be replayed")
        uniform = numpy_generator(generator).random(self._array.shape)
        return self._write_values(median + sigma * np.tan(np.pi * (uniform - 0.5)))

    def geometric_(self, p: _float, *, generator: Generator | None = None) -> Tensor:
        """Fill in place with draws from the geometric distribution: the number of Bernoulli(p)
        trials up to and including the first success (1, 2, ...)."""
        if self._array.dtype is dtypes.bool:
            raise dtypes.not_implemented("geometric_cpu", self._array.dtype)
        if not 0 < p < 1:
            raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p:g}")
        graph.untraceable("a random draw (geometric_) cannot be replayed")
        return self._write_values(numpy_generator(generator).geometric(p, self._array.shape))

    def log_normal_(self, mean: _float = 1, std: _float = 2, *,
                    generator: Generator | None = None) -> Tensor:
        """Fill in place with draws from the log-normal distribution: ``exp(z)`` for ``z`` drawn
        from N(mean, std**2)."""
        if not std > 0:
            raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std:g}")
        if not dtypes.is_floating(self._array.dtype):
            raise dtypes.not_implemented("log_normal_cpu", self._array.dtype)
        graph.untraceable("a random draw (log_normal_) cannot be replayed")
        return self._write_values(numpy_generator(generator).lognormal(mean, std,
                                                                       self._array.shape))

    # ------------------------------------------------------------------ identity and memory

    def set_(self, source: Tensor | None = None) -> Tensor:
        """Make this tensor share ``source``'s memory (shape, values, later writes), or with no
        argument become empty, in place. ``source`` must have this dtype. PyTorch's other forms
        take a storage, which tensors here do not expose (see the module docstring)."""
        if source is not None and not isinstance(source, Tensor):
            raise TypeError(f"set_(): argument 'source' must be Tensor, not "
                            f"{type(source).__name__}")
        if source is not None and source._array.dtype is not self._array.dtype:
            raise RuntimeError(f"Could not set tensor of type "
                               f"{dtypes.cpp_type_name(source.dtype)} to a tensor of type "
                               f"{dtypes.cpp_type_name(self.dtype)}")
        if self._requires_grad and self.grad_fn is None and thread_state.grad_enabled:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        self._array = (np.empty((0,), dtype=self._array.dtype) if source is None
                       else source._array)
        self._bump_version()
        return self

    @property
    def output_nr(self) -> _int:
        """Which output of its ``grad_fn`` this tensor is (0 for a leaf or a single output):
        ``x.unbind()[2].output_nr == 2``."""
        node = self.grad_fn
        if node is None or node.num_outputs == 1:
            return 0
        return node.output_numbers.get(id(self), 0)

    def as_subclass(self, cls: type) -> Tensor:
        """This tensor as an instance of ``cls``, a subclass of ``Tensor``, sharing its memory
        and, as PyTorch's alias, its place in the graph."""
        if not (isinstance(cls, type) and issubclass(cls, Tensor)):
            raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                            "Tensor is not possible. Make sure your class inherits from Tensor.")
        alias = self.view_as(self)
        alias.__class__ = cls
        return alias

    def const_data_ptr(self) -> _int:
        """``data_ptr()``: the address of the first element, for reading."""
        return self.data_ptr()

    def dim_order(self, *, ambiguity_check: _bool | list = False) -> tuple[_int, ...]:
        """The dimensions from outermost to innermost in memory (PyTorch's rule, from the
        strides: ``(0, 2, 3, 1)`` for ``channels_last``). With ``ambiguity_check=True`` a
        tensor whose order is not unique (a size-1 dimension, two equal strides) raises; with
        a list of memory formats it raises unless the tensor is in exactly one of them."""
        if not isinstance(ambiguity_check, bool) and not (
                isinstance(ambiguity_check, list)
                and all(isinstance(f, layouts.memory_format) for f in ambiguity_check)):
            raise TypeError("The ambiguity_check argument must be a bool or a list of memory "
                            "formats.")
        shape, strides = tuple(self.shape), self.stride()
        formats = ambiguity_check if isinstance(ambiguity_check, list) else []
        check = ambiguity_check if isinstance(ambiguity_check, bool) else True
        several = (any(a == b for a, b in zip(strides, strides[1:])) or 1 in shape)
        fitting = sum(self.is_contiguous(memory_format=f) for f in formats)
        if check and several and fitting != 1:
            raise RuntimeError("The tensor does not have unique dim order, or cannot map to "
                               "exact one of the given memory formats.")
        order, ambiguous = _physical_order(shape, strides, self, ambiguity_check)
        if ambiguous:
            raise RuntimeError("The tensor does not have unique dim order.")
        return order


def _options(dtype) -> str:
    """PyTorch's ``TensorOptions`` text for a CPU tensor of ``dtype``."""
    return (f"TensorOptions(dtype={dtypes.cpp_type_name(dtype)}, device=cpu, layout=Strided, "
            "requires_grad=false (default), pinned_memory=false (default), "
            "memory_format=(nullopt))")


def _resize_shape(sizes, name):
    """The shape ``resize_(2, 3)`` / ``resize_((2, 3))`` asks for, with PyTorch's errors."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list, Size)):
        sizes = tuple(sizes[0])
    for value in sizes:
        if not _is_size_argument(value):
            raise TypeError(f"{name}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(value).__name__}")
    if any(value < 0 for value in sizes):
        raise RuntimeError("numel: integer multiplication overflow")
    return tuple(int(value) for value in sizes)


def _autograd_resize(tensor, shape):
    """PyTorch's autograd ``Resize``: a reshape that must keep the number of elements."""
    count = int(np.prod(shape, dtype=np.int64))
    if count != tensor.numel():
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, shape))} ({count} elements in total), but "
            f"the given tensor has a size of {'x'.join(map(str, tensor.shape))} "
            f"({tensor.numel()} elements). autograd's resize can only change the shape of a "
            "given tensor, while preserving the number of elements. ")
    return tensor.reshape(shape)


def _refuse_grad(tensor, name):
    if tensor._requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")


def _same_type(tensor, other, name, what):
    """``other``, which must be a tensor of ``tensor``'s dtype (PyTorch's TypeError names the
    legacy types)."""
    if other._array.dtype is not tensor._array.dtype:
        raise TypeError(f"{name}: expected {_legacy_type(tensor.dtype)} for {what} (got "
                        f"{_legacy_type(other.dtype)})")
    return other


def _physical_order(shape, strides, tensor, ambiguity_check):
    """PyTorch's ``compute_elementwise_output_logical_to_physical_perm`` for one tensor: the
    dimensions sorted outermost first by stride (an insertion sort that leaves dimensions with
    a zero stride, or equal strides and sizes, where they are), and whether, asked to check,
    the order is not strict."""
    ndim = len(shape)
    if ndim == 0:
        return (), False
    if ndim == 1:
        return (0,), False
    row_major = layouts.is_contiguous_as(shape, strides, layouts.contiguous_format)
    channels_last = layouts.is_contiguous_as(shape, strides, layouts.channels_last)
    if row_major and not channels_last:
        return tuple(range(ndim)), False
    if channels_last and not row_major:
        return (0, *range(2, ndim), 1), False

    def at_least(a, b):
        return b == 0 or (a != 0 and (a >= b or a % b == 0))

    def should_swap(a, b):
        stride_a, stride_b = strides[a], strides[b]
        if stride_a == 0 or stride_b == 0:
            return 0
        if stride_a == stride_b:
            return 0 if at_least(shape[b], shape[a]) else 1
        if at_least(stride_b, stride_a):
            return -1
        return 1 if at_least(stride_a, stride_b) else 0

    perm = list(reversed(range(ndim)))
    for i in range(1, ndim):
        dim1 = i
        for dim0 in reversed(range(i)):
            comparison = should_swap(perm[dim0], perm[dim1])
            if comparison > 0:
                perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
                dim1 = dim0
            elif comparison < 0:
                break
    ambiguous = bool(ambiguity_check) and any(should_swap(perm[i], perm[i + 1]) != -1
                                              for i in range(ndim - 1))
    return tuple(reversed(perm)), ambiguous
