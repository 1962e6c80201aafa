"""The drift detector: what git declares against what runs in Kubernetes and ZooKeeper."""
