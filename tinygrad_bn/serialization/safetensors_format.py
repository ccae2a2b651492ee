"""The ``.safetensors`` format, through the ``safetensors`` package (the optional extra
``pip install 'tinygrad_bn[safetensors]'``): one flat dict of names to tensors, as a state dict
is, readable by ``safetensors.torch.load_file`` and ``safetensors.numpy.load_file``.

The header carries the metadata ``{"format": "pt"}``, as ``safetensors.torch.save_file``
writes it (loaders such as Hugging Face ``transformers`` check it). The format keeps no order:
a loaded file gives its names sorted, as ``safetensors.torch.load_file`` does.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from .. import dtypes
from ..tensor import Tensor
from .npz_format import checked_array

METADATA = {"format": "pt"}
_INSTALL_HINT = "pip install safetensors (or pip install 'tinygrad_bn[safetensors]')"


def _safetensors_numpy(purpose: str) -> Any:
    """The ``safetensors.numpy`` module; ``ImportError`` saying what to install when the
    optional package is missing. (Imported here, not at the top: it is optional.)"""
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(f"{purpose} needs the safetensors package, which is not installed: "
                          f"{_INSTALL_HINT}") from None
    return safetensors.numpy


def safetensors_bytes(obj: Any) -> bytes:
    """``obj``, a mapping of names (str) to tensors or arrays, as the bytes of a safetensors
    file. Anything else raises ``TypeError`` naming it, before anything is written."""
    if not isinstance(obj, Mapping):
        raise TypeError(f"cannot save an object of type {type(obj).__name__} as safetensors: "
                        "the format holds one flat dict of names (str) to tensors, such as "
                        "model.state_dict()")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"cannot save a dict key of type {type(key).__name__} as "
                            f"safetensors: {key!r} (the format names tensors with strings)")
        if not isinstance(value, (Tensor, np.ndarray)):
            raise TypeError(f"cannot save '{key}' as safetensors: it is a "
                            f"{type(value).__name__}, and the format holds tensors only")
        array = value._array if isinstance(value, Tensor) else value
        if array.dtype not in dtypes.SUPPORTED:
            raise TypeError(f"cannot save '{key}': arrays of dtype {array.dtype} cannot be "
                            f"loaded back (tensors hold {dtypes.SUPPORTED_NAMES})")
        # safetensors reads the raw buffer; ascontiguousarray alone would make a 0-d array 1-d
        arrays[key] = np.ascontiguousarray(array).reshape(array.shape)
    return _safetensors_numpy("saving as safetensors").save(arrays, metadata=METADATA)


MAX_HEADER_BYTES = 100_000_000  # the safetensors package's own limit


def is_safetensors(head: bytes) -> bool:
    """Whether a file starting with ``head`` (its first 9 bytes or more) looks like safetensors:
    an 8-byte little-endian header length, then the JSON header's ``{``."""
    return (len(head) >= 9 and head[8:9] == b"{"
            and 1 < int.from_bytes(head[:8], "little") <= MAX_HEADER_BYTES)


def read_safetensors(source: str | IO[bytes], name: str) -> OrderedDict[str, Tensor]:
    """The tensors of the safetensors file ``source`` (a path or a binary file object, called
    ``name`` in errors), sorted by name. A damaged file raises ``RuntimeError`` naming it."""
    module = _safetensors_numpy(f"{name} is a safetensors file; reading it")
    if hasattr(source, "read"):
        data = source.read()
    else:
        with open(source, "rb") as file:
            data = file.read()
    from safetensors import SafetensorError  # imported along with safetensors.numpy

    try:
        arrays = module.load(data)
        return OrderedDict((key, Tensor._make(np.array(checked_array(arrays[key], key)), None))
                           for key in sorted(arrays))
    except (SafetensorError, ValueError, TypeError, KeyError) as error:
        raise RuntimeError(f"{name} is not a readable tinygrad_bn checkpoint: {error}") from None
