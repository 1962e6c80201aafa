"""The drift detector: what git declares against what runs (Kubernetes objects, ZooKeeper metadata)."""
