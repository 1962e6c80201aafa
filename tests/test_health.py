"""Health per kind, one live object per state (as a real API server reports it)."""
from __future__ import annotations

import copy

import pytest

from gitops_kafka.drift import health
from gitops_kafka.drift.report import DEGRADED, HEALTHY, PROGRESSING, UNKNOWN

STS = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "kafka", "generation": 2},
       "spec": {"replicas": 3, "updateStrategy": {"type": "RollingUpdate"}},
       "status": {"observedGeneration": 2, "replicas": 3, "readyReplicas": 3, "updatedReplicas": 3,
                  "currentRevision": "kafka-6d", "updateRevision": "kafka-6d"}}


def sts(**status):
    obj = copy.deepcopy(STS)
    obj["status"].update(status)
    return obj


def test_stateful_set_states():
    assert health.health(sts()).status == HEALTHY
    assert health.health(sts(readyReplicas=2)).status == PROGRESSING
    assert health.health(sts(readyReplicas=0)).status == DEGRADED
    assert health.health(sts(observedGeneration=1)).status == PROGRESSING
    rolling = health.health(sts(updatedReplicas=1, updateRevision="kafka-7f"))
    assert rolling.status == PROGRESSING and "rollout pending: 1 of 3 pods run revision kafka-7f" in rolling.message


def test_on_delete_rollout_the_spec_asks_for_but_the_pods_have_not_got():
    obj = sts(updatedReplicas=0, updateRevision="kafka-7f")
    obj["spec"]["updateStrategy"] = {"type": "OnDelete"}
    result = health.health(obj)
    assert result.status == DEGRADED
    assert "OnDelete" in result.message and "0 of 3 pods" in result.message


DEPLOYMENT = {"kind": "Deployment", "metadata": {"generation": 1}, "spec": {"replicas": 1},
              "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1, "availableReplicas": 1,
                         "conditions": [{"type": "Available", "status": "True"}]}}


def test_deployment_availability():
    assert health.health(DEPLOYMENT).status == HEALTHY
    down = copy.deepcopy(DEPLOYMENT)
    down["status"]["availableReplicas"] = 0
    assert health.health(down).status == DEGRADED
    stuck = copy.deepcopy(DEPLOYMENT)
    stuck["status"]["conditions"].append({"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                          "message": "ReplicaSet has timed out progressing."})
    assert health.health(stuck) == health.Health(DEGRADED, "ReplicaSet has timed out progressing.")


@pytest.mark.parametrize("phase, status", [("Bound", HEALTHY), ("Pending", PROGRESSING), ("Lost", DEGRADED)])
def test_persistent_volume_claim(phase, status):
    assert health.health({"kind": "PersistentVolumeClaim", "status": {"phase": phase}}).status == status


def test_pod_disruption_budget():
    allowing = {"kind": "PodDisruptionBudget", "status": {"disruptionsAllowed": 1, "currentHealthy": 3, "desiredHealthy": 2}}
    blocking = {"kind": "PodDisruptionBudget", "status": {"disruptionsAllowed": 0, "currentHealthy": 2, "desiredHealthy": 2}}
    assert health.health(allowing).status == HEALTHY
    result = health.health(blocking)
    assert result.status == DEGRADED and "node drains will block" in result.message


def test_job():
    done = {"kind": "Job", "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}
    failed = {"kind": "Job", "status": {"failed": 7, "conditions": [{"type": "Failed", "status": "True",
                                                                     "reason": "BackoffLimitExceeded"}]}}
    running = {"kind": "Job", "status": {"active": 1}}
    assert health.health(done).status == HEALTHY
    assert health.health(failed) == health.Health(DEGRADED, "BackoffLimitExceeded")
    assert health.health(running).status == PROGRESSING


def test_missing_and_plain_objects():
    assert health.health(None).status == UNKNOWN
    assert health.health({"kind": "ConfigMap"}).status == HEALTHY
    assert health.worst([health.Health(HEALTHY), health.Health(DEGRADED, "x")]).status == DEGRADED
