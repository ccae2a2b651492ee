"""Process groups and their collectives (PyTorch's ``torch.distributed.distributed_c10d``),
for the CPU: the ``gloo`` backend's semantics over this framework's own transport.

Transport: a star through rank 0. Every tensor a collective moves is pickled (its NumPy array)
into the ``TCPStore`` that rank 0 serves (``store.py``), under a key named after the group,
the collective's sequence number and the sending rank; the receiving ranks take it from
there, and the store deletes it after its last reader. Every rank reduces the gathered
arrays itself, in rank order, so all ranks hold bit-identical results (for two ranks this
equals gloo's result exactly: addition of two terms is commutative; for more ranks gloo's
ring may add in another order, a difference in the last bits).

Asynchronous collectives (``async_op=True``) run in one worker thread per group, in the order
they were called (as gloo's work queue); a synchronous one waits for the queue before it runs.
``isend`` completes at once (the value is in the store); ``irecv`` waits in its own thread.
"""

from __future__ import annotations

import os
import pickle
import queue
import threading
import time
from datetime import timedelta
from enum import Enum
from urllib.parse import parse_qs, urlparse

import numpy as np

from .store import DistBackendError, DistStoreError, TCPStore

NO_PROCESS_GROUP = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")
default_pg_timeout = timedelta(minutes=30)


class Backend(str):
    """PyTorch's ``Backend``: a backend name, lower-cased (``Backend("GLOO") == "gloo"``)."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    backend_list = [UNDEFINED, GLOO, NCCL, XCCL, UCC, MPI]
    default_device_backend_map = {"cpu": GLOO, "cuda": NCCL, "xpu": XCCL}

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return str.__new__(cls, value)


class ReduceOp:
    """PyTorch's ``ReduceOp``: ``SUM``, ``PRODUCT``, ``MIN``, ``MAX``, ``AVG`` (all of which
    gloo supports on floating tensors; ``AVG`` of an integer tensor fails as in PyTorch) and the
    bitwise ``BAND``, ``BOR``, ``BXOR`` (integer and bool tensors only). ``PREMUL_SUM`` exists
    by name, as PyTorch's, and is refused by the CPU collectives."""

    class RedOpType(Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

        def __repr__(self):
            return f"<RedOpType.{self.name}: {self.value}>"

        def __str__(self):
            return f"RedOpType.{self.name}"

    SUM, AVG, PRODUCT, MIN, MAX = (RedOpType.SUM, RedOpType.AVG, RedOpType.PRODUCT,
                                   RedOpType.MIN, RedOpType.MAX)
    BAND, BOR, BXOR, PREMUL_SUM, UNUSED = (RedOpType.BAND, RedOpType.BOR, RedOpType.BXOR,
                                           RedOpType.PREMUL_SUM, RedOpType.UNUSED)

    def __init__(self, op=RedOpType.SUM) -> None:
        self.op = op


_BITWISE = {ReduceOp.BAND: np.bitwise_and, ReduceOp.BOR: np.bitwise_or,
            ReduceOp.BXOR: np.bitwise_xor}


def _reduce(arrays: list[np.ndarray], op, world_size: int) -> np.ndarray:
    """``arrays`` (one per rank, in rank order) combined by ``op``, left to right."""
    op = op.op if isinstance(op, ReduceOp) else op
    dtype = arrays[0].dtype
    integral = dtype.kind in "biu"
    if op in _BITWISE:
        if not integral:
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
        combine = _BITWISE[op]
    elif op == ReduceOp.AVG and integral:
        # PyTorch divides in place: a float quotient cannot go back into an integer tensor
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{_TYPE_NAMES.get(dtype.name, dtype.name)}")
    elif op in (ReduceOp.SUM, ReduceOp.AVG):
        combine = np.logical_or if dtype == np.bool_ else np.add
    elif op == ReduceOp.PRODUCT:
        combine = np.logical_and if dtype == np.bool_ else np.multiply
    elif op == ReduceOp.MIN:
        combine = np.minimum
    elif op == ReduceOp.MAX:
        combine = np.maximum
    else:
        raise RuntimeError(f"Cannot use ReduceOp.{getattr(op, 'name', op)} with Gloo")
    result = arrays[0].copy()
    for array in arrays[1:]:
        combine(result, array, out=result)
    if op == ReduceOp.AVG:
        result = (result / world_size).astype(dtype, copy=False)
    return result


_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool"}


class Work:
    """PyTorch's ``Work``: the handle an ``async_op=True`` collective returns. ``wait()``
    blocks until it has finished (raising what it raised) and returns True."""

    def __init__(self, run=None, result=None) -> None:
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._result = result
        if run is None:
            self._done.set()
        self._run = run

    def _execute(self) -> None:
        try:
            self._result = self._run()
        except BaseException as error:
            self._error = error
        finally:
            self._done.set()

    def wait(self, timeout: timedelta | None = None) -> bool:
        """Block until it has finished (at most ``timeout``); raise what it raised; True."""
        seconds = None if timeout is None or timeout == timedelta(0) else timeout.total_seconds()
        if not self._done.wait(seconds):
            raise RuntimeError(f"Work timed out after {int(seconds * 1000)}ms")
        if self._error is not None:
            raise self._error
        return True

    def is_completed(self) -> bool:
        """Whether it has finished (well or not)."""
        return self._done.is_set()

    def is_success(self) -> bool:
        """Whether it has finished without an error."""
        return self._done.is_set() and self._error is None

    def exception(self):
        """What it raised, or None."""
        return self._error

    def result(self):
        """Wait; the output tensors (an empty list: the collectives write in place)."""
        self.wait()
        return self._result if isinstance(self._result, list) else []

    def source_rank(self) -> int:
        """Wait; for a ``recv``/``irecv``, the sender's rank."""
        self.wait()
        return self._result

    def synchronize(self) -> None:
        """Wait (PyTorch's device synchronisation: the CPU has nothing more to wait for)."""
        self.wait()


class ProcessGroup:
    """A set of ranks that run collectives together (PyTorch's ``ProcessGroup``). ``rank()``
    and ``size()`` are this process's rank in the group and the group's size;
    ``_global_ranks`` maps group ranks to ranks of the default group."""

    def __init__(self, store: TCPStore, name: str, rank: int, global_ranks: list[int],
                 backend: str, timeout: timedelta) -> None:
        self.store, self.group_name = store, name
        self._rank, self._global_ranks = rank, global_ranks
        self._backend, self._timeout = backend, timeout
        self._sequence = 0
        self._p2p_counts: dict[tuple, int] = {}
        self._queue: queue.Queue | None = None
        self._lock = threading.Lock()

    def rank(self) -> int:
        """This process's rank in the group."""
        return self._rank

    def size(self) -> int:
        """The number of ranks in the group."""
        return len(self._global_ranks)

    def name(self) -> str:
        """The backend's name."""
        return self._backend

    def __repr__(self):
        return f"<tinygrad_bn.distributed.ProcessGroup {self.group_name} rank {self._rank} " \
               f"of {self.size()}>"

    # -- running collectives in call order ------------------------------------------------
    def _submit(self, body, async_op: bool):
        """Run ``body(prefix)`` as the next collective of this group: inline, or (async_op)
        on the group's worker thread, after everything submitted before it."""
        with self._lock:
            self._sequence += 1
            prefix = f"{self.group_name}/{self._sequence}"
        work = Work(lambda: body(prefix))
        self._last = work
        if self._queue is None and not async_op:
            work._execute()
            work.wait()
            return None
        if self._queue is None:
            self._queue = queue.Queue()
            threading.Thread(target=self._work_loop, daemon=True,
                             name=f"tinygrad_bn-{self.group_name}").start()
        self._queue.put(work)
        if async_op:
            return work
        work.wait()
        return None

    def _submit_result(self, body):
        """Run ``body(prefix)`` as the next collective, synchronously; return its result."""
        self._submit(body, async_op=False)
        return self._last._result

    def _work_loop(self) -> None:
        while True:
            work = self._queue.get()
            if work is None:
                return
            work._execute()

    def _shutdown(self) -> None:
        if self._queue is not None:
            self._queue.put(None)

    # -- moving arrays through the store --------------------------------------------------
    def _put(self, key: str, value) -> None:
        self.store.set(key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def _take(self, key: str, readers: int = 1):
        try:
            return pickle.loads(self.store.take(key, readers))
        except DistStoreError as error:
            raise DistBackendError(
                f"[{self._backend}] rank {self._rank} timed out after "
                f"{int(self._timeout.total_seconds() * 1000)}ms waiting for {key}") from error

    def _exchange(self, prefix: str, value) -> list:
        """Every rank's ``value``, in rank order, on every rank (the all-gather that the
        other collectives are made of)."""
        size = self.size()
        if size > 1:  # (a key nobody reads would never be deleted)
            self._put(f"{prefix}/{self._rank}", value)
        return [value if rank == self._rank else self._take(f"{prefix}/{rank}", size - 1)
                for rank in range(size)]

    def _next_p2p(self, source: int, destination: int, tag: int) -> str:
        with self._lock:
            count = self._p2p_counts.get((source, destination, tag), 0)
            self._p2p_counts[(source, destination, tag)] = count + 1
        return f"{self.group_name}/p2p/{source}/{destination}/{tag}/{count}"


class _GroupMember:
    """PyTorch's ``GroupMember``: ``WORLD`` (the default group, None before
    ``init_process_group``) and ``NON_GROUP_MEMBER`` (what ``new_group`` returns to a rank not
    in the group)."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


GroupMember = _GroupMember()


class _World:
    def __init__(self):
        self.generation = 0
        self.groups_made = 0
        self.groups: list[ProcessGroup] = []


_world = _World()


class group:
    """PyTorch's ``group``: ``group.WORLD`` is the default process group."""

    @classmethod
    def __class_getitem__(cls, item):  # pragma: no cover - typing only
        return cls


def _set_world(process_group):
    GroupMember.WORLD = process_group
    group.WORLD = process_group


_set_world(None)


def _default_group() -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(NO_PROCESS_GROUP)
    return GroupMember.WORLD


def _resolve(group_or_none) -> ProcessGroup | None:
    """The group a collective runs on: the default one for None, None for a rank outside it."""
    if group_or_none is None:
        return _default_group()
    _default_group()
    if group_or_none == GroupMember.NON_GROUP_MEMBER:
        return None
    return group_or_none


# -- initialisation ------------------------------------------------------------------------

def is_available() -> bool:
    """True: ``torch.distributed`` works here (on the CPU, with the gloo backend)."""
    return True


def is_initialized() -> bool:
    """Whether ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return GroupMember.WORLD is not None


def is_gloo_available() -> bool:
    """True: the gloo backend is what this package provides."""
    return True


def is_nccl_available() -> bool:
    """False: no CUDA here, so no NCCL (as a CPU-only PyTorch build)."""
    return False


def is_mpi_available() -> bool:
    """False, as a PyTorch build without MPI."""
    return False


def is_ucc_available() -> bool:
    """False, as a PyTorch build without UCC."""
    return False


def is_xccl_available() -> bool:
    """False: no XPU here."""
    return False


def is_backend_available(backend: str) -> bool:
    """Whether ``backend`` can be used here: only ``"gloo"``."""
    return backend.lower() == Backend.GLOO


def is_torchelastic_launched() -> bool:
    """Whether torchrun (torchelastic) started this process (``TORCHELASTIC_RUN_ID`` set)."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def _check_backend(backend) -> str:
    if backend is None:
        return Backend.GLOO
    name = str(backend).lower()
    for part in name.split(","):  # "cpu:gloo,cuda:nccl"
        part = part.split(":")[-1]
        if part == Backend.GLOO:
            return Backend.GLOO
    for part in name.split(","):
        part = part.split(":")[-1]
        if part == Backend.NCCL:
            raise RuntimeError("Distributed package doesn't have NCCL built in")
        if part == Backend.MPI:
            raise RuntimeError("Distributed package doesn't have MPI built in. MPI is only "
                               "included if you build PyTorch from source on a host that has "
                               "MPI installed.")
        if part == Backend.XCCL:
            raise RuntimeError("Distributed package doesn't have XCCL built in")
    raise AssertionError(f"Unknown backend type {name}")


def _rendezvous(init_method: str, rank: int, world_size: int, timeout: timedelta):
    """(store, rank, world_size) from ``init_method``, as PyTorch's rendezvous handlers read
    it (``env://``, ``tcp://host:port``, ``file://path``), with their messages."""
    url = urlparse(init_method)
    query = {key: values[-1] for key, values in parse_qs(url.query).items()}
    rank = int(query.get("rank", rank))
    world_size = int(query.get("world_size", world_size))

    def error(scheme, message):
        return ValueError(f"Error initializing torch.distributed using {scheme}:// "
                          f"rendezvous: {message}")

    if url.scheme == "env":
        def environment(name):
            value = os.environ.get(name)
            if value is None:
                raise error("env", f"environment variable {name} expected, but not set")
            return value
        if rank == -1:
            rank = int(environment("RANK"))
        if world_size == -1:
            world_size = int(environment("WORLD_SIZE"))
        host, port = environment("MASTER_ADDR"), int(environment("MASTER_PORT"))
    elif url.scheme == "tcp":
        if not url.port:
            raise error("tcp", "port number missing")
        if rank == -1:
            raise error("tcp", "rank parameter missing")
        if world_size == -1:
            raise error("tcp", "world size parameter missing")
        host, port = url.hostname, url.port
    elif url.scheme == "file":
        path = url.path or url.netloc
        if not path:
            raise error("file", "path missing")
        if rank == -1:
            raise error("file", "rank parameter missing")
        if world_size == -1:
            raise error("file", "world size parameter missing")
        return _file_rendezvous(path, rank, world_size, timeout) + (rank, world_size)
    else:
        raise RuntimeError(f"No rendezvous handler for {url.scheme}://")
    store = TCPStore(host, port, world_size, is_master=rank == 0, timeout=timeout)
    return store, rank, world_size


def _file_rendezvous(path: str, rank: int, world_size: int, timeout: timedelta):
    """Rank 0 serves a store on a free port and writes its address into ``path`` (atomically:
    a temporary file renamed); the others read it from there. (PyTorch's ``FileStore`` keeps
    the keys in the file itself; here the file only carries the meeting point, and, as with
    PyTorch, it must not be left over from an earlier run.)"""
    if rank == 0:
        store = TCPStore("127.0.0.1", 0, world_size, is_master=True, timeout=timeout)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w") as handle:
            handle.write(f"127.0.0.1 {store.port}\n")
        os.replace(temporary, path)
        return (store,)
    deadline = time.monotonic() + timeout.total_seconds()
    while True:
        try:
            with open(path) as handle:
                text = handle.read()
            if text.endswith("\n"):
                host, port = text.split()
                return (TCPStore(host, int(port), world_size, timeout=timeout),)
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise DistStoreError(f"wait timeout after {int(timeout.total_seconds() * 1000)}ms, "
                                 f"keys: {path}")
        time.sleep(0.01)


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout: timedelta | None = None, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """Join the default process group (PyTorch's ``init_process_group``): ``backend`` must be
    ``"gloo"`` (or None, or a map such as ``"cpu:gloo,cuda:nccl"``; ``"nccl"`` and ``"mpi"``
    raise PyTorch's errors for a CPU-only build). Ranks meet through ``init_method``
    (default ``env://``: ``MASTER_ADDR``, ``MASTER_PORT``, and ``RANK``/``WORLD_SIZE`` unless
    given) or a ``store`` (then ``rank`` and ``world_size`` are required). ``timeout``
    (default 30 minutes, gloo's) bounds every wait. Returns once all ``world_size`` ranks
    have joined."""
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise AssertionError("Cannot specify both init_method and store.")
    backend = _check_backend(backend)
    timeout = default_pg_timeout if timeout is None else timeout
    if not isinstance(timeout, timedelta):
        raise TypeError(f"Expected timeout argument to be of type datetime.timedelta, got "
                        f"{type(timeout)}")
    if store is not None:
        if world_size <= 0:
            raise AssertionError("world_size must be positive if using store")
        if rank < 0:
            raise AssertionError("rank must be non-negative if using store")
    else:
        store, rank, world_size = _rendezvous(init_method or "env://", rank, world_size,
                                              timeout)
    _world.generation += 1
    name = f"{group_name or 'default_pg'}.{_world.generation}"
    world = ProcessGroup(store, name, rank, list(range(world_size)), backend, timeout)
    _world.groups_made = 0
    # everyone has joined: the store counts them in, as PyTorch's store-based barrier
    world._submit(lambda prefix: world._exchange(prefix, None), async_op=False)
    _world.groups.append(world)
    _set_world(world)


def destroy_process_group(group=None) -> None:
    """Leave ``group`` (default: the default group, and with it every group)."""
    if group is None or group is GroupMember.WORLD:
        if GroupMember.WORLD is None:
            raise AssertionError("Process group cannot be None")
        for process_group in _world.groups:
            process_group._shutdown()
        _world.groups.clear()
        _set_world(None)
        return
    if group == GroupMember.NON_GROUP_MEMBER:
        return
    group._shutdown()
    if group in _world.groups:
        _world.groups.remove(group)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization: bool = False, group_desc=None, device_id=None):
    """A group of the default group's ``ranks`` (default: all), which every rank must create,
    in the same order (as PyTorch requires). A rank outside it gets
    ``GroupMember.NON_GROUP_MEMBER``, and collectives on that are no-ops there."""
    world = _default_group()
    ranks = sorted(range(world.size()) if ranks is None else ranks)
    if len(ranks) > world.size():
        raise ValueError("the new group's world size should be less or equal to the world "
                         "size set by init_process_group")
    for rank in ranks:
        if rank < 0 or rank >= world.size():
            raise ValueError("The new group's rank should be within the world_size set by "
                             "init_process_group")
    if backend is not None:
        _check_backend(backend)
    _world.groups_made += 1
    name = f"{world.group_name}/group{_world.groups_made}"
    if world.rank() not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    process_group = ProcessGroup(world.store, name, ranks.index(world.rank()), ranks,
                                 Backend.GLOO, world._timeout if timeout is None else timeout)
    _world.groups.append(process_group)
    return process_group


def get_rank(group=None) -> int:
    """This process's rank in ``group`` (default: the default group); -1 outside it."""
    process_group = _resolve(group)
    return -1 if process_group is None else process_group.rank()


def get_world_size(group=None) -> int:
    """The number of ranks of ``group`` (default: the default group); -1 outside it."""
    process_group = _resolve(group)
    return -1 if process_group is None else process_group.size()


def get_backend(group=None) -> str:
    """``group``'s backend name: ``"gloo"``."""
    process_group = _resolve(group)
    if process_group is None:
        raise ValueError("Invalid process group specified")
    return str(process_group._backend)


def get_process_group_ranks(group) -> list[int]:
    """The default-group ranks of ``group``'s members, in group-rank order."""
    process_group = _resolve(group)
    return list(process_group._global_ranks)


def get_global_rank(group, group_rank: int) -> int:
    """The default-group rank of ``group``'s rank ``group_rank``."""
    process_group = _resolve(group)
    if group_rank < 0 or group_rank >= process_group.size():
        raise ValueError(f"Group {process_group} does not contain global rank {group_rank}.")
    return process_group._global_ranks[group_rank]


def get_group_rank(group, global_rank: int) -> int:
    """``group``'s rank of the default-group rank ``global_rank``."""
    process_group = _resolve(group)
    if global_rank not in process_group._global_ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {process_group}")
    return process_group._global_ranks.index(global_rank)


def get_default_backend_for_device(device) -> str:
    """The backend PyTorch uses for ``device``'s type (``"cpu"``: ``"gloo"``)."""
    return Backend.default_device_backend_map[str(device).split(":")[0]]
