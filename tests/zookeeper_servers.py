"""Real ZooKeeper servers from Debian's `zookeeper` package, on loopback ports, for tests.

A standalone server or an ensemble of members; each member runs QuorumPeerMain in
its own JVM with its data directory under a temporary folder. Readiness is polled
with the `srvr` four-letter word (a member is ready when it reports a Mode), never
a fixed sleep.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CLASSPATH = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"
MAIN = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
JAR = Path("/usr/share/java/zookeeper.jar")


def installed() -> bool:
    return JAR.exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def four_letter(port: int, word: str, timeout: float = 1.0) -> str:
    """The raw answer of one four-letter word, or '' when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(word.encode())
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks).decode(errors="replace")
    except OSError:
        return ""


def mode(port: int) -> str | None:
    for line in four_letter(port, "srvr").splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    return None


@dataclass
class Member:
    """One ZooKeeper server process: start, stop (SIGTERM), kill (SIGKILL), pause (SIGSTOP)."""

    myid: int
    client_port: int
    directory: Path
    heap: str = "64m"
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def config_path(self) -> Path:
        return self.directory / "zoo.cfg"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, "already running"
        log = open(self.directory / "server.log", "ab")
        self.process = subprocess.Popen(
            ["java", f"-Xmx{self.heap}", "-Dzookeeper.admin.enableServer=false", "-cp", CLASSPATH, MAIN,
             str(self.config_path)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def mode(self) -> str | None:
        return mode(self.client_port)

    def stop(self) -> None:
        if self.running():
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        if self.running():
            self.process.kill()
            self.process.wait()

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.running():
            os.kill(self.process.pid, signal.SIGCONT)


class Ensemble:
    """`size` members on loopback (1 = standalone), sharing one zoo.cfg layout."""

    def __init__(self, root: Path, size: int = 1, heap: str = "64m", tick_time: int = 200, words: str = "*"):
        self.members: list[Member] = []
        peers = [(free_port(), free_port()) for _ in range(size)]
        for index in range(size):
            directory = root / f"zk{index + 1}"
            (directory / "data").mkdir(parents=True, exist_ok=True)
            member = Member(index + 1, free_port(), directory, heap)
            lines = [
                f"tickTime={tick_time}", "initLimit=20", "syncLimit=10",
                f"dataDir={directory / 'data'}", f"clientPort={member.client_port}",
                "clientPortAddress=127.0.0.1", f"4lw.commands.whitelist={words}", "admin.enableServer=false",
                "maxClientCnxns=200", "minSessionTimeout=400",
            ]
            if size > 1:
                (directory / "data" / "myid").write_text(f"{member.myid}\n")
                lines += [f"server.{i + 1}=127.0.0.1:{p}:{e}" for i, (p, e) in enumerate(peers)]
            member.config_path.write_text("\n".join(lines) + "\n")
            self.members.append(member)

    @property
    def hosts(self) -> str:
        return ",".join(m.address for m in self.members)

    def start(self, timeout: float = 30.0) -> "Ensemble":
        for member in self.members:
            if not member.running():
                member.start()
        self.wait_serving(timeout)
        return self

    def wait_serving(self, timeout: float = 30.0, members: list[Member] | None = None) -> None:
        """Poll until every given running member serves, with exactly one leader when in an ensemble."""
        members = [m for m in (members or self.members) if m.running()]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            modes = [m.mode() for m in members]
            if all(modes) and (len(self.members) == 1 or modes.count("leader") + self._leaders_elsewhere(members) == 1):
                return
            for m in members:
                if not m.running():
                    raise RuntimeError(f"ZooKeeper {m.myid} exited: {(m.directory / 'server.log').read_text()[-2000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"ZooKeeper did not become ready in {timeout}s: modes {[m.mode() for m in members]}")

    def _leaders_elsewhere(self, members: list[Member]) -> int:
        return sum(1 for m in self.members if m not in members and m.running() and m.mode() == "leader")

    def leader(self) -> Member:
        return next(m for m in self.members if m.running() and m.mode() == "leader")

    def stop(self) -> None:
        for member in self.members:
            member.stop()


def eventually(attempt, timeout: float = 20.0, interval: float = 0.05):
    """Call attempt() until it returns something truthy; its last value otherwise fails the test."""
    deadline = time.monotonic() + timeout
    while True:
        value = attempt()
        if value or time.monotonic() > deadline:
            assert value, f"not reached within {timeout}s: last value {value!r}"
            return value
        time.sleep(interval)
