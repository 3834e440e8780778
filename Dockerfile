# Lineup optimizer job service: gunicorn as PID 1, gunicorn.conf.py wires the drain on SIGTERM.
# Build: docker build -t webapp .   Run: docker run -p 8000:8000 -e REDIS_URL=redis://redis:6379/0 webapp
# Stop with a grace period that outlasts the 90 s drain: docker stop -t 110 <container>
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=8000 \
    LOG_FILE=/app/var/log/webapp.log \
    DRAIN_FLAG_FILE=/app/var/run/draining

WORKDIR /app
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app

# The locked dependencies (exact versions, hashes checked; pip and setuptools too), in a layer
# that changes only with the lock (scripts/lock refreshes it).
COPY requirements/runtime.lock /tmp/runtime.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/runtime.lock \
    && rm /tmp/runtime.lock

COPY pyproject.toml README.md gunicorn.conf.py ./
COPY webapp ./webapp
RUN pip install --no-cache-dir --no-deps --no-build-isolation . \
    && mkdir -p /app/var/log /app/var/run \
    && chown -R 10001:10001 /app/var

USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-m", "webapp.healthcheck"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "webapp:create_app()"]
