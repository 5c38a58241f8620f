"""Settings from the environment: production is clean, mistakes stop the start-up."""

from __future__ import annotations

import re
import sys

from django.db import connection

from tests.settings_probe import (
    ROOT,
    base_env,
    production_env,
    run,
    settings_for,
    settings_variables,
)


def test_deploy_check_is_clean_with_production_variables(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        production_env(tmp_path),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
    # The message says how to fix it, not only what is wrong.
    assert "secrets.token_urlsafe" in result.stderr


def test_debug_runs_without_any_variables_on_the_embedded_defaults(tmp_path):
    values = settings_for(
        base_env(tmp_path, DEBUG="true"),
        "DATABASES",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CACHES",
        "SESSION_COOKIE_SECURE",
    )
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DATABASES"]["default"]["NAME"] == str(tmp_path / "ratpark.sqlite3")
    assert values["CELERY_BROKER_URL"] == "filesystem://localhost/"
    assert values["CELERY_RESULT_BACKEND"] == f"file://{tmp_path}/results"
    assert values["CACHES"]["default"]["LOCATION"] == str(tmp_path / "cache")
    assert values["SESSION_COOKIE_SECURE"] is False
    assert (tmp_path / "broker" / "queue").is_dir()


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret_key"
    secret_file.write_text("a-secret-that-lives-in-a-docker-secret-file-0123456789abcdef\n")
    env = production_env(tmp_path, SECRET_KEY_FILE=str(secret_file))
    del env["SECRET_KEY"]
    values = settings_for(env, "SECRET_KEY")
    assert values["SECRET_KEY"] == "a-secret-that-lives-in-a-docker-secret-file-0123456789abcdef"


def test_a_postgres_url_gets_the_psycopg_pool(tmp_path):
    pooled = settings_for(production_env(tmp_path, DATABASE_POOL_MAX_SIZE="4"), "DATABASES")
    database = pooled["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 4, "timeout": 10}
    assert database["OPTIONS"]["connect_timeout"] == 5
    # Django refuses persistent connections together with a pool.
    assert database["CONN_MAX_AGE"] == 0

    unpooled = settings_for(production_env(tmp_path, DATABASE_POOL="false"), "DATABASES")
    database = unpooled["DATABASES"]["default"]
    assert "pool" not in database.get("OPTIONS", {})
    assert database["CONN_MAX_AGE"] == 60


def test_the_test_database_really_runs_on_the_pool(db):
    connection.ensure_connection()
    assert connection.pool is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_redis_url_drives_cache_broker_and_results(tmp_path):
    values = settings_for(
        production_env(tmp_path, REDIS_URL="redis://cache.internal:6380/3"),
        "CACHES",
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "CELERY_BROKER_TRANSPORT",
    )
    # Django's Redis cache, degrading to a miss while Redis is down (recovery/cache.py).
    assert values["CACHES"]["default"]["BACKEND"] == "recovery.cache.ResilientRedisCache"
    assert values["CELERY_BROKER_TRANSPORT"] == "recovery.broker:RedisTransport"
    assert values["CACHES"]["default"]["LOCATION"] == "redis://cache.internal:6380/3"
    assert values["CELERY_BROKER_URL"] == "redis://cache.internal:6380/3"
    assert values["CELERY_RESULT_BACKEND"] == "redis://cache.internal:6380/3"


def test_session_idle_timeout_is_configurable(tmp_path):
    default = settings_for(production_env(tmp_path), "SESSION_COOKIE_AGE")
    assert default["SESSION_COOKIE_AGE"] == 30 * 60
    values = settings_for(
        production_env(tmp_path, SESSION_IDLE_TIMEOUT_MINUTES="5"),
        "SESSION_COOKIE_AGE",
        "SESSION_SAVE_EVERY_REQUEST",
    )
    assert values["SESSION_COOKIE_AGE"] == 5 * 60
    # Not saved on every request: the sliding-session middleware refreshes it at most once a
    # minute, so the age still counts from the last activity, not from login.
    assert values["SESSION_SAVE_EVERY_REQUEST"] is False


def test_production_defaults_are_the_secure_ones(tmp_path):
    values = settings_for(
        production_env(tmp_path),
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    # Trusting X-Forwarded-Proto without a proxy would let any client claim HTTPS.
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 0


def test_behind_a_tls_proxy_the_forwarded_headers_are_trusted(tmp_path):
    values = settings_for(
        production_env(tmp_path, BEHIND_TLS_PROXY="true", TRUSTED_PROXY_COUNT="1"),
        "SECURE_PROXY_SSL_HEADER",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
    )
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1


def test_the_deploy_guide_documents_every_variable_and_only_those():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \| [^|]+ \| ([^|]+) \|$", guide, re.M)
    documented = {name for name, _ in rows}
    compose_only = {name for name, meaning in rows if meaning.startswith("Compose only")}
    assert settings_variables() - documented == set()
    # gunicorn reads WEB_CONCURRENCY itself.
    assert documented - settings_variables() == compose_only | {"WEB_CONCURRENCY"}
