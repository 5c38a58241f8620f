"""``manage.py check --deploy`` on production settings, and bandit over the source: both clean.

A finding is fixed, or carries ``# nosec <id>`` with its reason in a comment beside or above
it (bandit's configuration, with the reason for its one skipped check, is in pyproject.toml).
"""

from __future__ import annotations

import json
import re
import sys

from ..settings_probe import ROOT, production_env, run

SOURCE_DIRS = [
    "accounts",
    "checkins",
    "clinic",
    "network",
    "nudges",
    "recovery",
    "scripts",
    "manage.py",
]


def test_check_deploy_finds_nothing_on_production_settings(tmp_path):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        production_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_bandit_finds_nothing_in_the_source(tmp_path):
    result = run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-c",
            "pyproject.toml",
            "-r",
            *SOURCE_DIRS,
            "-f",
            "json",
            "-o",
            str(tmp_path / "bandit.json"),
        ],
        {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=300,
    )
    report = json.loads((tmp_path / "bandit.json").read_text())
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
    ]
    assert findings == [], "\n".join(findings)
    assert report["errors"] == [], report["errors"]
    assert result.returncode == 0, result.stderr


def test_every_nosec_says_why():
    unexplained = []
    for folder in SOURCE_DIRS:
        paths = [ROOT / folder] if folder.endswith(".py") else (ROOT / folder).rglob("*.py")
        for path in paths:
            lines = path.read_text().splitlines()
            for number, line in enumerate(lines):
                if "# nosec" not in line:
                    continue
                reason_beside = re.search(r"# nosec [B0-9, ]+\s+#\s*\S", line)
                above = lines[number - 1].strip() if number else ""
                if not (reason_beside or above.startswith("#")):
                    unexplained.append(f"{path.relative_to(ROOT)}:{number + 1}")
    assert unexplained == []
