"""The daemon's HTTP side: a small GET-only HTTP/1.1 server on asyncio, built to survive its clients.

A thread-per-connection server (http.server's ThreadingHTTPServer) gives every
connection a thread for as long as the client likes: a few hundred clients that
connect and send nothing, or half a request, hold a few hundred threads forever,
and its listen backlog of 5 drops connections in a burst. Here a connection costs
a coroutine, not a thread; a request must arrive whole within `request_timeout`
(and an idle keep-alive connection closes after it); connections beyond
`max_connections` are closed at once; the backlog is sized for bursts. Answers
that take work (/metrics, /drift) are built in a small thread pool; the paths
named `inline` (/healthz) are answered on the event loop itself, so a probe never
waits behind a slow scrape.
"""
from __future__ import annotations

import asyncio
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from typing import Callable

Answer = tuple[int, bytes, str]  # status, body, content type
BACKLOG = 1024
MAX_HEAD = 16 * 1024


class HttpServer:
    def __init__(self, answer: Callable[[str], Answer], host: str, port: int, *, inline: frozenset[str] = frozenset(),
                 request_timeout: float = 10.0, max_connections: int = 1000, workers: int = 4, backlog: int = BACKLOG):
        """Binds now (so a port in use fails in the caller); serves after start()."""
        self._answer, self._inline = answer, inline
        self._timeout, self._max, self._backlog = request_timeout, max_connections, backlog
        self._socket = socket.create_server((host, port), backlog=backlog, reuse_port=False)
        self.port = self._socket.getsockname()[1]
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="http")
        self._connections = 0
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        ready = threading.Event()

        async def main():
            self._loop, self._stopped = asyncio.get_running_loop(), asyncio.Event()
            # start_server listens again on the socket: with its default backlog (100) unless told.
            server = await asyncio.start_server(self._serve, sock=self._socket, limit=MAX_HEAD,
                                                backlog=self._backlog)
            ready.set()
            await self._stopped.wait()
            server.close()  # and end the open connections now, rather than wait for their timeouts
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name="http", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise OSError(f"the HTTP server on port {self.port} did not start")

    def stop(self) -> None:
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        if self._thread is not None:
            self._thread.join(10)
        else:
            self._socket.close()
        self._pool.shutdown(wait=False)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._connections >= self._max:
            writer.close()
            return
        self._connections += 1
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.TimeoutError):
            pass
        finally:
            self._connections -= 1
            self._tasks.discard(task)
            writer.close()

    async def _one_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Read one request head within the timeout and answer it; True to keep the connection open."""
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._timeout)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return False
        line, *fields = head.decode("latin-1").split("\r\n")
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await self._write(writer, (400, b"bad request\n", "text/plain; charset=utf-8"), False, False)
            return False
        method, target, version = parts
        headers = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields if f)}
        connection = headers.get("connection", "").lower()
        keep = connection != "close" if version == "HTTP/1.1" else connection == "keep-alive"
        if headers.get("content-length", "0") != "0" or "transfer-encoding" in headers:
            keep = False  # a GET with a body: answer, then close rather than read it
        if method not in ("GET", "HEAD"):
            await self._write(writer, (405, b"only GET\n", "text/plain; charset=utf-8"), keep, method == "HEAD")
            return keep
        path = target.split("?", 1)[0]
        if path in self._inline:
            answer = self._answer(path)
        else:
            answer = await asyncio.get_running_loop().run_in_executor(self._pool, self._answer, path)
        await self._write(writer, answer, keep, method == "HEAD")
        return keep

    async def _write(self, writer: asyncio.StreamWriter, answer: Answer, keep: bool, head_only: bool) -> None:
        status, body, content_type = answer
        reason = HTTPStatus(status).phrase
        writer.write((f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
                      f"Content-Length: {len(body)}\r\nConnection: {'keep-alive' if keep else 'close'}\r\n\r\n")
                     .encode("latin-1") + (b"" if head_only else body))
        await asyncio.wait_for(writer.drain(), self._timeout)
