"""`gitops-kafka import`: a running, hand-deployed cluster adopted into GitOps without losing a byte.

live (read the namespace and ZooKeeper) -> mapping (live objects -> environment file,
identities kept under `adopt:`) -> plan (what the first sync changes, by severity)
-> environment_file (written atomically with ruamel.yaml).
"""
