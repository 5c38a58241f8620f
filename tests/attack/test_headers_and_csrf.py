"""Security headers on every page, production transport settings, and CSRF on every POST.

Every page: CSP 'self', frames denied, a referrer policy, no MIME sniffing. Production
settings (probed in a fresh interpreter, as tests/settings_probe.py does): HSTS, HTTPS
redirect, secure cookies. Every URL pattern answers a POST without a CSRF token with 403,
(or 405 where the address takes no POST at all), except the views exempted on purpose,
listed here with their reason.
"""

from __future__ import annotations

import json
import sys
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ..settings_probe import production_env, run, settings_for
from .objects import World, build_world, changed, snapshot
from .test_idor_sweep import SWEEP, _patterns

# Arguments for the patterns whose argument names nothing of anyone else's (see SWEEP).
SELF_ARGS = {
    "checkins:day": lambda w: {"date": timezone.now().date().isoformat()},
    "checkins:questionnaire_take": lambda w: {"instrument": "ucla3"},
    "notifications:unmute": lambda w: {"kind": "checkin_reminder", "channel": "email"},
}
# Views that take a POST without a CSRF token on purpose.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail providers POST the signed link without a session.
    "notifications:unsubscribe",
}


@pytest.fixture
def world(make_user) -> World:
    world = build_world(make_user)
    # The sweep's stand-in passkey has no real credential, which the passkey pages need.
    # Its pages are still visited, with its id, as an id that is no longer anyone's.
    pk = world.passkey.pk
    world.passkey.delete()
    world.passkey.pk = pk
    return world


def _routes(world: World) -> list[tuple[str, str, str]]:
    """(name, url, who should open it) for every non-admin pattern, arguments filled in."""
    routes = []
    for name, _pattern, takes in _patterns():
        if name.startswith("admin:"):
            continue
        if not takes:
            routes.append((name, reverse(name), "member"))
        elif name in SELF_ARGS:
            routes.append((name, reverse(name, kwargs=SELF_ARGS[name](world)), "member"))
        elif not isinstance(SWEEP.get(name), str) and name in SWEEP:
            target = SWEEP[name](world)[0]
            owner = next(iter(target.owners), "member")
            routes.append((name, reverse(name, kwargs=target.kwargs), owner))
    return routes


def _client(world: World, who: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if world.people[who] is not None:
        client.force_login(world.people[who])
    return client


def test_every_page_carries_the_security_headers(world):
    clients: dict[str, Client] = {}
    missing = []
    for name, url, who in _routes(world):
        if name == "account_logout":  # would end the client's session
            continue
        client = clients.setdefault(who, _client(world, who))
        response = client.get(url)
        if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            missing.append(f"{url}: {response.status_code}")
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        csp = response.get("Content-Security-Policy", "")
        expected = {
            "CSP default-src 'self'": "default-src 'self'" in csp,
            "CSP frame-ancestors 'none'": "frame-ancestors 'none'" in csp,
            "X-Frame-Options DENY": response.get("X-Frame-Options") == "DENY",
            "Referrer-Policy": response.get("Referrer-Policy") == "same-origin",
            "nosniff": response.get("X-Content-Type-Options") == "nosniff",
        }
        missing += [f"{url}: {what}" for what, ok in expected.items() if not ok]
    assert missing == [], "\n".join(missing)


def test_signed_in_pages_are_not_stored_by_the_browser(world):
    client = _client(world, "member")
    stored = []
    for name, url, who in _routes(world):
        if who != "member" or name == "account_logout":
            continue
        response = client.get(url)
        if "no-store" not in response.get("Cache-Control", ""):
            stored.append(url)
    assert stored == []


_PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="ratpark.example.org")
out = {}
for path in ["/", "/crisis/", "/accounts/login/"]:
    r = client.get(path, secure=True)
    cookies = {k: {"secure": bool(v["secure"]), "httponly": bool(v["httponly"]),
                   "samesite": v["samesite"]} for k, v in r.cookies.items()}
    out[path] = {"status": r.status_code, "hsts": r.get("Strict-Transport-Security", ""),
                 "cookies": cookies}
plain = client.get("/crisis/")
out["http"] = {"status": plain.status_code, "location": plain.get("Location", "")}
print(json.dumps(out))
"""


def _test_database_url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def test_production_settings_send_hsts_redirect_to_https_and_secure_cookies(tmp_path, db):
    env = production_env(tmp_path, DATABASE_URL=_test_database_url(), STATIC_MANIFEST="false")
    result = run([sys.executable, "-c", _PROBE], env)
    assert result.returncode == 0, result.stderr
    pages = json.loads(result.stdout.strip().splitlines()[-1])
    assert pages["http"]["status"] == HTTPStatus.MOVED_PERMANENTLY
    assert pages["http"]["location"].startswith("https://ratpark.example.org/")
    for path in ["/", "/crisis/", "/accounts/login/"]:
        assert pages[path]["status"] == HTTPStatus.OK, path
        hsts = pages[path]["hsts"]
        assert "max-age=" in hsts
        assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
    login_cookies = pages["/accounts/login/"]["cookies"]
    assert login_cookies["csrftoken"]["secure"] is True
    values = settings_for(
        env,
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    )
    assert values == {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    }


def test_every_post_without_a_csrf_token_is_refused(world):
    clients: dict[str, Client] = {}
    accepted = []
    before = snapshot()
    for name, url, who in _routes(world):
        if name in CSRF_EXEMPT:
            continue
        client = clients.setdefault(who, _client(world, who, enforce_csrf_checks=True))
        response = client.post(url, {"scopes": ["notes"], "answer": "accept", "reason": "x"})
        # 405: the address takes no POST at all (/healthz answers before the middleware).
        if response.status_code not in (HTTPStatus.FORBIDDEN, HTTPStatus.METHOD_NOT_ALLOWED):
            accepted.append(f"POST {url} as {who}: {response.status_code}")
    assert accepted == [], "\n".join(accepted)
    assert changed(before, snapshot()) == []


def test_only_the_listed_views_are_csrf_exempt():
    exempt = {
        name
        for name, pattern, _takes in _patterns()
        if getattr(pattern.callback, "csrf_exempt", False) and not name.startswith("admin:")
    }
    assert exempt == CSRF_EXEMPT


def test_a_post_with_its_token_gets_through(world):
    # The refusals above are the CSRF check's, not the view's.
    client = _client(world, "member", enforce_csrf_checks=True)
    page = client.get(reverse("nudges:preferences"))
    token = page.cookies["csrftoken"].value
    response = client.post(reverse("notifications:mark_all_read"), {"csrfmiddlewaretoken": token})
    assert response.status_code != HTTPStatus.FORBIDDEN
