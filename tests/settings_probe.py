"""Evaluate recovery/settings.py in a fresh interpreter with exactly the environment given.

Settings are read once per process, so the only honest way to test "this environment gives
these settings" is a new process. The test process's own variables (DATABASE_URL, REDIS_URL,
STATIC_MANIFEST … set by `make test`) are not passed on.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PRINT_SETTINGS = """
import json, sys
import django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name, None) for name in sys.argv[1:]}, default=str))
"""


def base_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """A minimal environment: no Rat Park variables except RATPARK_VAR_DIR and overrides."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "recovery.settings",
        "RATPARK_VAR_DIR": str(var_dir),
    }
    env.update(overrides)
    return env


def production_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """What an operator sets in production (see docs/deploy.md), against the test services."""
    env = base_env(
        var_dir,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="ratpark.example.org",
        SITE_URL="https://ratpark.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ratpark"),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    )
    env.update(overrides)
    return env


def settings_variables() -> set[str]:
    """Every environment variable recovery/settings.py reads."""
    source = (ROOT / "recovery" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def settings_for(env: dict[str, str], *names: str) -> dict:
    """Return the named settings as JSON-friendly values, as that environment makes them."""
    result = run([sys.executable, "-c", _PRINT_SETTINGS, *names], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])
