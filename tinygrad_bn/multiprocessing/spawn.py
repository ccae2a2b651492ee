"""``spawn`` and ``start_processes``: run ``fn(i, *args)`` in ``nprocs`` new processes and wait
for them, as ``torch.multiprocessing.spawn`` does. When one fails, the others are stopped and
the parent raises: ``ProcessRaisedException`` with the child's traceback when ``fn`` raised,
``ProcessExitedException`` when the child exited with a nonzero code or was killed by a signal.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from typing import Any


class ProcessException(Exception):
    """A spawned process failed: ``error_index`` is its ``i``, ``error_pid`` its process id."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """A spawned process failed because ``fn`` raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """A spawned process exited with a nonzero ``exit_code`` (negative: killed by the signal
    ``signal_name``)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _wrap(fn, i, args, error_file):
    """What each child runs: ``fn(i, *args)``; a traceback goes to ``error_file`` for the
    parent, and the child exits with code 1."""
    try:
        fn(i, *args)
    except KeyboardInterrupt:
        pass  # the parent stopped this process
    except Exception:
        with open(error_file, "wb") as handle:
            pickle.dump(traceback.format_exc(), handle)
        sys.exit(1)


class ProcessContext:
    """The processes ``start_processes`` started; ``join`` waits for them."""

    def __init__(self, processes: list, error_files: list[str]) -> None:
        self.processes, self.error_files = processes, error_files
        self.sentinels = {process.sentinel: index for index, process in enumerate(processes)}

    def pids(self) -> list[int]:
        """The process ids, in the order of ``i``."""
        return [int(process.pid) for process in self.processes]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (None: until one ends) for processes to end. True when
        all have ended well, False while some still run. When one failed, the others get
        SIGTERM (after ``grace_period`` seconds, if given), then SIGKILL, and the failure is
        raised as ``ProcessRaisedException`` or ``ProcessExitedException``."""
        if not self.sentinels:
            return True
        # Imported here, not at the top: it would add 15 ms to every ``import tinygrad_bn``.
        from multiprocessing.connection import wait

        failed = None
        for sentinel in wait(list(self.sentinels), timeout=timeout):
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        self._stop_the_others(grace_period)
        raise self._failure(failed)

    def _stop_the_others(self, grace_period):
        if grace_period is not None:
            for process in self.processes:
                process.join(grace_period)
        for process in self.processes:
            if process.is_alive():
                process.terminate()
        for process in self.processes:
            process.join(30 if grace_period is None else grace_period)
            if process.is_alive():
                process.kill()
                process.join()

    def _failure(self, index):
        process, error_file = self.processes[index], self.error_files[index]
        if not os.access(error_file, os.R_OK):
            code = process.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                return ProcessExitedException(f"process {index:d} terminated with signal {name}",
                                              index, process.pid, code, name)
            return ProcessExitedException(f"process {index:d} terminated with exit code {code:d}",
                                          index, process.pid, code)
        with open(error_file, "rb") as handle:
            trace = pickle.load(handle)
        os.unlink(error_file)
        return ProcessRaisedException(
            f"\n\n-- Process {index:d} terminated with the following error:\n{trace}", index,
            process.pid)


def start_processes(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1,
                    join: bool = True, daemon: bool = False,
                    start_method: str = "spawn") -> ProcessContext | None:
    """Start ``nprocs`` processes (with ``multiprocessing.get_context(start_method)``) that
    each run ``fn(i, *args)``, ``i`` from 0. With ``join`` (the default) wait for all and
    return None, raising the first failure; otherwise return their ``ProcessContext``."""
    context = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        # A name no file has, for the child's traceback if fn raises.
        handle = tempfile.NamedTemporaryFile(prefix="tinygrad_bn-errorfile-", suffix=".pickle",
                                             delete=False)
        handle.close()
        os.unlink(handle.name)
        process = context.Process(target=_wrap, args=(fn, i, args, handle.name), daemon=daemon)
        process.start()
        processes.append(process)
        error_files.append(handle.name)
    running = ProcessContext(processes, error_files)
    if not join:
        return running
    while not running.join():
        pass
    return None


def spawn(fn: Callable[..., Any], args: tuple = (), nprocs: int = 1, join: bool = True,
          daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """``start_processes`` with the ``spawn`` start method (``fn`` must be importable: defined
    at the top level of a module). Another ``start_method`` warns (FutureWarning) and is
    ignored, as in PyTorch."""
    if start_method != "spawn":
        warnings.warn(
            f"This method only supports start_method=spawn (got: {start_method}).\n"
            "To use a different start_method use:\n\t\t"
            " tinygrad_bn.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
