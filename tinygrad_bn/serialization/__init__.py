"""``save`` and ``load``, as ``torch.save`` and ``torch.load``: model and optimizer state, or
whole objects, in three file formats, all loaded safely by default.

- **Data** (a state dict, or any nesting of dicts, lists and tuples holding tensors, arrays and
  Python values) is written as a NumPy ``.npz`` archive, one entry per array, readable without
  tinygrad_bn (``npz_format``). A flat state dict holds nothing else, so
  ``{k: torch.from_numpy(v) for k, v in numpy.load(path).items()}`` loads into PyTorch.
- **Whole objects** (data holding anything else: a Module, an optimizer, your own class) are
  pickled, as ``torch.save`` pickles everything, into a zip archive holding one entry,
  ``__pickle__.pkl`` (``pickle_format``). ``load`` unpickles it as ``torch.load`` does since
  PyTorch 2.6: by default (``weights_only=True``) only these globals may appear, so loading
  runs no code: ``OrderedDict``, ``Counter``, ``set``, ``complex``, ``bytearray`` (from bytes),
  ``_codecs.encode``, ``Tensor``, ``Parameter`` and what their pickles use, NumPy arrays and
  scalars, and whatever ``add_safe_globals`` or the ``safe_globals`` context manager allow.
  Anything else raises PyTorch's ``UnpicklingError``; ``weights_only=False`` loads it, running
  whatever code the file names, so pass it only for files you trust.
- **safetensors** (``format="safetensors"`` or a ``.safetensors`` suffix; the optional extra
  ``tinygrad_bn[safetensors]``) holds one flat dict of names to tensors, readable by
  ``safetensors.torch.load_file`` (``safetensors_format``).

``load`` tells the formats apart by their first bytes, not by the file's name, and explains
what a file is when it cannot read it (a PyTorch ``.pt`` file, a bare pickle). Both take a path
or an open binary file object (``io.BytesIO``), as PyTorch's do. A path is written atomically
when it is a regular file, through when it is a pipe or a device (``files``).
"""

from __future__ import annotations

import os
import zipfile
from typing import IO, Any

import numpy as np

from ..tensor import Tensor
from . import files
# FORMAT, MAX_INFLATION and STRUCTURE_KEY stay importable from here, as before the split
from .npz_format import (
    FORMAT, MAX_INFLATION, MAX_NESTING, STRUCTURE_KEY, check_zip_inflation, npz_entries,
    read_npz, write_npz,
)
from .pickle_format import (
    add_safe_globals, clear_safe_globals, get_safe_globals, is_pickle_archive, pickle_archive,
    read_pickle_archive, safe_globals,
)
from .safetensors_format import is_safetensors, read_safetensors, safetensors_bytes

__all__ = ["save", "load", "add_safe_globals", "safe_globals", "get_safe_globals",
           "clear_safe_globals"]

FORMATS = ("npz", "safetensors")


def save(obj: Any, f: str | os.PathLike[str] | IO[bytes], *, format: str | None = None) -> None:
    """Write ``obj`` to ``f``, a path or a binary file object.

    ``format="npz"`` (the default) writes data (dicts, lists and tuples of tensors, NumPy arrays,
    numbers, strings, bools and None) as ``.npz`` entries, and pickles whole anything that
    holds another kind of object (a Module, an optimizer, your class); ``format="safetensors"``,
    the default for a path ending in ``.safetensors``, writes a flat dict of names to tensors.
    Everything is checked before anything is written; a path is written as the ``files``
    module describes."""
    if format is None:
        is_safetensors_path = (not hasattr(f, "write")
                               and os.fspath(f).endswith(".safetensors"))
        format = "safetensors" if is_safetensors_path else "npz"
    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, but got {format!r}")
    if format == "safetensors":
        payload = safetensors_bytes(obj)
        files.write_to(f, lambda file: file.write(payload))
    elif _holds_objects(obj, depth=0):
        payload = pickle_archive(obj)
        files.write_to(f, lambda file: file.write(payload))
    else:
        arrays = npz_entries(obj)
        files.write_to(f, lambda file: write_npz(file, arrays))


def _holds_objects(obj, depth):
    """Whether ``obj`` holds, in its dicts, lists and tuples, an object that is neither a
    tensor, a NumPy value nor one of Python's own types (which the npz format holds, or names
    in its error): such an object is pickled whole. Past ``MAX_NESTING`` levels the npz format
    reports the nesting."""
    if isinstance(obj, Tensor) and (obj.is_sparse or obj.is_sparse_csr):
        return True  # a sparse tensor (tinygrad_bn/sparse) is pickled: the npz holds arrays
    if depth > MAX_NESTING or isinstance(obj, (Tensor, np.ndarray, np.generic)):
        return False
    if isinstance(obj, dict):
        return any(_holds_objects(key, depth + 1) or _holds_objects(value, depth + 1)
                   for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return any(_holds_objects(value, depth + 1) for value in obj)
    return type(obj).__module__ != "builtins"


def load(f: str | os.PathLike[str] | IO[bytes], map_location: Any = None, *,
         weights_only: bool | None = None) -> Any:
    """Read what ``save`` wrote (or a ``numpy.savez`` archive, or a safetensors file) from a
    path or a binary file object.

    ``weights_only`` (``None`` means True, as in ``torch.load``) matters only for a pickled
    whole object: with True, only allowlisted globals load (see ``pickle_format``), anything
    else raises ``pickle.UnpicklingError`` saying how to proceed; with False the pickle runs
    whatever code it names, so pass it only for files you trust. Data (npz) and safetensors
    files never run code. ``map_location`` is accepted for PyTorch compatibility (everything
    lives on the CPU). A file that is not a readable checkpoint raises ``RuntimeError`` naming
    it and saying what it is; a missing file raises ``FileNotFoundError``."""
    if hasattr(f, "read"):
        source, name = f, getattr(f, "name", None) or "the file object"
        start = f.tell()
        head = f.read(16)
        f.seek(start)
    else:
        source, name, start = os.fspath(f), os.fspath(f), 0
        with open(source, "rb") as file:
            head = file.read(16)
    if is_safetensors(head):
        return read_safetensors(source, name)
    if head.startswith(b"\x80"):
        raise RuntimeError(
            f"{name} is not a readable tinygrad_bn checkpoint: it is a bare Python pickle (what "
            "pickle.dump writes, or torch.save with _use_new_zipfile_serialization=False), "
            "which tinygrad_bn does not read: load it where it was written and save it with "
            "tinygrad_bn.save, or in PyTorch with safetensors.torch.save_file(state_dict, "
            "'model.safetensors')")
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"\x93NUMPY")):
        raise RuntimeError(
            f"{name} is not a readable tinygrad_bn checkpoint: it is neither a zip archive "
            "(.npz, or a pickled object from tinygrad_bn.save) nor a .npy or .safetensors file")
    pickled = _pickle_archive(source, start)
    if pickled is not None:
        with pickled:
            return read_pickle_archive(pickled, name, weights_only is not False)
    return read_npz(source, name)


def _pickle_archive(source, start):
    """``source`` opened as a ``zipfile.ZipFile`` if it is an archive ``pickle_archive``
    wrote, else None, with a file object back at ``start`` (the npz reader then reads it, or
    says what is wrong with it)."""
    try:
        check_zip_inflation(source)
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        archive = None
    if archive is not None and is_pickle_archive(archive.namelist()):
        return archive
    if archive is not None:
        archive.close()
    if hasattr(source, "seek"):
        source.seek(start)
    return None
