"""docker-compose.yml and the Dockerfile agree with the app (no Docker engine needed).

Every command a container runs must name things that exist: the Celery app, the queues tasks
are routed to, the WSGI module, the variables settings.py reads, the /healthz endpoint.
"""

from __future__ import annotations

import importlib
import json
import re
import secrets
import sys
from urllib.parse import urlparse

import pytest
import yaml
from celery import Celery
from django.conf import settings

from tests.settings_probe import ROOT, base_env, run
from tests.settings_probe import settings_variables as read_variables

APP_SERVICES = ("migrate", "web", "worker", "beat")
_INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::?(?P<op>[-?])(?P<arg>[^}]*))?\}")


def _interpolate(value: str) -> str:
    """Resolve ${NAME:-default} to its default and ${NAME:?message} / ${NAME} to a sample."""

    def replace(match: re.Match) -> str:
        if match["op"] == "-":
            return match["arg"]
        return f"sample-{match['name'].lower()}"

    return _INTERPOLATION.sub(replace, value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def settings_variables() -> set[str]:
    names = read_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG"} <= names
    return names


def _command(service: dict) -> list[str]:
    command = service["command"]
    words = command if isinstance(command, list) else command.split()
    return [_interpolate(str(word)) for word in words]


def _option(words: list[str], *names: str) -> str | None:
    for i, word in enumerate(words):
        for name in names:
            if word == name:
                return words[i + 1]
            if word.startswith(f"{name}="):
                return word.split("=", 1)[1]
    return None


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {name: _interpolate(str(value)) for name, value in env.items()}


def test_every_app_service_runs_the_same_image(services):
    images = {
        (str(services[name].get("build")), services[name].get("image")) for name in APP_SERVICES
    }
    assert len(images) == 1


def test_app_services_only_set_variables_that_settings_read(services, settings_variables):
    for name in APP_SERVICES:
        for variable in _environment(services[name]):
            assert variable in settings_variables, (name, variable)


def test_app_services_reach_the_postgres_and_redis_services(services):
    postgres = _environment(services["postgres"])
    for name in APP_SERVICES:
        env = _environment(services[name])
        assert env["DEBUG"] == "false"
        database = urlparse(env["DATABASE_URL"])
        assert database.scheme in ("postgres", "postgresql")
        assert database.hostname == "postgres"
        assert database.username == postgres["POSTGRES_USER"]
        assert database.password == postgres["POSTGRES_PASSWORD"]
        assert database.path.lstrip("/") == postgres["POSTGRES_DB"]
        redis = urlparse(env["REDIS_URL"])
        assert (redis.scheme, redis.hostname) == ("redis", "redis")


def test_app_services_wait_for_healthy_backing_services(services):
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        # Schema first: a worker must never run against tables that are not there yet.
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert _command(services["migrate"])[-3:] == ["manage.py", "migrate", "--no-input"]
    assert services["migrate"]["restart"] == "no"
    assert set(services["migrate"]["depends_on"]) == {"postgres"}


def test_the_web_command_serves_the_wsgi_application_that_exists(services):
    words = _command(services["web"])
    assert words[0] == "gunicorn"
    module_name, attribute = words[1].split(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))
    assert module_name == settings.WSGI_APPLICATION.rsplit(".", 1)[0]
    assert _option(words, "--bind", "-b").endswith(":8000")


def test_the_dockerfile_default_command_is_the_same_web_server(services):
    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M)[1])
    assert cmd[:2] == _command(services["web"])[:2]
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.M)
    user = re.findall(r"^USER (\S+)$", dockerfile, re.M)
    assert user
    assert user[-1] not in ("root", "0")
    assert "pip install ." in dockerfile
    assert "collectstatic --no-input" in dockerfile


def test_the_web_healthcheck_probes_healthz_on_the_gunicorn_port(services):
    test = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in test
    # The check's own timeout must leave room for healthz's bounded broker probe.
    assert "timeout=8" in test


def _celery(service: dict) -> tuple[Celery, list[str]]:
    words = _command(service)
    assert words[0] == "celery"
    module = importlib.import_module(_option(words, "--app", "-A"))
    app = getattr(module, "celery_app", None) or getattr(module, "app", None)
    assert isinstance(app, Celery)
    return app, words


def test_the_worker_consumes_every_queue_tasks_are_routed_to(services):
    app, words = _celery(services["worker"])
    assert "worker" in words
    queues = set(_option(words, "--queues", "-Q").split(","))
    routed = {route["queue"] for route in app.conf.task_routes.values()}
    assert queues == routed | {app.conf.task_default_queue}


def test_the_worker_scales_and_stops_gracefully(services):
    worker = services["worker"]
    assert "ports" not in worker
    grace = worker["stop_grace_period"]
    seconds = int(grace[:-1]) * {"s": 1, "m": 60}[grace[-1]]
    assert seconds > settings.CELERY_TASK_TIME_LIMIT
    assert "inspect ping" in " ".join(worker["healthcheck"]["test"])


def test_there_is_exactly_one_beat(services):
    beats = [name for name, service in services.items() if "beat" in _command_or_empty(service)]
    assert beats == ["beat"]
    assert services["beat"].get("deploy", {}).get("replicas", 1) == 1
    assert "ports" not in services["beat"]
    # An embedded beat (-B) in a scaled worker would schedule every job once per replica.
    assert "-B" not in _command(services["worker"])
    assert "--beat" not in _command(services["worker"])
    _celery(services["beat"])


def _command_or_empty(service: dict) -> list[str]:
    return _command(service) if "command" in service else []


def test_no_service_pins_a_container_name_so_any_can_scale(services):
    for name, service in services.items():
        assert "container_name" not in service, name


def test_data_lives_in_named_volumes_with_health_checks(compose, services):
    named = set(compose["volumes"])
    for name in ("postgres", "redis"):
        volume = services[name]["volumes"][0].split(":")[0]
        assert volume in named, name
        assert services[name]["healthcheck"]["test"], name
    # Redis is the broker: it must refuse writes under memory pressure, never evict tasks.
    assert "noeviction" in _command(services["redis"])


def test_the_docker_build_context_leaves_out_local_state_and_secrets():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".venv", "var", ".git", "staticfiles"):
        assert entry in ignored, entry


def test_every_variable_compose_interpolates_is_documented():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", guide, re.M))
    used = {m["name"] for m in _INTERPOLATION.finditer((ROOT / "docker-compose.yml").read_text())}
    assert used
    assert used - documented == set()


def test_the_compose_environment_passes_the_deploy_check(services, tmp_path):
    env = base_env(tmp_path, **_environment(services["web"]))
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    # The check reads settings only; it connects to neither PostgreSQL nor Redis.
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr
