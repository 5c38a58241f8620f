"""Every page each kind of user can reach passes axe-core at phone and desktop width.

The demo data set (``manage.py seed_demo``, run against the live stack's database and broker)
gives every role something to show: Sam is a member with check-ins, contacts, ties of several
roles and scopes and an SOS; Maria is Sam's sponsor; Dr. Rivera is a verified therapist with an
authenticator and a caseload under formal consents; Client 01 is one of those clients. Each one
signs in through the browser (Dr. Rivera with a TOTP code) and follows every same-origin link
on the pages it reaches. Pages of one shape (the same path once ids are taken out, the same
query parameter names) are checked a few times each, not once per client of a caseload of 25.
"""

from __future__ import annotations

import re
import sys
import time
from collections import Counter, deque
from urllib.parse import parse_qsl, urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, expect

from clinic.models import Organisation
from tests.recovery.test_stack import _test_database_url

from ..settings_probe import base_env, run
from .browser import DESKTOP, PHONE, axe_problems
from .stack import Stack
from .steps import fresh_code, log_in

DEMO_PASSWORD = "ratpark-demo-2026"  # the published demo login (README)
DEMO_TOTP_SECRET = "RATPARKDEMOTOTPSECRETBASE32ABCDE"  # the published demo authenticator
DOMAIN = "demo.ratpark.local"
MAX_PAGES = 80  # per role, to bound the run; none reaches it today (the test says if one does)
# Pages of one shape differ by what they show (a client whose consent ended, a tie to an
# offline person): a few of each, not every one (a caseload of 25 would cost 25 pages).
PER_SHAPE = 3
# Not followed: signing out, files rather than pages, the admin (staff only, Django's own
# templates), endpoints for scripts, and links that act on a GET (one-click answers from mail,
# unsubscribe, mark-as-read).
SKIP = re.compile(
    r"^/(static/|admin/|accounts/logout/|healthz|dev/mail/)"
    r"|/(export|download)/|\.(csv|pdf|json|js|webmanifest)$"
    r"|^/nudges/(a|u)/|^/nudges/(unread|read-all|push)/|^/nudges/[^/]+/read/"
)
ID = re.compile(
    r"/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+|\d{4}-\d{2}-\d{2})(?=/|$)"
)


def shape(url: str) -> tuple[str, tuple[str, ...]]:
    """The path with its ids taken out and the names of its query parameters."""
    parts = urlsplit(url)
    return ID.sub("/<id>", parts.path), tuple(sorted({k for k, _ in parse_qsl(parts.query)}))


def seed_demo(live: Stack, tmp_path) -> None:
    """The demo data set, written by the command an operator runs, into the stack's database;
    its SOS goes through the stack's own broker and worker."""
    env = base_env(
        tmp_path / "var",
        DEBUG="false",
        SECRET_KEY="e2e-test-secret-key-" + "k" * 40,
        ALLOWED_HOSTS="localhost",
        SITE_URL=live.base,
        DATABASE_URL=_test_database_url(),
        REDIS_URL=live.redis.url,
    )
    seeded = run([sys.executable, "manage.py", "seed_demo"], env, timeout=120)
    assert seeded.returncode == 0, seeded.stderr[-3000:]


def links_on(page: Page, origin: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "a[href]",  # getAttribute: an SVG link's .href is not a string
        "links => links.map(a => new URL(a.getAttribute('href'), document.baseURI).href)",
    )
    found = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            continue  # tel:, mailto:, crisis lines and other sites
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not SKIP.search(parts.path):
            found.append(path)
    return found


def crawl_and_check(page: Page, origin: str, start: str, errors: list[str]) -> list[str]:
    """Visit every page shape reachable from ``start``; return the paths checked and put every
    serious or critical axe finding (and any server error) in ``errors``."""
    shapes = Counter([shape(start)])
    queue, checked, seen = deque([start]), [], {start}
    while queue and len(checked) < MAX_PAGES:
        path = queue.popleft()
        response = page.goto(path)
        page.wait_for_load_state("load")
        if response is not None and response.status >= 500:
            errors.append(f"{path}: HTTP {response.status}")
            continue
        if response is not None and "text/html" not in response.headers.get("content-type", ""):
            continue
        landed = urlsplit(page.url).path
        if SKIP.search(landed) or "/accounts/logout/" in landed:
            continue
        checked.append(path if landed == urlsplit(path).path else f"{path} -> {landed}")
        errors += axe_at_both_sizes(page, path)
        for link in links_on(page, origin):
            if link not in seen and shapes[shape(link)] < PER_SHAPE:
                shapes[shape(link)] += 1
                seen.add(link)
                queue.append(link)
    if queue:
        errors.append(f"not checked, past {MAX_PAGES} pages: {list(queue)}")
    return checked


def axe_at_both_sizes(page: Page, where: str) -> list[str]:
    problems = []
    for size_name, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        problems += [f"{where} [{size_name}] {p}" for p in axe_problems(page)]
    return problems


def sign_in(page: Page, who: str, errors: list[str]) -> None:
    log_in(page, f"{who}@{DOMAIN}", DEMO_PASSWORD)
    if page.locator("[name=code]").count():
        # The second step of signing in is a page no link leads to: check it here.
        errors += axe_at_both_sizes(page, "the TOTP code step")
        page.fill("[name=code]", fresh_code(pyotp.TOTP(DEMO_TOTP_SECRET)))
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_load_state("load")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


# (who signs in, where the crawl starts, a page the crawl must reach)
ROLES = [
    ("", "/", "/accounts/signup/"),  # nobody signed in: the home page, sign-in, sign-up
    ("sam", "/dashboard/", "/network/contacts/"),
    ("maria", "/dashboard/", "/network/supporting/"),
    ("rivera", "/clinic/", "/clinic/clients/"),
    ("client01", "/dashboard/", "/network/consents/"),
    # The clinic's office account, which administers the organisation (its page has no link
    # leading to it: the crawl starts there).
    ("office", "/clinic/organisations/", "/clinic/"),
]


@pytest.mark.parametrize(
    ("who", "start", "must_reach"), ROLES, ids=[r[0] or "anonymous" for r in ROLES]
)
def test_every_page_a_role_reaches_passes_axe(
    live, new_page, check, tmp_path, who, start, must_reach
):
    started = time.monotonic()
    seed_demo(live, tmp_path)
    page = new_page()
    errors: list[str] = []
    if who:
        sign_in(page, who, errors)
    if start == "/clinic/organisations/":
        start += f"{Organisation.objects.get(name='Riverside Counseling (demo)').pk}/"
    checked = crawl_and_check(page, live.base, start, errors)
    took = time.monotonic() - started
    print(f"{who or 'anonymous'}: {len(checked)} pages in {took:.0f}s: {checked}")  # noqa: T201 (the reach, shown with -s)
    assert len(checked) > (8 if who else 3), checked  # the crawl really went somewhere
    assert any(p.startswith(must_reach) for p in checked), checked
    assert not errors, "\n".join(errors)
    assert not check.console_errors, "\n".join(check.console_errors)
