# One image for every Rat Park process: web (gunicorn), worker and beat (Celery).
# docker-compose.yml shows how they run together; docs/deploy.md lists the variables.
FROM python:3.11-slim

# The app runs from /app (PYTHONPATH): templates and static files live beside its packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=recovery.settings \
    RATPARK_VAR_DIR=/var/lib/ratpark

WORKDIR /app

RUN groupadd --system --gid 10001 ratpark \
    && useradd --system --uid 10001 --gid ratpark --home-dir /app --shell /usr/sbin/nologin ratpark \
    && install -d -o ratpark -g ratpark /var/lib/ratpark

# Dependencies first, in their own layer, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY recovery/__init__.py recovery/
RUN pip install . && pip uninstall --yes ratpark

# collectstatic only reads settings: the key and var dir below never reach a running container.
COPY . .
RUN pip install --no-deps . \
    && DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret-0123456789-0123456789-abcdef \
       RATPARK_VAR_DIR=/tmp/build-var python manage.py collectstatic --no-input -v 0 \
    && rm -rf /tmp/build-var

USER ratpark
EXPOSE 8000

# The web server; docker-compose.yml overrides the command for worker and beat.
# gunicorn reads WEB_CONCURRENCY (default 1) for its number of worker processes.
CMD ["gunicorn", "recovery.wsgi:application", "--bind=0.0.0.0:8000", "--worker-tmp-dir=/dev/shm"]
