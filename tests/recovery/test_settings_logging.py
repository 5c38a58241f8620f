"""Structured JSON log lines: what they contain, what they leave out, where they go."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from recovery.logging import JsonFormatter
from tests.settings_probe import production_env, run


def _record(message: str = "reminder sent to %s", *args, exc_info=None, **extra):
    logger = logging.getLogger("nudges.tasks")
    record = logger.makeRecord(
        logger.name, logging.INFO, __file__, 1, message, args or ("profile",), exc_info, extra=extra
    )
    return record


def test_it_writes_one_json_object_with_the_basic_fields():
    line = JsonFormatter().format(_record())
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "INFO"
    assert entry["logger"] == "nudges.tasks"
    assert entry["message"] == "reminder sent to profile"
    assert entry["time"].endswith("+00:00")


def test_it_keeps_ids_and_technical_fields_and_drops_other_extras():
    record = _record(
        profile_id=42,
        task_id="3f1c",
        status_code=503,
        note="I relapsed last night",
        display_name="Sam",
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["profile_id"] == 42
    assert entry["task_id"] == "3f1c"
    assert entry["status_code"] == 503
    assert "note" not in entry
    assert "display_name" not in entry
    assert "I relapsed" not in json.dumps(entry)


def test_it_includes_the_traceback_of_an_exception():
    try:
        raise RuntimeError("broker went away")
    except RuntimeError:
        record = _record(exc_info=sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert "RuntimeError: broker went away" in entry["exception"]


@pytest.mark.parametrize("debug", ["true", "false"])
def test_configured_logging_writes_json_to_stdout_once(tmp_path, debug):
    script = (
        "import django, logging; django.setup();"
        "logging.getLogger('django.request').warning('Not Found: %s', '/x', extra={'user_id': 7});"
        "logging.getLogger('celery.worker').info('worker ready')"
    )
    result = run([sys.executable, "-c", script], production_env(tmp_path, DEBUG=debug))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(e["logger"], e["message"]) for e in entries] == [
        ("django.request", "Not Found: /x"),
        ("celery.worker", "worker ready"),
    ]
    assert entries[0]["user_id"] == 7
