"""The ten known false positives of drift detection, each survived; and real drift still found."""
from __future__ import annotations

import base64
import copy

from gitops_kafka.drift.compare import IgnoredPath, compare_object, format_path, parse_path
from gitops_kafka.drift.report import IN_SYNC, MISSING, MODIFIED
from gitops_kafka.mask import CHANGED, MASK
from kube import as_applied

STATEFUL_SET = {
    "apiVersion": "apps/v1", "kind": "StatefulSet",
    "metadata": {"name": "kafka", "namespace": "kafka-prod", "labels": {"app": "kafka"}, "annotations": {}},
    "spec": {
        "serviceName": "kafka-headless", "replicas": 3,
        "selector": {"matchLabels": {"app": "kafka"}},
        "template": {
            "metadata": {"labels": {"app": "kafka"}},
            "spec": {
                "containers": [{
                    "name": "kafka", "image": "confluentinc/cp-kafka:7.9.5",
                    "ports": [{"name": "kafka", "containerPort": 9092}],
                    "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
                    "resources": {"requests": {"cpu": "1000m", "memory": "1024Mi"}, "limits": {"cpu": 0.5, "memory": "2Gi"}},
                    "readinessProbe": {"tcpSocket": {"port": "kafka"}},
                    "volumeMounts": [],
                }],
                "volumes": None,
            },
        },
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1024Gi"}}}}],
    },
}


def check(desired, live):
    return compare_object(desired, live)


def test_server_defaults_status_and_controller_fields_are_not_drift():
    # 1 defaults, 4 claim templates, 6 protocol TCP, 8 controller-owned metadata and status
    live = as_applied(STATEFUL_SET)
    assert live["spec"]["revisionHistoryLimit"] == 10
    assert live["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"] == "Filesystem"
    assert live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] == "TCP"
    assert check(STATEFUL_SET, live) == (IN_SYNC, ())


def test_quantities_in_another_spelling_are_equal():
    # 2: the server answers 1, 1Gi, 500m and 1Ti for 1000m, 1024Mi, 0.5 and 1024Gi
    live = as_applied(STATEFUL_SET)
    resources = live["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources == {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "2Gi"}}
    assert check(STATEFUL_SET, live) == (IN_SYNC, ())
    resources["limits"]["cpu"] = "600m"
    state, fields = check(STATEFUL_SET, live)
    assert state == MODIFIED and [(f.path, f.desired, f.live) for f in fields] == [
        ("spec.template.spec.containers[name=kafka].resources.limits.cpu", 0.5, "600m")]


def test_empty_and_missing_are_the_same():
    # 3: annotations {}, volumeMounts [], volumes null in git; absent live
    live = as_applied(STATEFUL_SET)
    del live["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"]
    live["metadata"].pop("annotations")
    assert check(STATEFUL_SET, live) == (IN_SYNC, ())


def test_named_lists_compare_by_key_not_position():
    # 5: env order differs
    live = as_applied(STATEFUL_SET)
    live["spec"]["template"]["spec"]["containers"][0]["env"].reverse()
    assert check(STATEFUL_SET, live) == (IN_SYNC, ())


def test_secret_string_data_against_base64_data_and_values_never_shown():
    # 7
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "cmak", "namespace": "kafka-prod"},
              "type": "Opaque", "stringData": {"application-secret": "s3cr3t-value"}}
    live = copy.deepcopy(secret)
    live.pop("stringData")
    live["data"] = {"application-secret": base64.b64encode(b"s3cr3t-value").decode()}
    live = as_applied(live)
    assert check(secret, live) == (IN_SYNC, ())
    live["data"]["application-secret"] = base64.b64encode(b"changed-by-hand").decode()
    state, fields = check(secret, live)
    assert state == MODIFIED and fields[0].desired == MASK and fields[0].live == MASK + CHANGED
    assert "s3cr3t" not in repr(fields) and "Y2hhbmdl" not in repr(fields)


def test_secret_looking_env_values_are_masked():
    live = as_applied(STATEFUL_SET)
    live["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "SASL_PASSWORD", "value": "hunter2"})
    live["metadata"]["managedFields"].append({"manager": "kubectl-set", "operation": "Update", "time": "t",
                                              "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {
                                                  'k:{"name":"kafka"}': {"f:env": {'k:{"name":"SASL_PASSWORD"}': {
                                                      ".": {}}}}}}}}}})
    state, fields = check(STATEFUL_SET, live)
    assert state == MODIFIED and fields[0].live == {"name": "SASL_PASSWORD", "value": MASK} and "hunter2" not in repr(fields)


def test_applier_annotations_and_labels_are_not_drift():
    # 8: Argo CD's tracking annotation, Flux's labels, last-applied-configuration, deployment revision
    live = as_applied(STATEFUL_SET)
    live["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] = "kafka-prod"
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    assert check(STATEFUL_SET, live) == (IN_SYNC, ())


def test_webhook_fields_outside_git_are_not_drift():
    # 9: a caBundle injected by cert-manager's cainjector, a sidecar from a webhook
    live = as_applied(STATEFUL_SET)
    live["spec"]["template"]["spec"]["containers"].append({"name": "linkerd-proxy", "image": "linkerd/proxy:2.14"})
    live["metadata"]["managedFields"].append({"manager": "cainjector", "operation": "Update", "time": "t",
                                              "fieldsV1": {"f:metadata": {"f:annotations": {"f:caBundle": {}}}}})
    live["metadata"]["annotations"]["caBundle"] = "LS0tLS1CRUdJTi..."
    assert check(STATEFUL_SET, live) == (IN_SYNC, ())


def test_number_typing_is_not_drift():
    # 10: 3 vs 3.0 vs "3"
    desired = copy.deepcopy(STATEFUL_SET)
    desired["spec"]["replicas"] = "3"
    live = as_applied(STATEFUL_SET)
    live["spec"]["replicas"] = 3.0
    assert check(desired, live) == (IN_SYNC, ())


def test_missing_object_and_deleted_field():
    assert check(STATEFUL_SET, None) == (MISSING, ())
    live = as_applied(STATEFUL_SET)
    del live["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    state, fields = check(STATEFUL_SET, live)
    assert [(f.path, f.live) for f in fields] == [("spec.template.spec.containers[name=kafka].readinessProbe", None)]


def test_hand_added_field_through_managed_fields_with_attribution():
    live = as_applied(STATEFUL_SET)
    live["metadata"]["annotations"]["owner"] = "alice"
    live["metadata"]["managedFields"].append({"manager": "kubectl-annotate", "operation": "Update",
                                              "time": "2026-11-24T09:00:00Z",
                                              "fieldsV1": {"f:metadata": {"f:annotations": {"f:owner": {}}}}})
    state, fields = check(STATEFUL_SET, live)
    assert state == MODIFIED
    assert [(f.path, f.desired, f.live, f.manager, f.time) for f in fields] == [
        ("metadata.annotations.owner", None, "alice", "kubectl-annotate", "2026-11-24T09:00:00Z")]


def test_ignore_rules_match_json_pointers():
    live = as_applied(STATEFUL_SET)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "x:1"
    rules = [IgnoredPath.parse("StatefulSet", "*", "/spec/template/spec/containers/*/image")]
    assert compare_object(STATEFUL_SET, live, rules) == (IN_SYNC, ())
    other = [IgnoredPath.parse("Deployment", "*", "/spec/template/spec/containers/*/image")]
    assert compare_object(STATEFUL_SET, live, other)[0] == MODIFIED


def test_paths_round_trip():
    path = ("metadata", "labels", "app.kubernetes.io/name")
    assert format_path(path) == "metadata.labels['app.kubernetes.io/name']"
    assert parse_path(format_path(path)) == path
    keyed = ("spec", "template", "spec", "containers", "name=kafka", "ports", "containerPort=9092,protocol=TCP")
    assert format_path(keyed) == "spec.template.spec.containers[name=kafka].ports[containerPort=9092,protocol=TCP]"
    assert parse_path(format_path(keyed)) == keyed


def test_ignore_pointers_name_items_by_their_key_values():
    """An ignore rule's JSON pointer names a list item by its key (`kafka`, `9092/TCP`) or as paths print it."""
    rule = IgnoredPath.parse("StatefulSet", "kafka", "/spec/template/spec/containers/kafka/ports/9092~1TCP")
    path = parse_path("spec.template.spec.containers[name=kafka].ports[containerPort=9092,protocol=TCP].name")
    assert rule.matches("StatefulSet", "kafka", path)
    assert IgnoredPath.parse("StatefulSet", "kafka", "/spec/template/spec/containers/name=kafka").matches(
        "StatefulSet", "kafka", path)
    assert not IgnoredPath.parse("StatefulSet", "kafka", "/spec/template/spec/containers/zookeeper").matches(
        "StatefulSet", "kafka", path)


# ---------------------------------------------------------------- the shortcut agrees with the full comparison

def _variants():
    """(name, desired, live) pairs: the prod overlay as applied, then each known trap of the shortcut
    (values equal as written but not after normalize, or the reverse), on every object it applies to."""
    from pathlib import Path

    from gitops_kafka import kustomize
    from gitops_kafka.kube.objects import load

    project = Path(__file__).resolve().parent.parent
    built = load(kustomize.build(project / "overlays" / "prod"))

    def containers(obj):
        return ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []

    def edit(desired, live):
        live["metadata"].setdefault("labels", {})["edited"] = "yes"
        live["metadata"]["managedFields"].append({"manager": "kubectl-label", "operation": "Update",
                                                  "time": "2026-11-24T10:00:00Z",
                                                  "fieldsV1": {"f:metadata": {"f:labels": {"f:edited": {}}}}})

    def udp_port(desired, live):  # an identity field git leaves to its default, changed: another item
        for container in containers(desired):
            for port in container.get("ports", []):
                port.pop("protocol", None)
        for container in containers(live):
            for port in container.get("ports", []):
                port["protocol"] = "UDP"

    def env_reordered(desired, live):
        for container in containers(live):
            container.get("env", []).reverse()

    def port_as_text(desired, live):
        for container in containers(desired):
            for port in container.get("ports", []):
                port["containerPort"] = str(port["containerPort"])

    def port_as_float(desired, live):
        for container in containers(desired):
            for port in container.get("ports", []):
                port["containerPort"] = float(port["containerPort"])

    def twin_ports(desired, live):  # 9092 and 9092.0: one name once normalized, so the list is compared whole
        for side in (desired, live):
            for container in containers(side):
                if container.get("ports"):
                    container["ports"].append({**container["ports"][0], "containerPort": 9092.0, "name": "twin"})

    def quantity_spelling(desired, live):
        for container in containers(desired):
            for section in (container.get("resources") or {}).values():
                for key, value in list(section.items()):
                    if key == "cpu":
                        section[key] = {"1": "1000m", "500m": "0.5"}.get(str(value), value)

    def empty_declared(desired, live):
        desired["metadata"]["annotations"] = {}
        for container in containers(desired):
            container["volumeMounts"] = container.get("volumeMounts") or []
            container["args"] = None

    def bool_against_int(desired, live):
        for container in containers(desired):
            container["stdin"] = True
        for container in containers(live):
            container["stdin"] = 1

    def bool_against_int_in_a_list(desired, live):
        for container in containers(desired):
            container["args"] = [*container.get("args", []), True]
        for container in containers(live):
            container["args"] = [*container.get("args", []), 1]

    def names_alike_once_normalized(desired, live):  # containers "01" and "1": one name once normalized,
        for side in (desired, live):                    # so the list is compared whole, defaults and all
            spec = ((side.get("spec") or {}).get("template") or {}).get("spec")
            if spec:
                extra = [{"name": "01", "image": "busybox"}, {"name": "1", "image": "busybox"}]
                if side is live:
                    extra = [{**c, "imagePullPolicy": "IfNotPresent", "terminationMessagePolicy": "File"} for c in extra]
                spec["containers"].extend(extra)

    def sidecar(desired, live):
        spec = ((live.get("spec") or {}).get("template") or {}).get("spec")
        if spec:
            spec["containers"].append({"name": "istio-proxy", "image": "istio/proxyv2:1.24.0"})

    def value_changed(desired, live):
        for container in containers(live):
            container["image"] = container["image"] + "-hotfix"
        if live["kind"] == "ConfigMap":
            live["data"] = {k: v + "\n# edited" for k, v in live.get("data", {}).items()}

    def missing_declared(desired, live):
        live.pop("spec", None)
        live.pop("data", None)

    def args_changed(desired, live):
        for container in containers(live):
            container["args"] = [*container.get("args", []), "--verbose"]

    def one_as_float(desired, live):
        if "replicas" in (desired.get("spec") or {}):
            desired["spec"]["replicas"] = float(desired["spec"]["replicas"])

    def secret_string_data(desired, live):
        if desired["kind"] == "ConfigMap":
            desired.update(kind="Secret", stringData=desired.pop("data", {}))
            live.update(kind="Secret", data={k: base64.b64encode(v.encode()).decode()
                                             for k, v in live.pop("data", {}).items()})

    changes = [None, edit, udp_port, env_reordered, port_as_text, port_as_float, twin_ports, quantity_spelling,
               empty_declared, bool_against_int, bool_against_int_in_a_list, names_alike_once_normalized, sidecar, value_changed, missing_declared,
               args_changed, one_as_float, secret_string_data]
    for obj in built:
        for change in changes:
            desired, live = copy.deepcopy(obj), as_applied(obj)
            if change is not None:
                change(desired, live)
            yield f"{obj['kind']}/{obj['metadata']['name']}: {change.__name__ if change else 'as applied'}", desired, live


def test_the_shortcut_gives_the_full_comparisons_answer(monkeypatch):
    """Values equal as written skip normalizing (most of a comparison's cost): on every trap of that
    shortcut the answer, fields and values shown included, is the one normalizing everything gives."""
    from gitops_kafka.drift import compare

    variants = list(_variants())
    fast = [compare_object(desired, live) for _, desired, live in variants]
    monkeypatch.setattr(compare, "declared_equal", lambda *args: False)
    full = [compare_object(desired, live) for _, desired, live in variants]
    mismatched = [name for (name, _, _), a, b in zip(variants, fast, full) if a != b]
    assert not mismatched, mismatched
    states = {state for state, _ in full}
    assert states == {IN_SYNC, MODIFIED}  # the variants reach both answers
