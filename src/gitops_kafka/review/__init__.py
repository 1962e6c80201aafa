"""Pull-request review of the rendered output: render at a revision, diff two revisions, validate.

Reviewers read what will change in the cluster (the overlay built by real kustomize,
as Argo CD or Flux build it), not the environment file, and are warned before merging
a change the cluster would refuse or that risks data.
"""
