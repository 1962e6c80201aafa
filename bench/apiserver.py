"""A stateless stand-in for kube-apiserver's read side, for benchmarks: discovery, LIST (with an
equality labelSelector), GET by name, and the API server's 404 Status, from answers computed once.

Why not kmock (tests/kube.py): its time per request grows with every request it serves
(2.7 → 49 ms per LIST over a run), so it measures itself. Here nothing changes after start-up:
each answer's bytes are computed on its first request and then served as they are. Objects
are given as a real API server holds them (see tests/kube.py's `as_applied`); LIST items carry
no kind/apiVersion, as the real server's typed lists do.

It runs as its own process (`python bench/apiserver.py OBJECTS.json`, the port on stdout), so
its work never shares the measured process's interpreter lock.
"""
from __future__ import annotations

import http.server
import json
import sys
from urllib.parse import parse_qs, unquote, urlsplit

# Discovery for the kinds a check may read: (group/version, kind) -> (plural, namespaced).
RESOURCES = {
    ("v1", "ConfigMap"): ("configmaps", True), ("v1", "Service"): ("services", True),
    ("v1", "ServiceAccount"): ("serviceaccounts", True), ("v1", "Secret"): ("secrets", True),
    ("v1", "PersistentVolumeClaim"): ("persistentvolumeclaims", True), ("v1", "Namespace"): ("namespaces", False),
    ("apps/v1", "StatefulSet"): ("statefulsets", True), ("apps/v1", "Deployment"): ("deployments", True),
    ("batch/v1", "Job"): ("jobs", True), ("policy/v1", "PodDisruptionBudget"): ("poddisruptionbudgets", True),
    ("rbac.authorization.k8s.io/v1", "Role"): ("roles", True),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): ("rolebindings", True),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): ("clusterroles", False),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): ("clusterrolebindings", False),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ("servicemonitors", True),
    ("monitoring.coreos.com/v1", "PrometheusRule"): ("prometheusrules", True),
    ("argoproj.io/v1alpha1", "Application"): ("applications", True),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"): ("kustomizations", True),
}


def base_path(api_version: str) -> str:
    return f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"


def collection_path(api_version: str, kind: str, namespace: str | None) -> str:
    plural, namespaced = RESOURCES[(api_version, kind)]
    scope = f"/namespaces/{namespace}" if namespaced else ""
    return f"{base_path(api_version)}{scope}/{plural}"


class Store:
    """The objects by collection path and by object path; answers as bytes, each computed once."""

    def __init__(self, objects: list[dict]):
        self.collections: dict[str, tuple[str, str, list[dict]]] = {}
        self.by_path: dict[str, dict] = {}
        self.discovery: dict[str, dict] = {}
        for (api_version, kind), (plural, namespaced) in RESOURCES.items():
            self.discovery.setdefault(base_path(api_version), {
                "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": api_version, "resources": []
            })["resources"].append({"name": plural, "singularName": kind.lower(), "namespaced": namespaced,
                                    "kind": kind, "verbs": ["get", "list", "watch"]})
        for obj in objects:
            meta = obj["metadata"]
            path = collection_path(obj["apiVersion"], obj["kind"], meta.get("namespace"))
            self.collections.setdefault(path, (obj["apiVersion"], obj["kind"], []))[2].append(obj)
            self.by_path[f"{path}/{meta['name']}"] = obj
        self._answers: dict[str, tuple[int, bytes]] = {}

    def answer(self, target: str) -> tuple[int, bytes]:
        found = self._answers.get(target)
        if found is None:
            found = self._answers[target] = self._compute(target)
        return found

    def _compute(self, target: str) -> tuple[int, bytes]:
        parts = urlsplit(target)
        path = unquote(parts.path).rstrip("/")
        if path in self.discovery:
            return 200, json.dumps(self.discovery[path]).encode()
        if path in self.by_path:
            return 200, json.dumps(self.by_path[path]).encode()
        selector = parse_qs(parts.query).get("labelSelector", [""])[0]
        wanted = dict(term.split("=", 1) for term in selector.split(",") if term)
        if path in self.collections or self._is_collection(path):
            api_version, kind, items = self.collections.get(path, (None, None, []))
            chosen = [{k: v for k, v in item.items() if k not in ("apiVersion", "kind")} for item in items
                      if all(((item["metadata"].get("labels") or {}).get(k) == v) for k, v in wanted.items())]
            body = {"kind": f"{kind}List" if kind else "List", "apiVersion": api_version or "v1",
                    "metadata": {"resourceVersion": "123456"}, "items": chosen}
            return 200, json.dumps(body).encode()
        name = path.rsplit("/", 1)[-1]
        return 404, json.dumps({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": f'"{name}" not found', "reason": "NotFound",
                                "details": {"name": name}, "code": 404}).encode()

    def _is_collection(self, path: str) -> bool:
        for (api_version, kind), (plural, _) in RESOURCES.items():
            if path.startswith(base_path(api_version) + "/") and path.endswith("/" + plural):
                return True
        return False


def serve(objects: list[dict], port: int = 0) -> http.server.HTTPServer:
    store = Store(objects)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as kube-apiserver serves the client's connection pool
        disable_nagle_algorithm = True  # as Go's net/http does: else each answer waits on a delayed ACK (~40 ms)

        def log_message(self, *args):
            pass

        def do_GET(self):
            status, body = store.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    with open(sys.argv[1]) as handle:
        server = serve(json.load(handle))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
