# okrbot as a container: `okrbot serve` on port 3000, the SQLite database in /data.
# For PostgreSQL set DATABASE_URL (compose.yaml does); the volume then holds nothing.
# BASE: any image with Python 3.11+ and pip as `python` (.ci/container builds on a
# stand-in made from Debian's packages where no registry is reachable).
ARG BASE=python:3.12-slim
FROM ${BASE}

# No .pyc files in the image's layers or at run time (the package directory is not
# writable by the user okrbot runs as), and log lines reach `docker logs` at once.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE alembic.ini ./
COPY okrbot ./okrbot
COPY migrations ./migrations
# A regular (not editable) install: the migrations ship inside the package, so /src is
# not needed at run time and goes.
RUN pip install . && rm -rf /src

# A fixed uid, so that a bind-mounted /data can be given to it (chown 10001).
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin okrbot \
    && mkdir /data && chown okrbot:okrbot /data
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]

ENV DATABASE_URL=sqlite:////data/okrbot.db \
    PORT=3000
EXPOSE 3000

# /healthz answers 200 when the database is reachable, 503 otherwise; urlopen raises on
# both a 503 and a refused connection. The image has no curl: python is enough.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('PORT', '3000')}/healthz\", timeout=4)"]

ENTRYPOINT ["okrbot"]
CMD ["serve"]
