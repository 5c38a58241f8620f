"""Hostile input, drawn by hypothesis, to every form Rat Park shows and to its JSON endpoints.

Forms are found, not listed: every page of the URL conf is opened as the person it belongs to,
and each POST form on it is filled with hostile values for exactly the fields it has (NUL,
lone surrogates sent as the invalid UTF-8 a browser would send, 100,000 characters, HTML and
script, SQL, huge, negative and non-numbers, impossible dates, lists where one value is
expected). Whatever comes: no server error; a submission that is not accepted (anything but a
redirect) changes nothing; and text that was stored never comes back unescaped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import quote, urljoin

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from .objects import World, build_world, changed, snapshot
from .test_headers_and_csrf import _routes

SCRIPT = "<script>alert('rp-xss')</script>"
IMG = '<img src=x onerror="alert(1)">'
HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate: sent as the bytes ED A0 80, which are not UTF-8
    "x\udfffy",
    "x" * 100_000,
    SCRIPT,
    IMG,
    "' OR '1'='1' --",
    "'; DROP TABLE accounts_user; --",
    '" onmouseover="alert(1)',
    '=HYPERLINK("https://evil.example")',
    "9" * 40,
    "-1",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "0",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31T99:99",
    "25:61",
    "",
    "   ",
    "\r\n\t",
    "\u202eevil",
    "🙂" * 50,
]
hostile_value = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.lists(st.sampled_from(HOSTILE_TEXT), min_size=2, max_size=3),  # many where one is expected
)
# Pages whose forms end the session or the account; their guards are tested where they live.
SKIP_FORMS = ("/accounts/logout/", "/settings/delete/", "/accounts/2fa/")

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
OPTION = re.compile(r"<option\b[^>]*\bvalue=\"([^\"]+)\"", re.I)
ATTR = re.compile(r"(\w+)=\"([^\"]*)\"")


@dataclass(frozen=True)
class Form:
    page: str
    action: str
    who: str
    fields: tuple[tuple[str, str], ...]  # (name, a value the page itself offers)


def _forms(world: World, clients: dict[str, Client]) -> list[Form]:
    found: dict[tuple[str, str], Form] = {}
    for _name, url, who in _routes(world):
        response = clients[who].get(url)
        if response.status_code != HTTPStatus.OK or "text/html" not in response["Content-Type"]:
            continue
        for attrs, body in FORM.findall(response.content.decode()):
            attr = dict(ATTR.findall(attrs))
            if attr.get("method", "get").lower() != "post":
                continue
            action = urljoin(url, attr.get("action") or url)
            if action.startswith(SKIP_FORMS):
                continue
            found.setdefault((action, who), Form(url, action, who, _fields(body)))
    return list(found.values())


def _fields(body: str) -> tuple[tuple[str, str], ...]:
    """Each field of a form with a value the page offers for it (so a submission can pass)."""
    fields: dict[str, str] = {}
    for match in FIELD.finditer(body):
        tag, attr = match.group(1).lower(), dict(ATTR.findall(match.group(2)))
        name = attr.get("name")
        if not name or name == "csrfmiddlewaretoken" or name in fields:
            continue
        value = attr.get("value", "")
        if tag == "select":
            option = OPTION.search(body, match.end())
            value = option.group(1) if option else ""
        elif not value:
            kind = attr.get("type", "text")
            value = {"date": "2026-01-01", "email": "friend@example.org", "number": "1"}.get(
                kind, "A kind word" if kind in ("text", "search", "tel") else ""
            )
        fields[name] = value
    return tuple(sorted(fields.items()))


def _encode(data: dict[str, object]) -> str:
    pairs = []
    for name, value in data.items():
        for one in value if isinstance(value, list) else [value]:
            pairs.append(f"{quote(name)}={quote(one, errors='surrogatepass')}")
    return "&".join(pairs)


@pytest.fixture
def world(make_user) -> World:
    world = build_world(make_user)
    pk = world.passkey.pk  # the stand-in passkey cannot render; its id stays a dead one
    world.passkey.delete()
    world.passkey.pk = pk
    return world


@pytest.fixture
def clients(world) -> dict[str, Client]:
    made = {}
    for who, user in world.people.items():
        made[who] = Client()
        if user is not None:
            made[who].force_login(user)
    return made


_HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


STORED_SCRIPT: list[str] = []  # forms that accepted script, checked for escaping
# Pages that show back what people typed, checked besides the form's page and its redirect.
SHOWN_BACK = ("/dashboard/", "/network/", "/network/contacts/", "/checkins/history/")


def _assert_escaped(client: Client, *pages: str) -> None:
    for page in pages:
        body = client.get(page).content.decode(errors="replace")
        assert SCRIPT not in body, page
        assert IMG not in body, page


# About 30 forms: fewer examples each keeps this test near a minute.
_FORM_HYPOTHESIS = settings(_HYPOTHESIS, max_examples=12)


def _attack(form: Form, client: Client):
    """A hypothesis test posting hostile values for the form's own fields."""

    # Each field gets the page's own value or a hostile one, so that submissions which pass
    # validation (and store hostile text) are drawn as well as ones that are refused.
    strategy = {name: st.one_of(st.just(value), hostile_value) for name, value in form.fields}

    @_FORM_HYPOTHESIS
    @given(data=st.fixed_dictionaries(strategy))
    def attack(data):
        cache.clear()  # rate limits would hide the view behind a 429
        before = snapshot()
        response = client.post(
            form.action, _encode(data), content_type="application/x-www-form-urlencoded"
        )
        status = response.status_code
        assert status < HTTPStatus.INTERNAL_SERVER_ERROR, (form.action, data)
        if status != HTTPStatus.FOUND:
            assert changed(before, snapshot()) == [], (form.action, status, data)
        elif any(SCRIPT in str(v) or IMG in str(v) for v in data.values()):
            _assert_escaped(client, form.page, response["Location"], *SHOWN_BACK)
            STORED_SCRIPT.append(form.action)

    # Always tried: the page's own values with script in one text field at a time, which is
    # what a stored-XSS attempt looks like (random draws rarely keep every other field valid).
    defaults = dict(form.fields)
    for name, value in form.fields:
        if value == "A kind word" or (value and not value.isdigit() and "-" not in value):
            attack = example(data={**defaults, name: SCRIPT})(attack)
    return attack


@pytest.mark.slow
def test_every_form_survives_hostile_input(world, clients):
    forms = _forms(world, clients)
    # The discovery really found the forms people use every day.
    actions = {f.action for f in forms}
    assert "/checkins/" in actions, actions
    assert "/network/ties/add/" in actions, actions
    assert len(forms) >= 15, actions
    problems: list[str] = []
    for form in forms:
        try:
            _attack(form, clients[form.who])()
        except AssertionError as exc:
            problems.append(f"{form.action} as {form.who}: {str(exc)[:300]}")
    assert problems == [], "\n".join(problems)
    # The escaping check really ran: some forms accepted script and showed it back escaped.
    assert STORED_SCRIPT, "no form accepted a hostile text value; the escaping check never ran"


json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        st.sampled_from([t for t in HOSTILE_TEXT if "\x00" not in t and "\ud800" not in t]),
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=6,
)
push_body = st.one_of(
    json_value,
    st.fixed_dictionaries(
        {
            "endpoint": json_value,
            "keys": st.one_of(
                json_value, st.fixed_dictionaries({"p256dh": json_value, "auth": json_value})
            ),
        }
    ),
)


@pytest.mark.parametrize("name", ["notifications:push_subscribe", "notifications:push_unsubscribe"])
def test_the_push_endpoints_answer_malformed_json_with_400(world, clients, name):

    client = clients["member"]
    url = reverse(name)

    @_HYPOTHESIS
    @given(body=st.one_of(push_body.map(json.dumps), st.binary(max_size=50)))
    def attack(body):
        before = snapshot()
        response = client.post(url, body, content_type="application/json")
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, body
        if response.status_code == HTTPStatus.BAD_REQUEST:
            assert changed(before, snapshot()) == [], body

    attack()


def test_a_nul_byte_in_push_unsubscribe_is_a_400(world, clients):

    response = clients["member"].post(
        reverse("notifications:push_unsubscribe"),
        json.dumps({"endpoint": "https://x/\u0000"}),
        content_type="application/json",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
