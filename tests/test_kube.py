"""One Kubernetes vocabulary: merges, drift identity, review diffs and the commit message name list items alike."""
from __future__ import annotations

from gitops_kafka.drift.compare import compare_object
from gitops_kafka.drift.normalize import prepare
from gitops_kafka.generator import changed_fields
from gitops_kafka.kube.lists import format_path, parse_path
from gitops_kafka.render.patch import merge_key, object_patch
from gitops_kafka.review.diff import field_changes


def pod(ports, mounts=()):
    container = {"name": "kafka", "image": "kafka:1", "ports": ports, "volumeMounts": list(mounts)}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "kafka"},
            "spec": {"template": {"spec": {"containers": [container]}}}}


def test_every_use_names_a_changed_port_the_same_way():
    before = pod([{"containerPort": 9092, "name": "client"}, {"containerPort": 53, "protocol": "UDP", "name": "dns"}])
    after = pod([{"containerPort": 9092, "name": "clients"}, {"containerPort": 53, "protocol": "UDP", "name": "dns"}])
    path = "spec.template.spec.containers[name=kafka].ports[containerPort=9092,protocol=TCP].name"
    assert [c.path for c in field_changes(before, after)] == [path]  # review diff
    assert changed_fields(before, after) == [path]  # commit message
    _, fields = compare_object(after, before)  # drift: git says "clients", the cluster "client"
    assert [f.path for f in fields] == [path]
    assert parse_path(path)[-2] in prepare(after)["spec"]["template"]["spec"]["containers"]["name=kafka"]["ports"]
    patch = object_patch(before, after)  # kustomize merges by the patchMergeKey alone
    assert patch["spec"]["template"]["spec"]["containers"] == [
        {"name": "kafka", "ports": [{"containerPort": 9092, "name": "clients"}]}]


def test_merge_keys_are_the_apis_patch_merge_keys():
    templates = [{"metadata": {"name": "data"}, "spec": {}}]
    assert merge_key("volumeClaimTemplates", templates) is None  # no patchMergeKey: a patch replaces the list
    assert list(prepare({"spec": {"volumeClaimTemplates": templates}})["spec"]["volumeClaimTemplates"]) == [
        "metadata.name=data"]  # yet drift and diffs name each template
    assert merge_key("volumeMounts", [{"mountPath": "/data", "name": "data"}, {"mountPath": "/logs", "name": "data"}]) \
        == "mountPath"
    assert merge_key("hostAliases", [{"ip": "10.0.0.1", "hostnames": ["a"]}]) == "ip"
    assert format_path(("spec", "volumeClaimTemplates", "metadata.name=data", "spec")) == \
        "spec.volumeClaimTemplates[metadata.name=data].spec"


def test_built_yaml_loads_alike_through_libyaml_and_the_pure_python_loader(monkeypatch):
    """`kube.objects.load` parses built output with libyaml's loader (the pure-Python one was 43% of a
    check at 1,000 objects); where PyYAML lacks libyaml it falls back, and both read the same objects."""
    from pathlib import Path

    import yaml

    from gitops_kafka import kustomize
    from gitops_kafka.kube import objects

    assert yaml.__with_libyaml__  # the C path is the one this test compares (CI installs PyYAML's wheel)
    text = kustomize.build(Path(__file__).resolve().parent.parent / "overlays" / "prod")
    text += "---\nodd: [1.0, 1e3, 0x1F, 0o17, 010, .inf, ~, yes, 'no', 2026-11-25, '2026-11-25', \"\\u00e9\", !!str 5]\n"
    used = []
    loader = yaml.CSafeLoader
    monkeypatch.setattr(yaml, "CSafeLoader", type("Counted", (loader,), {
        "__init__": lambda self, stream: used.append(1) or loader.__init__(self, stream)}))
    with_libyaml = objects.load(text)
    assert used
    monkeypatch.delattr(yaml, "CSafeLoader")
    assert objects.load(text) == with_libyaml
    assert len(with_libyaml) == 27 and with_libyaml[-1]["odd"][7] is True
