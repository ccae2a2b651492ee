"""``save`` and ``load`` for state dicts (models and optimizers) as NumPy ``.npz`` files.

Every array is one entry named by its dotted path (``fc1.weight``, ``state.0.exp_avg``), so a
PyTorch user can read a model checkpoint with ``numpy.load`` and ``torch.from_numpy``. The
nesting (dicts, lists, tuples, Python numbers, which entries were tensors) is recorded as JSON
text in one more entry, ``__structure__``. Files are read with ``allow_pickle=False``: loading
never executes code. Writes go to a temporary file first, so an interrupted save never leaves a
half-written checkpoint under the real name.
"""

import json
import os
import tempfile
import zipfile
from collections import OrderedDict

import numpy as np

from .tensor import Tensor

STRUCTURE_KEY = "__structure__"
FORMAT = "tinygrad_bn.checkpoint/1"


def save(obj, path):
    """Write ``obj`` (a state dict, or any nesting of dicts, lists and tuples holding tensors,
    arrays, numbers, strings, bools and None) to ``path``."""
    arrays = {}
    structure = {"format": FORMAT, "root": _describe(obj, "", arrays)}
    arrays[STRUCTURE_KEY] = np.array(json.dumps(structure))
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _describe(obj, key, arrays):
    """The JSON description of ``obj``; arrays found inside are added to ``arrays``."""
    if isinstance(obj, (Tensor, np.ndarray)):
        if key in arrays or key == STRUCTURE_KEY:
            raise ValueError(f"cannot save: two entries would both be named '{key}'")
        arrays[key] = np.array(obj._array if isinstance(obj, Tensor) else obj)
        return {"kind": "tensor" if isinstance(obj, Tensor) else "ndarray", "key": key}
    if isinstance(obj, dict):
        items = []
        for k, v in obj.items():
            if not isinstance(k, (str, int)) or isinstance(k, bool):
                raise TypeError(f"cannot save a dict key of type {type(k).__name__}: {k!r}")
            child = f"{key}.{k}" if key else str(k)
            items.append([k, isinstance(k, int), _describe(v, child, arrays)])
        return {"kind": "ordereddict" if isinstance(obj, OrderedDict) else "dict", "items": items}
    if isinstance(obj, (list, tuple)):
        items = [_describe(v, f"{key}.{i}" if key else str(i), arrays) for i, v in enumerate(obj)]
        return {"kind": type(obj).__name__ if type(obj) in (list, tuple) else "list",
                "items": items}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"kind": "value", "value": obj}
    if isinstance(obj, np.generic):
        return {"kind": "value", "value": obj.item()}
    raise TypeError(f"cannot save an object of type {type(obj).__name__} at '{key or 'top level'}'")


def load(path, map_location=None, weights_only=True):
    """Read what ``save`` wrote. ``map_location`` and ``weights_only`` are accepted for
    PyTorch compatibility (everything is on the CPU, and no code is ever run). A plain ``.npz``
    without structure loads as a dict of tensors. A corrupt or truncated file raises
    ``RuntimeError`` naming it."""
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a .npy file: one bare array
            raise ValueError("it holds a single array, not a checkpoint archive")
        with archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as error:
        raise RuntimeError(f"{path} is not a readable tinygrad_bn checkpoint: {error}") from None
    if STRUCTURE_KEY not in arrays:
        return OrderedDict((name, Tensor._make(array, None)) for name, array in arrays.items())
    try:
        structure = json.loads(str(arrays.pop(STRUCTURE_KEY)))
        if structure.get("format") != FORMAT:
            raise ValueError(f"unknown format {structure.get('format')!r}")
        return _rebuild(structure["root"], arrays)
    except (ValueError, KeyError, TypeError) as error:
        raise RuntimeError(f"{path} is not a readable tinygrad_bn checkpoint: {error}") from None


def _rebuild(node, arrays):
    kind = node["kind"]
    if kind == "tensor":
        return Tensor._make(arrays[node["key"]], None)
    if kind == "ndarray":
        return arrays[node["key"]]
    if kind in ("dict", "ordereddict"):
        container = OrderedDict() if kind == "ordereddict" else {}
        for key, key_is_int, child in node["items"]:
            container[int(key) if key_is_int else key] = _rebuild(child, arrays)
        return container
    if kind in ("list", "tuple"):
        items = [_rebuild(child, arrays) for child in node["items"]]
        return items if kind == "list" else tuple(items)
    if kind == "value":
        return node["value"]
    raise ValueError(f"unknown entry kind {kind!r}")
