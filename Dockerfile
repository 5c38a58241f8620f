# One image for every Rat Park process: web (gunicorn), worker and beat (Celery).
# docker-compose.yml shows how they run together; docs/deploy.md lists the variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # Templates and static files live beside the packages, so the app runs from /app.
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=recovery.settings \
    RATPARK_VAR_DIR=/var/lib/ratpark \
    PORT=8000

WORKDIR /app

RUN groupadd --system --gid 10001 ratpark \
    && useradd --system --uid 10001 --gid ratpark --home-dir /app --shell /usr/sbin/nologin ratpark \
    && install -d -o ratpark -g ratpark /var/lib/ratpark

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml README.md ./
COPY recovery/__init__.py recovery/
RUN pip install . && pip uninstall --yes ratpark

COPY . .
RUN pip install --no-deps . \
    # collectstatic only reads settings; these values never reach a running container.
    && DEBUG=false SECRET_KEY=collectstatic-only-not-a-secret-0123456789-0123456789-abcdef \
       RATPARK_VAR_DIR=/tmp/build-var python manage.py collectstatic --no-input -v 0 \
    && rm -rf /tmp/build-var

USER ratpark
EXPOSE 8000

# Overridden by the worker and beat services in docker-compose.yml.
CMD ["sh", "-c", "exec gunicorn recovery.wsgi:application --bind 0.0.0.0:${PORT} --workers ${WEB_CONCURRENCY:-3} --timeout 30 --graceful-timeout 30 --forwarded-allow-ips=${FORWARDED_ALLOW_IPS:-127.0.0.1}"]
