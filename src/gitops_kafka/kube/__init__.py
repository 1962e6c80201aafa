"""The shared Kubernetes vocabulary and its one client: object keys, list keys, cluster-scoped kinds, field paths.

The bottom layer: render, review and drift each ask these questions of the same
objects, and the answers live here once; `cluster` is the only module that talks to
an API server (for the drift check and for `import`). Nothing above `errors` is imported here.
"""
