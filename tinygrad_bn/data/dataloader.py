"""``DataLoader`` (PyTorch's ``torch.utils.data.dataloader``): batches from a dataset, read in
this process or in worker processes, with PyTorch's arguments, checks and messages.

A loader is a sampler, a batch sampler, a fetch and a collate. The sampler gives sample
indices (``SequentialSampler``, or ``RandomSampler`` for ``shuffle=True``); ``BatchSampler``
groups them into lists of ``batch_size``; each list is read from the dataset (the whole list
through ``dataset.__getitems__`` if it has one, else ``dataset[i]`` per index) and merged by
``collate_fn`` (default ``default_collate``). Everything is lazy: one batch of indices is drawn
per batch read, so an endless sampler is fine.

With ``num_workers > 0`` the reading and collating run in that many worker processes
(``multiprocessing``, the platform's default start method unless ``multiprocessing_context``
says otherwise). The main process keeps ``prefetch_factor`` batches per worker in flight,
sends each list of indices to the next worker in turn, and hands out the batches in the
sampler's order (``in_order=False``: as they arrive). Batches come back pickled, tensors by
value. Workers stop when the epoch ends, when the iterator is deleted or abandoned, and when
the main process dies; ``persistent_workers=True`` keeps them for the next epoch.
"""

from __future__ import annotations

import atexit
import itertools
import math
import multiprocessing
import os
import pickle
import queue
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..random import Generator, numpy_generator
from .collate import default_collate, default_convert
from .dataset import Dataset, IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .worker import (
    MP_STATUS_CHECK_INTERVAL, ExceptionWrapper, _IterableDatasetStopIteration, _ResumeIteration,
    _worker_loop, create_fetcher, get_worker_info,
)

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]

# Set when the interpreter exits: the workers are daemons that multiprocessing itself ends then,
# and the queues an orderly shutdown would use may already be gone.
_python_exiting = False


def _set_python_exiting() -> None:
    global _python_exiting
    _python_exiting = True


atexit.register(_set_python_exiting)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an ``IterableDataset``: ``None`` forever (the dataset decides when the
    stream ends)."""

    def __iter__(self):
        return itertools.repeat(None)


class DataLoader:
    """Iterate over ``dataset`` in batches, as PyTorch's ``torch.utils.data.DataLoader``.

    ``batch_size`` samples per batch (``None``: samples one by one, each through
    ``default_convert``); the last short batch is kept unless ``drop_last``. The order is the
    ``sampler``'s (any iterable of indices) or, by default, ``0 .. len - 1`` or, with
    ``shuffle=True``, a new permutation each epoch drawn from ``generator`` (or the global
    generator ``manual_seed`` reseeds). ``batch_sampler`` (an iterable of index lists) replaces
    ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``. Indices reach the dataset as
    the sampler made them: ``dataset[i]`` per index, or ``dataset.__getitems__(list)`` for a
    whole batch when the dataset defines it. An ``IterableDataset`` is read in its own order.

    Workers: ``num_workers`` processes (0: read in this process), each seeded from a base seed
    drawn from ``generator`` when they start, each epoch or, with ``persistent_workers``, once
    (Python's ``random`` and this package with ``base_seed + worker_id``, NumPy's global
    generator with PyTorch's hash of both), then ``worker_init_fn(worker_id)``;
    ``get_worker_info()`` inside tells a worker who it is. As in PyTorch that draw comes before
    the shuffle's, so a shuffled order with workers is not the one without (which draws no base
    seed, unlike PyTorch, keeping the orders seeded runs have always had).
    ``prefetch_factor`` (default 2) batches per worker in flight; ``timeout`` seconds (0:
    forever) to wait for one; ``persistent_workers`` keeps the processes between epochs;
    ``in_order=False`` yields batches as they arrive; ``multiprocessing_context`` is a start
    method name or a context. An exception in a worker is raised again here, same type, its
    message saying which worker and carrying the worker's traceback.

    ``pin_memory`` and ``pin_memory_device`` are accepted and do nothing (there is no
    accelerator), with PyTorch's warning. A ``TensorDataset`` with the default ``collate_fn`` is
    batched by picking whole rows at once, which gives the batches stacking would.
    """

    def __init__(self, dataset: Dataset, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Sampler | Iterable | None = None,
                 batch_sampler: Sampler | Iterable | None = None, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], None] | None = None,
                 multiprocessing_context=None, generator: Generator | None = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing."
                "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor "
                "to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset, self.num_workers, self.prefetch_factor = dataset, num_workers, prefetch_factor
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn, self.in_order = timeout, worker_init_fn, in_order
        self.multiprocessing_context = multiprocessing_context

        # Iterable-style datasets are checked first, so that is what their users learn first.
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn, self.persistent_workers = collate_fn, persistent_workers
        self._IterableDataset_len_called = None
        self._iterator = None
        self._initialized = True
        self.check_worker_number_rationality()

    @property
    def multiprocessing_context(self):
        """The ``multiprocessing`` context that starts the workers (``None``: the platform's
        default). Set it to a start method name (``"fork"``, ``"spawn"``, ``"forkserver"``)
        or a context; only with ``num_workers > 0``."""
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, context) -> None:
        if context is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process "
                                 "loading (num_workers > 0), but got "
                                 f"num_workers={self.num_workers}")
            if isinstance(context, str):
                methods = multiprocessing.get_all_start_methods()
                if context not in methods:
                    raise ValueError("multiprocessing_context option should specify a valid start "
                                     f"method in {methods!r}, but got "
                                     f"multiprocessing_context={context!r}")
                context = multiprocessing.get_context(context)
            if not isinstance(context, multiprocessing.context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object "
                                "or a string specifying the start method, but got "
                                f"multiprocessing_context={context}")
        self._multiprocessing_context = context

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_initialized", False) and name in (
                "batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        """What the iterator draws from: the batch sampler when batching, else the sampler."""
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None:
                self._iterator = _MultiProcessingDataLoaderIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        return _MultiProcessingDataLoaderIter(self)

    def __len__(self) -> int:
        if self._iterable:
            # Trusts the dataset's length; the iterator warns if more batches come.
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                length = (length // self.batch_size if self.drop_last
                          else math.ceil(length / self.batch_size))
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self) -> None:
        """Warn (PyTorch's warning) when ``num_workers`` exceeds the CPUs this process may
        use."""
        if not self.num_workers:
            return
        cpuset_checked = hasattr(os, "sched_getaffinity")
        cpus = len(os.sched_getaffinity(0)) if cpuset_checked else os.cpu_count()
        if cpus is not None and self.num_workers <= cpus:
            return
        if cpus is None:
            suggestion = ("DataLoader is not able to compute a suggested max number of worker "
                          "in current system.")
        else:
            suggestion = (f"Our suggested max number of worker in current system is {cpus}"
                          f"{'' if cpuset_checked else ' (`cpuset` is not taken into account)'}"
                          ", which is smaller than what this DataLoader is going to create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                      f"total. {suggestion} Please be aware that excessive worker creation might "
                      "get DataLoader running slow or even freeze, lower the worker number to "
                      "avoid potential slowness/freeze if necessary.", stacklevel=2)


class _BaseDataLoaderIter:
    """What both iterators share: the sampler iteration, the pin-memory warnings and the
    length check of iterable datasets."""

    def __init__(self, loader: DataLoader) -> None:
        self._dataset, self._iterable = loader.dataset, loader._iterable
        self._auto_collation, self._drop_last = loader._auto_collation, loader.drop_last
        self._index_sampler, self._num_workers = loader._index_sampler, loader.num_workers
        self._collate_fn, self._timeout = loader.collate_fn, loader.timeout
        self._persistent_workers = loader.persistent_workers
        if loader.pin_memory and loader.pin_memory_device:
            warnings.warn("pin_memory_device is deprecated, the current accelerator will be used "
                          f"as the device,ignore pin_memory_device='{loader.pin_memory_device}'.",
                          stacklevel=3)
        if loader.pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, "
                          "then device pinned memory won't be used.", stacklevel=3)
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def __iter__(self):
        return self

    def _reset(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)  # StopIteration ends the epoch

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        if (self._iterable and self._IterableDataset_len_called is not None
                and self._num_yielded > self._IterableDataset_len_called):
            message = (f"Length of IterableDataset {self._dataset} was reported to be "
                       f"{self._IterableDataset_len_called}(when accessing len(dataloader)), "
                       f"but {self._num_yielded} samples have been fetched. ")
            if self._num_workers > 0:
                message += ("For multiprocessing data-loading, this could be caused by not "
                            "properly configuring the IterableDataset replica at each worker. "
                            "Please see https://pytorch.org/docs/stable/data.html#torch.utils."
                            "data.IterableDataset for examples.")
            warnings.warn(message, stacklevel=2)
        return data

    def __len__(self) -> int:
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{type(self).__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    """Reads each batch in this process when it is asked for. Unlike PyTorch it draws no
    worker base seed from the generator, so a shuffled order depends only on the seed."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._fetcher = create_fetcher(self._iterable, self._dataset, self._auto_collation,
                                       self._collate_fn, self._drop_last)
        if (getattr(self._fetcher, "rows_at_once", False)
                and type(self._index_sampler) is BatchSampler):
            # The same batches as index arrays, which the fetch uses as they are.
            arrays = self._index_sampler._index_arrays()
            if arrays is not None:
                self._sampler_iter = arrays

    def _next_data(self):
        return self._fetcher.fetch(self._next_index())  # either may end the epoch


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Reads batches in worker processes (see the module docstring for the protocol).

    Task ``k`` is the ``k``-th batch of indices of the epoch. ``_task_info[k]`` is
    ``(worker,)`` while the batch is being read and ``(worker, batch)`` once it came back
    early; ``_rcvd_idx`` is the next task to hand out, ``_send_idx`` the next to send."""

    def __init__(self, loader: DataLoader) -> None:
        super().__init__(loader)
        self._prefetch_factor, self._in_order = loader.prefetch_factor, loader.in_order
        context = loader.multiprocessing_context or multiprocessing.get_context()
        base_seed = int(numpy_generator(loader.generator).integers(0, 2**63, dtype=np.uint64))
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self._shutdown = False
        self._index_queues, self._workers = [], []
        try:
            for worker_id in range(self._num_workers):
                index_queue = context.Queue()
                index_queue.cancel_join_thread()  # never wait at exit for a worker to read
                worker = context.Process(target=_worker_loop, daemon=True, args=(
                    self._iterable, self._dataset, index_queue, self._result_queue,
                    self._done_event, self._auto_collation, self._collate_fn, self._drop_last,
                    base_seed, loader.worker_init_fn, worker_id, self._num_workers))
                try:
                    worker.start()
                except (TypeError, AttributeError, pickle.PicklingError):
                    # spawn and forkserver pickle the dataset, collate_fn and worker_init_fn.
                    warnings.warn(
                        "Got pickle error when attempting to start a worker Process. This might "
                        "be because the worker Process arguments are not picklable. Python "
                        "3.14+ changed the multiprocessing start method in non-Mac POSIX "
                        "platforms to 'forkserver', which requires the worker Process arguments "
                        "to be picklable. You can also try multiprocessing.set_start_method("
                        "'fork').", stacklevel=3)
                    raise
                self._index_queues.append(index_queue)
                self._workers.append(worker)
            self._reset(loader, first_iter=True)
        except BaseException:
            self._shutdown_workers()
            raise

    def _reset(self, loader: DataLoader, first_iter: bool = False) -> None:
        super()._reset(loader)
        self._send_idx = self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._tasks_outstanding = 0  # tasks sent and not yet received
        self._workers_status = [True] * self._num_workers
        self._workers_num_tasks = [0] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            # Persistent workers start a new epoch; what is still in flight from an abandoned
            # one arrives before their acknowledgements and is dropped.
            for index_queue in self._index_queues:
                index_queue.put(_ResumeIteration())
            pending = self._num_workers
            while pending > 0:
                task, _ = self._get_data()
                if isinstance(task, _ResumeIteration):
                    pending -= 1
        for _ in range(self._prefetch_factor * self._num_workers):
            self._try_put_index()

    def _try_get_data(self, timeout: float = MP_STATUS_CHECK_INTERVAL):
        """``(True, (task, data))`` from the result queue, or ``(False, None)`` after
        ``timeout`` seconds; a worker that died meanwhile is an error."""
        try:
            payload = self._result_queue.get(timeout=timeout)
        except queue.Empty:
            failed = [w for i, w in enumerate(self._workers)
                      if self._workers_status[i] and not w.is_alive()]
            if failed:
                for worker in failed:
                    self._mark_worker_as_unavailable(self._workers.index(worker))
                pids = ", ".join(str(w.pid) for w in failed)
                raise RuntimeError(
                    f"DataLoader worker (pid(s) {pids}) exited unexpectedly") from None
            return False, None
        return True, pickle.loads(payload)

    def _get_data(self):
        if self._timeout > 0:
            success, data = self._try_get_data(self._timeout)
            if not success:
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
            return data
        while True:
            success, data = self._try_get_data()
            if success:
                return data

    def _next_data(self):
        while True:
            # Skip tasks of workers whose iterable dataset ran out (they will never come).
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info and (len(info) == 2 or self._workers_status[info[0]]):
                    break
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:  # it came back early
                worker_id, data = self._task_info.pop(self._rcvd_idx)
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

            task, data = self._get_data()
            self._tasks_outstanding -= 1
            if self._iterable and isinstance(data, _IterableDatasetStopIteration):
                if self._persistent_workers:
                    self._workers_status[data.worker_id] = False
                else:
                    self._mark_worker_as_unavailable(data.worker_id)
                self._try_put_index()
                continue
            if task != self._rcvd_idx:
                if not self._in_order:
                    worker_id = self._task_info.pop(task)[0]
                    return self._process_data(data, worker_id)
                self._task_info[task] += (data,)  # keep it until its turn
            else:
                worker_id = self._task_info.pop(task)[0]
                self._rcvd_idx += 1
                return self._process_data(data, worker_id)

    def _try_put_index(self) -> None:
        """Send the next batch of indices to the next worker in turn (with ``in_order=False``:
        the next one with fewer than its share of tasks in flight)."""
        max_tasks = self._prefetch_factor * self._num_workers
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id] and (
                    self._in_order or
                    self._workers_num_tasks[worker_id] < max_tasks // sum(self._workers_status)):
                break
        else:
            return
        self._index_queues[worker_id].put((self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._workers_num_tasks[worker_id] += 1
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _process_data(self, data, worker_id: int):
        self._workers_num_tasks[worker_id] -= 1
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data

    def _mark_worker_as_unavailable(self, worker_id: int) -> None:
        """Tell the worker to exit (it finishes its current task first)."""
        self._index_queues[worker_id].put(None)
        self._workers_status[worker_id] = False

    def _shutdown_workers(self) -> None:
        """Stop every worker: ask (``None`` on its index queue), wait a moment, then
        terminate; each is joined, so none is left a zombie."""
        if _python_exiting or self._shutdown:
            return
        self._shutdown = True
        try:
            self._done_event.set()
            status = getattr(self, "_workers_status", [True] * len(self._workers))
            for worker_id in range(len(self._workers)):
                if self._persistent_workers or status[worker_id]:
                    self._mark_worker_as_unavailable(worker_id)
            for worker in self._workers:
                worker.join(timeout=MP_STATUS_CHECK_INTERVAL)
            for index_queue in self._index_queues:
                index_queue.cancel_join_thread()
                index_queue.close()
        finally:
            for worker in self._workers:
                if worker.is_alive():
                    worker.terminate()
                    worker.join(timeout=MP_STATUS_CHECK_INTERVAL)

    def __del__(self) -> None:
        if hasattr(self, "_shutdown"):  # __init__ got far enough to start workers
            self._shutdown_workers()
