"""gitops-kafka: ZooKeeper-mode Kafka on Kubernetes, the GitOps way."""

__version__ = "0.1.0"
