"""What a tensor keeps when it is pickled or copied: its data, never its graph.

As PyTorch's ``Tensor.__reduce_ex__``, ``__copy__`` and ``__deepcopy__``:

- ``pickle`` keeps the values, the dtype, ``requires_grad``, the class (a ``Parameter`` comes
  back a ``Parameter``) and the Python attributes (``__dict__``, and the slots of subclasses).
  The graph is left behind: a tensor that an op produced comes back a leaf (a loss pickles in a
  few hundred bytes, not with the model behind it), ``grad`` is not kept, nor are hooks (with
  a warning). Tensors pickled together do not share memory afterwards, views included, as
  with PyTorch's ``pickle``; a view pickles only the elements it shows.
- ``copy.copy`` makes a new leaf over the same memory, with ``requires_grad`` and a shallow
  copy of the attributes; ``grad`` is not kept.
- ``copy.deepcopy`` copies the memory, the attributes and ``grad``. Tensors deep-copied in one
  call that shared memory (a tensor and its views) share the copied memory. Only leaves can be
  deep-copied (PyTorch's error otherwise).
"""

from __future__ import annotations

import copy
import warnings
from builtins import bool as _bool
from typing import Any

import numpy as np

from .. import dtypes
from ..autograd import graph
from . import shared_memory
from .core import Tensor


class CopyingMethods:
    """How ``Tensor`` pickles and copies, which it takes as its own (see
    ``tinygrad_bn/tensor/__init__.py``)."""

    def __reduce_ex__(self, protocol):
        """``(rebuild_tensor, (class, values, requires_grad, attributes))``: the data only.
        The values are handed over as an array of their own (a view of this tensor's), so that
        tensors sharing memory pickle apart, as in PyTorch."""
        if self._hooks:
            for hook in self._hooks.values():
                warnings.warn(f"backward hook {hook!r} on tensor will not be serialized.",
                              UserWarning, stacklevel=2)
        return rebuild_tensor, (type(self), self._array.view(), self._requires_grad,
                                _attributes(self))

    def share_memory_(self) -> Tensor:
        """Move this tensor's values into memory other processes can map (see
        ``tensor/shared_memory.py``): a process forked afterwards, or one this tensor is sent
        to through ``tinygrad_bn.multiprocessing``, writes the very same numbers (Hogwild!
        training). A no-op when already shared; returns this tensor. As in PyTorch the move
        is not in the graph and keeps ``requires_grad``, ``grad_fn`` and the version; tensors
        that viewed the old memory (made before the call) keep viewing it."""
        if shared_memory.block_of(self._array) is None:
            self._array = shared_memory.shared_copy(self._array)
        return self

    def is_shared(self) -> _bool:
        """Whether this tensor's values live in memory other processes can map
        (``share_memory_``, or received from another process that shared them)."""
        return shared_memory.block_of(self._array) is not None

    def __copy__(self):
        """A new leaf over the same memory, with ``requires_grad`` and a shallow copy of the
        attributes, as PyTorch's ``copy.copy``; no ``grad``, no graph."""
        return rebuild_tensor(type(self), self._array, self._requires_grad, _attributes(self))

    def __deepcopy__(self, memo: dict[int, Any]):
        """A leaf with its own copy of the memory (shared with the other tensors of the same
        ``deepcopy`` call that shared it), of the attributes and of ``grad``."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                "protocol at the moment.  If you were attempting to deepcopy a module, this may "
                "be because of a torch.nn.utils.weight_norm usage, see "
                "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        result = rebuild_tensor(type(self), _deepcopy_array(self._array, memo),
                                self._requires_grad)
        memo[id(self)] = result  # before the attributes, which may refer back to this tensor
        attributes = _attributes(self)
        if attributes is not None:
            _set_attributes(result, copy.deepcopy(attributes, memo))
        if self._grad is not None:
            result._grad = copy.deepcopy(self._grad, memo)
        return result


def rebuild_tensor(cls: type, array: np.ndarray, requires_grad: bool,
                   attributes: tuple[dict, dict] | None = None) -> Tensor:
    """A leaf of class ``cls`` (``Tensor`` or a subclass, whose ``__init__`` is not called)
    over ``array``, requiring grad if ``requires_grad``, with ``attributes`` as
    ``_attributes`` gave them. What unpickling a tensor calls."""
    array = dtypes.with_own_dtype(array)  # (unpickled, its dtype object is a copy)
    tensor = object.__new__(cls)
    tensor._array = array
    tensor._grad = tensor.grad_fn = None
    tensor._requires_grad = False
    tensor._version_counter = tensor._base = tensor._hooks = None
    if graph.tracer is not None:  # a jit capture classifies where the values came from
        graph.tracer.record_created(tensor, array)
    if requires_grad:
        tensor.requires_grad = True
    if attributes is not None:
        _set_attributes(tensor, attributes)
    return tensor


_TENSOR_SLOTS = frozenset(Tensor.__slots__)


def _attributes(tensor):
    """The Python attributes of ``tensor``: ``(its __dict__, {slot: value})`` for the slots a
    subclass adds, or None when it has none (the common case, kept cheap)."""
    slots = {}
    for cls in type(tensor).__mro__:
        if cls is Tensor:
            break
        names = cls.__dict__.get("__slots__", ())
        for name in (names,) if isinstance(names, str) else names:
            if name not in _TENSOR_SLOTS and hasattr(tensor, name):
                slots[name] = getattr(tensor, name)
    if not tensor.__dict__ and not slots:
        return None
    return dict(tensor.__dict__), slots


def _set_attributes(tensor, attributes):
    fields, slots = attributes
    tensor.__dict__.update(fields)
    for name, value in slots.items():
        setattr(tensor, name, value)


def _deepcopy_array(array, memo):
    """A copy of ``array`` for ``deepcopy``: when it views a larger array, the same view of
    that array's copy, made once per ``deepcopy`` call (kept in ``memo``), so that views copied
    together still share memory."""
    storage = storage_of(array)
    if storage is None:
        return array.copy(order="K")
    root, offset = storage
    root_copy = memo.get(id(root))
    if root_copy is None:
        root_copy = memo[id(root)] = root.copy(order="K")
        memo.setdefault(id(memo), []).append(root)  # copy's keep-alive list: ids stay unique
    return view_into(root_copy, offset, array)


def storage_of(array: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``(root, offset)`` when ``array`` views a larger array: the array at the end of its chain
    of ``base``s, whose memory is one contiguous block (C or Fortran order), and the byte
    offset of ``array``'s first element in it. None for an array that owns its memory (or
    views memory of another kind, or a root with gaps)."""
    root = array
    while isinstance(root.base, np.ndarray):
        root = root.base
    if root is array or not (root.flags.c_contiguous or root.flags.f_contiguous):
        return None
    return root, array.__array_interface__["data"][0] - root.__array_interface__["data"][0]


def view_into(root: np.ndarray, offset: int, like: np.ndarray | tuple) -> np.ndarray:
    """The view of ``root`` (a copy of the root ``storage_of`` found, in the same memory
    order) that ``like`` was of the original: ``like`` is that array, or its ``(shape, dtype,
    strides, writeable)``."""
    if isinstance(like, np.ndarray):
        like = (like.shape, like.dtype, like.strides, like.flags.writeable)
    shape, dtype, strides, writeable = like
    buffer = root.ravel(order="K").view(np.uint8)
    view = np.ndarray(shape, dtype, buffer=buffer, offset=offset, strides=strides)
    if not writeable:
        view.flags.writeable = False
    return view
