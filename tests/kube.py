"""The one fake seam: a Kubernetes API over real HTTP (kmock), reached through a kubeconfig.

No kube-apiserver can run here. kmock serves the Kubernetes REST API to the
official client, but adds nothing a real server adds, so `as_applied` writes
what a real API server returns after Argo CD applies an object: server
defaults, canonical quantities, status, uid/resourceVersion/generation, and the
managedFields of the applier and of the controllers. Hand changes go through
`edit`, which also records the field manager and time as the API server would.

Two gaps of kmock are bridged here and only here: cluster-scoped objects
(Namespace) cannot be stored, so GETs of them are answered by a reaction; and
kmock authorizes nothing, so the proxy in front of it does what the API server's
RBAC authorizer does: the kubeconfig's bearer token is the detector's
ServiceAccount, and a request its bound Roles and ClusterRoles (taken from the
built overlay, exactly as generated) do not allow gets the API server's 403
Status. The same proxy turns the API unreachable, slow, 401, 403 or 5xx on
demand, for the fault tests.
"""
from __future__ import annotations

import asyncio
import copy
import http.server
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from gitops_kafka.quantity import parse_quantity

APPLIER = "argocd-controller"
APPLIED_AT = "2026-11-20T08:00:00Z"
KEYED = {"containers": ("name",), "initContainers": ("name",), "env": ("name",), "volumes": ("name",),
         "volumeMounts": ("mountPath",), "topologySpreadConstraints": ("topologyKey", "whenUnsatisfiable")}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding"}


# ---------------------------------------------------------------- what a real API server returns

def canonical_quantity(value: Any) -> str:
    """The API server's canonical spelling: 1000m -> 1, 0.5 -> 500m, 1024Mi -> 1Gi."""
    number = parse_quantity(value)
    text = str(value)
    binary = any(text.endswith(s) for s in ("Ki", "Mi", "Gi", "Ti", "Pi", "Ei"))
    if binary or (number == number.to_integral() and number >= 1024 and int(number) % 1024 == 0):
        for suffix, size in (("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if number >= size and number % size == 0:
                return f"{int(number // size)}{suffix}"
    if number == number.to_integral():
        return str(int(number))
    milli = number * 1000
    if milli == milli.to_integral():
        return f"{int(milli)}m"
    return format(number.normalize(), "f")


def fields_v1(node: Any, field: str = "") -> dict:
    """managedFields' fieldsV1 for an applied value: f: for keys, k: for keyed list items."""
    if isinstance(node, dict):
        return {f"f:{k}": fields_v1(v, k) for k, v in node.items()}
    if isinstance(node, list) and node and all(isinstance(i, dict) for i in node):
        if field == "ports":
            key_of = (lambda i: {"containerPort": i["containerPort"], "protocol": i.get("protocol", "TCP")}) \
                if "containerPort" in node[0] else (lambda i: {"port": i["port"], "protocol": i.get("protocol", "TCP")})
        elif field in KEYED:
            key_of = lambda i: {k: i[k] for k in KEYED[field]}  # noqa: E731
        else:
            return {}
        return {"k:" + json.dumps(key_of(i), separators=(",", ":"), sort_keys=True): {".": {}, **fields_v1(i)}
                for i in node}
    return {}


def _quantities(resources: dict) -> None:
    for section in ("requests", "limits"):
        for key, value in (resources.get(section) or {}).items():
            resources[section][key] = canonical_quantity(value)


def _probe(probe: dict | None) -> None:
    if probe:
        for key, value in (("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1),
                           ("failureThreshold", 3)):
            probe.setdefault(key, value)


def _pod_spec(spec: dict, restart: str = "Always") -> None:
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("restartPolicy", restart)
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("securityContext", {})
    spec.setdefault("terminationGracePeriodSeconds", 30)
    for container in spec.get("initContainers", []) + spec.get("containers", []):
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("imagePullPolicy", "IfNotPresent")
        for port in container.get("ports", []):
            port.setdefault("protocol", "TCP")
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            _probe(container.get(probe))
        _quantities(container.setdefault("resources", {}))
        for env in container.get("env", []):
            ref = (env.get("valueFrom") or {}).get("fieldRef")
            if ref is not None:
                ref.setdefault("apiVersion", "v1")
    for volume in spec.get("volumes", []):
        if "configMap" in volume:
            volume["configMap"].setdefault("defaultMode", 420)


def server_defaults(obj: dict, ready: bool = True) -> None:
    """Fields and status a real API server and its controllers add (in place)."""
    kind, spec = obj["kind"], obj.get("spec", {})
    if kind == "StatefulSet":
        replicas = spec.get("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
        if strategy.get("type") == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {"partition": 0})
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
        _pod_spec(spec["template"]["spec"])
        for claim in spec.get("volumeClaimTemplates", []):
            claim.setdefault("apiVersion", "v1")
            claim.setdefault("kind", "PersistentVolumeClaim")
            claim["spec"].setdefault("volumeMode", "Filesystem")
            claim["spec"]["resources"]["requests"] = {k: canonical_quantity(v) for k, v in claim["spec"]["resources"]["requests"].items()}
            claim["status"] = {"phase": "Pending"}
        revision = f"{obj['metadata']['name']}-7d9f8c6b5"
        obj["status"] = {"observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas if ready else 0,
                         "currentReplicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas if ready else 0,
                         "currentRevision": revision, "updateRevision": revision, "collisionCount": 0}
    elif kind == "Deployment":
        replicas = spec.get("replicas", 1)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault("revisionHistoryLimit", 10)
        strategy = spec.setdefault("strategy", {"type": "RollingUpdate"})
        if strategy.get("type") == "RollingUpdate":
            strategy.setdefault("rollingUpdate", {"maxSurge": "25%", "maxUnavailable": "25%"})
        _pod_spec(spec["template"]["spec"])
        obj["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = "1"
        obj["status"] = {"observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
                         "readyReplicas": replicas, "availableReplicas": replicas,
                         "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                                        {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}
    elif kind == "Service":
        headless = spec.get("clusterIP") == "None"
        address = "None" if headless else f"10.100.{len(obj['metadata']['name']) % 250}.{sum(map(ord, obj['metadata']['name'])) % 250}"
        spec.setdefault("clusterIP", address)
        spec["clusterIPs"] = [address]
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("type", "ClusterIP")
        for port in spec.get("ports", []):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port["port"])
        obj["status"] = {"loadBalancer": {}}
    elif kind == "PodDisruptionBudget":
        obj["status"] = {"observedGeneration": 1, "currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1,
                         "expectedPods": 3, "conditions": [{"type": "DisruptionAllowed", "status": "True",
                                                            "reason": "SufficientPods"}]}
    elif kind == "Job":
        controller = str(uuid.uuid5(uuid.NAMESPACE_URL, obj["metadata"]["name"]))
        spec.setdefault("completions", 1)
        spec.setdefault("parallelism", 1)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
        spec.setdefault("manualSelector", False)
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": controller}}
        spec["template"]["metadata"].setdefault("labels", {}).update({
            "batch.kubernetes.io/controller-uid": controller, "batch.kubernetes.io/job-name": obj["metadata"]["name"],
            "controller-uid": controller, "job-name": obj["metadata"]["name"]})
        _pod_spec(spec["template"]["spec"], restart="OnFailure")
        obj["status"] = {"succeeded": 1, "startTime": APPLIED_AT, "completionTime": APPLIED_AT,
                         "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                        {"type": "Complete", "status": "True"}]}
    elif kind == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        obj["status"] = {"phase": "Active"}


def omit_empty(node: Any) -> Any:
    """Nulls, empty maps and empty lists dropped, as the API server's omitempty serialization does."""
    if isinstance(node, dict):
        out = {k: omit_empty(v) for k, v in node.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(node, list):
        return [omit_empty(v) for v in node]
    return node


def stored(applied: dict, live: dict, *, manager: str, operation: str, at: str, first_version: int,
           generated_kinds: tuple[str, ...] = ("StatefulSet", "Deployment", "Job", "PodDisruptionBudget"),
           fields: dict | None = None) -> dict:
    """`live` (defaults already in) with what the API server adds when it stores an object `manager`
    wrote from `applied`: uid, resourceVersion, creationTimestamp, generation, and managedFields (the
    writer's fields, and the status controller's where there is a status)."""
    meta = live["metadata"]
    meta["uid"] = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{live['kind']}/{meta['name']}"))
    meta["resourceVersion"] = str(first_version + sum(map(ord, meta["name"])))
    meta["creationTimestamp"] = at
    if live["kind"] in generated_kinds:
        meta["generation"] = 1
    if fields is None:
        fields = fields_v1({k: v for k, v in applied.items() if k not in ("apiVersion", "kind")})
    managed = [{"manager": manager, "operation": operation, "apiVersion": live["apiVersion"], "time": at,
                "fieldsType": "FieldsV1", "fieldsV1": fields}]
    if "status" in live:
        managed.append({"manager": "kube-controller-manager", "operation": "Update", "apiVersion": live["apiVersion"],
                        "time": at, "fieldsType": "FieldsV1", "subresource": "status",
                        "fieldsV1": {"f:status": fields_v1(live["status"])}})
    meta["managedFields"] = managed
    return live


def as_applied(desired: dict, ready: bool = True) -> dict:
    """What GET returns after Argo CD applied `desired` and the controllers caught up."""
    applied = copy.deepcopy(desired)
    live = omit_empty(copy.deepcopy(desired))
    meta = live["metadata"]
    namespace = meta.get("namespace", "")
    group = live["apiVersion"].split("/")[0] if "/" in live["apiVersion"] else ""
    meta.setdefault("annotations", {})["argocd.argoproj.io/tracking-id"] = \
        f"kafka-prod:{group}/{live['kind']}:{namespace}/{meta['name']}"
    server_defaults(live, ready)
    applied_fields = fields_v1({k: v for k, v in applied.items() if k not in ("apiVersion", "kind")})
    applied_fields.setdefault("f:metadata", {}).setdefault("f:annotations", {})["f:argocd.argoproj.io/tracking-id"] = {}
    return stored(applied, live, manager=APPLIER, operation="Apply", at=APPLIED_AT, first_version=100000,
                  fields=applied_fields)


def bound_claim(stateful_set, template, ordinal):
    """A claim the StatefulSet controller created from a template, after the PV controller bound it."""
    name = f"{template['metadata']['name']}-{stateful_set['metadata']['name']}-{ordinal}"
    uid = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"PersistentVolumeClaim/{name}"))
    labels = {**(template["metadata"].get("labels") or {}), **stateful_set["spec"]["selector"]["matchLabels"]}
    return {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name, "namespace": stateful_set["metadata"]["namespace"], "labels": labels,
            "uid": uid, "resourceVersion": str(2000 + ordinal),
            "creationTimestamp": APPLIED_AT, "finalizers": ["kubernetes.io/pvc-protection"],
            "annotations": {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
                            "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                            "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com",
                            "volume.kubernetes.io/selected-node": f"node-{ordinal}"},
            "managedFields": [
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": APPLIED_AT,
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:annotations": {
                     ".": {}, "f:pv.kubernetes.io/bind-completed": {}, "f:pv.kubernetes.io/bound-by-controller": {},
                     "f:volume.beta.kubernetes.io/storage-provisioner": {},
                     "f:volume.kubernetes.io/storage-provisioner": {}},
                     "f:labels": {".": {}, **{f"f:{k}": {} for k in labels}}},
                     "f:spec": {"f:accessModes": {}, "f:resources": {"f:requests": {".": {}, "f:storage": {}}},
                                "f:volumeMode": {}, "f:volumeName": {}}}},
                {"manager": "kube-scheduler", "operation": "Update", "apiVersion": "v1", "time": APPLIED_AT,
                 "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:metadata": {"f:annotations": {"f:volume.kubernetes.io/selected-node": {}}}}},
                {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": APPLIED_AT,
                 "fieldsType": "FieldsV1", "subresource": "status", "fieldsV1": {"f:status": {
                     "f:accessModes": {}, "f:capacity": {".": {}, "f:storage": {}}, "f:phase": {}}}}],
        },
        "spec": {**copy.deepcopy(template["spec"]), "volumeMode": "Filesystem", "storageClassName": "gp3",
                 "volumeName": f"pvc-{uid}"},
        "status": {"phase": "Bound", "accessModes": template["spec"]["accessModes"],
                   "capacity": template["spec"]["resources"]["requests"]},
    }


# ---------------------------------------------------------------- authorization (the API server's RBAC)

DETECTOR_TOKEN = "detector-service-account-token"
DISCOVERY = re.compile(r"^/(api|apis|version|openapi/v[23])(/[^/]+(/[^/]+)?)?/?$")


def detector_identity(objects: list[dict]) -> tuple[str, str]:
    """(namespace, name) of the ServiceAccount the generated drift-detector Deployment runs as."""
    for obj in objects:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if obj.get("kind") == "Deployment" and labels.get("app.kubernetes.io/component") == "drift-detector":
            return obj["metadata"]["namespace"], obj["spec"]["template"]["spec"]["serviceAccountName"]
    raise ValueError("the built overlay has no drift-detector Deployment")


class Authorizer:
    """RBAC as kube-apiserver evaluates it, for one ServiceAccount and the RBAC objects of a built overlay.

    A RoleBinding grants its Role's (or ClusterRole's) rules in its own namespace;
    a ClusterRoleBinding grants its ClusterRole's rules everywhere. Rules match by
    apiGroup, resource, verb and, when given, resourceNames (which never allow a list).
    Discovery paths are allowed to any authenticated user (system:discovery).
    """

    def __init__(self, objects: list[dict], identity: tuple[str, str] | None = None):
        self.namespace, self.account = identity or detector_identity(objects)
        self.user = f"system:serviceaccount:{self.namespace}:{self.account}"
        roles = {(o["kind"], o["metadata"].get("namespace") if o["kind"] == "Role" else None, o["metadata"]["name"]):
                 o.get("rules") or [] for o in objects if o.get("kind") in ("Role", "ClusterRole")}
        self.grants: list[tuple[str | None, dict]] = []  # (namespace or None for everywhere, rule)
        for binding in objects:
            if binding.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
                continue
            scope = binding["metadata"].get("namespace") if binding["kind"] == "RoleBinding" else None
            if not any(s.get("kind") == "ServiceAccount" and s.get("name") == self.account
                       and (s.get("namespace") or scope) == self.namespace for s in binding.get("subjects") or []):
                continue
            ref = binding["roleRef"]
            rules = roles.get((ref["kind"], scope if ref["kind"] == "Role" else None, ref["name"]), [])
            self.grants.extend((scope, rule) for rule in rules)

    def allows(self, verb: str, group: str, resource: str, namespace: str | None, name: str | None) -> bool:
        for scope, rule in self.grants:
            if scope is not None and scope != namespace:
                continue
            if not ({"*", group} & set(rule.get("apiGroups") or [])) or \
                    not ({"*", resource} & set(rule.get("resources") or [])) or \
                    not ({"*", verb} & set(rule.get("verbs") or [])):
                continue
            names = rule.get("resourceNames") or []
            if names and (name is None or name not in names):
                continue
            return True
        return False

    def forbidden(self, method: str, path: str, query: str) -> dict | None:
        """None if the request is allowed, else the API server's 403 Status for it."""
        if DISCOVERY.match(path):
            return None
        request = parse_resource_path(path)
        if request is None:
            return status(403, "Forbidden", f'forbidden: User "{self.user}" cannot {method.lower()} path "{path}"')
        group, resource, namespace, name = request
        verb = {"GET": "list" if name is None else "get", "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete"}.get(method, method.lower())
        if verb == "list" and "watch=true" in query.replace("watch=1", "watch=true"):
            verb = "watch"
        if self.allows(verb, group, resource, namespace, name):
            return None
        what = f'{resource} "{name}"' if name else resource
        where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        details = {"group": group, "kind": resource.split("/")[0], **({"name": name} if name else {})}
        return status(403, "Forbidden", f'{what} is forbidden: User "{self.user}" cannot {verb} resource '
                                        f'"{resource}" in API group "{group}" {where}', details)


def parse_resource_path(path: str) -> tuple[str, str, str | None, str | None] | None:
    """(group, resource[/subresource], namespace, name) of a REST path, None if it names no resource."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, rest = parts[1], parts[3:]
    else:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    resource, name = rest[0], rest[1] if len(rest) > 1 else None
    if rest[0] == "namespaces" and name:
        namespace = None  # GET /api/v1/namespaces/x is the cluster-scoped Namespace x
    if len(rest) > 2:
        resource = f"{resource}/{rest[2]}"
    return group, resource, namespace, name


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A metav1.Status as the API server sends with an error."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, **({"details": details} if details else {}), "code": code}


# ---------------------------------------------------------------- fault proxy

class FaultProxy:
    """A loopback HTTP proxy in front of the API: authenticates and authorizes, then passes requests through
    unless told to fail.

    mode: None (pass), an HTTP status (401, 403, 500, 503...), "slow" (answer after
    the client's timeout), "down" (drop every connection, as an unreachable server);
    `answers` replaces the body of one path (malformed answers).
    Every request is checked as the API server would: the bearer token must be the
    detector's (else 401), and RBAC must allow it (else 403, see Authorizer).
    """

    def __init__(self, target_port: int, authorizer: Authorizer):
        self.target = f"http://127.0.0.1:{target_port}"
        self.authorizer = authorizer
        self.mode: int | str | None = None
        self.requests = 0
        self.paths: list[str] = []  # every request's path and query, in order
        self.forbidden: list[str] = []
        self.answers: dict[str, bytes] = {}  # path -> body answered with 200 instead of the API's
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                proxy.requests += 1
                proxy.paths.append(self.path)
                mode = proxy.mode
                if mode == "down":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mode == "slow":
                    time.sleep(3)
                if isinstance(mode, int):
                    reason = {401: "Unauthorized", 403: "Forbidden", 500: "InternalError",
                              503: "ServiceUnavailable"}.get(mode, "Unknown")
                    body = json.dumps(status(mode, reason, f"injected {mode}")).encode()
                    return self._answer(mode, body)
                if self.headers.get("Authorization") != f"Bearer {DETECTOR_TOKEN}":
                    return self._answer(401, json.dumps(status(401, "Unauthorized", "Unauthorized")).encode())
                path, _, query = self.path.partition("?")
                refusal = proxy.authorizer.forbidden("GET", path, query)
                if refusal is not None:
                    proxy.forbidden.append(refusal["message"])
                    return self._answer(403, json.dumps(refusal).encode())
                if path in proxy.answers:  # a malformed or surprising answer, for the fault tests
                    return self._answer(200, proxy.answers[path])
                try:
                    with urllib.request.urlopen(proxy.target + self.path, timeout=10) as response:
                        return self._answer(response.status, response.read())
                except urllib.error.HTTPError as error:
                    return self._answer(error.code, error.read())

            def _answer(self, status: int, body: bytes):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- the server

class KubeAPI:
    """kmock on a loopback port, an authorizing fault proxy in front, and a kubeconfig pointing at the proxy.

    `rbac` is the built overlay (or any objects holding the generated RBAC): the
    kubeconfig's token is the detector's ServiceAccount, allowed only what they grant
    (or `identity`'s, (namespace, name) of another ServiceAccount those objects bind).
    """

    def __init__(self, directory: Path, rbac: list[dict], identity: tuple[str, str] | None = None):
        import kmock

        started, self._state = threading.Event(), {}

        def serve():
            async def main():
                emulator = kmock.KubernetesEmulator()
                emulator.resources.load_bundled()
                # A cluster with the Prometheus Operator installed serves its CRDs too.
                for plural, kind in (("servicemonitors", "ServiceMonitor"), ("prometheusrules", "PrometheusRule")):
                    emulator.resources[f"{plural}.v1.monitoring.coreos.com"] = {
                        "kind": kind, "namespaced": True, "singular": kind.lower(),
                        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}
                # ... and Argo CD's and Flux's, whose sync objects the detector reads.
                for resource, kind in (("applications.v1alpha1.argoproj.io", "Application"),
                                       ("kustomizations.v1.kustomize.toolkit.fluxcd.io", "Kustomization")):
                    emulator.resources[resource] = {
                        "kind": kind, "namespaced": True, "singular": kind.lower(),
                        "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}
                async with emulator, kmock.Server(emulator, host="127.0.0.1") as server:
                    self._state.update(port=server.port, emulator=emulator, stop=asyncio.Event())
                    self._loop = asyncio.get_running_loop()
                    started.set()
                    await self._state["stop"].wait()
            asyncio.run(main())

        self._thread = threading.Thread(target=serve, daemon=True)
        self._thread.start()
        if not started.wait(20):
            raise RuntimeError("kmock did not start")
        self.port = self._state["port"]
        self.emulator = self._state["emulator"]
        self._cluster_scoped: dict[str, dict] = {}
        self.authorizer = Authorizer(rbac, identity)
        self.proxy = FaultProxy(self.port, self.authorizer)
        self.kubeconfig = directory / "kubeconfig"
        self.kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\n"
            f"clusters: [{{name: test, cluster: {{server: 'http://127.0.0.1:{self.proxy.port}'}}}}]\n"
            f"users: [{{name: detector, user: {{token: {DETECTOR_TOKEN}}}}}]\n"
            "contexts: [{name: test, context: {cluster: test, user: detector}}]\n"
            "current-context: test\n")

    def close(self) -> None:
        self.proxy.close()
        self._loop.call_soon_threadsafe(self._state["stop"].set)
        self._thread.join(10)

    # ---------------------------------------------------------------- requests

    def _request(self, method: str, path: str, body: Any = None, content_type: str = "application/json"):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                         headers={"Content-Type": content_type})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    @staticmethod
    def _collection(obj: dict) -> str:
        api, kind = obj["apiVersion"], obj["kind"]
        plural = {"Endpoints": "endpoints", "NetworkPolicy": "networkpolicies"}.get(kind, kind.lower() + "s")
        base = f"/api/{api}" if "/" not in api else f"/apis/{api}"
        if kind in CLUSTER_SCOPED:
            return f"{base}/{plural}"
        return f"{base}/namespaces/{obj['metadata']['namespace']}/{plural}"

    def create(self, live: dict) -> None:
        """Store an object exactly as given (it should already look like an API server's answer)."""
        if live["kind"] in CLUSTER_SCOPED:  # kmock cannot store these: answer their GET instead
            path = f"{self._collection(live)}/{live['metadata']['name']}"
            if path not in self._cluster_scoped:
                self.emulator[f"get {path}"] << (lambda: self._cluster_scoped[path])
            self._cluster_scoped[path] = live
            return
        self._request("POST", self._collection(live), live)

    def read(self, obj: dict) -> dict:
        return self._request("GET", f"{self._collection(obj)}/{obj['metadata']['name']}")

    def delete(self, obj: dict) -> None:
        self._request("DELETE", f"{self._collection(obj)}/{obj['metadata']['name']}")

    def replace(self, live: dict) -> None:
        """A write: as on a real API server, the stored object gets a new resourceVersion."""
        if live["kind"] not in CLUSTER_SCOPED:
            stored_version = self.read(live)["metadata"].get("resourceVersion")
            if live["metadata"].get("resourceVersion") == stored_version:
                live = {**live, "metadata": {**live["metadata"], "resourceVersion": str(int(stored_version) + 1)}}
            self.delete(live)
        self.create(live)

    def edit(self, obj: dict, change, manager: str, fields: dict, when: str = "2026-11-24T10:15:00Z",
             subresource: str | None = None) -> dict:
        """A hand change: `change(live)` mutates the object; managedFields record `manager` owning `fields`
        (through `subresource`, such as `scale`, when the change went through one)."""
        live = self.read(obj)
        change(live)
        live["metadata"]["resourceVersion"] = str(int(live["metadata"]["resourceVersion"]) + 1)
        if any(k != "metadata" for k in fields.get("f:spec", {})) and "generation" in live["metadata"]:
            live["metadata"]["generation"] += 1
        live["metadata"]["managedFields"].append({
            "manager": manager, "operation": "Update", "apiVersion": live["apiVersion"], "time": when,
            "fieldsType": "FieldsV1", "fieldsV1": fields, **({"subresource": subresource} if subresource else {})})
        self.replace(live)
        return live
