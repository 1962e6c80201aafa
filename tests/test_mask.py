"""One masking rule for the whole product: credentials are hidden by name and by value in
every output (check text and JSON, /drift, logs, the diff in every format, review-comment)."""
from __future__ import annotations

import io
import json
import logging
import subprocess

import pytest

from helpers import git, run_cli
from gitops_kafka.mask import CHANGED, MASK, LogFilter, mask_object, mask_text

# (env var, value, the credential in it, a part that must stay readable; None: the whole value is masked)
CASES = [
    ("KAFKA_SASL_JAAS_CONFIG",
     'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="jaas-s3cret";',
     "jaas-s3cret", 'ScramLoginModule required username="alice" password="***";'),
    ("KAFKA_OPTS", "-Xmx1g -Djavax.net.ssl.keyStorePassword=keystore-s3cret -Djavax.net.ssl.keyStore=/etc/kafka/ks.jks",
     "keystore-s3cret", "-Djavax.net.ssl.keyStorePassword=*** -Djavax.net.ssl.keyStore=/etc/kafka/ks.jks"),
    ("TOOL_FLAGS", "--user admin --password=flag-s3cret --verbose", "flag-s3cret", "--user admin --password=*** --verbose"),
    ("TOOL_FLAGS_SPACED", "--user admin --password spaced-s3cret --verbose", "spaced-s3cret", "--password *** --verbose"),
    ("SCHEMA_REGISTRY_URL", "https://registry:url-s3cret@registry.example.com:8081/", "url-s3cret",
     "https://***@registry.example.com:8081/"),
    ("ALERT_HOOK", "https://hooks.example.com/notify?token=query-s3cret&channel=ops", "query-s3cret",
     "?token=***&channel=ops"),
    ("CLIENT_PROPERTIES", "security.protocol=SSL\nssl.truststore.password=props-s3cret\nssl.truststore.location=/x.jks",
     "props-s3cret", "ssl.truststore.password=***\nssl.truststore.location=/x.jks"),
    ("CLIENT_JSON", '{"user": "bob", "password": "json-s3cret"}', "json-s3cret", '"user":"bob"'),
    ("SASL_PASSWORD", "name-s3cret", "name-s3cret", None),
    ("KAFKA_API_KEY", "apikey-s3cret", "apikey-s3cret", None),
]
IDS = [c[0] for c in CASES]
SECRETS = [c[2] for c in CASES] + ["argv-s3cret"]

HARMLESS = [
    "PLAINTEXT://kafka-0.kafka-headless.kafka-prod.svc.cluster.local:9092",
    "-Xms1g -Xmx1g -XX:+UseG1GC",
    "zookeeper-0:2181,zookeeper-1:2181/kafka",
    "secretName: kafka-tls",
    "--bootstrap-server kafka:9092 --describe",
    "ssl.keystore.location=/etc/kafka/ks.jks",
    "git@github.com:example/gitops.git",
]


def env_object(cases=CASES, password="argv-s3cret") -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "client", "namespace": "kafka-prod"},
            "spec": {"template": {"spec": {"containers": [{
                "name": "client", "image": "confluentinc/cp-kafka:7.9.5",
                "args": ["kafka-console-consumer", "--password", password, "--topic", "t"],
                "env": [{"name": name, "value": value} for name, value, _, _ in cases]}]}}}}


# ---------------------------------------------------------------- the rule

@pytest.mark.parametrize("name, value, secret, kept", CASES, ids=IDS)
def test_a_credential_is_masked_by_name_or_by_value(name, value, secret, kept):
    env = mask_object(env_object([(name, value, secret, kept)]))["spec"]["template"]["spec"]["containers"][0]["env"][0]
    assert secret not in json.dumps(env) and env["name"] == name
    if kept is None:
        assert env["value"] == MASK
    else:
        assert kept in env["value"]


@pytest.mark.parametrize("name, value, secret, kept", [c for c in CASES if c[3] is not None], ids=lambda c: str(c)[:20])
def test_free_text_is_masked_by_value(name, value, secret, kept):
    masked = mask_text(f"check failed: {value}")
    assert secret not in masked and MASK in masked


@pytest.mark.parametrize("value", HARMLESS)
def test_values_without_a_credential_are_left_alone(value):
    assert mask_text(value) == value
    assert mask_object({"env": [{"name": "SETTING", "value": value}]}) == {"env": [{"name": "SETTING", "value": value}]}


def test_the_value_after_a_secret_flag_is_masked_in_an_argument_list():
    args = mask_object(env_object())["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["kafka-console-consumer", "--password", MASK, "--topic", "t"]


def test_a_secret_reference_is_not_a_secret():
    env = {"name": "SASL_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "kafka-sasl", "key": "password"}}}
    volume = {"name": "tls", "secret": {"secretName": "kafka-tls"}}
    assert mask_object({"env": [env], "volumes": [volume]}) == {"env": [env], "volumes": [volume]}


def test_a_change_only_in_the_masked_part_still_reads_as_changed():
    before = env_object(password="argv-old")
    after = env_object([(n, v.replace("s3cret", "rotated"), s, k) for n, v, s, k in CASES], password="argv-new")
    masked = mask_object(after, before)["spec"]["template"]["spec"]["containers"][0]
    assert all(e["value"].endswith(CHANGED) for e in masked["env"]), masked["env"]
    assert masked["args"][2] == MASK + CHANGED
    assert mask_object(before, before) == mask_object(before)  # unchanged: no marker


def test_log_lines_are_masked_whatever_logged_them():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogFilter())
    logger = logging.getLogger("gitops_kafka.test_mask")
    logger.addHandler(handler)
    try:
        for name, value, secret, kept in CASES:
            if kept is not None:
                logger.warning("check failed: %s", value)
        logger.warning("serving, checking prod of %s", "https://deploy:git-s3cret@git.example.com/gitops.git")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert not [s for s in SECRETS + ["git-s3cret"] if s in text], text
    assert "https://***@git.example.com/gitops.git" in text


# ---------------------------------------------------------------- check: text, JSON, /drift

def add_env_by_hand(api, desired):
    kafka = next(o for o in desired if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "kafka")

    def change(live):
        container = live["spec"]["template"]["spec"]["containers"][0]
        container["env"] += [{"name": name, "value": value} for name, value, _, _ in CASES]

    keys = {f'k:{{"name":"{name}"}}': {".": {}, "f:name": {}, "f:value": {}} for name, _, _, _ in CASES}
    api.edit(kafka, change, "kubectl-edit",
             {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"kafka"}': {"f:env": keys}}}}}})


def test_check_never_shows_a_credential_in_text_json_or_drift(gitops_repo, api, desired, tmp_path):
    from gitops_kafka.daemon import Daemon
    from gitops_kafka.checking import Target

    add_env_by_hand(api, desired)
    outputs = {}
    for fmt in ("text", "json"):
        result = run_cli("check", "--env", "prod", "--repo", str(gitops_repo), "--branch", "main", "--cache",
                         str(tmp_path / "cache"), "--kubeconfig", str(api.kubeconfig), "--timeout", "2", "--format", fmt)
        assert result.returncode == 1, result.stderr
        outputs[fmt] = result.stdout
    target = Target("prod", str(gitops_repo), "main", tmp_path / "cache", str(api.kubeconfig), timeout=2.0)
    daemon = Daemon(target, interval=3600)
    daemon.run_once()
    outputs["/drift"] = json.dumps(daemon.drift_document())
    for where, text in outputs.items():
        assert not [s for s in SECRETS if s in text], (where, text)
        assert "KAFKA_SASL_JAAS_CONFIG" in text and "keyStorePassword=***" in text, where
    document = json.loads(outputs["json"])
    fields = [f for o in document["objects"] for f in o["fields"]]
    assert {f["path"].rsplit("[", 1)[-1].rstrip("]") for f in fields} >= {f"name={name}" for name, _, _, _ in CASES}


# ---------------------------------------------------------------- the pull-request diff, every format

@pytest.fixture(scope="module")
def client_history(tmp_path_factory):
    """main: the shipped environments plus a hand-made client Deployment; head: its credentials rotated."""
    from helpers import new_gitops_repo

    root = new_gitops_repo(tmp_path_factory.mktemp("masking") / "gitops")
    assert run_cli("generate", "--all", "--repo", str(root)).returncode == 0
    overlay = root / "overlays" / "prod"
    (overlay / "client.yaml").write_text(json.dumps(env_object()))
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("- topics.yaml\n", "- topics.yaml\n- client.yaml\n"))
    git(root, "add", "overlays")
    git(root, "commit", "--quiet", "-m", "a client")
    rotated = [(n, v.replace("s3cret", "r0tated"), s, k) for n, v, s, k in CASES]
    (overlay / "client.yaml").write_text(json.dumps(env_object(rotated, password="argv-r0tated")))
    git(root, "commit", "--quiet", "-am", "rotate")
    return root


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize("base, head", [("HEAD~2", "HEAD~1"), ("HEAD~1", "HEAD"), ("HEAD", "HEAD~2")],
                         ids=["added", "rotated", "removed"])
def test_diff_never_shows_a_credential(client_history, fmt, base, head):
    result = run_cli("diff", "--env", "prod", "--base", base, "--head", head, "--format", fmt,
                     "--repo", str(client_history))
    assert result.returncode == 1, result.stderr
    leaked = [s for s in SECRETS + [s.replace("s3cret", "r0tated") for s in SECRETS] if s in result.stdout]
    assert not leaked, result.stdout
    if head == "HEAD":  # the rotation shows as a change of every credential, without either value
        assert result.stdout.count(CHANGED) >= len(CASES) + 1, result.stdout
        assert "keyStorePassword=***" in result.stdout


def test_review_comment_never_shows_a_credential(client_history, tmp_path):
    output = tmp_path / "comment.md"
    result = run_cli("review-comment", "--base", "HEAD~2", "--output", str(output), "--repo", str(client_history))
    assert result.returncode in (0, 1), result.stderr
    body = output.read_text()
    assert "Deployment/client" in body
    assert not [s for s in SECRETS if s in body], body
    assert 'username="alice" password="***"' in body
