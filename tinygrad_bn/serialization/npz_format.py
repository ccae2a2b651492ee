"""The ``.npz`` format for data: state dicts (models and optimizers) and any nesting of dicts,
lists and tuples holding tensors, arrays and Python values, as NumPy ``.npz`` archives.

Every array is one entry named by its dotted path (``fc1.weight``, ``state.0.exp_avg``). A flat
state dict (names to tensors, as ``Module.state_dict()`` returns) is written as those entries
and nothing else, so ``numpy.load`` gives back exactly the state dict and
``{k: torch.from_numpy(v) for k, v in numpy.load(path).items()}`` loads into a PyTorch model. Any
other object also gets one more entry, ``__structure__``: a 0-d string array holding, as JSON
text, the nesting (dicts, lists, tuples, Python values, which entries were tensors, which of
those were Parameters or required grad, which ``torch.load`` restores too).

Reading never executes code (``allow_pickle=False``). It refuses, with a ``RuntimeError`` naming
the file, anything that is not a checkpoint: a damaged archive, an oversized ``.npy`` header, a
structure nested deeper than ``MAX_NESTING``, an entry that would inflate beyond
``MAX_INFLATION`` times its stored size (a zip bomb), or a dtype tensors cannot hold. Unsigned
integers wider than a byte and non-native byte orders are converted, with a warning. Writing
checks everything before the first byte is written.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from .. import dtypes
from ..tensor import Tensor

STRUCTURE_KEY = "__structure__"
FORMAT = "tinygrad_bn.checkpoint/1"
MAX_NESTING = 100
MAX_INFLATION = 100  # an entry's size over its stored size, beyond a first MiB
_FREE_INFLATION_BYTES = 2**20


def npz_entries(obj: Any) -> dict[str, np.ndarray]:
    """The arrays ``obj`` is written as, by entry name, ``__structure__`` included unless
    ``obj`` is a flat state dict (a dict of names to tensors). Raises ``TypeError`` or
    ``ValueError`` naming the first thing the format cannot hold."""
    arrays = {}
    root = _describe(obj, "", arrays, depth=0)
    is_state_dict = isinstance(obj, dict) and all(
        isinstance(key, str) and type(value) is Tensor and not value.requires_grad
        for key, value in obj.items())
    if not is_state_dict:
        arrays[STRUCTURE_KEY] = np.array(json.dumps({"format": FORMAT, "root": root}))
    return arrays


def write_npz(file: IO[bytes], arrays: dict[str, np.ndarray]) -> None:
    """``arrays`` as an ``.npz`` archive (what ``numpy.savez`` writes, entry ``name.npy`` per
    array), written entry by entry so that any key works, ``file`` and ``allow_pickle``
    included (``savez`` takes those as its own arguments)."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as entry:
                np.lib.format.write_array(entry, np.asanyarray(array), allow_pickle=False)


def _describe(obj, key, arrays, depth):
    """The JSON description of ``obj``; arrays found inside are added to ``arrays``."""
    if depth > MAX_NESTING:
        raise ValueError(f"cannot save: containers are nested deeper than {MAX_NESTING} levels "
                         f"at '{key}'")
    if isinstance(obj, (Tensor, np.ndarray)):
        if key in arrays or key == STRUCTURE_KEY:
            raise ValueError(f"cannot save: two entries would both be named '{key}'")
        array = np.array(obj._array if isinstance(obj, Tensor) else obj)
        if array.dtype not in dtypes.SUPPORTED:
            raise TypeError(
                f"cannot save '{key or 'top level'}': arrays of dtype {array.dtype} cannot be "
                f"loaded back (tensors hold {dtypes.SUPPORTED_NAMES})"
            )
        arrays[key] = array
        node = {"kind": "tensor" if isinstance(obj, Tensor) else "ndarray", "key": key}
        if isinstance(obj, Tensor) and obj.requires_grad:
            node["requires_grad"] = True
        if isinstance(obj, _parameter_class()):
            node["parameter"] = True
        return node
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"cannot save a dict key of type {type(k).__name__}: {k!r}")
            child = f"{key}.{k}" if key else str(k)
            items.append([k, isinstance(k, int), _describe(v, child, arrays, depth + 1)])
        return {"kind": "ordereddict" if isinstance(obj, OrderedDict) else "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [_describe(v, f"{key}.{i}" if key else str(i), arrays, depth + 1)
                 for i, v in enumerate(obj)]
        return {"kind": type(obj).__name__ if type(obj) in (list, tuple) else "list",
                "items": items}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"kind": "value", "value": obj}
    if isinstance(obj, np.generic):
        return {"kind": "value", "value": obj.item()}
    raise TypeError(f"cannot save an object of type {type(obj).__name__} at '{key or 'top level'}'")


def read_npz(source: Any, name: str) -> Any:
    """The object an ``.npz`` archive holds, read from ``source`` (a path or a binary file
    object, called ``name`` in errors). An archive without ``__structure__`` (a flat state
    dict, or any ``numpy.savez`` file) loads as an ``OrderedDict`` of tensors in entry order."""
    try:
        check_zip_inflation(source)
        archive = np.load(source, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a .npy file: one bare array
            raise ValueError("it holds a single array, not a checkpoint archive")
        with archive:
            foreign = [entry for entry in archive.zip.namelist() if not entry.endswith(".npy")]
            if foreign:
                raise ValueError(
                    f"it holds {foreign[0]!r}, which is not a NumPy array (a PyTorch .pt file? "
                    "tinygrad_bn cannot read the pickles torch.save writes: in PyTorch, save the "
                    "state dict with safetensors.torch.save_file(model.state_dict(), "
                    "'model.safetensors') and load that file)")
            arrays = {key: checked_array(archive[key], key) for key in archive.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, TypeError, OSError, EOFError, KeyError) as error:
        raise RuntimeError(f"{name} is not a readable tinygrad_bn checkpoint: {error}") from None
    if STRUCTURE_KEY not in arrays:
        return OrderedDict((key, Tensor._make(array, None)) for key, array in arrays.items())
    try:
        structure = json.loads(str(arrays.pop(STRUCTURE_KEY)))
        if not isinstance(structure, dict) or structure.get("format") != FORMAT:
            raise ValueError(f"unknown format {structure.get('format')!r}")
        return _rebuild(structure["root"], arrays, depth=0)
    except RecursionError:
        raise RuntimeError(f"{name} is not a readable tinygrad_bn checkpoint: its structure is "
                           f"nested too deeply") from None
    except (ValueError, KeyError, TypeError, AttributeError, RuntimeError) as error:
        raise RuntimeError(f"{name} is not a readable tinygrad_bn checkpoint: {error}") from None


def check_zip_inflation(source: Any) -> None:
    """Refuse a zip archive whose entries declare sizes far beyond their stored bytes (reading
    an entry never goes past its declared size, so this bounds the memory a load takes)."""
    if hasattr(source, "read"):
        start = source.tell()
    if not zipfile.is_zipfile(source):
        if hasattr(source, "read"):
            source.seek(start)
        return
    if hasattr(source, "read"):
        source.seek(start)
    with zipfile.ZipFile(source) as archive:
        for entry in archive.infolist():
            limit = MAX_INFLATION * entry.compress_size + _FREE_INFLATION_BYTES
            if entry.file_size > limit:
                raise ValueError(
                    f"entry {entry.filename!r} would inflate from {entry.compress_size} to "
                    f"{entry.file_size} bytes, more than {MAX_INFLATION} times its stored size"
                )
    if hasattr(source, "read"):
        source.seek(start)


def checked_array(array: np.ndarray, key: str) -> np.ndarray:
    """``array`` in a dtype tensors hold: native byte order, wide unsigned ints as int64 (with
    a warning); other dtypes raise ``TypeError`` naming the entry."""
    if key == STRUCTURE_KEY:
        return array
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    if array.dtype in dtypes.SUPPORTED:
        return array
    if array.dtype.kind == "u":
        if array.size and array.max() > np.iinfo(np.int64).max:
            raise TypeError(f"entry '{key}' holds {array.dtype} values beyond int64")
        warnings.warn(f"checkpoint entry '{key}' of dtype {array.dtype} loaded as int64",
                      stacklevel=3)
        return array.astype(np.int64)
    raise TypeError(f"entry '{key}' has dtype {array.dtype}, which tensors cannot hold "
                    f"({dtypes.SUPPORTED_NAMES})")


def _parameter_class():
    """``nn.Parameter``, imported when first needed: nn sits above serialization, which the
    package face imports before it."""
    from ..nn.module import Parameter
    return Parameter


def _rebuild(node, arrays, depth):
    if depth > MAX_NESTING:
        raise ValueError(f"its structure is nested deeper than {MAX_NESTING} levels")
    kind = node["kind"]
    if kind == "tensor":
        tensor = Tensor._make(arrays[node["key"]], None)
        requires_grad = node.get("requires_grad", False) is True
        if node.get("parameter", False) is True:
            return _parameter_class()(tensor, requires_grad=requires_grad)
        return tensor.requires_grad_() if requires_grad else tensor
    if kind == "ndarray":
        return arrays[node["key"]]
    if kind in ("dict", "ordereddict"):
        container = OrderedDict() if kind == "ordereddict" else {}
        for key, key_is_int, child in node["items"]:
            container[int(key) if key_is_int else key] = _rebuild(child, arrays, depth + 1)
        return container
    if kind in ("list", "tuple"):
        items = [_rebuild(child, arrays, depth + 1) for child in node["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "value":
        return node["value"]
    raise ValueError(f"unknown entry kind {kind!r}")
