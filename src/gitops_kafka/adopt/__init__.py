"""`gitops-kafka import`: a running, hand-deployed cluster adopted into GitOps without losing a byte.

live (read the namespace and ZooKeeper) -> mapping (live objects -> environment file,
identities kept under `adopt:`) -> plan (what the first sync changes, by severity)
-> environment_file (written atomically with ruamel.yaml).

A workflow over the feature packages (it reads through `kube.cluster` and `kafka.reader`,
compares through `drift.normalize`, renders through `render`), in the layer of the generator.
"""
