"""ZooKeeper-mode Kafka: its metadata in ZooKeeper, the ensemble, and the topic plan that remediates drift."""
