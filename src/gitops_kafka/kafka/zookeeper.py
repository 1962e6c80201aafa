"""ZooKeeper: the only module that talks to it (kazoo sessions and four-letter words).

Everything above this module sees bytes, child lists, changed paths and `SourceError`;
kazoo's exceptions, states and watch events end here. Reads are pipelined: every
request of a batch is sent before the first answer is awaited.
"""
from __future__ import annotations

import logging
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException, NoNodeError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.serialization import GetData
from kazoo.retry import KazooRetry

from gitops_kafka.errors import SourceError

SOURCE = "zookeeper"
DEFAULT_PORT = 2181
WINDOW, UNSENT = 2000, 64  # unanswered / unsent requests at most (see Session._pipeline)

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())  # kazoo reconnects noisily; the daemon decides what to log


def split_address(address: str) -> tuple[str, int]:
    """'host:port' (or 'host', or '[v6]:port') -> (host, port)."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or "]" in port:
        host, port = address.strip(), str(DEFAULT_PORT)
    if not port.isdigit() or not host:
        raise SourceError(SOURCE, f"{address!r} is not host:port")
    return host.strip("[]"), int(port)


def four_letter_word(address: str, word: str, timeout: float = 2.0) -> str:
    """Send one four-letter word (srvr, mntr, ruok...) and return the whole answer."""
    host, port = split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout) as connection:
            connection.sendall(word.encode("ascii"))
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
    except OSError as exc:
        raise SourceError(SOURCE, f"{address}: {word}: {exc.strerror or exc}") from None
    return b"".join(chunks).decode("utf-8", errors="replace")


def unreachable(hosts: str, timeout: float) -> dict[str, str]:
    """Why each member of 'h:p,h:p' refuses a TCP connection ('connection refused', 'unknown host'...)."""
    reasons = {}
    for address in (a.strip() for a in hosts.split(",") if a.strip()):
        host, port = split_address(address)
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except socket.gaierror:
            reasons[address] = "unknown host"
        except ConnectionRefusedError:
            reasons[address] = "connection refused"
        except TimeoutError:
            reasons[address] = f"no answer within {timeout:g}s"
        except OSError as exc:
            reasons[address] = (exc.strerror or str(exc)).lower()
    return reasons


class SharedWatch:
    """kazoo's client-side watch registry (its private `_data_watchers` / `_child_watchers`,
    path -> set of callables) for a session whose watches all call one callable.

    kazoo keeps a set and the path per watch: about 330 bytes a znode, 40 MiB for a large
    cluster's 120,000 watches, only to find which callables an event is for. ZooKeeper
    delivers an event only for a watch this session left, and every watch the Session
    leaves calls `watcher`, so every event goes to it: nothing per path is kept. Any other
    callable (none today) is kept per path, as kazoo does. kazoo calls this from its
    connection thread: `registry[path].add(watcher)` on an answer, `registry.pop(path, [])`
    on an event, `values()` when the connection is lost (then it puts a plain registry back,
    which the Session replaces on its next watching read).
    """

    __slots__ = ("watcher", "_armed", "_path", "_others")

    def __init__(self, watcher: Callable[[object], None]):
        self.watcher = watcher
        self._armed = False  # whether any watch was left since this registry was installed
        self._path: str | None = None
        self._others: dict[str, set] = {}

    def __getitem__(self, path: str) -> SharedWatch:
        self._path = path
        return self

    def add(self, watcher: Callable[[object], None]) -> None:
        if watcher is self.watcher:
            self._armed = True
        else:
            self._others.setdefault(self._path, set()).add(watcher)

    def pop(self, path: str, default=None) -> list:
        return [self.watcher, *self._others.pop(path, ())]

    def get(self, path: str, default=None) -> set:
        return {self.watcher, *self._others.get(path, ())}

    def values(self) -> list:
        return ([(self.watcher,)] if self._armed else []) + list(self._others.values())

    def __len__(self) -> int:
        """Paths with a watcher other than the shared one (kazoo's registry would count every watch)."""
        return len(self._others)


class Session:
    """One ZooKeeper session that reconnects by itself, at the ensemble's root.

    No chroot here: the reader reads Kafka's znodes under Kafka's chroot and Kafka Manager's
    where CMAK keeps them, outside it, through the one session.

    `on_change(path)` is called (from kazoo's thread) when a watched znode or child list
    changes; `on_change(None)` when every watch may have been lost (the session
    expired, or the connection was suspended), so the caller must read everything again.
    """

    def __init__(self, hosts: str, timeout: float = 10.0, on_change: Callable[[str | None], None] | None = None):
        self.hosts = hosts
        self.timeout = timeout
        self._on_change = on_change or (lambda path: None)
        self._client: KazooClient | None = None
        self._lock = threading.Lock()
        self._watcher = self._watched  # one callable for every watch (a bound method is a new object per access)

    # ------------------------------------------------------------ lifecycle

    def connect(self) -> None:
        """Start the client if it is not running; wait at most `timeout` for a connection."""
        with self._lock:
            if self._client is None:
                self._refuse_unreachable()
                self._client = KazooClient(
                    hosts=self.hosts, timeout=self.timeout,
                    connection_retry=KazooRetry(max_tries=-1, delay=0.1, max_delay=2),
                    logger=log)
                self._client.add_listener(self._state_changed)
                try:
                    self._client.start(timeout=self.timeout)
                except (KazooTimeoutError, KazooException) as exc:
                    self._discard()
                    raise SourceError(SOURCE, f"cannot connect to {self.hosts}: "
                                              f"{exc or f'no ZooKeeper session within {self.timeout:g}s'}") from None
                except ValueError as exc:  # kazoo's answer to a malformed hosts string
                    self._discard()
                    raise SourceError(SOURCE, f"{self.hosts!r}: {exc}") from None
                return
        if not self._client.connected:
            self._wait_connected()

    def _refuse_unreachable(self) -> None:
        """Say at once, and truly, why no member can be reached (refused, unknown host), not 'timed out' later."""
        members = [a for a in self.hosts.split(",") if a.strip()]
        if not members:
            raise SourceError(SOURCE, f"no ZooKeeper hosts in {self.hosts!r}")
        reasons = unreachable(self.hosts, min(self.timeout, 2.0))
        if len(reasons) == len(members):
            raise SourceError(SOURCE, "cannot connect to " + ", ".join(f"{a} ({why})" for a, why in reasons.items()))

    def _wait_connected(self) -> None:
        ready = threading.Event()

        def listener(state):
            if state == KazooState.CONNECTED:
                ready.set()
                return True
            return False

        self._client.add_listener(listener)
        if not (self._client.connected or ready.wait(self.timeout)):
            self._client.remove_listener(listener)
            raise SourceError(SOURCE, f"not connected to {self.hosts} (reconnecting)")
        self._client.remove_listener(listener)

    def close(self) -> None:
        with self._lock:
            self._discard()

    def _discard(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.stop()
                client.close()
            except KazooException:  # pragma: no cover - closing a dead client
                pass

    @property
    def session_id(self) -> tuple[int, bytes] | None:
        """(session id, password) while connected; tests use it to expire the session."""
        return self._client.client_id if self._client is not None and self._client.connected else None

    def _state_changed(self, state) -> None:
        if state in (KazooState.LOST, KazooState.SUSPENDED):
            self._on_change(None)

    def _watched(self, event) -> None:
        self._on_change(event.path if event.type is not None and event.path else None)

    # ------------------------------------------------------------ reads

    def _require(self) -> KazooClient:
        if self._client is None:
            raise SourceError(SOURCE, "not connected")
        return self._client

    def _pipeline(self, paths: Iterable[str], call: Callable[[str], object],
                  what: str) -> Iterator[tuple[str, object]]:
        """(path, answer) in order as answers come, while later requests are in flight (the
        caller's work on an answer overlaps kazoo's on the next ones), never blocking in kazoo.

        kazoo wakes its connection thread with one byte per queued request on a socket pair
        that holds about 280 bytes, and nothing drains it while the server hangs or the
        connection is down: a burst of unsent requests would block the caller until
        ZooKeeper came back. When a connection drops, kazoo fails its queued requests but
        leaves their bytes in the pair until it is connected again. So: at most UNSENT
        requests wait in kazoo's queue (its private `_queue`, read here and nowhere else),
        nothing is sent once the connection is lost, and at most WINDOW are unanswered;
        stale bytes plus new ones then stay far below the pair's capacity.

        When the queue is full this thread blocks once, on the request queued UNSENT // 2
        back: when it is answered, kazoo has sent everything before it and the next half
        queue can go. (Settling the oldest answers one by one instead made this thread and
        kazoo's take turns request by request, well behind plain kazoo on a large scan.)
        Each wait, like each answer, may take up to `timeout`; the first failure fails the
        whole batch (the caller reads it again next cycle).
        """
        client = self._require()
        queue = getattr(client, "_queue", ())
        window: deque[tuple[str, object]] = deque()

        def settle() -> tuple[str, object]:
            path, request = window.popleft()
            try:
                return path, request.get(timeout=self.timeout)
            except NoNodeError:
                return path, None
            except KazooTimeoutError:
                raise SourceError(SOURCE, f"{what} {path}: no answer within {self.timeout:g}s") from None
            except KazooException as exc:
                raise SourceError(SOURCE, f"{what} {path}: {type(exc).__name__} {exc}".rstrip()) from None

        try:
            for path in paths:
                if len(window) >= WINDOW:
                    yield settle()
                if len(queue) >= UNSENT and window:  # (the queue may also hold a failed cycle's requests)
                    behind, request = window[-min(len(window), UNSENT // 2)]
                    if not request.wait(self.timeout):
                        raise SourceError(SOURCE, f"{what} {behind}: no answer within {self.timeout:g}s")
                if not client.connected:
                    raise SourceError(SOURCE, f"{what}: connection to {self.hosts} lost")
                window.append((path, call(path)))
            while window:
                yield settle()
        except KazooException as exc:
            raise SourceError(SOURCE, f"{what}: {type(exc).__name__} {exc}".rstrip()) from None

    def _watching(self, client: KazooClient, watch: bool) -> Callable[[object], None] | None:
        """The watcher to leave (None without `watch`), with SharedWatch registries in kazoo's place
        (kazoo puts plain ones back whenever a connection drops)."""
        if not watch:
            return None
        for name in ("_data_watchers", "_child_watchers"):
            registry = getattr(client, name)
            if not (isinstance(registry, SharedWatch) and registry.watcher is self._watcher):
                setattr(client, name, SharedWatch(self._watcher))
        return self._watcher

    def get_each(self, paths: Iterable[str], watch: bool = False) -> Iterator[tuple[str, bytes | None]]:
        """(path, payload) of each path in order (None when it does not exist), pipelined."""
        client = self._require()
        watcher = self._watching(client, watch)
        for path, value in self._pipeline(paths, _getter(client, watcher), "read"):
            yield path, (value[0] if value is not None else None)

    def get_many(self, paths: Iterable[str], watch: bool = False) -> dict[str, bytes | None]:
        """Payload of each path (None when it does not exist), pipelined."""
        return dict(self.get_each(paths, watch))

    def children_many(self, paths: Iterable[str], watch: bool = False) -> dict[str, list[str] | None]:
        """Child names of each path (None when it does not exist), pipelined."""
        client = self._require()
        watcher = self._watching(client, watch)
        return dict(self._pipeline(paths, lambda path: client.get_children_async(path, watch=watcher), "list"))  # type: ignore[arg-type]

    def exists(self, path: str) -> bool:
        client = self._require()
        try:
            return client.exists_async(path).get(timeout=self.timeout) is not None
        except (KazooTimeoutError, KazooException) as exc:
            raise SourceError(SOURCE, f"exists {path}: {type(exc).__name__} {exc}".strip()) from None


def _getter(client: KazooClient, watcher: Callable[[object], None] | None) -> Callable[[str], object]:
    """`client.get_async(path, watch=watcher)`, without kazoo's path normalisation for a path that
    needs none (absolute, no empty, '.' or '..' part, no trailing '/': every path the reader
    builds from ZooKeeper's own child names). kazoo splits and joins each path again (about 3 µs,
    a tenth of the reader's own work in a 120,000-read scan, on the thread that shares the
    interpreter lock with kazoo's I/O thread); this queues kazoo's own request (its private
    `_call`) as `get_async` does. Any other path goes through `get_async`."""
    get_async, call, result = client.get_async, getattr(client, "_call", None), client.handler.async_result
    if call is None or client.chroot:  # (a kazoo without it; the Session never sets a chroot)
        return lambda path: get_async(path, watch=watcher)

    def get(path: str) -> object:
        if path[:1] != "/" or "//" in path or "/." in path or path[-1:] == "/" or len(path) < 2:
            return get_async(path, watch=watcher)
        answer = result()
        call(GetData(path, watcher), answer)
        return answer
    return get
