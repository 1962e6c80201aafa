"""The shared Kubernetes vocabulary: object keys, list keys, cluster-scoped kinds, field paths.

The bottom layer: render, review and drift each ask these questions of the same
objects, and the answers live here once. Nothing of the project is imported here.
"""
