"""What runs inside a ``DataLoader`` worker process (PyTorch's ``torch.utils.data._utils.worker``
and ``_utils.fetch``): the loop that turns indices into batches, the per-worker seeds,
``get_worker_info()``, and the wrapping that carries a worker's exception, or its batch, back
to the main process.

The protocol, as PyTorch's: the main process puts ``(task number, indices)`` on the worker's
own index queue; the worker fetches and collates the batch and puts ``(task number, batch)``
on the result queue that all workers share. ``None`` on the index queue stops the worker;
``_ResumeIteration`` starts a new epoch of a persistent worker.
"""

from __future__ import annotations

import io
import os
import pickle
import queue
import random
import sys
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..random import manual_seed
from ..tensor import Tensor
from .collate import default_collate
from .dataset import TensorDataset

# How long a blocked queue read waits before checking that the other side is still alive
# (the main process; a worker, which also checks whether it has been told to stop, checks
# more often).
MP_STATUS_CHECK_INTERVAL = 1.0
_WORKER_POLL_INTERVAL = 0.1


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its ``id`` (``0 .. num_workers -
    1``), ``num_workers``, the ``seed`` it was seeded with (``base_seed + id``) and its own
    copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The ``WorkerInfo`` of the ``DataLoader`` worker process this runs in, or ``None`` in the
    main process. An ``IterableDataset`` reads it in ``__iter__`` (or a ``worker_init_fn``
    through ``get_worker_info().dataset``) to take only its share of the stream."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's ``IterableDataset`` copy is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Sent to persistent workers at the start of each new epoch, and echoed back."""


class KeyErrorMessage(str):
    """A str whose repr is itself, so a re-raised ``KeyError`` prints its traceback readably
    (``KeyError`` shows the repr of its argument)."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as its type and formatted
    traceback; ``reraise()`` raises the same type there with PyTorch's message
    ``"Caught ValueError in DataLoader worker process 0.\\nOriginal Traceback ..."``."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        """Raise the wrapped exception's type, its message the worker's traceback."""
        message = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            message = KeyErrorMessage(message)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=message)
        try:
            exception = self.exc_type(message)
        except Exception:
            raise RuntimeError(message) from None
        raise exception


# ---------------------------------------------------------------------- crossing processes


def _rebuild_tensor(array: np.ndarray, requires_grad: bool) -> Tensor:
    tensor = Tensor._make(array, None)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


class _BatchPickler(pickle.Pickler):
    """Pickles tensors by value (their array and ``requires_grad``), views included: a batch
    crosses to the main process as bytes, rebuilt there into new tensors. A tensor in a graph
    cannot cross (autograd does not span processes), as in PyTorch."""

    def reducer_override(self, obj):
        if isinstance(obj, Tensor):
            if obj.requires_grad and obj.grad_fn is not None:
                raise RuntimeError(
                    "Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
                    "autograd does not support crossing process boundaries.  If you just want "
                    "to transfer the data, call detach() on the tensor before serializing "
                    "(e.g., putting it on the queue).")
            return _rebuild_tensor, (np.ascontiguousarray(obj._array), obj.requires_grad)
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """``obj`` pickled, tensors by value (see ``_BatchPickler``)."""
    buffer = io.BytesIO()
    _BatchPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _dumps_reply(task, data, worker_id: int) -> bytes:
    """The worker's reply ``(task, data)`` as bytes. Pickling here, not in the queue's feeder
    thread, means a batch that cannot be pickled becomes an error the main process re-raises,
    instead of a reply silently lost and a main process waiting for it forever."""
    try:
        return dumps((task, data))
    except Exception:
        error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
    try:
        return dumps((task, error))
    except Exception:  # the exception's own type cannot be pickled: keep its message
        error.exc_type = RuntimeError
        return dumps((task, error))


# ---------------------------------------------------------------------- fetching


class _MapDatasetFetcher:
    """Reads a batch from a map-style dataset: ``dataset.__getitems__(indices)`` if it has one,
    else ``[dataset[i] for i in indices]``, then ``collate_fn``. Without auto-collation the
    index is one sample's, passed to ``dataset[index]`` unchanged.

    A ``TensorDataset`` (its own ``__getitem__``) with ``default_collate`` and integer indices
    is batched by picking whole rows at once, ``t[indices]``: the batch that stacking the rows
    would give, in one NumPy gather instead of one index per sample."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.rows_at_once = (auto_collation and collate_fn is default_collate
                             and isinstance(dataset, TensorDataset)
                             and type(dataset).__getitem__ is TensorDataset.__getitem__
                             and not callable(getattr(dataset, "__getitems__", None)))

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self.rows_at_once:
            rows = np.asarray(index)
            if rows.ndim == 1 and rows.dtype.kind in "iu" and len(rows):
                # Copies, so a batch never shares memory with the data set.
                return [Tensor._make(_pick_rows(t._array, rows), None)
                        for t in self.dataset.tensors]
        if callable(getattr(self.dataset, "__getitems__", None)):
            samples = self.dataset.__getitems__(index)
        else:
            samples = [self.dataset[i] for i in index]
        return self.collate_fn(samples)


def _pick_rows(array, rows):
    """``array[rows]``: for a C-contiguous array of two or more dimensions and ``intp`` rows
    through ``take``, the same array (C-contiguous, the same errors) at a third of the cost
    (0.5 us against 1.7 for 32 rows of 20 floats)."""
    if array.ndim > 1 and rows.dtype == np.intp and array.flags.c_contiguous:
        return array.take(rows, axis=0)
    return array[rows]


class _IterableDatasetFetcher:
    """Reads the next sample (or ``len(index)`` samples, collated, for a batch) from an
    iterable dataset; ``StopIteration`` once it is exhausted (or, with ``drop_last``, when the
    last batch would be short)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn, drop_last: bool) -> None:
        self.samples, self.ended = iter(dataset), False
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.samples))
        batch = []
        for _ in index:
            try:
                batch.append(next(self.samples))
            except StopIteration:
                self.ended = True
                break
        if not batch or (self.drop_last and len(batch) < len(index)):
            raise StopIteration
        return self.collate_fn(batch)


def create_fetcher(iterable: bool, dataset, auto_collation, collate_fn, drop_last):
    """The fetcher for this kind of dataset."""
    fetcher = _IterableDatasetFetcher if iterable else _MapDatasetFetcher
    return fetcher(dataset, auto_collation, collate_fn, drop_last)


# ---------------------------------------------------------------------- the worker process


def _generate_state(base_seed: int, worker_id: int) -> list[int]:
    """The 4 x 32-bit seed of NumPy's global generator in worker ``worker_id``: PyTorch's
    hash of ``(worker_id, base_seed)`` (NumPy's SeedSequence mixing), so each worker's
    ``np.random`` stream differs and is reproducible from the base seed."""
    mask32 = 0xFFFFFFFF
    hash_multiplier = 0x43B0D7E5

    def hash32(value):
        nonlocal hash_multiplier
        value = (value ^ hash_multiplier) & mask32
        hash_multiplier = (hash_multiplier * 0x931E8875) & mask32
        value = (value * hash_multiplier) & mask32
        return (value ^ (value >> 16)) & mask32

    def mix(x, y):
        result = ((0xCA01F9DD * x) & mask32) - ((0x4973F715 * y) & mask32)
        result &= mask32
        return (result ^ (result >> 16)) & mask32

    entropy = [worker_id, base_seed & mask32, base_seed >> 32, 0]
    pool = [hash32(value) for value in entropy]
    for source in range(4):
        for target in range(4):
            if source != target:
                pool[target] = mix(pool[target], hash32(pool[source]))
    multiplier, state = 0x8B51F9DD, []
    for value in pool:
        value = (value ^ multiplier) & mask32
        multiplier = (multiplier * 0x58F38DED) & mask32
        value = (value * multiplier) & mask32
        state.append((value ^ (value >> 16)) & mask32)
    return state


def _worker_loop(iterable: bool, dataset, index_queue, result_queue, done_event,
                 auto_collation: bool, collate_fn, drop_last: bool, base_seed: int, init_fn,
                 worker_id: int, num_workers: int) -> None:
    """The body of worker ``worker_id``: seed, run ``init_fn``, then answer index requests
    until ``None`` arrives or the main process is gone.

    Seeds, as PyTorch sets them: Python's ``random`` and this package's global generator get
    ``base_seed + worker_id``, NumPy's global generator ``_generate_state(base_seed,
    worker_id)``."""
    global _worker_info
    try:
        seed = base_seed + worker_id
        random.seed(seed)
        manual_seed(seed)
        np.random.seed(_generate_state(base_seed, worker_id))
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")

        iteration_end = False
        parent = os.getppid()
        while os.getppid() == parent:  # a worker whose main process died exits
            try:
                request = index_queue.get(timeout=_WORKER_POLL_INTERVAL)
            except queue.Empty:
                # The main process stops workers by setting done_event and sending None; the
                # None can be lost when the loader dies in a garbage-collected cycle (its index
                # queue's finalizer stops the queue's sending thread first), so the event alone
                # is enough to stop an idle worker.
                if done_event.is_set():
                    break
                continue
            if isinstance(request, _ResumeIteration):
                result_queue.put(_dumps_reply(request, None, worker_id))
                iteration_end = False
                fetcher = create_fetcher(iterable, dataset, auto_collation, collate_fn,
                                         drop_last)
                continue
            if request is None:
                break
            if done_event.is_set() or iteration_end:
                continue
            task, index = request
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as error:
                    if iterable and isinstance(error, StopIteration):
                        data, iteration_end = _IterableDatasetStopIteration(worker_id), True
                    else:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
            result_queue.put(_dumps_reply(task, data, worker_id))
            del data, index, request  # do not hold a batch while waiting for the next request
    except KeyboardInterrupt:  # the main process handles Ctrl-C and shuts the workers down
        pass
    if done_event.is_set():
        # Exit without waiting for the queue's buffer to drain into a pipe nobody reads.
        result_queue.cancel_join_thread()
        result_queue.close()
