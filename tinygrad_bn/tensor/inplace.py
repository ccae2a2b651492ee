"""In-place operations: ``add_``, ``mul_``, ``zero_``, ``copy_``, the random fills, ``t_`` and
the other view changes in place, and ``tensor[index] = value``.

Each writes into the tensor's own array (every handle on it sees the write) and bumps its
version. When autograd records the write, PyTorch's rules hold: a leaf that requires grad
refuses; otherwise the old value becomes the input of a new node, which becomes the tensor's
``grad_fn`` (the old node stays intact), and a write through a view rebases its base too."""

from __future__ import annotations

import warnings
# ``bool``, ``int`` and ``float`` are Tensor methods, so annotations use these:
from builtins import float as _float, int as _int
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import autocast_state, dtypes
from ..autograd import graph
from ..autograd.function import CUSTOM_FUNCTION_VIEWS
from ..autograd.grad_mode import thread_state
from ..autograd.graph import version_counter
from ..dtypes import Number
from ..ops.assignment import Copy, Fill, ReadView, SetItem, WriteThroughView, view_positions
from ..ops.movement import _is_basic, resolve_index
from ..random import Generator, numpy_generator
from ..shapes import (
    assignment_shape_error, broadcast_error, broadcastable, broadcastable_into,
    index_error_message,
)
from .arguments import _scalar_tensor
from .core import Tensor, scalar_for
from .indexing import _index


class InPlaceMethods:
    """The in-place methods of ``Tensor``, which takes them as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    # ------------------------------------------------------------------ the write

    def _write(self, method, *args, **kwargs):
        """The in-place form of ``method``: ``method(self, *args, **kwargs)`` stored back into
        this tensor's own array (every handle on the array sees it), bumping its version.

        Under ``no_grad``, or when nothing involved requires grad, that is all. When autograd
        records the write, PyTorch's rules hold: a leaf that requires grad (or a view of one)
        refuses; otherwise the old value (a copy, keeping the old ``grad_fn``) becomes the op's
        input and the op's node becomes this tensor's ``grad_fn``. Written through a view, the
        base tensor is rebased too, so both differentiate through the write.
        """
        if autocast_state.casting and autocast_state.state.cpu_dtype is not None:
            with autocast_state.excluded():  # PyTorch autocasts no in-place op
                return self._write(method, *args, **kwargs)
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
        array = self._array
        if not array.flags.writeable:
            if any(step == 0 and size > 1 for step, size in zip(array.strides, array.shape)):
                raise RuntimeError(
                    "unsupported operation: more than one element of the written-to tensor "
                    "refers to a single memory location. Please clone() the tensor before "
                    "performing the operation."
                )
            # Memory its owner made read-only (a NumPy array marked not writeable, bytes
            # under frombuffer): PyTorch would write into it anyway; tinygrad_bn refuses.
            raise RuntimeError(
                "the tensor's memory is read-only (from a NumPy array or buffer that is not "
                "writeable): clone() the tensor before writing to it in place")

    def _fill(self, value):
        """Set every element to ``value`` (a number), recorded when this tensor is in the graph."""
        if thread_state.grad_enabled and self._requires_grad:
            return self._write(Fill.apply, value=value)
        self._check_writeable()
        self._array[...] = scalar_for(value, self._array.dtype)
        self._bump_version()
        return self

    # ------------------------------------------------------------------ arithmetic and math in place

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

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_
    __ipow__ = pow_
    __imatmul__ = matmul_

    # ------------------------------------------------------------------ fills

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
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
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

    # ------------------------------------------------------------------ views in place

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

    # ------------------------------------------------------------------ indexed writes

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
            raise IndexError(index_error_message(error, self.shape, index)) from None
        except ValueError:
            raise RuntimeError(assignment_shape_error(
                np.shape(array), np.shape(self._array[index]), _is_basic(template))) from None
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
        raise RuntimeError(assignment_shape_error(value.shape, indexed_shape,
                                                  _is_basic(template)))
    if value._array.dtype is not destination._array.dtype:
        value = value.to(destination._array.dtype)
    return SetItem.apply(destination, value, *tensors, index=template)


def _broadcast_into_error(shape, target):
    if broadcastable(shape, target):
        broadcast = np.broadcast_shapes(shape, target)
        return (f"output with shape {list(target)} doesn't match the broadcast shape "
                f"{list(broadcast)}")
    return broadcast_error(target, shape)
