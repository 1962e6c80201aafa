"""Stand-ins for Kafka's command-line tools (Kafka 3.9, the cp-kafka 7.9 line), for the topic Job.

`kafka-topics`, `kafka-configs` and `kafka-broker-api-versions` as one program (the
name it is called by picks the tool), over a cluster kept in a JSON file, answering in
the real tools' output formats:
- TopicCommand `--describe`: `Topic: T<TAB>TopicId: ID<TAB>PartitionCount: N<TAB>ReplicationFactor: R<TAB>Configs: ...`
  (every non-default config: the topic's overrides and the brokers' static settings),
  then one tab-indented line per partition; `--topic` is a regular expression matched
  against whole names (IncludeList), also for `--alter`.
- ConfigCommand `--describe --entity-type topics` without a name: every topic (internal
  ones too), `Dynamic configs for topic T are:` then `  K=V sensitive=false synonyms={...}`;
  `--add-config` splits on commas outside square brackets.
Every call is appended to a log, so tests count the JVMs the Job would start.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import sys
from pathlib import Path

STATE = "KAFKA_STUB_STATE"
CALLS = "KAFKA_STUB_CALLS"
BROKER_STATIC = {"min.insync.replicas": "2"}  # what the generated StatefulSet sets as KAFKA_MIN_INSYNC_REPLICAS
TOOLS = ("kafka-topics", "kafka-configs", "kafka-broker-api-versions")


def install(folder: Path, state: Path, calls: Path) -> dict[str, str]:
    """Executables named after the tools in folder; the env that points them at state and calls."""
    for tool in TOOLS:
        path = folder / tool
        path.write_text(f"#!/bin/sh\nexec {sys.executable} {Path(__file__).resolve()} {tool} \"$@\"\n")
        path.chmod(0o755)
    return {STATE: str(state), CALLS: str(calls)}


def write_state(path: Path, topics: dict[str, dict]) -> None:
    path.write_text(json.dumps({"topics": topics}))


def read_state(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text())["topics"]


def calls(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def topic_id(name: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(name.encode()).digest()[:16]).decode().rstrip("=")


def options(args: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        key = args[i]
        if i + 1 < len(args) and not args[i + 1].startswith("--"):
            out.setdefault(key, []).append(args[i + 1])
            i += 2
        else:
            out.setdefault(key, []).append("")
            i += 1
    return out


def matching(topics: dict, regex: str | None) -> list[str]:
    if regex is None:
        return sorted(topics)
    pattern = re.compile(regex.strip().replace(",", "|"))
    return sorted(t for t in topics if pattern.fullmatch(t))


def kafka_topics(topics: dict, opts: dict) -> int:
    topic = opts.get("--topic", [None])[0]
    if "--describe" in opts:
        for name in matching(topics, topic):
            t = topics[name]
            shown = {**BROKER_STATIC, **t.get("configs", {})}
            print(f"Topic: {name}\tTopicId: {topic_id(name)}\tPartitionCount: {t['partitions']}\t"
                  f"ReplicationFactor: {t['replication']}\tConfigs: " + ",".join(f"{k}={v}" for k, v in sorted(shown.items())))
            replicas = ",".join(str(b) for b in range(1, t["replication"] + 1))
            for p in range(t["partitions"]):
                print(f"\tTopic: {name}\tPartition: {p}\tLeader: 1\tReplicas: {replicas}\tIsr: {replicas}"
                      "\tElr: N/A\tLastKnownElr: N/A")
        return 0
    if "--create" in opts:
        if topic in topics:
            if "--if-not-exists" in opts:
                return 0
            print(f"Error while executing topic command : Topic '{topic}' already exists.")
            return 1
        topics[topic] = {"partitions": int(opts["--partitions"][0]), "replication": int(opts["--replication-factor"][0]),
                         "configs": {}}
        print(f"Created topic {topic}.")
        return 0
    if "--alter" in opts:
        found = matching(topics, topic)
        if not found:
            print(f"Error while executing topic command : Topic '{topic}' does not exist as expected")
            return 1
        wanted = int(opts["--partitions"][0])
        for name in found:
            if wanted <= topics[name]["partitions"]:
                print(f"Error while executing topic command : The topic {name} currently has "
                      f"{topics[name]['partitions']} partition(s); {wanted} would not be an increase.")
                return 1
            topics[name]["partitions"] = wanted
        return 0
    return 1


def split_configs(text: str) -> dict[str, str]:
    out = {}
    for part in re.split(r",(?=[^\]]*(?:\[|$))", text):
        key, _, value = part.partition("=")
        out[key.strip()] = value.strip().removeprefix("[").removesuffix("]")
    return out


def kafka_configs(topics: dict, opts: dict) -> int:
    assert opts.get("--entity-type") == ["topics"]
    name = opts.get("--entity-name", [None])[0]
    if "--describe" in opts:
        for topic in ([name] if name else sorted(topics)):
            print(f"Dynamic configs for topic {topic} are:")
            for key, value in sorted(topics[topic].get("configs", {}).items()):
                synonyms = [f"DYNAMIC_TOPIC_CONFIG:{key}={value}"]
                if key in BROKER_STATIC:
                    synonyms.append(f"STATIC_BROKER_CONFIG:{key}={BROKER_STATIC[key]}")
                print(f"  {key}={value} sensitive=false synonyms={{{', '.join(synonyms)}}}")
        return 0
    if "--alter" in opts:
        if name not in topics:
            print(f"Error while executing config command with args '...'\n"
                  f"org.apache.kafka.common.errors.UnknownTopicOrPartitionException: Topic {name} not found.",
                  file=sys.stderr)
            return 1
        topics[name].setdefault("configs", {}).update(split_configs(opts["--add-config"][0]))
        print(f"Completed updating config for topic {name}.")
        return 0
    return 1


def main(argv: list[str]) -> int:
    tool, args = argv[0], argv[1:]
    with open(os.environ[CALLS], "a") as log:
        log.write(json.dumps([tool, *args]) + "\n")
    if tool == "kafka-broker-api-versions":
        print("kafka-0.kafka-headless:9092 (id: 0 rack: null) -> (\n\tProduce(0): 0 to 11 [usable: 11]\n)")
        return 0
    state = Path(os.environ[STATE])
    topics = read_state(state)
    opts = options(args)
    code = kafka_topics(topics, opts) if tool == "kafka-topics" else kafka_configs(topics, opts)
    write_state(state, topics)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
