"""The Kustomize layout: base/ from the shared defaults, overlays/<env>/ as only the differences.

An overlay is derived, not hand-written: both configurations are rendered to
objects, and the overlay is the namespace, the environment label, the `images`
and `replicas` entries kustomize has for exactly those changes, objects the base
lacks, and one strategic-merge patch per object for everything else. Whatever
the base and the environment are, `kubectl kustomize overlays/<env>` builds the
environment's full render (tests check that with the real binary).
"""
from __future__ import annotations

import copy
from typing import Any

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.errors import RenderError
from gitops_kafka.render import common, components, detector, gitops, object_key, overlay_only, patch
from gitops_kafka.tree import Tree, dump_yaml

KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet")
CONTAINER_LISTS = ("containers", "initContainers")


def base_tree(defaults: EnvironmentConfig) -> Tree:
    tree = Tree()
    tree.own("base")
    files = components(defaults)
    for name, objects in files.items():
        tree.add(f"base/{name}.yaml", dump_yaml(objects))
    tree.add("base/kustomization.yaml", dump_yaml([{**KUSTOMIZATION, "resources": [f"{n}.yaml" for n in files]}]))
    return tree


def overlay_tree(defaults: EnvironmentConfig, config: EnvironmentConfig) -> Tree:
    folder = config.overlay_path
    tree = Tree()
    tree.own(folder)
    base_objects = {object_key(o): o for objs in components(defaults).values() for o in objs}
    env_files = {"namespace": overlay_only(config), **components(config)}
    env_objects = {object_key(o): o for objs in env_files.values() for o in objs}

    images = image_changes(base_objects, env_objects)
    replicas = replica_changes(base_objects, env_objects)
    transformed = {k: apply_replicas(apply_images(o, images), replicas) for k, o in base_objects.items()}

    resources = ["../../base"]
    for name, objects in env_files.items():
        added = [o for o in objects if object_key(o) not in base_objects]
        if added:
            tree.add(f"{folder}/{name}.yaml", dump_yaml(added))
            resources.append(f"{name}.yaml")

    patches = []
    for key, obj in base_objects.items():
        if key in env_objects:
            change = patch.object_patch(transformed[key], env_objects[key])
        else:
            change = patch.delete_patch(obj)
        if change is not None:
            path = f"patches/{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"
            tree.add(f"{folder}/{path}", dump_yaml([change]))
            patches.append({"path": path})

    kustomization: dict[str, Any] = {**KUSTOMIZATION, "namespace": config.namespace, "resources": resources,
                                     "labels": [{"pairs": {common.ENVIRONMENT_LABEL: config.name}}]}
    if any(o["metadata"].get("namespace") for o in env_objects.values()):
        # `namespace:` would move every object, also those placed in another namespace (Grafana's):
        # the same transformer, told to set only namespaces that are unset, leaves them where they are.
        del kustomization["namespace"]
        tree.add(f"{folder}/{NAMESPACE_TRANSFORMER}", dump_yaml([namespace_transformer(config)]))
        kustomization["transformers"] = [NAMESPACE_TRANSFORMER]
    if images:
        kustomization["images"] = [entry for entry in images.values()]
    if replicas:
        kustomization["replicas"] = [{"name": n, "count": c} for n, c in replicas.items()]
    if patches:
        kustomization["patches"] = patches
    tree.add(f"{folder}/kustomization.yaml", dump_yaml([kustomization]))
    return tree


NAMESPACE_TRANSFORMER = "namespace-transformer.yaml"


def namespace_transformer(config: EnvironmentConfig) -> dict[str, Any]:
    return {"apiVersion": "builtin", "kind": "NamespaceTransformer",
            "metadata": {"name": "environment-namespace", "namespace": config.namespace},
            "unsetOnly": True, "setRoleBindingSubjects": "allServiceAccounts"}


def sync_tree(config: EnvironmentConfig) -> Tree:
    folder = f"clusters/{config.name}"
    tree = Tree()
    tree.share(folder)  # with `flux bootstrap` (flux-system/) and people: only the files written here are ours
    filename, objects = gitops.render(config)
    tree.add(f"{folder}/{filename}", dump_yaml(objects))
    access = detector.sync_access(config)
    if access:
        tree.add(f"{folder}/drift-detector-access.yaml", dump_yaml(access))
    return tree


# ---------------------------------------------------------------- kustomize's own transformers

def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Every container and init container of an object, wherever its pod spec sits."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in CONTAINER_LISTS and isinstance(value, list):
                    found.extend(c for c in value if isinstance(c, dict) and "image" in c)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(obj)
    return found


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference, as kustomize's images transformer sees it."""
    name = common.image_name(image)
    reference, _, digest = image[len(name):].partition("@")
    tag = reference[1:] if reference.startswith(":") else None
    return name, tag or None, digest or None


def image_changes(base: dict, env: dict) -> dict[str, dict[str, str]]:
    """kustomize `images` entries for every image whose every use changes the same way."""
    uses: dict[str, set[str]] = {}
    for key, obj in base.items():
        if key not in env:
            continue
        env_containers = {c["name"]: c for c in containers(env[key])}
        for container in containers(obj):
            new = env_containers.get(container["name"])
            if new is not None:
                uses.setdefault(common.image_name(container["image"]), set()).add(
                    container["image"] + "\0" + new["image"])
    entries = {}
    for name, pairs in sorted(uses.items()):
        targets = {p.split("\0")[1] for p in pairs}
        sources = {p.split("\0")[0] for p in pairs}
        if len(targets) != 1 or targets == sources:
            continue
        new_name, tag, digest = split_image(targets.pop())
        entry = {"name": name}
        if new_name != name:
            entry["newName"] = new_name
        if tag:
            entry["newTag"] = tag
        if digest:
            entry["digest"] = digest
        entries[name] = entry
    return entries


def apply_images(obj: dict[str, Any], images: dict[str, dict[str, str]]) -> dict[str, Any]:
    obj = copy.deepcopy(obj)
    for container in containers(obj):
        entry = images.get(common.image_name(container["image"]))
        if entry:
            name, tag, digest = split_image(container["image"])
            name = entry.get("newName", name)
            tag = entry.get("newTag", tag if "digest" not in entry else None)
            digest = entry.get("digest", None if "newTag" in entry else digest)
            container["image"] = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return obj


def replica_changes(base: dict, env: dict) -> dict[str, int]:
    changes = {}
    for key, obj in base.items():
        new = env.get(key)
        if new is None or obj["kind"] not in SCALABLE:
            continue
        if obj["spec"].get("replicas") != new["spec"].get("replicas") and "replicas" in new["spec"]:
            changes[obj["metadata"]["name"]] = new["spec"]["replicas"]
    if len(changes) != len(set(changes)):  # pragma: no cover - names are unique per kind here
        raise RenderError("two scalable objects share a name; kustomize replicas would be ambiguous")
    return dict(sorted(changes.items()))


def apply_replicas(obj: dict[str, Any], replicas: dict[str, int]) -> dict[str, Any]:
    if obj["kind"] in SCALABLE and obj["metadata"]["name"] in replicas:
        obj = copy.deepcopy(obj)
        obj["spec"]["replicas"] = replicas[obj["metadata"]["name"]]
    return obj
