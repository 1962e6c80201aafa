"""The daemon's HTTP server under load: many clients, half-open connections, a burst of connects.

Loopback only and bounded (a few seconds). What must hold: every /healthz request
of 200 concurrent clients is answered while more half-open connections than any
thread pool are held open; those connections cost no thread and are closed by
the server after its request timeout; the listen backlog takes a burst.
"""
from __future__ import annotations

import http.client
import resource
import shutil
import socket
import subprocess
import threading
import time

import pytest

from gitops_kafka.daemon import Daemon
from gitops_kafka.checking import Target
from gitops_kafka.drift.report import DriftReport

CLIENTS = 200
HALF_OPEN = 150  # connect and send nothing, or half a request: more than any sensible thread pool
SECONDS = 4.0


@pytest.fixture(autouse=True)
def enough_file_descriptors():
    """Both ends of every connection live in this process: ask for room beyond a 1024 default."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = soft if hard != resource.RLIM_INFINITY and hard <= soft else max(soft, 4096)
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def daemon(tmp_path):
    target = Target("prod", str(tmp_path / "repo"), "main", tmp_path / "cache")
    daemon = Daemon(target, interval=3600, host="127.0.0.1", port=0, request_timeout=1.0,
                    check=lambda t: DriftReport("prod", "0" * 40, time.time(), 0.01))
    daemon.start()
    yield daemon
    daemon.stop()


def half_open(port, count):
    held = []
    for i in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        if i % 2:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: detector\r\n")  # the rest never comes
        held.append(sock)
    return held


def test_half_open_connections_hold_no_thread_and_are_closed_after_the_request_timeout(daemon):
    before = threading.active_count()
    held = half_open(daemon.port, HALF_OPEN)
    try:
        time.sleep(0.3)  # let the server accept them all
        assert threading.active_count() - before < 10, "a thread per half-open connection"
        closed = 0
        for sock in held:
            try:
                closed += sock.recv(1) == b""  # the server closed it (blocks until it does; 30 s at most)
            except (socket.timeout, ConnectionResetError):
                pass
        assert closed == HALF_OPEN
    finally:
        for sock in held:
            sock.close()


def test_200_clients_get_every_healthz_answered_while_half_open_connections_are_held(daemon):
    held = half_open(daemon.port, HALF_OPEN)
    results, stop = [], time.monotonic() + SECONDS
    lock = threading.Lock()

    def client():
        mine = []
        while time.monotonic() < stop:
            started = time.monotonic()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=10)
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                mine.append((response.status, response.read(), time.monotonic() - started))
                connection.close()
            except OSError as exc:
                mine.append((None, repr(exc), time.monotonic() - started))
        with lock:
            results.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for sock in held:
            sock.close()
    failures = [r for r in results if r[:2] != (200, b"ok\n")]
    assert len(results) >= CLIENTS and failures == []
    slowest = max(r[2] for r in results)
    print(f"{len(results)} requests from {CLIENTS} clients, slowest {slowest:.3f} s")


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2) to read a listening socket's backlog")
def test_the_listen_backlog_takes_a_burst(daemon):
    out = subprocess.run(["ss", "-Hltn", f"sport = :{daemon.port}"], capture_output=True, text=True).stdout
    backlog = int(out.split()[2])  # State Recv-Q Send-Q: Send-Q of a listening socket is its backlog
    assert backlog >= CLIENTS
