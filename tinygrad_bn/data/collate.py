"""Turning samples into batches (PyTorch's ``torch.utils.data._utils.collate``):
``default_collate`` stacks a list of samples into one batch, ``default_convert`` turns the NumPy
arrays of one unbatched sample into tensors. Both recurse through dicts, namedtuples and
sequences by PyTorch's rules, so the batch has the structure of a sample. ``collate`` with a
``collate_fn_map`` (``default_collate_fn_map`` plus entries for new types) is PyTorch's way to
extend the rules."""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import dtypes
from ..creation import as_tensor
from ..tensor import Tensor, stack

# NumPy dtypes of strings, bytes and objects: they cannot become tensors.
np_str_obj_array_pattern = re.compile(r"[SaUO]")

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, "
    "dicts or lists; found {}"
)


def default_convert(data: Any) -> Any:
    """Convert the NumPy arrays and NumPy scalars in ``data`` to tensors, recursing through
    mappings, namedtuples and sequences (a tuple becomes a list, as in PyTorch); anything else
    (tensors, Python numbers, strings, arrays of strings or objects) is returned unchanged. The
    loader's ``collate_fn`` when ``batch_size=None``."""
    data_type = type(data)
    if isinstance(data, Tensor):
        return data
    if data_type.__module__ == "numpy" and data_type.__name__ not in ("str_", "string_"):
        if isinstance(data, np.ndarray) and np_str_obj_array_pattern.search(data.dtype.str):
            return data
        return as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild_mapping(data, {key: default_convert(data[key]) for key in data})
    if isinstance(data, tuple) and hasattr(data, "_fields"):  # namedtuple
        return data_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild_sequence(data, [default_convert(d) for d in data])
    return data


def collate(batch: Any, *,
            collate_fn_map: dict[type | tuple[type, ...], Callable] | None = None) -> Any:
    """Collate ``batch`` (a list of samples) by the type of its first sample: the function
    ``collate_fn_map`` holds for that exact type, else for the first key it is an instance of
    (in insertion order), called as ``fn(batch, collate_fn_map=collate_fn_map)``; failing
    that, mappings, namedtuples and sequences are collated key by key, field by field,
    position by position (recursively, with the same map). PyTorch's extension point:
    ``collate(batch, collate_fn_map={**default_collate_fn_map, MyType: my_fn})``."""
    first = batch[0]
    if collate_fn_map is not None:
        if type(first) in collate_fn_map:
            return collate_fn_map[type(first)](batch, collate_fn_map=collate_fn_map)
        for types, collate_fn in collate_fn_map.items():
            if isinstance(first, types):
                return collate_fn(batch, collate_fn_map=collate_fn_map)

    def collate_column(samples):
        return collate(list(samples), collate_fn_map=collate_fn_map)

    if isinstance(first, collections.abc.Mapping):
        return _rebuild_mapping(first, {key: collate_column(sample[key] for sample in batch)
                                        for key in first})
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # namedtuple
        return type(first)(*(collate_column(column) for column in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        size = len(first)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate_column(column) for column in zip(*batch)]
        if isinstance(first, tuple):
            return columns
        return _rebuild_sequence(first, columns)
    raise TypeError(default_collate_err_msg_format.format(type(first)))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """Tensors: ``stack(batch)``, a new leading dim."""
    return stack(batch)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """NumPy arrays: as tensors (dtype kept), then collated as tensors; arrays of strings or
    objects are a ``TypeError``."""
    if np_str_obj_array_pattern.search(batch[0].dtype.str) is not None:
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([as_tensor(array) for array in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """NumPy scalars: a 1-D tensor of their dtype."""
    return as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    """Python floats: a float64 tensor (not the default dtype), as in PyTorch."""
    return as_tensor(batch, dtype=dtypes.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """Python ints: an int64 tensor (bools, a subclass of int, a bool tensor)."""
    return as_tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """Strings and bytes: the list, unchanged."""
    return batch


default_collate_fn_map: dict[type | tuple[type, ...], Callable] = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch: Any) -> Any:
    """Stack a list of samples into a batch with a new leading dim of size ``len(batch)``,
    by the type of the first sample (PyTorch's rules, ``collate`` with
    ``default_collate_fn_map``):

    - Tensor -> ``stack(batch)``; NumPy array -> the same, after ``as_tensor`` (dtype kept);
      NumPy scalars -> a 1-D tensor of their dtype;
    - ``float`` -> float64 tensor, ``int`` -> int64 tensor, ``bool`` -> bool tensor;
    - ``str`` and ``bytes`` -> the list, unchanged;
    - mapping -> the same mapping type, each key collated; namedtuple -> the same namedtuple,
      field by field; other sequences (all of one length) -> a list (or the same mutable
      sequence type), position by position. Tuples become lists, as in PyTorch.

    Anything else is a ``TypeError``."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def _rebuild_mapping(like, items):
    """A mapping of ``like``'s type holding ``items``: a copy of it if it is mutable (keeps
    attributes of dict subclasses), else built from a dict, else a plain dict."""
    try:
        if isinstance(like, collections.abc.MutableMapping):
            clone = copy.copy(like)
            clone.update(items)
            return clone
        return type(like)(items)
    except TypeError:
        return items


def _rebuild_sequence(like, items):
    """A sequence of ``like``'s type holding ``items`` (same rule as ``_rebuild_mapping``)."""
    try:
        if isinstance(like, collections.abc.MutableSequence):
            clone = copy.copy(like)
            for i, item in enumerate(items):
                clone[i] = item
            return clone
        return type(like)(items)
    except TypeError:
        return items
