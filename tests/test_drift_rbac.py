"""The detector needs only what its generated RBAC grants: every check in the tests runs under it.

The authorizing proxy in tests/kube.py enforces the Roles and ClusterRoles the
built overlay binds to the detector's ServiceAccount; these tests pin what that
layer does, and that every environment's check passes under its own RBAC.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from helpers import load_documents
from gitops_kafka import kustomize
from gitops_kafka.checking import Target, run_check
from gitops_kafka.drift.report import IN_SYNC
from kube import DETECTOR_TOKEN, Authorizer, KubeAPI, as_applied

READ_VERBS = {"get", "list", "watch"}


def request(api, path, token=DETECTOR_TOKEN):
    req = urllib.request.Request(f"http://127.0.0.1:{api.proxy.port}{path}",
                                 headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_what_the_generated_rbac_does_not_grant_is_refused_with_the_api_servers_status(api):
    status, body = request(api, "/api/v1/namespaces/kafka-prod/secrets")
    assert status == 403
    assert body == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "reason": "Forbidden", "code": 403,
        "details": {"group": "", "kind": "secrets"},
        "message": 'secrets is forbidden: User "system:serviceaccount:kafka-prod:kafka-drift-detector" cannot list '
                   'resource "secrets" in API group "" in the namespace "kafka-prod"'}
    status, body = request(api, "/apis/apps/v1/namespaces/default/statefulsets/kafka")
    assert status == 403 and body["message"] == (
        'statefulsets "kafka" is forbidden: User "system:serviceaccount:kafka-prod:kafka-drift-detector" cannot get '
        'resource "statefulsets" in API group "apps" in the namespace "default"')
    status, body = request(api, "/api/v1/namespaces/kube-system")
    assert status == 403 and body["message"].endswith('cannot get resource "namespaces" in API group "" '
                                                      'at the cluster scope')
    status, body = request(api, "/apis/rbac.authorization.k8s.io/v1/clusterroles")
    assert status == 403 and "cannot list resource \"clusterroles\"" in body["message"]  # resourceNames: no list


def test_granted_reads_and_discovery_pass_and_a_wrong_token_is_unauthorized(api):
    assert request(api, "/api/v1/namespaces/kafka-prod/configmaps")[0] == 200
    assert request(api, "/apis/apps/v1/namespaces/kafka-prod/statefulsets/kafka")[0] == 200
    assert request(api, "/api/v1")[0] == 200 and request(api, "/apis")[0] == 200
    status, body = request(api, "/api/v1/namespaces/kafka-prod/configmaps", token="someone-else")
    assert status == 401 and body["reason"] == "Unauthorized" and body["kind"] == "Status"


def test_the_authorizer_allows_only_read_verbs(desired):
    authorizer = Authorizer(desired)
    assert authorizer.grants, "the overlay binds rules to the detector"
    assert all(set(rule["verbs"]) <= READ_VERBS for _, rule in authorizer.grants)
    assert not authorizer.allows("delete", "apps", "statefulsets", "kafka-prod", "kafka")
    assert not authorizer.allows("patch", "", "configmaps", "kafka-prod", None)
    assert authorizer.allows("list", "apps", "statefulsets", "kafka-prod", None)


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_a_check_of_every_environment_passes_under_its_own_generated_rbac(gitops_repo, tmp_path, env):
    built = load_documents(kustomize.build(gitops_repo / "overlays" / env))
    # clusters/<env>/ holds the sync object and the one grant outside the overlay: reading that object
    sync_objects = [d for path in sorted((gitops_repo / "clusters" / env).glob("*.yaml"))
                    for d in load_documents(path.read_text())]
    api = KubeAPI(tmp_path, built + sync_objects)
    try:
        for obj in built:
            api.create(as_applied(obj))
        target = Target(env=env, source=str(gitops_repo), branch="main", cache=tmp_path / "cache",
                        kubeconfig=str(api.kubeconfig), timeout=2.0)
        report = run_check(target)
    finally:
        api.close()
    assert api.proxy.forbidden == []
    assert report.sync.status.error.endswith("not found")  # read, allowed, and not seeded here
    assert {o.kind for o in report.objects} >= {"Namespace", "ClusterRole", "ClusterRoleBinding"}
    assert all(o.state == IN_SYNC for o in report.objects), [(o.ref, o.state) for o in report.objects]
