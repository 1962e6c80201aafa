"""ZooKeeper ensemble health: each declared member through `mntr` (or `srvr`), then quorum.

`ruok` only says a process is up; `mntr` says whether it serves and in which role, with
its latency, outstanding requests, znode count and, on the leader alone, the followers
in sync. A member that answers but serves nothing ("not currently serving requests")
is reachable yet not serving: that is what losing quorum looks like from inside.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.kafka.zookeeper import four_letter_word
from gitops_kafka.errors import SourceError
from gitops_kafka import topology

SERVING_MODES = ("leader", "follower", "standalone", "observer", "read-only")
MODES = (*SERVING_MODES, "not-serving")


def declared_members(config: EnvironmentConfig) -> list[str]:
    """The members the environment runs, by their stable headless-Service DNS names."""
    return topology.zookeeper_members(config)


@dataclass(frozen=True)
class MemberHealth:
    address: str
    reachable: bool
    mode: str | None = None
    latency_ms: float | None = None          # the server's average request latency
    max_latency_ms: float | None = None
    response_ms: float | None = None         # how long this probe took to answer
    outstanding_requests: int | None = None
    znode_count: int | None = None
    synced_followers: int | None = None      # reported by the leader only
    error: str | None = None

    @property
    def serving(self) -> bool:
        return self.mode in SERVING_MODES

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "serving": self.serving}


@dataclass(frozen=True)
class EnsembleHealth:
    members: tuple[MemberHealth, ...]

    @property
    def declared(self) -> int:
        return len(self.members)

    @property
    def serving(self) -> int:
        return sum(m.serving for m in self.members)

    @property
    def leaders(self) -> int:
        return sum(m.mode == "leader" for m in self.members)

    @property
    def quorum(self) -> bool:
        """A standalone server that serves, or exactly one leader with a majority of voters serving."""
        if self.declared == 1:
            return self.members[0].mode in ("standalone", "leader")
        voters = sum(m.mode in ("leader", "follower") for m in self.members)
        return self.leaders == 1 and voters > self.declared // 2

    @property
    def healthy(self) -> bool:
        return self.quorum and self.serving == self.declared

    def problems(self) -> list[str]:
        out = [f"{m.address}: {m.error or 'unreachable'}" for m in self.members if not m.reachable]
        out += [f"{m.address}: reachable but not serving" for m in self.members if m.reachable and not m.serving]
        if self.leaders > 1:
            out.append(f"{self.leaders} members claim to lead")
        if not self.quorum:
            out.append(f"no quorum: {self.serving} of {self.declared} members serving")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"declared": self.declared, "serving": self.serving, "leaders": self.leaders,
                "quorum": self.quorum, "healthy": self.healthy, "problems": self.problems(),
                "members": [m.to_dict() for m in self.members]}


def parse_mntr(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("\t")
        if sep:
            out[key.strip()] = value.strip()
    return out


def parse_srvr(text: str) -> dict[str, str]:
    """`srvr` spelled as `mntr` keys, for servers that whitelist srvr only."""
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        value = value.strip()
        if key == "Mode":
            out["zk_server_state"] = value
        elif key == "Outstanding":
            out["zk_outstanding_requests"] = value
        elif key == "Node count":
            out["zk_znode_count"] = value
        elif key == "Latency min/avg/max":
            parts = value.split("/")
            if len(parts) == 3:
                out["zk_avg_latency"], out["zk_max_latency"] = parts[1], parts[2]
    return out


def _number(value: str | None, kind=int):
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


def probe(address: str, timeout: float = 2.0) -> MemberHealth:
    """One member's health; never raises for an unreachable or odd member."""
    started = time.monotonic()
    try:
        text = four_letter_word(address, "mntr", timeout)
        fields = parse_mntr(text)
        if "zk_server_state" not in fields and "not in the whitelist" in text:
            text = four_letter_word(address, "srvr", timeout)
            fields = parse_srvr(text)
    except SourceError as exc:
        return MemberHealth(address, reachable=False, error=exc.message)
    elapsed = round((time.monotonic() - started) * 1000, 3)
    mode = fields.get("zk_server_state")
    if mode is None:
        reason = text.strip().splitlines()[0] if text.strip() else "empty answer"
        return MemberHealth(address, reachable=True, mode="not-serving", response_ms=elapsed, error=reason)
    return MemberHealth(
        address, reachable=True, mode=mode,
        latency_ms=_number(fields.get("zk_avg_latency"), float),
        max_latency_ms=_number(fields.get("zk_max_latency"), float),
        response_ms=elapsed,
        outstanding_requests=_number(fields.get("zk_outstanding_requests")),
        znode_count=_number(fields.get("zk_znode_count")),
        synced_followers=_number(fields.get("zk_synced_followers")) if mode == "leader" else None)


def check_ensemble(addresses: list[str], timeout: float = 2.0) -> EnsembleHealth:
    """Probe every member at once: a dead member costs one timeout, not one per member."""
    with ThreadPoolExecutor(max_workers=max(1, len(addresses))) as pool:
        return EnsembleHealth(tuple(pool.map(lambda a: probe(a, timeout), addresses)))
