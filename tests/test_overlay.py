"""Overlays are derived, so they must hold for any environment, not just the shipped ones:
each variation below is generated, built by the real kustomize, and compared with its full render."""
from __future__ import annotations

import textwrap

import pytest
import yaml

from helpers import load_documents
from gitops_kafka import kustomize
from gitops_kafka.config import load_defaults, load_environment
from gitops_kafka.render import expected_objects
from gitops_kafka.render.layout import base_tree, overlay_tree
from gitops_kafka.render.patch import object_patch
from test_render import by_identity

BASE = """\
namespace: kafka-variation
gitops:
  repo_url: https://example.invalid/gitops.git
"""

VARIATIONS = {
    "same as defaults": "",
    "manager off": "kafka_manager: {enabled: false}\n",
    "new images by tag and digest": "zookeeper: {image: 'mirror.example.com/zookeeper:3.8.7'}\n"
                                    "kafka: {image: 'confluentinc/cp-kafka@sha256:" + "a" * 64 + "'}\n",
    "scaled": "zookeeper: {replicas: 5}\nkafka: {replicas: 5}\n",
    "chroot, OnDelete, default storage class": "kafka:\n  zookeeper_chroot: /kafka\n  update_strategy: OnDelete\n"
                                                "  storage: {storage_class: null, size: 1Ti}\n",
    "overrides and topics": "kafka:\n  overrides: {log.segment.bytes: 536870912, message.max.bytes: '2097152'}\n"
                            "topics:\n  - {name: a, partitions: 1, replication_factor: 3, config: {cleanup.policy: 'compact,delete'}}\n",
    "other cluster name": "cluster_name: orders\n",
    "settings only": "kafka:\n  settings: {num.partitions: 6, unclean.leader.election.enable: true}\n",
}

DEFAULTS = """\
zookeeper: {replicas: 3}
kafka:
  replicas: 3
  overrides: {log.cleaner.enable: true}
topics:
  - {name: shared, partitions: 3, replication_factor: 3}
gitops: {repo_url: 'https://example.invalid/gitops.git'}
"""


def write(root, tree):
    for path, text in tree.files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


@pytest.mark.parametrize("with_defaults", [False, True], ids=["built-in defaults", "defaults file"])
@pytest.mark.parametrize("variation", list(VARIATIONS))
def test_overlay_builds_to_the_full_render(tmp_path, variation, with_defaults):
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "variation.yaml").write_text(BASE + VARIATIONS[variation])
    if with_defaults:
        (folder / "defaults.yaml").write_text(DEFAULTS)
    defaults, config = load_defaults(tmp_path), load_environment(tmp_path, "variation")
    write(tmp_path, base_tree(defaults))
    write(tmp_path, overlay_tree(defaults, config))
    built = load_documents(kustomize.build(tmp_path / "overlays" / "variation"))
    assert by_identity(built) == by_identity(expected_objects(config))


def test_overlay_uses_kustomize_transformers_for_images_and_replicas(tmp_path):
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "variation.yaml").write_text(BASE + "kafka: {replicas: 5, image: 'confluentinc/cp-kafka:7.9.6'}\n")
    tree = overlay_tree(load_defaults(tmp_path), load_environment(tmp_path, "variation"))
    kustomization = yaml.safe_load(tree.files["overlays/variation/kustomization.yaml"])
    assert kustomization["images"] == [{"name": "confluentinc/cp-kafka", "newTag": "7.9.6"}]
    assert kustomization["replicas"] == [{"name": "kafka", "count": 5}]
    assert kustomization["namespace"] == "kafka-variation"
    # Nothing left for a patch to say, but which environment the drift detector watches and the alerts select.
    assert kustomization["patches"] == [{"path": "patches/deployment-kafka-drift-detector.yaml"},
                                        {"path": "patches/prometheusrule-kafka-alerts.yaml"}]


def test_overlay_of_an_environment_equal_to_the_defaults_has_no_patches(tmp_path):
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "variation.yaml").write_text(BASE)
    tree = overlay_tree(load_defaults(tmp_path), load_environment(tmp_path, "variation"))
    assert sorted(tree.files) == ["overlays/variation/kustomization.yaml", "overlays/variation/namespace.yaml",
                                  "overlays/variation/patches/deployment-kafka-drift-detector.yaml",
                                  "overlays/variation/patches/prometheusrule-kafka-alerts.yaml"]
    patch = yaml.safe_load(tree.files["overlays/variation/patches/deployment-kafka-drift-detector.yaml"])
    [container] = patch["spec"]["template"]["spec"]["containers"]
    assert set(container) == {"name", "args"} and container["args"][:3] == ["daemon", "--env", "variation"]
    # The rules select the environment's own series; a CRD's lists are replaced whole by a patch.
    rule_patch = yaml.safe_load(tree.files["overlays/variation/patches/prometheusrule-kafka-alerts.yaml"])
    assert set(rule_patch) == {"apiVersion", "kind", "metadata", "spec"} and set(rule_patch["spec"]) == {"groups"}
    assert 'environment="variation"' in rule_patch["spec"]["groups"][0]["rules"][0]["expr"]


def test_patch_names_only_what_changed():
    old = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1", "b": "2"}},
           "spec": {"containers": [{"name": "c", "image": "x:1", "env": [{"name": "A", "value": "1"},
                                                                          {"name": "B", "value": "2"}]}]}}
    new = yaml.safe_load(yaml.safe_dump(old))
    new["metadata"]["labels"].pop("b")
    new["spec"]["containers"][0]["env"][1]["value"] = "3"
    new["spec"]["containers"][0]["env"].append({"name": "C", "value": "4"})
    new["spec"]["containers"][0]["env"].pop(0)
    assert object_patch(old, new) == {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"b": None}},
        "spec": {"containers": [{"name": "c", "env": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"},
                                                      {"name": "A", "$patch": "delete"}]}]}}
    assert object_patch(old, yaml.safe_load(yaml.safe_dump(old))) is None


def test_patch_keeps_container_order(tmp_path):
    """A new first container must stay first: kustomize puts patched items before untouched ones."""
    old = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}
    new = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"containers": [{"name": "a", "image": "a:1"}, {"name": "b", "image": "b:2"},
                                   {"name": "c", "image": "c:1"}]}}
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "pod.yaml").write_text(yaml.safe_dump(old))
    (tmp_path / "base" / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    (tmp_path / "patch.yaml").write_text(yaml.safe_dump(object_patch(old, new)))
    (tmp_path / "kustomization.yaml").write_text(textwrap.dedent("""\
        resources: [base]
        patches: [{path: patch.yaml}]
        """))
    [built] = load_documents(kustomize.build(tmp_path))
    assert [c["name"] for c in built["spec"]["containers"]] == ["a", "b", "c"]
    assert built == new
