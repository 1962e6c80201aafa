"""Ensemble health from the four-letter words of real ZooKeeper servers.

The 3-member cases (leader, synced followers, re-election, quorum loss) live in
test_kafka_reader.py::test_leader_killed_in_an_ensemble_re_election_and_recovery.
"""
from __future__ import annotations

from helpers import PROJECT
from gitops_kafka.config import load_environment
from gitops_kafka.kafka.ensemble import check_ensemble, declared_members, parse_srvr, probe
from zookeeper_servers import Ensemble, free_port


def test_declared_members_are_the_stateful_set_pods_dns_names():
    assert declared_members(load_environment(PROJECT, "prod")) == [
        f"kafka-zookeeper-{i}.kafka-zookeeper-headless.kafka-prod.svc.cluster.local:2181" for i in range(3)]
    assert len(declared_members(load_environment(PROJECT, "dev"))) == 1


def test_a_standalone_server(zookeeper):
    member = probe(zookeeper.members[0].address)
    assert member.reachable and member.serving and member.mode == "standalone"
    assert member.znode_count >= 4 and member.outstanding_requests == 0
    assert member.latency_ms is not None and member.response_ms > 0
    assert member.synced_followers is None
    health = check_ensemble([zookeeper.members[0].address])
    assert health.quorum and health.healthy and health.serving == health.declared == 1


def test_an_unreachable_member_is_reported_not_raised(zookeeper):
    dead = f"127.0.0.1:{free_port()}"
    health = check_ensemble([zookeeper.members[0].address, dead, "no-such-host.invalid:2181"])
    assert [m.reachable for m in health.members] == [True, False, False]
    assert health.serving == 1 and not health.quorum
    assert any(dead in p for p in health.problems())
    assert health.to_dict()["members"][1]["serving"] is False


def test_srvr_is_used_when_mntr_is_not_whitelisted(tmp_path):
    server = Ensemble(tmp_path, size=1, words="srvr,ruok").start()
    try:
        member = probe(server.members[0].address)
        assert member.mode == "standalone" and member.znode_count >= 4 and member.outstanding_requests == 0
    finally:
        server.stop()


def test_parse_srvr():
    text = ("Zookeeper version: 3.8.0\nLatency min/avg/max: 0/1.25/7\nReceived: 9\nSent: 8\nConnections: 1\n"
            "Outstanding: 3\nZxid: 0x2\nMode: follower\nNode count: 42\n")
    assert parse_srvr(text) == {"zk_avg_latency": "1.25", "zk_max_latency": "7", "zk_outstanding_requests": "3",
                                "zk_server_state": "follower", "zk_znode_count": "42"}
