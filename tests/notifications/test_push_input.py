"""Web push endpoints take JSON from a browser script: any malformed body answers 400 and
changes nothing, never a server error."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from notifications.models import PushSubscription

pytestmark = pytest.mark.django_db

GOOD = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "k", "auth": "a"}}

# Raw bodies, as an attacker would send them (json.dumps would escape some of these).
MALFORMED = {
    "nul in endpoint": b'{"endpoint": "https://x/\\u0000", "keys": {"p256dh": "k", "auth": "a"}}',
    "lone surrogate": b'{"endpoint": "https://x/\\ud800", "keys": {"p256dh": "k", "auth": "a"}}',
    "invalid utf-8": b'{"endpoint": "https://x/\xff\xfe", "keys": {"p256dh": "k", "auth": "a"}}',
    "not json": b"endpoint=https://x/",
    "empty": b"",
    "a list": b'["https://push.example/abc"]',
    "a string": b'"https://push.example/abc"',
    "null": b"null",
    "endpoint a number": b'{"endpoint": 12, "keys": {"p256dh": "k", "auth": "a"}}',
    "endpoint a list": b'{"endpoint": ["https://push.example/abc"], "keys": {}}',
    "endpoint an object": b'{"endpoint": {"url": "https://push.example/abc"}}',
    "endpoint null": b'{"endpoint": null, "keys": {"p256dh": "k", "auth": "a"}}',
    "no endpoint": b'{"keys": {"p256dh": "k", "auth": "a"}}',
    "not a url": b'{"endpoint": "javascript:alert(1)", "keys": {"p256dh": "k", "auth": "a"}}',
    "huge endpoint": json.dumps({**GOOD, "endpoint": "https://x/" + "a" * 600}).encode(),
    "huge body": json.dumps({**GOOD, "padding": "a" * 3_000_000}).encode(),
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
}

# Only a subscription has keys; unsubscribing reads the endpoint alone.
SUBSCRIBE_ONLY = {
    "surrogate in key": b'{"endpoint": "https://x/y", "keys": {"p256dh": "\\udfff", "auth": "a"}}',
    "nul in key": b'{"endpoint": "https://x/y", "keys": {"p256dh": "k", "auth": "\\u0000"}}',
    "keys a list": b'{"endpoint": "https://push.example/abc", "keys": ["k", "a"]}',
    "no keys": b'{"endpoint": "https://push.example/new"}',
}
CASES = [("notifications:push_subscribe", name, body) for name, body in SUBSCRIBE_ONLY.items()] + [
    (route, name, body)
    for route in ("notifications:push_subscribe", "notifications:push_unsubscribe")
    for name, body in MALFORMED.items()
]


@pytest.fixture
def subscribed(client, member):
    client.force_login(member)
    return PushSubscription.objects.create(
        user=member, endpoint=GOOD["endpoint"], p256dh="k", auth="a"
    )


@pytest.mark.parametrize(("route", "name", "body"), CASES, ids=[f"{r}-{n}" for r, n, _ in CASES])
def test_a_malformed_body_answers_400_and_changes_nothing(client, subscribed, route, name, body):
    response = client.post(reverse(route), body, content_type="application/json")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert list(PushSubscription.objects.values_list("endpoint", "p256dh", "auth")) == [
        (GOOD["endpoint"], "k", "a")
    ]


def test_unsubscribe_removes_only_the_callers_own_device(client, subscribed, make_user):
    other = make_user()
    PushSubscription.objects.create(user=other, endpoint="https://push.example/o", p256dh="k")
    url = reverse("notifications:push_unsubscribe")
    body = json.dumps({"endpoint": "https://push.example/o"})
    assert client.post(url, body, content_type="application/json").status_code == HTTPStatus.OK
    assert PushSubscription.objects.filter(user=other).exists()
    body = json.dumps({"endpoint": GOOD["endpoint"]})
    assert client.post(url, body, content_type="application/json").status_code == HTTPStatus.OK
    assert not PushSubscription.objects.filter(user=subscribed.user).exists()


@pytest.mark.parametrize(
    "path",
    [
        "/nudges/preferences/unmute/%00/all/",
        "/nudges/preferences/unmute/sos/%00/",
        "/nudges/preferences/unmute/%ED%A0%80/all/",
        "/nudges/preferences/unmute/" + "x" * 5000 + "/all/",
    ],
)
def test_unmute_with_a_malformed_name_is_404_and_changes_nothing(client, member, path):
    from notifications.models import Kind, Mute

    Mute.objects.create(user=member, kind=Kind.SUPPORTER_NUDGE, channel=Mute.ALL)
    client.force_login(member)
    assert client.post(path).status_code == HTTPStatus.NOT_FOUND
    assert Mute.objects.filter(user=member).count() == 1
