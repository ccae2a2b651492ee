"""Whole objects (a Module, an optimizer, an instance of your own class) saved as ``torch.save``
saves them, by pickling, and loaded safely by default, as ``torch.load`` loads them.

The file is a zip archive, like an ``.npz``, holding one entry, ``__pickle__.pkl`` (the pickle,
protocol 4), with an archive comment saying what it is. ``numpy.load`` lists the entry without
running it.

Loading follows ``torch.load``'s ``weights_only``. With ``weights_only=True`` (the default, as
in PyTorch since 2.6) the pickle is read by an unpickler that looks up only allowed globals,
so loading cannot run code: the allowlist is PyTorch's in spirit (``OrderedDict``,
``Counter``, ``set``, ``complex``, ``bytearray``, ``_codecs.encode``, ``Tensor`` and
``Parameter`` with whatever their pickles use, NumPy arrays and scalars, which tensors hold)
plus what ``add_safe_globals`` or ``safe_globals`` add. Any other global raises PyTorch's
``UnpicklingError``, adapted to tinygrad_bn's names. ``weights_only=False`` unpickles
everything: do it only for files you trust.
"""

from __future__ import annotations

import _compat_pickle
import contextlib
import functools
import io
import pickle
import zipfile
from collections import Counter, OrderedDict
from typing import Any, Callable, Iterator

import numpy as np

from .. import dtypes
from ..tensor import Tensor

PICKLE_ENTRY = "__pickle__.pkl"
PROTOCOL = 4
ARCHIVE_COMMENT = (b"tinygrad_bn pickled object (entry __pickle__.pkl): load it with "
                   b"tinygrad_bn.load, with weights_only=False only if you trust its source")

SafeGlobal = Callable[..., Any] | tuple[Callable[..., Any], str]
_added_safe_globals: dict[str, Any] = {}  # by the name pickles call them, "module.qualname"


# ----------------------------------------------------------------------------- writing


def pickle_archive(obj: Any) -> bytes:
    """``obj`` pickled and wrapped in the archive described in the module docstring. Raises
    what ``pickle`` raises for an object it cannot pickle, before anything is written."""
    payload = pickle.dumps(obj, protocol=PROTOCOL)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_STORED,
                         allowZip64=True) as archive:
        archive.comment = ARCHIVE_COMMENT
        archive.writestr(PICKLE_ENTRY, payload)
    return buffer.getvalue()


def is_pickle_archive(names: list[str]) -> bool:
    """Whether a zip archive with entries ``names`` is one ``pickle_archive`` wrote."""
    return names == [PICKLE_ENTRY]


# ----------------------------------------------------------------------------- reading


def read_pickle_archive(archive: zipfile.ZipFile, name: str, weights_only: bool) -> Any:
    """The object in ``archive`` (a file called ``name`` in errors), unpickled with only the
    allowed globals if ``weights_only`` (see the module docstring), else with all."""
    payload = archive.read(PICKLE_ENTRY)
    if not weights_only:
        return pickle.loads(payload)
    try:
        return _WeightsUnpickler(io.BytesIO(payload)).load()
    except _UnsupportedGlobal as error:
        raise pickle.UnpicklingError(_WEIGHTS_ONLY_FAILED.format(error=error)) from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError) as error:
        raise RuntimeError(f"{name} is not a readable tinygrad_bn checkpoint: its pickle cannot "
                           f"be read ({type(error).__name__}: {error})") from None


_WEIGHTS_ONLY_FAILED = (
    "Weights only load failed. This file can still be loaded, to do so you have two options, "
    "do those steps only if you trust the source of the checkpoint. \n"
    "\t(1) `tinygrad_bn.load` defaults to `weights_only=True`, as `torch.load` does since "
    "PyTorch 2.6. Re-running `tinygrad_bn.load` with `weights_only` set to `False` will likely "
    "succeed, but it can result in arbitrary code execution. Do it only if you got the file "
    "from a trusted source.\n"
    "\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps "
    "in the following error message.\n"
    "\tWeightsUnpickler error: {error}\n\n"
    "Check the documentation of tinygrad_bn.load to learn more about types accepted by default "
    "with weights_only: help(tinygrad_bn.serialization)."
)


class _UnsupportedGlobal(Exception):
    """A global the weights-only unpickler refused (its message is PyTorch's)."""


class _WeightsUnpickler(pickle.Unpickler):
    """An unpickler that hands out only allowed globals, already imported, and imports
    nothing: every class or function a pickle can call comes through ``find_class``, so a
    pickle can run no code beyond those."""

    def find_class(self, module: str, name: str) -> Any:
        # pickles of protocol 0 to 2 name Python 2's modules (__builtin__.set), as
        # pickle.Unpickler.find_class maps them
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[module, name]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        full_name = f"{module}.{name}"
        allowed = _added_safe_globals.get(full_name, _default_safe_globals().get(full_name))
        if allowed is None:
            raise _UnsupportedGlobal(
                f"Unsupported global: GLOBAL {full_name} was not an allowed global by default. "
                f"Please use `tinygrad_bn.serialization.add_safe_globals([{full_name}])` or the "
                f"`tinygrad_bn.serialization.safe_globals([{full_name}])` context manager to "
                "allowlist this global if you trust this class/function.")
        return allowed

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError(f"persistent id {pid!r} in a weights-only load")


def _bytearray(*args: Any) -> bytearray:
    """``bytearray`` as pickles call it (from bytes, or a string and its encoding), refusing a
    size, which would let a few bytes of pickle allocate any amount of memory."""
    if args and not isinstance(args[0], (bytes, str)):
        raise pickle.UnpicklingError(f"bytearray from {type(args[0]).__name__} in a weights-only "
                                     "load (pickles build a bytearray from bytes)")
    return bytearray(*args)


@functools.lru_cache(maxsize=1)
def _default_safe_globals() -> dict[str, Any]:
    """What ``weights_only=True`` allows without being asked, by the name pickles call it:
    PyTorch's builtins, and what pickles of tensors, Parameters and NumPy arrays and scalars
    name. Those last are found by pickling a few and noting what unpickling them looks up, so
    this list follows however ``tensor/`` and NumPy pickle without repeating them here; NumPy
    names found under ``numpy._core`` (NumPy 2) are allowed under ``numpy.core`` (NumPy 1)
    too, and the other way round."""
    import codecs

    # nn sits above serialization, which the package face imports first; Parameter is needed
    # only when a pickle is loaded, by then nn is there.
    from ..nn.module import Parameter
    from ..sparse.coo import to_sparse  # a sparse tensor's pickle names its rebuild too

    allowed = {"collections.OrderedDict": OrderedDict, "collections.Counter": Counter,
               "builtins.set": set, "builtins.complex": complex,
               "builtins.bytearray": _bytearray, "_codecs.encode": codecs.encode}
    written = Tensor(np.zeros(2, dtype=np.float32))
    written.add_(1)  # an in-place write gives the tensor a version counter
    samples = [Tensor(np.zeros(2, dtype=dtype)) for dtype in dtypes.SUPPORTED]
    samples += [written, Tensor(np.ones(2, dtype=np.float32), requires_grad=True),
                Parameter(Tensor(np.ones(2, dtype=np.float32))), np.zeros((2, 2)),
                np.float32(1), np.int64(1), np.bool_(True),
                to_sparse(Tensor(np.ones(2, dtype=np.float32))),
                Tensor(np.ones((2, 2), dtype=np.float32)).to_sparse_csr()]

    class Recorder(pickle.Unpickler):
        def find_class(self, module, name):
            found = super().find_class(module, name)
            for spelling in {module, module.replace("numpy._core", "numpy.core"),
                             module.replace("numpy.core", "numpy._core")}:
                allowed[f"{spelling}.{name}"] = found
            return found

    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        Recorder(io.BytesIO(pickle.dumps(samples, protocol=protocol))).load()
    return allowed


# ----------------------------------------------------------------------------- safe globals


def add_safe_globals(safe_globals: list[SafeGlobal]) -> None:
    """Allow the given classes or functions in ``weights_only=True`` loads, as
    ``torch.serialization.add_safe_globals``: each is allowed under the name pickles call it,
    ``f"{obj.__module__}.{obj.__qualname__}"``, or under the name given with it as an
    ``(obj, "module.name")`` pair. Only add what you trust to be built from any file."""
    for item in safe_globals:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
            obj, full_name = item
        elif callable(item) and not isinstance(item, tuple):
            obj, full_name = item, f"{item.__module__}.{item.__qualname__}"
        else:
            raise TypeError("add_safe_globals expects a list of classes or functions, or of "
                            f"(class or function, 'module.name') pairs, but got {item!r}")
        _added_safe_globals[full_name] = obj


def get_safe_globals() -> list[SafeGlobal]:
    """The globals ``add_safe_globals`` (or an open ``safe_globals``) allowed, in order."""
    return [obj if full_name == f"{obj.__module__}.{obj.__qualname__}" else (obj, full_name)
            for full_name, obj in _added_safe_globals.items()]


def clear_safe_globals() -> None:
    """Forget every global ``add_safe_globals`` allowed."""
    _added_safe_globals.clear()


@contextlib.contextmanager
def safe_globals(safe_globals: list[SafeGlobal]) -> Iterator[None]:
    """Allow the given globals (as ``add_safe_globals``) inside the ``with`` block only, as
    ``torch.serialization.safe_globals``; on leaving, the allowlist is what it was."""
    saved = dict(_added_safe_globals)
    try:
        add_safe_globals(safe_globals)
        yield
    finally:
        _added_safe_globals.clear()
        _added_safe_globals.update(saved)

