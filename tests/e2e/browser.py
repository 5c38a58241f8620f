"""Chromium through Playwright: launch, screenshots, axe-core checks and keyboard helpers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

from ..settings_probe import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = ROOT / "var" / "e2e"
AXE = ROOT / "var" / "node" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
BLOCKING = {"serious", "critical"}
# Findings tolerated as (rule, selector); none today. A new entry needs a reason beside it.
TOLERATED: set[tuple[str, str]] = set()


def launch(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass
class Checker:
    """Screenshots and axe-core for every page a journey looks at, at phone and desktop size."""

    folder: Path
    checked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        # A CSP violation or a script error is a broken page even when it looks fine.
        page.on(
            "console",
            lambda msg: (
                msg.type == "error" and self.console_errors.append(f"{page.url}: {msg.text}")
            ),
        )
        page.on("pageerror", lambda exc: self.console_errors.append(f"{page.url}: {exc}"))
        return page

    def __call__(self, page: Page, name: str, *, axe: bool = True) -> None:
        """Screenshot the page at both sizes and fail on a serious or critical axe finding."""
        page.wait_for_load_state("load")
        before = page.viewport_size
        problems = []
        for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
            page.set_viewport_size(size)
            self.folder.mkdir(parents=True, exist_ok=True)
            number = len(self.checked) + 1
            page.screenshot(
                path=self.folder / f"{number:02d}-{slug(name)}-{size_name}.png", full_page=True
            )
            if axe:
                problems += [f"[{size_name}] {p}" for p in axe_problems(page)]
        self.checked.append(name)
        if before:
            page.set_viewport_size(before)
        assert not problems, f"accessibility on {name} ({page.url}):\n" + "\n".join(problems)
        assert not self.console_errors, "\n".join(self.console_errors)


def axe_problems(page: Page) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, so the page's CSP ('self' only) still holds
        # for everything the page itself loads.
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html,
                                          impact: n.impact})),
            }));
        }"""
    )
    problems = []
    for violation in result:
        for node in violation["nodes"]:
            impact = node["impact"] or violation["impact"]
            if impact not in BLOCKING:
                continue
            if any(
                violation["id"] == rule and within in node["target"] for rule, within in TOLERATED
            ):
                continue
            problems.append(
                f"{violation['id']} ({impact}): {violation['help']} at {node['target']}: "
                f"{json.dumps(node['html'])[:200]}"
            )
    return problems


def tab_to(page: Page, selector: str, limit: int = 80, reverse: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
    key = "Shift+Tab" if reverse else "Tab"
    for _ in range(limit):
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{selector} was not reached with {limit} presses of {key} on {page.url}")
