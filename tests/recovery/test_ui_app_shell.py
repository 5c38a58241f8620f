"""The app shell: tab bar, "More" (settings), admin link for staff, dark theme."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse


def test_the_tab_bar_has_five_tabs_and_marks_the_current_one(client, member):
    client.force_login(member)
    page = client.get(reverse("checkins:today")).content.decode()
    bar = page[page.index('<nav class="tab-bar"') : page.index("</nav>", page.index("tab-bar"))]
    labels = re.findall(r"</svg>([^<]+)</a>", bar)
    assert labels == ["Today", "Check in", "Network", "Inbox", "More"]
    assert re.search(r'href="/checkins/[^"]*" aria-current="page"', bar)
    assert 'aria-hidden="true"' in bar  # icons are decoration; the words are the names


def test_visitors_get_no_tab_bar(client, db):
    assert 'class="tab-bar"' not in client.get(reverse("home")).content.decode()


def test_more_offers_log_out_and_staff_get_the_admin(client, member, make_user):
    client.force_login(member)
    page = client.get(reverse("account_settings")).content.decode()
    assert f'action="{reverse("account_logout")}"' in page
    assert reverse("admin:index") not in page
    staff = make_user(display_name="Staff", is_staff=True)
    client.force_login(staff)
    assert reverse("admin:index") in client.get(reverse("account_settings")).content.decode()


def test_the_dark_theme_follows_the_system_setting():
    css = (Path(settings.BASE_DIR) / "static/css/site.css").read_text()
    dark = css[css.index("@media (prefers-color-scheme: dark)") :]
    for var in ("--ink", "--paper", "--accent", "--accent-ink", "--muted", "--warn", "--focus"):
        assert f"{var}:" in dark, var
