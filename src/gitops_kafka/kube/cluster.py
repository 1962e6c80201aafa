"""The only user of the Kubernetes client: read the live objects git declares, find labelled extras.

Objects are read as plain JSON through the REST paths that API discovery names
(the way kubectl finds them), so any kind git declares can be read, custom
resources included. API errors are mapped here, once, into SourceError with a
message an operator can act on; nothing above this module sees the client.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any
from urllib.parse import quote

from gitops_kafka.errors import SourceError

SOURCE = "kubernetes"


def _reason(exc: Exception) -> str:
    """One line: a YAML error as 'line N: problem', anything else as its message."""
    mark = getattr(exc, "problem_mark", None)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {getattr(exc, 'problem', None) or 'not YAML'}"
    return " ".join(str(exc).split()) or type(exc).__name__


class Discovery:
    """What API discovery said each group version serves, kept between checks (as kubectl keeps its
    discovery cache) so that a daemon's cycle costs its LISTs, not eight discovery requests more.

    An entry is trusted for `ttl` seconds; a kind its group version did not list is asked for again
    at once (a CRD installed since), so a cached answer never makes a served kind look unserved.
    """

    def __init__(self, ttl: float = 600.0, clock=time.monotonic):
        self._ttl, self._clock = ttl, clock
        self._served: dict[str, tuple[float, dict[str, tuple[str, bool]]]] = {}

    def lookup(self, api_version: str, kind: str) -> tuple[str, bool] | None:
        """(plural, namespaced) if a fresh answer lists the kind."""
        entry = self._served.get(api_version)
        if entry is None or self._clock() - entry[0] > self._ttl:
            return None
        return entry[1].get(kind)

    def remember(self, api_version: str, resources: dict[str, tuple[str, bool]]) -> None:
        self._served[api_version] = (self._clock(), resources)


def _import_client() -> None:
    """Import the kubernetes package without the schema validator its dynamic client picks up.

    `import kubernetes` imports every subpackage, and the dynamic client (which this module
    does not use) imports kubernetes_validate, with jsonschema and its format checkers,
    whenever it is installed, as it is here for `validate`: about 3 MiB of a daemon's memory
    for nothing it runs. The dynamic client takes a failed import as "not installed", so the
    validator is hidden (Python's own `None` in sys.modules) for that one import and
    importable again at once by whatever needs it later in the process.
    """
    if "kubernetes" in sys.modules or "kubernetes_validate" in sys.modules:
        return
    sys.modules["kubernetes_validate"] = None  # type: ignore[assignment]
    try:
        import kubernetes  # noqa: F401
    finally:
        if sys.modules.get("kubernetes_validate", ...) is None:
            del sys.modules["kubernetes_validate"]


class KubernetesCluster:
    """A cluster reached through a kubeconfig (file and context) or the in-cluster service account.

    `discovery` may be shared by the clusters of successive checks (a new client each check keeps
    token rotation simple; the discovery answers outlive it)."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None, in_cluster: bool = False,
                 timeout: float = 10.0, discovery: Discovery | None = None):
        import yaml

        _import_client()
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException

        configuration = client.Configuration()
        try:
            if in_cluster:
                config.load_incluster_config(client_configuration=configuration)
            else:
                config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration)
        except (ConfigException, OSError, TypeError, ValueError, AttributeError, yaml.YAMLError) as exc:
            # A malformed kubeconfig fails in the client's YAML parser or while it walks the document.
            where = "the in-cluster service account" if in_cluster else f"kubeconfig {kubeconfig or '(default)'}"
            raise SourceError(SOURCE, f"cannot load {where}: {_reason(exc)}") from None
        configuration.retries = 0  # one cycle, one try: the next cycle is the retry
        self._api = client.ApiClient(configuration)
        self._timeout = timeout
        self._discovery = discovery if discovery is not None else Discovery()

    def close(self) -> None:
        self._api.close()

    # ---------------------------------------------------------------- requests

    def _get(self, path: str, query: list[tuple[str, str]] | None = None) -> dict[str, Any] | None:
        """GET a path as JSON; None on 404; SourceError on anything else that is not 200."""
        import urllib3

        try:
            method, url, headers, _, _ = self._api.param_serialize(
                "GET", path, query_params=query or [], header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"])
            response = self._api.call_api(method, url, header_params=headers, _request_timeout=self._timeout)
            body = response.read() if hasattr(response, "read") else response.data
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise SourceError(SOURCE, f"API server unreachable: {_reason(exc)}") from None
        status = response.status
        if status == 404:
            return None
        if status != 200:
            raise SourceError(SOURCE, _status_message(status, body))
        try:
            answer = json.loads(body)
        except (ValueError, RecursionError):
            raise SourceError(SOURCE, f"API server answered {path} with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise SourceError(SOURCE, f"API server answered {path} with {type(answer).__name__}, not an object")
        return answer

    # ---------------------------------------------------------------- discovery

    def _resource(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) of a kind, from API discovery of its group version."""
        found = self._discovery.lookup(api_version, kind)
        if found is None:
            path = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
            listing = self._get(path) or {}
            resources = {r["kind"]: (r["name"], bool(r.get("namespaced")))
                         for r in listing.get("resources", []) if "/" not in r.get("name", "")}
            self._discovery.remember(api_version, resources)
            found = resources.get(kind)
        if found is None:
            raise SourceError(SOURCE, f"the API server does not serve {kind} in {api_version} (is its CRD installed?)")
        return found

    def _path(self, api_version: str, kind: str, namespace: str | None, name: str | None = None) -> str:
        plural, namespaced = self._resource(api_version, kind)
        base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
        if namespaced:
            if not namespace:
                raise SourceError(SOURCE, f"{kind}/{name} is namespaced but has no namespace")
            base += f"/namespaces/{quote(namespace)}"
        path = f"{base}/{plural}"
        return f"{path}/{quote(name)}" if name else path

    # ---------------------------------------------------------------- reads

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        """The live object, or None if the cluster does not have it."""
        path = self._path(api_version, kind, namespace, name)
        found = self._get(path)
        if found is not None:
            _check_object(found, path)
        return found

    def list_labelled(self, api_version: str, kind: str, namespace: str | None,
                      labels: dict[str, str]) -> list[dict[str, Any]]:
        """Objects of a kind that carry every given label.

        The selector goes to the server and is applied again here, since a proxy
        or an old aggregated API may ignore it; list items carry no kind, so it is set.
        """
        selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        path = self._path(api_version, kind, namespace)
        listing = self._get(path, [("labelSelector", selector)]) or {}
        found = listing.get("items") or []
        if not isinstance(found, list):
            raise SourceError(SOURCE, f"API server answered {path} with malformed items (not a list)")
        items = []
        for index, item in enumerate(found):
            _check_object(item, f"{path} item {index}")
            item_labels = (item.get("metadata") or {}).get("labels") or {}
            if all(item_labels.get(k) == v for k, v in labels.items()):
                items.append({"apiVersion": api_version, "kind": kind, **item})
        return items


def _check_object(obj: Any, where: str) -> None:
    """An object as the API server sends it has a metadata mapping with a name; anything else is malformed."""
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        problem = "null" if obj is None else "no metadata.name" if isinstance(obj, dict) else type(obj).__name__
        raise SourceError(SOURCE, f"API server answered {where} with a malformed object ({problem})")
    for key in ("labels", "annotations"):
        if not isinstance(meta.get(key) or {}, dict):
            raise SourceError(SOURCE, f"API server answered {where} with a malformed object (metadata.{key})")


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    text = str(reason)
    if "timed out" in text.lower() or "timeout" in type(reason).__name__.lower():
        return "timed out"
    return text.split(": ", 1)[-1][:200]


def _status_message(status: int, body: bytes | str | None) -> str:
    try:
        detail = json.loads(body or b"{}").get("message", "")
    except (ValueError, AttributeError):
        detail = ""
    meaning = {401: "unauthorized: the credentials were rejected",
               403: "forbidden: the detector's account may not read this (check its RBAC)",
               429: "throttled by the API server"}.get(status)
    if meaning is None:
        meaning = "API server error" if status >= 500 else "unexpected answer"
    return f"{meaning} (HTTP {status}){': ' + detail[:200] if detail else ''}"
