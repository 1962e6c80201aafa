"""A stand-in for CMAK (Kafka Manager) 3.0.0.5's cluster registration, over real HTTP.

It answers the two requests the registration Job makes, as CMAK does:
- `GET /api/status/clusters`: `{"clusters": {"active": [...], "pending": [...]}}` written by
  json4s' `Serialization.writePretty`, i.e. Jackson's DefaultPrettyPrinter (`"name" : "x"`,
  two-space indents, arrays inline as `[ {` ... `} ]`, empty ones as `[ ]` and `{ }`), each
  cluster a serialized ClusterConfig (None fields left out, case objects as `{ }`).
- `POST /clusters`: the Add Cluster form (Play form binding: 400 for a malformed form);
  200 with an HTML page for success ("Done!") and for a refusal alike, the refusal saying
  "Yikes!" and why ("Cluster already exists : NAME" when its config znode exists).

A new cluster is listed only after `list_lag` further reads, as CMAK lists it once its
ZooKeeper cache has seen the new config znode.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

KAFKA_VERSIONS = {"0.8.2.2", "0.9.0.1", "0.10.2.1", "0.11.0.2", "1.0.1", "1.1.1", "2.0.0", "2.1.1", "2.2.0",
                  "2.4.0"}
SECURITY_PROTOCOLS = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
BOOLEANS = ("jmxEnabled", "jmxSsl", "pollConsumers", "filterConsumers", "logkafkaEnabled",
            "activeOffsetCacheEnabled", "displaySizeEnabled")


def jackson_pretty(value: Any, level: int = 0) -> str:
    """JSON as Jackson's DefaultPrettyPrinter writes it."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        inner = "  " * (level + 1)
        fields = [f"{inner}{json.dumps(k)} : {jackson_pretty(v, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(fields) + "\n" + "  " * level + "}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(jackson_pretty(v, level) for v in value) + " ]"
    return json.dumps(value)


def cluster_config(name: str, zk_hosts: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    """A ClusterConfig as json4s serializes it (jmxUser, jmxPass, saslMechanism, jaasConfig are None)."""
    form = form or {}
    flag = lambda key, default: form.get(key, default) == "true"  # noqa: E731
    return {
        "name": name,
        "curatorConfig": {"zkConnect": zk_hosts, "zkMaxRetry": 100, "baseSleepTimeMs": 100, "maxSleepTimeMs": 1000},
        "enabled": True,
        "version": {},
        "jmxEnabled": flag("jmxEnabled", "false"),
        "jmxSsl": flag("jmxSsl", "false"),
        "pollConsumers": flag("pollConsumers", "true"),
        "filterConsumers": flag("filterConsumers", "false"),
        "logkafkaEnabled": flag("logkafkaEnabled", "false"),
        "activeOffsetCacheEnabled": flag("activeOffsetCacheEnabled", "true"),
        "displaySizeEnabled": flag("displaySizeEnabled", "false"),
        "tuning": {"brokerViewUpdatePeriodSeconds": 30, "clusterManagerThreadPoolSize": 2,
                   "clusterManagerThreadPoolQueueSize": 100, "kafkaCommandThreadPoolSize": 2,
                   "kafkaCommandThreadPoolQueueSize": 100, "logkafkaCommandThreadPoolSize": 2,
                   "logkafkaCommandThreadPoolQueueSize": 100, "logkafkaUpdatePeriodSeconds": 30,
                   "partitionOffsetCacheTimeoutSecs": 5, "brokerViewThreadPoolSize": 2,
                   "brokerViewThreadPoolQueueSize": 1000, "offsetCacheThreadPoolSize": 2,
                   "offsetCacheThreadPoolQueueSize": 1000, "kafkaAdminClientThreadPoolSize": 2,
                   "kafkaAdminClientThreadPoolQueueSize": 1000, "kafkaManagedOffsetMetadataCheckMillis": 30000,
                   "kafkaManagedOffsetGroupCacheSize": 1000000, "kafkaManagedOffsetGroupExpireDays": 7},
        "securityProtocol": {},
    }


def result_page(message: str | None) -> str:
    """views.html.common.resultOfCommand, cut to its card: Done! or the ApiError's message."""
    body = ('<div class="alert alert-danger" role="alert">\n    <strong>Yikes!</strong> ' + message +
            '\n    <a href="/addCluster">Try again.</a>\n</div>') if message else \
        '<div class="alert alert-success" role="alert">Done!</div>'
    return ('<!DOCTYPE html>\n<html>\n<head><title>Add Cluster</title></head>\n<body>\n'
            '<div class="card-body">\n' + body + '\n</div>\n</body>\n</html>\n')


class Cmak:
    """The stand-in's state, with what the Job did to it: its reads and its POSTs."""

    def __init__(self, list_lag: int = 0, refuse: str | None = None):
        self.active: list[dict[str, Any]] = []
        self.pending: list[dict[str, Any]] = []
        self.znodes: set[str] = set()  # /kafka-manager/configs/<name>: what "already exists" checks
        self.waiting: list[tuple[int, dict[str, Any]]] = []
        self.list_lag = list_lag
        self.refuse = refuse
        self.reads = 0
        self.posts: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def register(self, name: str, zk_hosts: str, listed_from_read: int = 0) -> None:
        """A cluster registered before the Job ran: its config znode exists, and the list shows it
        from the given read of /api/status/clusters on (0: at once)."""
        self.znodes.add(name)
        self.waiting.append((listed_from_read, cluster_config(name, zk_hosts)))

    def names(self) -> list[str]:
        return [c["name"] for c in self.active + self.pending]

    def clusters_json(self) -> str:
        with self.lock:
            self.reads += 1
            for due, config in list(self.waiting):
                if self.reads >= due:
                    self.waiting.remove((due, config))
                    self.active.append(config)
            return jackson_pretty({"clusters": {"active": self.active, "pending": self.pending}})

    def add(self, form: dict[str, str]) -> tuple[int, str]:
        with self.lock:
            self.posts.append(form)
            problems = [key for key in ("name", "kafkaVersion", "zkHosts", "securityProtocol") if not form.get(key)]
            problems += [key for key in BOOLEANS if form.get(key, "false") not in ("true", "false")]
            if form.get("kafkaVersion") and form["kafkaVersion"] not in KAFKA_VERSIONS:
                problems.append("kafkaVersion")
            if form.get("securityProtocol") and form["securityProtocol"] not in SECURITY_PROTOCOLS:
                problems.append("securityProtocol")
            if problems:
                return 400, "<html><body>Add Cluster: errors in " + ", ".join(problems) + "</body></html>\n"
            if self.refuse:
                return 200, result_page(self.refuse)
            if form["name"] in self.znodes:
                return 200, result_page(f"Cluster already exists : {form['name']}")
            self.znodes.add(form["name"])
            self.waiting.append((self.reads + self.list_lag, cluster_config(form["name"], form["zkHosts"], form)))
            return 200, result_page(None)

    def _handler(self):
        cmak = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, body: str, content_type: str) -> None:
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Frame-Options", "SAMEORIGIN")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                if self.path == "/api/status/clusters":
                    self._answer(200, cmak.clusters_json(), "application/json")
                else:
                    self._answer(404, "<html><body>Action Not Found</body></html>\n", "text/html; charset=utf-8")

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                if self.path != "/clusters":
                    self._answer(404, "<html><body>Action Not Found</body></html>\n", "text/html; charset=utf-8")
                    return
                form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                status, body = cmak.add(form)
                self._answer(status, body, "text/html; charset=utf-8")

        return Handler

    def __enter__(self) -> "Cmak":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
