"""The key-value store the processes of a group meet through (PyTorch's ``TCPStore``): one
process (rank 0) serves it on a TCP port, every process is a client. ``init_process_group``
rendezvous through it, and this framework's gloo-like backend moves every tensor through it
too (a star through rank 0: see ``process_group``).

The server is a thread per client connection over Python's ``multiprocessing.connection``
(pickled requests, no new dependency); a blocking ``get`` waits on a condition variable.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import threading
import time
from datetime import timedelta
from multiprocessing.connection import Client, Listener


class DistError(RuntimeError):
    """PyTorch's ``torch.distributed.DistError``: a failure in distributed communication."""


class DistBackendError(DistError):
    """PyTorch's ``DistBackendError``: the communication backend failed."""


class DistNetworkError(DistError):
    """PyTorch's ``DistNetworkError``: a network failure (a store that cannot be reached)."""


class DistStoreError(DistError):
    """PyTorch's ``DistStoreError``: a store operation failed or timed out."""


def _seconds(timeout) -> float:
    return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)


class _StoreServer:
    """The keys and values, served on ``(host, port)`` to one thread per connection.

    Requests are tuples ``(operation, *arguments)``; the reply is ``(ok, value)``. ``take`` is
    this framework's own addition: ``get`` that deletes the key after its ``readers``-th read,
    so that the tensors of finished collectives do not pile up in rank 0's memory."""

    def __init__(self, host: str, port: int) -> None:
        self.listener = Listener((host, port), family="AF_INET", backlog=128)
        self.port = self.listener.address[1]
        self.values: dict[str, bytes] = {}
        self.reads: dict[str, int] = {}
        self.changed = threading.Condition()
        self.connections = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True, name="tinygrad_bn-store").start()
        # Children of multiprocessing skip atexit: Finalize runs there too. Either way the
        # server stays up until the other processes have hung up (see ``drain``).
        multiprocessing.util.Finalize(self, self.drain, exitpriority=100)
        atexit.register(self.drain)

    def _accept(self) -> None:
        while not self.closed:
            try:
                connection = self.listener.accept()
            except OSError:
                return
            with self.changed:
                self.connections += 1
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection) -> None:
        try:
            while True:
                try:
                    request = connection.recv()
                except (EOFError, OSError):
                    return
                try:
                    reply = (True, getattr(self, "_" + request[0])(*request[1:]))
                except Exception as error:  # sent back and raised in the client
                    reply = (False, error)
                connection.send(reply)
        finally:
            connection.close()
            with self.changed:
                self.connections -= 1
                self.changed.notify_all()

    def _wait_for(self, keys, timeout):
        deadline = time.monotonic() + timeout
        with self.changed:
            while not all(key in self.values for key in keys):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DistStoreError(f"wait timeout after {int(timeout * 1000)}ms, keys: "
                                         + ", ".join(keys))
                self.changed.wait(left)

    def _set(self, key, value):
        with self.changed:
            self.values[key] = value
            self.changed.notify_all()

    def _get(self, key, timeout):
        self._wait_for([key], timeout)
        with self.changed:
            return self.values[key]

    def _take(self, key, readers, timeout):
        self._wait_for([key], timeout)
        with self.changed:
            value = self.values[key]
            self.reads[key] = self.reads.get(key, 0) + 1
            if self.reads[key] >= readers:
                del self.values[key], self.reads[key]
            return value

    def _add(self, key, amount):
        with self.changed:
            value = int(self.values.get(key, b"0")) + amount
            self.values[key] = str(value).encode()
            self.changed.notify_all()
            return value

    def _wait(self, keys, timeout):
        self._wait_for(keys, timeout)

    def _check(self, keys):
        with self.changed:
            return all(key in self.values for key in keys)

    def _delete_key(self, key):
        with self.changed:
            return self.values.pop(key, None) is not None

    def _num_keys(self):
        with self.changed:
            return len(self.values)

    def _compare_set(self, key, expected, desired):
        with self.changed:
            current = self.values.get(key)
            if (current is None and expected == b"") or current == expected:
                self.values[key] = desired
                self.changed.notify_all()
                return desired
            return expected if current is None else current

    def drain(self, timeout: float = 60.0) -> None:
        """Close this process's own connections, then wait (up to ``timeout`` seconds) until
        every other process has hung up: a process that exits right after its last
        collective must not take the values the others have still to read with it."""
        if self.closed:
            return
        _close_local_connections()
        deadline = time.monotonic() + timeout
        with self.changed:
            while self.connections > 0 and time.monotonic() < deadline:
                self.changed.wait(deadline - time.monotonic())
        self.closed = True
        self.listener.close()


_servers: dict[tuple[str, int], _StoreServer] = {}
_local_connections: list = []
_local_lock = threading.Lock()


def _close_local_connections() -> None:
    with _local_lock:
        for connection in _local_connections:
            connection.close()
        _local_connections.clear()


class TCPStore:
    """PyTorch's ``TCPStore(host_name, port, world_size=None, is_master=False,
    timeout=timedelta(seconds=300), wait_for_workers=True)``: a key-value store served by the
    process with ``is_master`` (port 0: any free port, read back from ``.port``) and reached by
    the others. Values are bytes (a ``str`` is stored encoded). ``get`` and ``wait`` block
    until the keys exist, up to ``timeout`` (``DistStoreError`` then). Each thread talks to
    the server on its own connection, so a blocking ``get`` in one thread holds up no other."""

    def __init__(self, host_name: str, port: int, world_size: int | None = None,
                 is_master: bool = False, timeout: timedelta = timedelta(seconds=300),
                 wait_for_workers: bool = True, multi_tenant: bool = False,
                 master_listen_fd=None, use_libuv: bool = True) -> None:
        self.host, self.world_size = host_name, world_size
        self.timeout = timeout
        if is_master:
            server = _servers.get((host_name, port))
            if server is None or server.closed:
                try:
                    server = _StoreServer(host_name, port)
                except OSError as error:
                    raise DistNetworkError(
                        f"The server socket has failed to listen on any local network address. "
                        f"port: {port}, useIpv6: false, code: {-error.errno}, name: "
                        f"{error.strerror}, message: {error.strerror}") from error
                _servers[(host_name, server.port)] = server
            port = server.port
        self.port = port
        self._local = threading.local()
        self._request("num_keys")  # connect now, as PyTorch's client does

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None or connection.closed:
            deadline = time.monotonic() + _seconds(self.timeout)
            while True:
                try:
                    connection = Client((self.host, self.port), family="AF_INET")
                    break
                except OSError as error:
                    if time.monotonic() > deadline:
                        raise DistNetworkError(
                            f"The client socket has timed out after "
                            f"{int(_seconds(self.timeout) * 1000)}ms while trying to connect to "
                            f"({self.host}, {self.port}).") from error
                    time.sleep(0.01)
            with _local_lock:
                _local_connections.append(connection)
            self._local.connection = connection
        return connection

    def _request(self, *request):
        connection = self._connection()
        try:
            connection.send(request)
            ok, value = connection.recv()
        except (EOFError, OSError) as error:
            raise DistNetworkError(f"failed to reach the store at {self.host}:{self.port}: "
                                   f"{error!r}") from error
        if not ok:
            raise value
        return value

    def set(self, key: str, value) -> None:
        """Store ``value`` (bytes or str) under ``key``, waking those waiting for it."""
        self._request("set", key, value.encode() if isinstance(value, str) else bytes(value))

    def get(self, key: str) -> bytes:
        """``key``'s value, once it exists (``DistStoreError`` after ``timeout``)."""
        return self._request("get", key, _seconds(self.timeout))

    def take(self, key: str, readers: int) -> bytes:
        """``get``, and delete the key once ``readers`` reads have taken it (not PyTorch's:
        how the collectives free what they exchanged)."""
        return self._request("take", key, readers, _seconds(self.timeout))

    def add(self, key: str, amount: int) -> int:
        """Add ``amount`` to the integer under ``key`` (0 when missing); the new value."""
        return self._request("add", key, int(amount))

    def wait(self, keys, timeout: timedelta | None = None) -> None:
        """Return once all ``keys`` exist (``DistStoreError`` after the timeout)."""
        self._request("wait", list(keys), _seconds(self.timeout if timeout is None else timeout))

    def check(self, keys) -> bool:
        """Whether all ``keys`` exist now."""
        return self._request("check", list(keys))

    def delete_key(self, key: str) -> bool:
        """Delete ``key``; whether it existed."""
        return self._request("delete_key", key)

    def num_keys(self) -> int:
        """How many keys the store holds."""
        return self._request("num_keys")

    def compare_set(self, key: str, expected_value, desired_value) -> bytes:
        """Set ``key`` to ``desired_value`` if it holds ``expected_value`` (or is missing and
        ``expected_value`` is empty); the value it holds afterwards."""
        encode = lambda value: value.encode() if isinstance(value, str) else bytes(value)
        return self._request("compare_set", key, encode(expected_value), encode(desired_value))

    def set_timeout(self, timeout: timedelta) -> None:
        """The timeout of later ``get``/``wait`` calls."""
        self.timeout = timeout
