"""Fixtures for drift tests: a generated GitOps repository and a seeded Kubernetes API (kmock)."""
from __future__ import annotations

import pytest

from helpers import load_documents
from gitops_kafka import kustomize
from gitops_kafka.checking import Target
from kube import KubeAPI, as_applied


@pytest.fixture(scope="session")
def gitops_repo(tmp_path_factory):
    """A GitOps repository with every shipped environment generated and committed."""
    from helpers import new_gitops_repo
    from gitops_kafka.generator import generate

    root = new_gitops_repo(tmp_path_factory.mktemp("gitops") / "repo")
    generate(root, None)
    return root


@pytest.fixture(scope="session")
def desired(gitops_repo):
    return load_documents(kustomize.build(gitops_repo / "overlays" / "prod"))


@pytest.fixture
def api(tmp_path, desired):
    server = KubeAPI(tmp_path, desired)
    for obj in desired:
        server.create(as_applied(obj))
    yield server
    server.close()


@pytest.fixture
def target(gitops_repo, api, tmp_path):
    return Target(env="prod", source=str(gitops_repo), branch="main", cache=tmp_path / "cache",
                  kubeconfig=str(api.kubeconfig), timeout=2.0)


