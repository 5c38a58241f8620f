"""The role colours of the circle and the History chart meet WCAG AA in both themes: at least
3:1 against the page for the marks, 4.5:1 for the circle's text (its labels and "You")."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders

from network.models import Role

ROLE_NAMES = [*(r.value for r in Role), "someone"]


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _themes() -> dict[str, dict[str, str]]:
    """The custom properties of the light theme and of the dark one, from the stylesheet."""
    with open(finders.find("css/site.css"), encoding="utf-8") as handle:
        css = handle.read()
    dark_at = css.index("@media (prefers-color-scheme: dark)")
    found = {}
    for name, part in (("light", css[:dark_at]), ("dark", css[dark_at:])):
        found[name] = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", part))
    found["dark"] = {**found["light"], **found["dark"]}
    return found


def test_every_role_has_a_class_and_a_colour_in_each_theme():
    with open(finders.find("css/site.css"), encoding="utf-8") as handle:
        css = handle.read()
    for name in ROLE_NAMES:
        assert f".role-{name} {{ --role: var(--role-{name}); }}" in css
    for theme in _themes().values():
        assert {f"role-{n}" for n in ROLE_NAMES} <= theme.keys()


def test_role_colours_meet_aa_against_the_page_in_both_themes():
    for name, theme in _themes().items():
        paper = theme["paper"]
        for role in ROLE_NAMES:
            ratio = _contrast(theme[f"role-{role}"], paper)
            assert ratio >= 3, f"{role} in the {name} theme: {ratio:.2f}:1"
        # The circle's text: labels in the ink colour, "You" on the accent.
        assert _contrast(theme["ink"], paper) >= 4.5, name
        assert _contrast(theme["accent-ink"], theme["accent"]) >= 4.5, name
        assert _contrast(theme["accent"], paper) >= 3, name
        assert _contrast(theme["ink"], paper) >= 3, name  # the dots' outline


def test_the_dark_theme_has_its_own_role_colours():
    light, dark = _themes()["light"], _themes()["dark"]
    # The light colours are too dark on the dark page; each role is redrawn there.
    for role in ROLE_NAMES:
        assert dark[f"role-{role}"] != light[f"role-{role}"], role
