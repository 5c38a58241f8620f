"""The supporter's Today: one card per person, exactly what each shares, kind words inline."""

from __future__ import annotations

import datetime
import zoneinfo
from http import HTTPStatus

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from network.models import Contact, ContactMethod, DisclosureEvent, Role, Scope, Tie
from network.selectors import supporter_cards
from notifications.models import Kind, Notification
from tests.network_cast import actors, build_cast


def _card_of_sam(page: str) -> str:
    start = page.find('class="support-card"')
    return page[start : page.find("</article>", start)] if start >= 0 else ""


def test_each_supporter_sees_exactly_what_is_shared_on_their_today(client, make_user):
    cast = build_cast()
    expected = {
        f"scope:{Scope.CHECKIN_STATUS}": "Checked in today</dt><dd>Yes",
        f"scope:{Scope.CONTACTS}": "Last contact</dt><dd>Today",
        f"scope:{Scope.REACH}": 'href="tel:+15035550100"',
    }
    has_card = {
        "supporter_none",
        "therapist_active",
        "therapist_expired",
        "therapist_revoked",
        "therapist_unverified",
        *(f"scope:{s}" for s in Scope.values),
    }
    for who, user in actors(cast).items():
        client.logout()
        if user is None or who == "member":
            continue
        client.force_login(user)
        before = DisclosureEvent.objects.filter(viewer_ref=user.pk).count()
        page = client.get(reverse("dashboard")).content.decode()
        card = _card_of_sam(page)
        assert bool(card) == (who in has_card), who
        for scope_who, marker in expected.items():
            assert (marker in card) == (who == scope_who), (who, scope_who)
        for secret in ("SECRET-NOTE", "Grandma", "Craving"):
            assert secret not in card, (who, secret)
        logged = DisclosureEvent.objects.filter(viewer_ref=user.pk).count() - before
        assert logged == (1 if who in expected else 0), who


def test_last_contact_follows_the_members_own_calendar(make_user):
    zone = "America/Los_Angeles"
    sam = make_user(display_name="Sam", time_zone=zone)
    maria = make_user(display_name="Maria")
    tie = Tie.objects.create(member=sam, supporter=maria, role=Role.FRIEND, share_contacts=True)
    now = timezone.now()
    local_now = now.astimezone(zoneinfo.ZoneInfo(zone))
    yesterday_evening = (local_now - datetime.timedelta(days=1)).replace(hour=19, minute=0)
    Contact.objects.create(
        member=sam, tie=tie, method=ContactMethod.CALL, occurred_at=yesterday_evening
    )
    (card,) = supporter_cards(maria, now=now)
    assert card.last_contact == "Yesterday"


def test_kind_words_from_today_go_to_the_member_and_back_to_today(client, make_user):
    sam = make_user(display_name="Sam")
    maria = make_user(display_name="Maria")
    tie = Tie.objects.create(member=sam, supporter=maria, role=Role.FRIEND)
    client.force_login(maria)
    page = client.get(reverse("dashboard")).content.decode()
    assert f'action="{reverse("network:encourage", args=[tie.pk])}"' in page
    response = client.post(
        reverse("network:encourage", args=[tie.pk]), {"message": "Go you", "next": "today"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("dashboard")
    assert Notification.objects.get(recipient=sam, kind=Kind.ENCOURAGEMENT).data["message"] == (
        "Go you"
    )


def test_todays_cards_are_constant_query(client, make_user):
    maria = make_user(display_name="Maria")

    def count() -> int:
        client.force_login(maria)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK
        return len(ctx.captured_queries)

    def add(**share) -> None:
        fields = {"share_checkin_status": False} | share
        Tie.objects.create(member=make_user(), supporter=maria, role=Role.FRIEND, **fields)

    add(share_contacts=True)
    add()
    count()  # the first view builds maria's kept figures (checkins.stats, network.stats)
    one = count()
    for _ in range(3):
        add()
    # More people add no reads, and the cards that show shared data share one batched append.
    assert count() == one
    add(share_checkin_status=True)
    first = count()
    add(share_checkin_status=True)
    add(share_checkin_status=True)
    assert count() == first
