"""Kubernetes drift: what git declares against the live objects (ZooKeeper metadata is `kafka/`'s; `checking` runs both)."""
