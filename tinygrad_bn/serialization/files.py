"""Writing a checkpoint's bytes to its destination: a file object, a regular file (replaced
atomically), or a file that is not a regular one (a named pipe, a device), written through.

- A regular file (or a path where nothing is yet) is never half-written: the bytes go to a
  temporary file in the target's folder, are flushed to disk (``fsync``) and renamed over the
  target. A new file gets the permissions the user's umask allows (0644 under umask 022), an
  overwritten one keeps its mode.
- A symlink is followed, as ``open`` follows it: its target is written, the link stays.
- Anything else that exists and is not a folder (a named pipe, ``/dev/null``) is opened and
  written as ``open(path, "wb")`` would, as ``torch.save`` does: renaming over it would
  replace the pipe or device with a regular file.
- Errors name the target, never the temporary file.
"""

from __future__ import annotations

import os
import stat
import tempfile
from typing import IO, Callable

Writer = Callable[[IO[bytes]], None]


def write_to(f: str | os.PathLike[str] | IO[bytes], write: Writer) -> None:
    """Call ``write(file)`` on ``f`` if it is a file object, else on the file at path ``f``
    (see the module docstring for how a path is written)."""
    if hasattr(f, "write"):
        write(f)
        return
    target = os.path.realpath(os.fspath(f))
    try:
        if _is_special_file(target):
            with open(target, "wb") as file:
                write(file)
        else:
            _write_atomically(target, write)
    except OSError as error:
        raise type(error)(error.errno, error.strerror, target) from None


def _is_special_file(path):
    """Whether ``path`` exists and is neither a regular file nor a folder (a pipe, a device, a
    socket)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _write_atomically(target, write):
    if os.path.isdir(target):
        raise IsADirectoryError(21, "Is a directory", target)
    mode = stat.S_IMODE(os.stat(target).st_mode) if os.path.exists(target) else _new_file_mode()
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-",
                                         suffix=os.path.splitext(target)[1] or ".npz")
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _sync_folder(os.path.dirname(target))


def _new_file_mode():
    """The mode ``open`` would give a new file: 0o666 less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder):
    """Flush the rename to disk too, where the platform allows opening a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
