# Rolecall image: one image for every process (API, worker, migrations, admin commands).
#   docker build -t rolecall .
#   docker run -p 8000:8000 -e ROLECALL_SECRET_KEY=... -e ROLECALL_DATABASE_URL=postgresql+asyncpg://... rolecall
#   docker run --no-healthcheck ... rolecall rolecall worker       # the worker serves no HTTP
#   docker run --rm ... rolecall rolecall migrate                 # before starting a new version
# On PostgreSQL, give the API and worker the application role's ROLECALL_DATABASE_URL and only the
# migrate run the owner's ROLECALL_MIGRATE_DATABASE_URL (docs/configuration.md#database-roles).
# With the default SQLite database, mount a volume at /app/var and run `rolecall migrate` (and, for
# a trial, `rolecall demo`) in it before `rolecall serve`: the API does not create tables itself.
# Not exercised by the test suite (Docker is not available on the development machine).

# Runtime pins only (constraints.txt; the development ones are in constraints-dev.txt). The image
# includes the s3 extra (boto3), so ROLECALL_FILE_STORE_URL=s3://... works without rebuilding it.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
# README.md is part of the package metadata (pyproject.toml: readme).
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
RUN python -m venv /opt/rolecall \
 && /opt/rolecall/bin/pip install -c constraints.txt '.[s3]'

FROM python:3.11-slim
ENV PATH=/opt/rolecall/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 rolecall \
 && useradd --system --uid 10001 --gid rolecall --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin rolecall \
 && mkdir -p /app/var \
 && chown rolecall:rolecall /app/var
COPY --from=build /opt/rolecall /opt/rolecall
# The default SQLite URL (sqlite+aiosqlite:///./var/rolecall.db) resolves to /app/var/rolecall.db.
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["rolecall", "serve", "--host", "0.0.0.0"]
