"""The drift detector as a service: the check on a schedule, its latest report over HTTP.

APScheduler runs one check at a time and coalesces missed runs. A failed check
never stops the daemon: the failure is counted by source, the last good report
is kept and marked stale, and the next run starts from scratch (but for the
desired state of a revision already built, kept by the Checker), so recovery
needs no one. /healthz answers while the process serves; /readyz only after a
first successful check; /drift is the latest report as JSON; /metrics is
Prometheus' text format. SIGTERM (Kubernetes) and SIGINT (Ctrl-C) stop it cleanly.
"""
from __future__ import annotations

import json
import logging
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Iterable, Mapping

from gitops_kafka.checking import INTERNAL, Checker, Target, describe_unexpected
from gitops_kafka.drift.report import DriftReport, SourceFailure
from gitops_kafka.errors import GitopsKafkaError, SourceError
from gitops_kafka.gitrepo import redact
from gitops_kafka.httpserver import HttpServer
from gitops_kafka.metrics import SOURCES

log = logging.getLogger("gitops_kafka.daemon")
DEFAULT_INTERVAL = 60.0


def parse_listen(text: str) -> tuple[str, int]:
    """HOST:PORT checked before anything starts: a port in range, a host that resolves, an address free to bind."""
    import socket

    host, _, port = text.rpartition(":")
    host = host.strip("[]") or "0.0.0.0"
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise GitopsKafkaError(f"--listen {text!r}: expected HOST:PORT with a port from 0 to 65535, such as 0.0.0.0:8080")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise GitopsKafkaError(f"--listen {text!r}: cannot resolve {host!r}: {getattr(exc, 'strerror', None) or exc}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the HTTP server binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise GitopsKafkaError(f"--listen {text!r}: cannot listen there: {exc.strerror or exc}") from None
    return host, int(port)


@dataclass(frozen=True)
class State:
    """What the HTTP side reads. Immutable: the checking thread publishes a new one by replacing
    `Daemon.state` (one reference assignment), so a reader that took it sees one consistent state."""

    target: Target
    report: DriftReport | None = None
    last_good: DriftReport | None = None
    last_ok: bool = False
    last_success: float = 0.0
    checks: int = 0
    errors: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def counted(self, sources: Iterable[str]) -> Mapping[str, int]:
        """The error counts with one more failure of each source."""
        errors = dict(self.errors)
        for source in sources:
            errors[source] = errors.get(source, 0) + 1
        return MappingProxyType(errors)


class Daemon:
    def __init__(self, target: Target, *, interval: float | None = None, host: str = "127.0.0.1", port: int = 8080,
                 check: Callable[[Target], DriftReport] | None = None, request_timeout: float = 10.0):
        self.target = target
        self.interval = interval
        self.state = State(target)
        self._checker = Checker()
        self._check = check or self._checker.run
        self._lock = threading.Lock()
        self._checking = threading.Lock()  # held for a whole check, so stop() can wait for one to end
        self._stopping = threading.Event()
        self._host, self._port = host, port
        self._server: HttpServer | None = None
        self._request_timeout = request_timeout
        self._scheduler = None

    # ---------------------------------------------------------------- checking

    def run_once(self) -> DriftReport:
        """One check; never raises for a source failure (that is what the report is for)."""
        started = time.time()
        try:
            with self._checking:
                report = self._check(self.target)
            failure = None
        except SourceError as exc:
            failure = SourceFailure(exc.source, str(exc).removeprefix(f"{exc.source}: "))
        except GitopsKafkaError as exc:
            failure = SourceFailure("config", str(exc))
        except Exception as exc:  # noqa: BLE001 - a failed check, never a stopped daemon
            log.debug("unexpected failure in the check", exc_info=True)
            failure = SourceFailure(INTERNAL, describe_unexpected(exc))
        if failure is not None and failure.source not in SOURCES:
            failure = SourceFailure(INTERNAL, f"{failure.source}: {failure.message}")  # keep the label set bounded
        with self._lock:  # one writer at a time; readers take no lock, they read one published State
            state = self.state
            if failure is None:
                state = replace(state, checks=state.checks + 1, errors=state.counted(report.unread_sources()),
                                report=report, last_good=report, last_ok=True, last_success=started)
                if self.interval is None:
                    self.interval = report.interval or DEFAULT_INTERVAL
            else:
                log.warning("check failed: %s: %s", failure.source, failure.message)
                stale = (state.last_good.as_stale((failure,)) if state.last_good else
                         DriftReport(self.target.env, None, started, time.time() - started,
                                     errors=(failure,), stale=True))
                state = replace(state, checks=state.checks + 1, errors=state.counted((failure.source,)),
                                report=stale, last_ok=False)
            self.state = state
            return state.report

    # ---------------------------------------------------------------- serving

    def start(self) -> None:
        """Serve HTTP and schedule checks in background threads (the first check starts now)."""
        from apscheduler.schedulers.background import BackgroundScheduler
        from prometheus_client import CollectorRegistry

        from gitops_kafka.metrics import ReportCollector

        self.registry = CollectorRegistry()
        self.registry.register(ReportCollector(lambda: self.state))
        self._server = HttpServer(self.answer, self._host, self._port, inline=frozenset({"/healthz", "/readyz"}),
                                  request_timeout=self._request_timeout)
        self._port = self._server.port
        self._server.start()
        log.info("serving on %s:%s, checking %s of %s at %s%s", self._host, self._port, self.target.env,
                 redact(self.target.source), self.target.branch,
                 " with the credentials in " + str(self.target.git_credentials) if self.target.git_credentials else "")
        self._scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        self._scheduler.start()
        # The first check runs on a thread of its own, not as a one-off scheduler job: APScheduler
        # removes a one-off job after submitting it, and a shutdown landing between the two makes
        # that removal raise JobLookupError in the scheduler's thread. Interval jobs are never removed.
        threading.Thread(target=self._tick, name="first-check", daemon=True).start()

    def _tick(self) -> None:
        """The first check, then the schedule: scheduled whatever the first check did (unless stopping)."""
        try:
            self.run_once()
        finally:
            if not self._stopping.is_set() and self._scheduler.get_job("check") is None:
                interval = self.interval or DEFAULT_INTERVAL
                self._scheduler.add_job(self.run_once, "interval", seconds=interval, id="check",
                                        misfire_grace_time=max(1, int(interval)))

    @property
    def port(self) -> int:
        return self._port

    def stop(self) -> None:
        """Stop scheduling, let a running check end, then close its sessions and the server.

        The scheduler is not asked to wait for its job: it would hold its job store lock
        while the job (the first tick) needs that lock to schedule the next checks.
        """
        self._stopping.set()
        if self._scheduler:
            self._scheduler.shutdown(wait=False)
        with self._checking:
            self._checker.close()
        if self._server:
            self._server.stop()

    def serve_forever(self) -> None:
        from gitops_kafka.mask import mask_logs

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        mask_logs()
        stopping = threading.Event()  # handlers first: a signal during start-up stops cleanly too
        previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.start()
            while not stopping.wait(1.0):  # a bounded wait: an unbounded one never sees the signal
                pass
            log.info("stopping")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()

    def answer(self, path: str) -> tuple[int, bytes, str]:
        """(status, body, content type) of a GET of path."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        text = "text/plain; charset=utf-8"
        if path == "/metrics":
            return 200, generate_latest(self.registry), CONTENT_TYPE_LATEST
        if path == "/healthz":
            return 200, b"ok\n", text
        if path == "/readyz":
            ready = self.state.last_success > 0  # one read of the published state
            return (200, b"ready\n", text) if ready else (503, b"no successful check yet\n", text)
        if path == "/drift":
            body = json.dumps(self.drift_document(), indent=2, sort_keys=True, default=str).encode()
            return 200, body, "application/json"
        return 404, b"not found: try /metrics, /healthz, /readyz or /drift\n", text

    def drift_document(self) -> dict[str, Any]:
        state = self.state  # one read: report and count from the same check
        if state.report is None:
            return {"environment": self.target.env, "status": "pending", "checks": state.checks}
        return state.report.to_dict()
