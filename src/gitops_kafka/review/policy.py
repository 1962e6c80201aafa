"""validate: strict schema validation for the environment's Kubernetes version, then the
policy rules a platform team insists on. Each finding names the object, the field and the rule.

An object may carry the annotation `gitops-kafka.io/policy-exception: "RULE[, RULE]: reason"`
to be excepted from the named rules only (the generator sets it where an image needs it:
CMAK runs as root). The Prometheus Operator's kinds are checked against the schema of its
CRD models; other custom resources, whose schemas live only in the cluster, are skipped by
the schema check and still pass through the policy rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_kafka.kube.lists import item_segment, join, list_key
from gitops_kafka.kube.objects import load
from gitops_kafka.review import objects as obj

EXCEPTION_ANNOTATION = "gitops-kafka.io/policy-exception"
RESTRICTED_VOLUME_TYPES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                           "projected", "secret"}
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")


@dataclass(frozen=True)
class Finding:
    object: str
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.object} {self.field}: [{self.rule}] {self.message}"


# ---------------------------------------------------------------- schema

def schema_findings(objects: list[dict], kubernetes_version: str) -> list[Finding]:
    """Strict: unknown fields, wrong types and apiVersions the version no longer serves are findings."""
    from gitops_kafka import schema

    out = []
    for o in objects:
        for path, message in schema.violations(o, kubernetes_version) or []:
            out.append(Finding(obj.ref(o), field_path(o, path), "schema", message))
    return out


def field_path(o: dict, parts: list) -> str:
    """A jsonschema path with list positions replaced by item keys (`kube.lists`) where items have them."""
    out, node, field = "", o, ""
    for part in parts:
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            item = node[part]
            key = list_key(field, node, by_name=True)
            segment = item_segment(field, item, key) if key else None
            out += f"[{segment}]" if segment else f"[{part}]"
            node = item
        else:
            out = join(out, part)
            field = str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "."


# ---------------------------------------------------------------- policy rules

def pod_security(objects: list[dict]) -> list[Finding]:
    """Pod Security Standard "restricted", one rule name per control."""
    out = []
    for o in objects:
        found = obj.pod_template(o)
        if not found:
            continue
        path, spec = found
        pod = spec.get("securityContext") or {}
        ref = obj.ref(o)
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(field):
                out.append(Finding(ref, f"{path}.{field}", "hostNamespaces", "host namespaces are not allowed"))
        for volume in spec.get("volumes") or []:
            kinds = set(volume) - {"name"}
            if kinds - RESTRICTED_VOLUME_TYPES:
                out.append(Finding(ref, f"{path}.volumes[name={volume.get('name')}]", "volumeTypes",
                                   f"volume type {', '.join(sorted(kinds))} is not allowed (hostPath and other node volumes)"))
        if pod.get("runAsUser") == 0:
            out.append(Finding(ref, f"{path}.securityContext.runAsUser", "runAsUser", "must not run as user 0"))
        pod_non_root = pod.get("runAsNonRoot") is True
        pod_seccomp = (pod.get("seccompProfile") or {}).get("type") in ("RuntimeDefault", "Localhost")
        for cpath, container in obj.containers(o):
            context = container.get("securityContext") or {}
            where = f"{cpath}.securityContext"
            if context.get("privileged"):
                out.append(Finding(ref, f"{where}.privileged", "privileged", "privileged containers are not allowed"))
            if context.get("allowPrivilegeEscalation") is not False:
                out.append(Finding(ref, f"{where}.allowPrivilegeEscalation", "allowPrivilegeEscalation",
                                   "must be set to false"))
            capabilities = context.get("capabilities") or {}
            if "ALL" not in (capabilities.get("drop") or []):
                out.append(Finding(ref, f"{where}.capabilities.drop", "capabilities", "must drop ALL"))
            added = set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}
            if added:
                out.append(Finding(ref, f"{where}.capabilities.add", "capabilities",
                                   f"may add only NET_BIND_SERVICE, not {', '.join(sorted(added))}"))
            if context.get("runAsNonRoot") is False or not (pod_non_root or context.get("runAsNonRoot") is True):
                out.append(Finding(ref, f"{where}.runAsNonRoot", "runAsNonRoot",
                                   "must be true (here or in the pod's securityContext)"))
            if context.get("runAsUser") == 0:
                out.append(Finding(ref, f"{where}.runAsUser", "runAsUser", "must not run as user 0"))
            seccomp = (context.get("seccompProfile") or {}).get("type")
            if seccomp == "Unconfined" or not (pod_seccomp or seccomp in ("RuntimeDefault", "Localhost")):
                out.append(Finding(ref, f"{where}.seccompProfile.type", "seccompProfile",
                                   "must be RuntimeDefault or Localhost (here or in the pod's securityContext)"))
    return out


def resources(objects: list[dict]) -> list[Finding]:
    """Requests let the scheduler place pods; limits keep one pod from starving its node."""
    out = []
    for o in objects:
        for cpath, container in obj.containers(o):
            spec = container.get("resources") or {}
            for section in ("requests", "limits"):
                for resource in ("cpu", "memory"):
                    if (spec.get(section) or {}).get(resource) is None:
                        out.append(Finding(obj.ref(o), f"{cpath}.resources.{section}.{resource}", "resources",
                                           f"every container needs a {resource} {section[:-1]}"))
    return out


def probes(objects: list[dict]) -> list[Finding]:
    """Long-running containers need readiness (traffic, rollouts) and liveness (restarts)."""
    out = []
    for o in objects:
        if o.get("kind") not in LONG_RUNNING:
            continue
        for cpath, container in obj.containers(o, init=False):
            for probe in ("readinessProbe", "livenessProbe"):
                if not container.get(probe):
                    out.append(Finding(obj.ref(o), f"{cpath}.{probe}", "probes", f"a {probe} is required"))
    return out


def pinned_images(objects: list[dict]) -> list[Finding]:
    """A tag that moves (latest, or none at all) makes git say nothing about what runs."""
    out = []
    for o in objects:
        for cpath, container in obj.containers(o):
            image = str(container.get("image", ""))
            if "@sha256:" in image:
                continue
            last = image.rsplit("/", 1)[-1]
            if ":" not in last:
                out.append(Finding(obj.ref(o), f"{cpath}.image", "pinned-image", f"{image!r} has no tag: pin a version"))
            elif last.endswith(":latest"):
                out.append(Finding(obj.ref(o), f"{cpath}.image", "pinned-image", f"{image!r} uses latest: pin a version"))
    return out


def disruption_budgets(objects: list[dict]) -> list[Finding]:
    """Every StatefulSet needs a PodDisruptionBudget, or a node drain can evict a quorum at once."""
    budgets = [o for o in objects if o.get("kind") == "PodDisruptionBudget"]
    out = []
    for o in objects:
        if o.get("kind") != "StatefulSet":
            continue
        labels = (((o.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}
        covered = any(obj.namespace(b) == obj.namespace(o) and _selects(b, labels) for b in budgets)
        if not covered:
            out.append(Finding(obj.ref(o), "spec.template.metadata.labels", "pod-disruption-budget",
                               "no PodDisruptionBudget selects this StatefulSet's pods"))
    return out


def zookeeper_ensemble(objects: list[dict]) -> list[Finding]:
    """An even ensemble tolerates no more failures than the odd one below it, and can split in halves."""
    out = []
    for o in objects:
        if obj.component(o) != "zookeeper":
            continue
        replicas = obj.replicas(o)
        if replicas < 1 or replicas % 2 == 0:
            out.append(Finding(obj.ref(o), "spec.replicas", "zookeeper-ensemble",
                               f"the ensemble needs an odd number of members (1, 3, 5), not {replicas}"))
        for cpath, container in obj.containers(o, init=False):
            declared = obj.env_value(container, "ZK_REPLICAS")
            if declared is not None and declared != str(replicas):
                out.append(Finding(obj.ref(o), f"{cpath}.env[name=ZK_REPLICAS]", "zookeeper-ensemble",
                                   f"the server list names {declared} members but spec.replicas is {replicas}"))
    return out


def jvm_heap(objects: list[dict]) -> list[Finding]:
    """A memory limit at or under the JVM heap is an OOM kill waiting for a full heap."""
    out = []
    for o in objects:
        for cpath, container in obj.containers(o):
            heap, limit = obj.heap_bytes(container), obj.memory_limit(container)
            if heap is not None and limit is not None and limit <= heap:
                out.append(Finding(obj.ref(o), f"{cpath}.resources.limits.memory", "jvm-heap",
                                   f"the memory limit is not above the JVM heap (-Xmx): the container will be OOM-killed"))
    return out


RULES = (pod_security, resources, probes, pinned_images, disruption_budgets, zookeeper_ensemble, jvm_heap)


def policy_findings(objects: list[dict]) -> list[Finding]:
    """Every rule's findings, less those an object's policy-exception annotation names."""
    by_ref = {obj.ref(o): o for o in objects}
    return [f for rule in RULES for f in rule(objects)
            if f.rule not in exceptions(by_ref.get(f.object, {}))]


def exceptions(o: dict) -> set[str]:
    """The rules named by an object's policy-exception annotation ("rule, rule: reason")."""
    value = obj.annotations(o).get(EXCEPTION_ANNOTATION, "")
    names = value.split(":", 1)[0] if ":" in value else ""
    return {n.strip() for n in names.split(",") if n.strip()}


def _selects(budget: dict, labels: dict) -> bool:
    """Does the budget's label selector match these pod labels? An empty selector protects nothing."""
    selector = (budget.get("spec") or {}).get("selector") or {}
    match, expressions = selector.get("matchLabels") or {}, selector.get("matchExpressions") or []
    if not match and not expressions:
        return False
    return all(labels.get(k) == v for k, v in match.items()) and all(_matches(e, labels) for e in expressions)


def _matches(expression: dict, labels: dict) -> bool:
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False


# ---------------------------------------------------------------- an environment at a revision

def validate(objects: list[dict], kubernetes_version: str) -> list[Finding]:
    return schema_findings(objects, kubernetes_version) + policy_findings(objects)


def validate_environments(repo_path: Path, envs: list[str] | None, ref: str | None = None) -> dict[str, list[Finding]]:
    """Build each environment's overlay (at ref, default the working tree) and validate it."""
    from gitops_kafka.config import environment_names, load_environment
    from gitops_kafka.errors import ConfigError, Problem
    from gitops_kafka.gitrepo import GitRepo
    from gitops_kafka.review.snapshot import snapshot

    with snapshot(GitRepo(repo_path), ref) as snap:
        names = envs or environment_names(snap.root)
        if not names:
            raise ConfigError([Problem("environments/", None, "", f"no environment files found at {snap.short}")])
        results = {}
        for env in names:
            version = load_environment(snap.root, env).kubernetes_version
            results[env] = validate(load(snap.build(env)), version)
        return results
