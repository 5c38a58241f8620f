"""Security headers on real responses: CSP, framing, referrer; sessions that idle out."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

# Source expressions that would let another origin or inline code run.
_FORBIDDEN_SOURCES = ("*", "'unsafe-inline'", "'unsafe-eval'", "http:", "https:", "blob:")


def _csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.parametrize("path", ["/", "/crisis/", "/accounts/login/"])
def test_pages_carry_a_csp_that_allows_only_our_own_origin(client, path):
    response = client.get(path)
    assert response.status_code == HTTPStatus.OK
    policy = _csp(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    for name, sources in policy.items():
        for source in sources:
            assert source not in _FORBIDDEN_SOURCES, (name, source)
            assert "://" not in source, (name, source)


def _assert_no_inline_code(path: str, body: str) -> None:
    for tag in re.findall(r"<[a-zA-Z][^>]*>", body):
        if tag.startswith("<script") and "application/json" not in tag:
            assert "src=" in tag, (path, tag)
        assert not re.search(r"\sstyle\s*=", tag), (path, tag)
        assert not re.search(r"\son[a-z]+\s*=", tag), (path, tag)


def test_pages_contain_no_inline_script_or_style_attribute(client, member):
    # The CSP would block them in the browser; catching them here names the template.
    for path in ("/", "/crisis/", reverse("account_login"), reverse("account_signup")):
        response = client.get(path)
        assert response.status_code == HTTPStatus.OK, path
        _assert_no_inline_code(path, response.content.decode())
    client.force_login(member)
    for path in (reverse("dashboard"), reverse("account_settings")):
        response = client.get(path)
        assert response.status_code == HTTPStatus.OK, path
        _assert_no_inline_code(path, response.content.decode())


def test_pages_forbid_framing_and_sniffing(client):
    response = client.get("/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_each_request_pushes_the_idle_timeout_forward(client, member, settings):
    settings.SESSION_COOKIE_AGE = 10 * 60
    client.force_login(member)
    session = Session.objects.get()
    # Pretend the last activity was eight minutes ago: two minutes of the idle window left.
    session.expire_date = timezone.now() + timedelta(minutes=2)
    session.save(update_fields=["expire_date"])

    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK

    session.refresh_from_db()
    assert session.expire_date > timezone.now() + timedelta(minutes=9)


def test_requests_within_a_minute_do_not_write_the_session(client, member, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.SESSION_COOKIE_AGE = 10 * 60
    client.force_login(member)
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK  # refreshes once
    first = Session.objects.get().expire_date
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK
    assert not [
        q
        for q in queries.captured_queries
        if "django_session" in q["sql"]
        and (q["sql"].startswith("UPDATE") or q["sql"].startswith("INSERT"))
    ]
    assert Session.objects.get().expire_date == first
    # A minute later the next request slides the timeout again.
    session = client.session
    session["_refreshed_at"] -= 61
    session.save()
    Session.objects.update(expire_date=timezone.now() + timedelta(minutes=2))
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK
    assert Session.objects.get().expire_date > timezone.now() + timedelta(minutes=9)


def test_an_idle_session_signs_the_person_out(client, member):
    client.force_login(member)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("dashboard"))
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]
