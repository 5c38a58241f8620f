"""The SOS loop: the standing "I need support" button, answers pinned on each SOS contact's
Today, "I'm reaching out now", kind words, and the member's page of who answered."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from network.models import Contact, DisclosureEvent, Role, Scope, Tie
from notifications.models import Delivery, Kind, Notification
from nudges.models import NudgePreference, SosAlert
from tests.network_cast import actors, build_cast

PHONE = "+15035550100"


@pytest.fixture
def sam(make_user):
    return make_user("sam@example.org", display_name="Sam", phone=PHONE)


@pytest.fixture
def maria(make_user):
    return make_user("maria@example.org", display_name="Maria")


@pytest.fixture
def sos_tie(sam, maria):
    return Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)


def _ask(client, member, message="Please call me") -> SosAlert:
    client.force_login(member)
    response = client.post(reverse("nudges:sos"), {"message": message})
    alert = SosAlert.objects.filter(member=member).order_by("-created_at").first()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("nudges:sos_status", args=[alert.pk])
    return alert


def _alert_to(user) -> Notification:
    return Notification.objects.get(recipient=user, kind=Kind.SOS)


# --- The standing button ---------------------------------------------------------------------


def test_the_standing_entry_is_on_today_in_the_navigation_and_on_the_crisis_page(client, sam):
    client.force_login(sam)
    sos_url = f'href="{reverse("nudges:sos")}"'
    for page in ("dashboard", "crisis", "network:home"):
        assert sos_url in client.get(reverse(page)).content.decode(), page
    form = client.get(reverse("nudges:sos")).content.decode()
    assert "not monitoring Rat Park around the clock" in form
    assert "988" in form
    assert "You haven't chosen SOS contacts yet" in form


def test_the_standing_button_alerts_without_a_checkin_and_only_once(client, sam, maria, sos_tie):
    form = client.get(reverse("nudges:sos"))
    assert form.status_code == HTTPStatus.FOUND  # anonymous: to the login page
    alert = _ask(client, sam, "Please call me after work")
    assert client.get(reverse("nudges:sos")).content.decode().count("Maria") >= 1
    note = _alert_to(maria)
    assert note.data["words"] == "Please call me after work"
    assert note.data["sos_id"] == str(alert.pk)
    # Lock-screen safe: the words are never in the title or body.
    assert "call me" not in (note.title + note.body).lower()
    again = _ask(client, sam, "A second press")
    assert again.pk == alert.pk
    assert Notification.objects.filter(kind=Kind.SOS).count() == 1


def test_an_empty_message_sends_the_members_saved_words(client, sam, maria, sos_tie):
    NudgePreference.objects.create(member=sam, sos_message="My usual words.")
    _ask(client, sam, "")
    assert _alert_to(maria).data["words"] == "My usual words."


def test_a_too_long_message_is_refused_and_nothing_is_sent(client, sam, maria, sos_tie):
    client.force_login(sam)
    response = client.post(reverse("nudges:sos"), {"message": "x" * 201})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most 200 characters" in response.content.decode()
    assert not SosAlert.objects.exists()
    assert not Notification.objects.exists()


# --- Pinned on the SOS contact's Today -------------------------------------------------------


def test_an_active_sos_is_pinned_on_the_contacts_today_until_answered(client, sam, maria, sos_tie):
    alert = _ask(client, sam)
    client.force_login(maria)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Sam asked for support" in page
    assert "Please call me" in page
    assert "I&#x27;m reaching out now" in page or "I'm reaching out now" in page
    assert f"tel:{PHONE}" not in page  # "how to reach me" is not shared with Maria
    # 25 hours later it is no longer pinned.
    Notification.objects.filter(kind=Kind.SOS).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert "Sam asked for support" not in client.get(reverse("dashboard")).content.decode()
    assert alert.pk


def test_call_and_text_only_with_the_how_to_reach_me_scope(client, sam, maria, sos_tie):
    sos_tie.share_reach = True
    sos_tie.save()
    _ask(client, sam)
    client.force_login(maria)
    before = DisclosureEvent.objects.filter(viewer_ref=maria.pk, scope=Scope.REACH).count()
    page = client.get(reverse("dashboard")).content.decode()
    assert f'href="tel:{PHONE}"' in page
    assert f'href="sms:{PHONE}"' in page
    after = DisclosureEvent.objects.filter(viewer_ref=maria.pk, scope=Scope.REACH).count()
    # Seeing the number is in Sam's access log: once for the SOS, once for Sam's card.
    assert after == before + 2


def test_a_contact_who_is_no_longer_an_sos_contact_sees_nothing_pinned(client, sam, maria, sos_tie):
    _ask(client, sam)
    sos_tie.is_sos_contact = False
    sos_tie.save()
    client.force_login(maria)
    assert "Sam asked for support" not in client.get(reverse("dashboard")).content.decode()
    note = _alert_to(maria)
    response = client.post(
        reverse("nudges:sos_reaching_out", args=[note.pk]), {"method": "call"}, follow=True
    )
    assert "no longer one of this person" in response.content.decode()
    assert not Contact.objects.filter(member=sam).exists()


def test_the_cast_who_is_pinned_and_who_sees_the_phone(client, make_user):
    cast = build_cast()
    Tie.objects.filter(member=cast.member).update(is_sos_contact=True)
    _ask(client, cast.member)
    receives = {"supporter_none", "therapist_active", *(f"scope:{s}" for s in Scope.values)}
    for who, user in actors(cast).items():
        client.logout()
        if user is None:
            assert client.get(reverse("dashboard")).status_code == HTTPStatus.FOUND
            continue
        if who == "member":
            continue
        client.force_login(user)
        page = client.get(reverse("dashboard")).content.decode()
        assert ("Sam asked for support" in page) == (who in receives), who
        assert (f"tel:{PHONE}" in page) == (who == f"scope:{Scope.REACH}"), who


def test_todays_queries_do_not_grow_with_the_number_of_sos_alerts(client, make_user, maria):
    def count() -> int:
        # A fresh browser each time, so every count includes the same first-request session
        # refresh (the members' requests below sign the shared client out of Maria's session).
        browser = Client()
        browser.force_login(maria)
        with CaptureQueriesContext(connection) as ctx:
            assert browser.get(reverse("dashboard")).status_code == HTTPStatus.OK
        return len(ctx.captured_queries)

    members = [make_user(display_name=f"Member {i}") for i in range(3)]
    for m in members:
        Tie.objects.create(member=m, supporter=maria, role=Role.FRIEND, is_sos_contact=True)
    _ask(client, members[0])
    count()  # the first page of a person also creates their kept figures once
    one = count()
    for m in members[1:]:
        _ask(client, m)
    assert count() == one


# --- Answers -----------------------------------------------------------------------------------


def test_reaching_out_logs_a_contact_and_tells_the_member_at_once(
    client, sam, maria, sos_tie, monkeypatch
):
    from nudges import services

    # Sam is in his quiet hours: the answer must still go out now, on every channel.
    monkeypatch.setattr(
        services, "quiet_hours_end", lambda *_: timezone.now() + datetime.timedelta(hours=8)
    )
    alert = _ask(client, sam)
    note = _alert_to(maria)
    client.force_login(maria)
    url = reverse("nudges:sos_reaching_out", args=[note.pk])
    response = client.post(url, {"method": "text"}, follow=True)
    assert "We&#x27;ve told Sam you&#x27;re reaching out" in response.content.decode()
    contact = Contact.objects.get(member=sam)
    assert contact.initiated_by == Contact.Initiator.SUPPORTER
    assert contact.method == "text"
    assert contact.confirmed is False  # Sam confirms it
    told = Notification.objects.get(recipient=sam, kind=Kind.NETWORK)
    assert told.title == "Maria is reaching out"
    assert not Delivery.objects.filter(notification=told, not_before__gt=timezone.now()).exists()
    assert told.action_url == reverse("nudges:sos_status", args=[alert.pk])
    # Answered: no longer pinned, and a second press logs nothing more.
    assert "Sam asked for support" not in client.get(reverse("dashboard")).content.decode()
    client.post(url, {"method": "call"})
    assert Contact.objects.filter(member=sam).count() == 1
    assert Notification.objects.filter(recipient=sam, kind=Kind.NETWORK).count() == 1
    # Sam's page shows who answered.
    client.force_login(sam)
    page = client.get(reverse("nudges:sos_status", args=[alert.pk])).content.decode()
    assert "Maria is reaching out" in page
    assert 'hx-trigger="every 10s"' in page
    assert "Refresh" in page
    partial = client.get(reverse("nudges:sos_answers", args=[alert.pk]))
    assert "Maria is reaching out" in partial.content.decode()
    assert "<html" not in partial.content.decode()


def test_kind_words_reach_the_inbox_and_the_members_sos_page(client, sam, maria, sos_tie):
    alert = _ask(client, sam)
    note = _alert_to(maria)
    client.force_login(maria)
    client.post(reverse("nudges:sos_kind_words", args=[note.pk]), {"message": "I'm here, Sam."})
    words = Notification.objects.get(recipient=sam, kind=Kind.ENCOURAGEMENT)
    assert words.data["message"] == "I'm here, Sam."
    assert "here" not in words.title + words.body  # lock screen shows only that words came
    client.force_login(sam)
    page = client.get(reverse("nudges:sos_status", args=[alert.pk])).content.decode()
    assert "Maria sent kind words" in page
    assert "I&#x27;m here, Sam." in page


def test_empty_kind_words_change_nothing(client, sam, maria, sos_tie):
    _ask(client, sam)
    note = _alert_to(maria)
    client.force_login(maria)
    response = client.post(reverse("nudges:sos_kind_words", args=[note.pk]), {"message": ""})
    assert response.status_code == HTTPStatus.FOUND
    assert not Notification.objects.filter(recipient=sam, kind=Kind.ENCOURAGEMENT).exists()
    assert Notification.objects.get(pk=note.pk).response == ""


def test_answer_urls_are_only_the_recipients(client, sam, maria, sos_tie, make_user):
    _ask(client, sam)
    note = _alert_to(maria)
    stranger = make_user(display_name="Stranger")
    staff = make_user(display_name="Staff", is_staff=True)
    urls = [
        (reverse("nudges:sos_reaching_out", args=[note.pk]), {"method": "call"}),
        (reverse("nudges:sos_kind_words", args=[note.pk]), {"message": "Hi"}),
    ]
    client.logout()
    for url, data in urls:
        response = client.post(url, data)
        assert response.status_code == HTTPStatus.FOUND
        assert "/accounts/login/" in response.url
    for user in (sam, stranger, staff):
        client.force_login(user)
        for url, data in urls:
            assert client.post(url, data).status_code == HTTPStatus.NOT_FOUND, (user, url)
            assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert not Contact.objects.filter(member=sam).exists()
    assert not Notification.objects.filter(recipient=sam).exists()
    # Another kind of notification of Maria's is not an SOS to answer.
    other = Notification.objects.create(
        recipient=maria, kind=Kind.CELEBRATION, idempotency_key="c", title="t", body="b"
    )
    client.force_login(maria)
    response = client.post(reverse("nudges:sos_reaching_out", args=[other.pk]), {"method": "call"})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_the_members_sos_page_is_theirs_alone(client, sam, maria, sos_tie, make_user):
    alert = _ask(client, sam)
    stranger = make_user(display_name="Stranger")
    staff = make_user(display_name="Staff", is_staff=True)
    urls = [
        reverse("nudges:sos_status", args=[alert.pk]),
        reverse("nudges:sos_answers", args=[alert.pk]),
    ]
    client.logout()
    for url in urls:
        assert client.get(url).status_code == HTTPStatus.FOUND
    for user in (maria, stranger, staff):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == HTTPStatus.NOT_FOUND, (user, url)
    client.force_login(sam)
    for url in urls:
        assert client.get(url).status_code == HTTPStatus.OK
    # A day later polling stops (htmx's "stop polling" status) and the page says so quietly.
    SosAlert.objects.filter(pk=alert.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert client.get(urls[1]).status_code == 286
    assert 'hx-trigger="every 10s"' not in client.get(urls[0]).content.decode()


def test_the_sos_detail_page_offers_the_answers_too(client, sam, maria, sos_tie):
    _ask(client, sam)
    note = _alert_to(maria)
    client.force_login(maria)
    page = client.get(reverse("notifications:detail", args=[note.pk])).content.decode()
    assert reverse("nudges:sos_reaching_out", args=[note.pk]) in page
    assert reverse("nudges:sos_kind_words", args=[note.pk]) in page


def test_the_members_sos_page_is_constant_query(client, sam, make_user):
    def count(alert) -> int:
        client.force_login(sam)
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("nudges:sos_status", args=[alert.pk]))
        return len(ctx.captured_queries)

    first = make_user(display_name="First")
    Tie.objects.create(member=sam, supporter=first, role=Role.FRIEND, is_sos_contact=True)
    one = count(_ask(client, sam))
    SosAlert.objects.all().delete()
    for i in range(3):
        other = make_user(display_name=f"Other {i}")
        Tie.objects.create(member=sam, supporter=other, role=Role.FRIEND, is_sos_contact=True)
    assert count(_ask(client, sam)) == one


def test_the_members_export_lists_their_sos_requests(client, sam, maria, sos_tie):
    from accounts.services import export_user_data

    _ask(client, sam, "Call me tonight")
    exported = export_user_data(sam)["nudges"]["sos_requests"]
    assert [r["message"] for r in exported] == ["Call me tonight"]
    assert export_user_data(maria)["nudges"]["sos_requests"] == []
