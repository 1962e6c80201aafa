"""The drift detector's own deployment: Deployment, ServiceAccount, read-only RBAC, Service, ServiceMonitor.

Its permissions are get, list and watch only, on just the kinds the overlay
declares and the claims its StatefulSets use. The overlay also declares three
cluster-scoped objects the detector compares by name: the environment's
Namespace and this ClusterRole/ClusterRoleBinding pair itself. Reading them
needs a cluster-scoped grant, limited to `get` and by resourceNames to exactly
those names (the pair lives in the overlay, beside the Namespace).
"""
from __future__ import annotations

from typing import Any

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.render import common

NAME = "drift-detector"
COMPONENT = "drift-detector"
PORT = 8080
CREDENTIALS = "/etc/gitops-kafka/git"  # where the repository credentials Secret is mounted
READ = ["get", "list", "watch"]
RULES = [
    ("", ["configmaps", "services", "serviceaccounts", "persistentvolumeclaims"]),
    ("apps", ["statefulsets", "deployments"]),
    ("batch", ["jobs"]),
    ("policy", ["poddisruptionbudgets"]),
    ("rbac.authorization.k8s.io", ["roles", "rolebindings"]),
    ("monitoring.coreos.com", ["servicemonitors", "prometheusrules"]),
]


def base_name(config: EnvironmentConfig) -> str:
    return f"{config.cluster_name}-{NAME}"


def render(config: EnvironmentConfig) -> list[dict[str, Any]]:
    if not config.detector.enabled:
        return []
    name, labels = base_name(config), common.labels(config, NAME, COMPONENT)
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": common.metadata(name, labels)},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": common.metadata(name, labels),
         "rules": [{"apiGroups": [group], "resources": resources, "verbs": list(READ)} for group, resources in RULES]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": common.metadata(name, labels),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": name}]},
        common.service(config, name, NAME, COMPONENT, [{"name": "metrics", "port": PORT, "targetPort": "metrics"}]),
        deployment(config),
    ]
    if config.detector.service_monitor:
        objects.append({
            "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": common.metadata(name, {**labels, **config.monitoring.labels}),
            "spec": {"selector": {"matchLabels": common.selector_labels(config, NAME)},
                     "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s"}]},
        })
    return objects


def namespace_access(config: EnvironmentConfig) -> list[dict[str, Any]]:
    """The cluster-scoped grant to read the environment's Namespace and this pair by name, and nothing else."""
    if not config.detector.enabled:
        return []
    name = f"gitops-kafka-{config.namespace}-{NAME}"
    labels = {**common.labels(config, NAME, COMPONENT)}
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": common.metadata(name, labels),
         "rules": [{"apiGroups": [""], "resources": ["namespaces"], "resourceNames": [config.namespace],
                    "verbs": ["get"]},
                   {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles", "clusterrolebindings"],
                    "resourceNames": [name], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
         "metadata": common.metadata(name, labels),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": base_name(config), "namespace": config.namespace}]},
    ]


def sync_access(config: EnvironmentConfig) -> list[dict[str, Any]]:
    """The grant to read the environment's own sync object (its status says what was applied), by name only.

    It lives in the sync object's namespace (argocd or flux-system), so it is written to
    clusters/<env>/ beside the sync object: the overlay's namespace would move it.
    """
    if not config.detector.enabled:
        return []
    from gitops_kafka.topology import sync_object

    synced = sync_object(config)
    name = f"gitops-kafka-{config.namespace}-{NAME}"
    labels = {**common.labels(config, NAME, COMPONENT), common.ENVIRONMENT_LABEL: config.name}
    meta = {"name": name, "namespace": synced.namespace, "labels": labels}
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
         "rules": [{"apiGroups": [synced.group], "resources": [synced.resource], "resourceNames": [synced.name],
                    "verbs": list(READ)}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": base_name(config), "namespace": config.namespace}]},
    ]


def deployment(config: EnvironmentConfig) -> dict[str, Any]:
    detector = config.detector
    args = ["daemon", "--env", config.name, "--repo", config.gitops.repo_url, "--branch", config.gitops.revision,
            "--in-cluster", "--cache", "/var/cache/gitops-kafka", "--listen", f"0.0.0.0:{PORT}"]
    mounts = [{"name": "cache", "mountPath": "/var/cache/gitops-kafka"}, {"name": "tmp", "mountPath": "/tmp"}]
    volumes = [{"name": "cache", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    if detector.git_credentials:
        # Files, not environment variables: nothing to leak through the process environment, and a
        # rotated Secret reaches the pod without a restart. The detector hands them to git itself.
        args += ["--git-credentials", CREDENTIALS]
        mounts.append({"name": "git-credentials", "mountPath": CREDENTIALS, "readOnly": True})
        volumes.append({"name": "git-credentials", "secret": {"secretName": detector.git_credentials,
                                                              "defaultMode": 0o440}})
    container = {
        "name": NAME,
        "image": detector.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["gitops-kafka"],
        "args": args,
        "ports": [{"name": "metrics", "containerPort": PORT, "protocol": "TCP"}],
        "resources": common.resources(detector.resources),
        "startupProbe": {"httpGet": {"path": "/healthz", "port": "metrics"}, "periodSeconds": 5,
                         "timeoutSeconds": 5, "failureThreshold": 24},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "metrics"}, "periodSeconds": 20,
                          "timeoutSeconds": 5, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": "metrics"}, "periodSeconds": 10,
                           "timeoutSeconds": 5, "failureThreshold": 3},
        "securityContext": common.container_security_context(read_only_root=True),
        "volumeMounts": mounts,
    }
    return common.singleton_deployment(config, base_name(config), NAME, COMPONENT, {
        "serviceAccountName": base_name(config),
        "automountServiceAccountToken": True,
        "enableServiceLinks": False,
        "securityContext": common.pod_security_context(fs_group=True),
        "containers": [container],
        "volumes": volumes,
    })
