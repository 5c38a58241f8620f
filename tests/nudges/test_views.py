"""Inbox, one-tap links, unsubscribe, SOS, preferences, PWA files: who may see what."""

from __future__ import annotations

import datetime
import json
from http import HTTPStatus
from unittest import mock

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from checkins.models import CheckIn
from network.consents import consent_sign_part2
from network.models import Contact, DisclosureEvent, Role, Tie
from notifications.models import Kind, Mute, Notification, PushSubscription
from notifications.tokens import action_token, unsubscribe_token
from nudges.models import NudgePreference, SosAlert
from nudges.services import notify
from tests.factories import TherapistFactory

pytestmark = pytest.mark.usefixtures("no_default_quiet_hours")


def _note(user, key="k", kind=Kind.ISOLATION_PROMPT, **extra) -> Notification:
    return notify(
        recipient=user, kind=kind, title="Hello", body="A kind word", idempotency_key=key, **extra
    )[0]


@pytest.fixture
def other(make_user):
    return make_user("other@example.org", display_name="Other")


def test_the_inbox_needs_a_login_and_shows_only_mine(client, member, other):
    mine = _note(member, "a")
    theirs = _note(other, "b")
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == HTTPStatus.FOUND
    client.force_login(member)
    response = client.get(reverse("notifications:inbox"))
    assert response.status_code == HTTPStatus.OK
    assert str(mine.pk) in response.content.decode()
    assert str(theirs.pk) not in response.content.decode()


def test_inbox_queries_stay_constant(client, member, django_assert_max_num_queries):
    client.force_login(member)
    for i in range(3):
        _note(member, f"a{i}")
    with django_assert_max_num_queries(8):
        client.get(reverse("notifications:inbox"))
    for i in range(30):
        _note(member, f"b{i}")
    with django_assert_max_num_queries(8):
        assert client.get(reverse("notifications:inbox")).status_code == HTTPStatus.OK


def test_the_inbox_shows_a_page_at_a_time_and_costs_the_same_with_ten_times_more(
    client, member, django_assert_max_num_queries
):
    """A page of the inbox is one bounded query: 30 messages kept or 300, the same page."""
    import re

    from notifications.views import INBOX_SIZE

    client.force_login(member)
    for i in range(30):
        _note(member, f"p{i}")
    with django_assert_max_num_queries(8) as few:
        page = client.get(reverse("notifications:inbox")).content.decode()
    baseline = len(few)  # now: the log restarts with the next request
    assert page.count('class="inbox-item') == INBOX_SIZE
    older = re.search(r'href="\?older=([^"]+)"', page)[1]
    rest = client.get(reverse("notifications:inbox") + "?older=" + older).content.decode()
    assert rest.count('class="inbox-item') == 30 - INBOX_SIZE
    assert "?older=" not in rest
    shown = set(re.findall(r'href="/nudges/([0-9a-f-]{36})/"', page + rest))
    assert shown == {str(pk) for pk in Notification.objects.values_list("pk", flat=True)}
    for i in range(270):
        _note(member, f"q{i}")
    with django_assert_max_num_queries(baseline):
        page = client.get(reverse("notifications:inbox")).content.decode()
    assert page.count('class="inbox-item') == INBOX_SIZE
    for bad in ("garbage", "2026-01-01T00:00:00_nope", "2026-01-01T00:00:00_" + "0" * 32):
        response = client.get(reverse("notifications:inbox") + "?older=" + bad)
        assert response.status_code == HTTPStatus.OK


def test_the_inbox_escapes_what_it_shows_and_answers_with_forms(client, member):
    note = notify(
        recipient=member,
        kind=Kind.ISOLATION_PROMPT,
        title="<script>alert(1)</script>",
        body='Say "hi" & <b>wave</b>',
        idempotency_key="x",
        data={"name": "<i>Ann</i>", "phone": "555-0100"},
    )[0]
    client.force_login(member)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)" in page
    assert "<b>wave</b>" not in page
    assert "&quot;hi&quot; &amp; &lt;b&gt;" in page
    assert "Call &lt;i&gt;Ann&lt;/i&gt;" in page
    assert 'href="tel:555-0100"' in page
    assert f'action="{reverse("notifications:respond", args=[note.pk, "reached_out"])}"' in page
    assert f'action="{reverse("notifications:mark_read", args=[note.pk])}"' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 4  # mark all, 2 answers, mark read


def test_another_persons_notification_is_404_everywhere(client, member, other):
    theirs = _note(other)
    client.force_login(member)
    assert client.get(reverse("notifications:detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read", args=[theirs.pk])).status_code == 404
    url = reverse("notifications:respond", args=[theirs.pk, "reached_out"])
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert theirs.response == ""


def test_unread_count_for_the_header(client, member):
    client.force_login(member)
    note = _note(member)
    response = client.get(reverse("notifications:unread_count"), HTTP_HX_REQUEST="true")
    assert ">1<" in response.content.decode()
    response = client.post(
        reverse("notifications:mark_read", args=[note.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert client.get(reverse("notifications:unread_count")).content.decode().strip() == ""
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert 'hx-get="/nudges/unread/"' in page


def test_responding_in_the_inbox_logs_a_contact(client, member):
    client.force_login(member)
    note = _note(member)
    response = client.post(reverse("notifications:respond", args=[note.pk, "reached_out"]))
    assert response.status_code == HTTPStatus.FOUND
    assert Contact.objects.filter(member=member, source="nudge").count() == 1
    assert (
        client.post(reverse("notifications:respond", args=[note.pk, "explode"])).status_code == 404
    )


def test_kind_words_show_on_the_detail_page_to_the_recipient_only(client, member, other):
    note = _note(
        member,
        kind=Kind.ENCOURAGEMENT,
        data={"message": "Proud of you, truly.", "from": "Other"},
    )
    assert "Proud of you" not in note.title + note.body
    client.force_login(member)
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "Proud of you" not in inbox  # the list stays as discreet as the lock screen
    page = client.get(reverse("notifications:detail", args=[note.pk])).content.decode()
    assert "Proud of you, truly." in page
    client.force_login(other)
    assert client.get(reverse("notifications:detail", args=[note.pk])).status_code == 404


def test_a_signed_link_acts_once_without_a_login(client, member):
    note = _note(member)
    url = reverse("notifications:act", args=[action_token(note.pk, "snooze")])
    page = client.get(url)
    assert page.status_code == HTTPStatus.OK
    assert not NudgePreference.objects.filter(member=member).exists()  # GET changes nothing
    done = client.post(url)
    assert done.status_code == HTTPStatus.OK
    assert "a day" in done.content.decode()
    assert NudgePreference.objects.get(member=member).snoozed_until is not None
    stop = reverse("notifications:act", args=[action_token(note.pk, "stop")])
    client.post(stop)
    assert Mute.objects.filter(user=member, kind=Kind.ISOLATION_PROMPT, channel="all").exists()


def test_bad_or_expired_links_get_a_friendly_page(client, member):
    note = _note(member)
    token = action_token(note.pk, "reached_out")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(reverse("notifications:act", args=[tampered]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This link isn" in response.content.decode()
    with mock.patch(
        "notifications.views.read_action_token", side_effect=signing.SignatureExpired()
    ):
        response = client.post(reverse("notifications:act", args=[token]))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "expired" in response.content.decode()
    assert not Contact.objects.exists()


def test_one_click_unsubscribe_needs_no_session_or_csrf(member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    url = reverse(
        "notifications:unsubscribe", args=[unsubscribe_token(member.pk, Kind.CHECKIN_REMINDER)]
    )
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == HTTPStatus.OK
    assert Mute.objects.filter(user=member, kind=Kind.CHECKIN_REMINDER, channel="email").exists()
    forged = reverse("notifications:unsubscribe", args=[f"{member.pk}:sos:forged"])
    assert client.post(forged).status_code == HTTPStatus.BAD_REQUEST


def _hard_checkin(user, **fields):
    values = {"mood": 1, "craving": 9, "connectedness": 1} | fields
    return CheckIn.objects.create(member=user, local_date=user.local_now().date(), **values)


def test_sos_authorization(client, member, other, make_user):
    maria = make_user("maria@example.org", display_name="Maria")
    Tie.objects.create(member=member, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
    mine, theirs = _hard_checkin(member), _hard_checkin(other)
    url = reverse("nudges:sos")
    assert client.post(url, {"checkin": mine.pk}).status_code == HTTPStatus.FOUND  # to login
    assert not Notification.objects.exists()
    client.force_login(other)
    assert client.post(url, {"checkin": mine.pk}).status_code == 404
    assert client.post(url, {"checkin": "nope"}).status_code == 404
    assert client.get(url).status_code == HTTPStatus.OK  # the "I need support" form
    assert not Notification.objects.exists()
    assert theirs.pk


def test_sos_alerts_contacts_and_shows_the_crisis_line(client, member, make_user):
    maria = make_user("maria@example.org", display_name="Maria")
    Tie.objects.create(member=member, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
    client.force_login(member)
    response = client.post(reverse("nudges:sos"), {"checkin": _hard_checkin(member).pk})
    sos = SosAlert.objects.get(member=member)
    assert response.url == reverse("nudges:sos_status", args=[sos.pk])
    alert = Notification.objects.get(kind=Kind.SOS)
    assert alert.recipient == maria
    page = client.get(response.url).content.decode()
    assert "Maria" in page
    assert "988" in page
    assert "1-800-662-4357" in page
    assert "not monitoring Rat Park around the clock" in page


def test_sos_marks_the_checkins_risk_event_handled(client, member, make_user):
    from checkins.models import RiskEvent
    from checkins.services import checkin_record

    client.force_login(member)
    values = {"mood": 1, "craving": 9, "used": False, "connectedness": 1}
    today = member.local_now().date()
    checkin = checkin_record(member=member, local_date=today, values=values).checkin
    # No SOS contact yet: nobody was told, so the event stays open.
    client.post(reverse("nudges:sos"), {"checkin": checkin.pk})
    assert RiskEvent.objects.get(checkin=checkin).handled_at is None
    maria = make_user(display_name="Maria")
    Tie.objects.create(member=member, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
    client.post(reverse("nudges:sos"), {"checkin": checkin.pk})
    assert RiskEvent.objects.get(checkin=checkin).handled_at is not None
    assert Notification.objects.filter(kind=Kind.SOS, recipient=maria).count() == 1


def test_sos_from_an_ordinary_checkin_points_to_crisis_lines(client, member, make_user):
    maria = make_user()
    Tie.objects.create(member=member, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
    client.force_login(member)
    calm = _hard_checkin(member, mood=4, craving=1, connectedness=4)
    response = client.post(reverse("nudges:sos"), {"checkin": calm.pk})
    assert response.url == reverse("crisis")
    assert not Notification.objects.exists()


def test_sos_words_only_for_current_sos_contacts(client, member, make_user):
    maria = make_user(display_name="Maria")
    tie = Tie.objects.create(member=member, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
    NudgePreference.objects.create(member=member, sos_message="Please call me.")
    client.force_login(member)
    client.post(reverse("nudges:sos"), {"checkin": _hard_checkin(member).pk})
    alert = Notification.objects.get(kind=Kind.SOS)
    client.force_login(maria)
    assert (
        "Please call me."
        in client.get(reverse("notifications:detail", args=[alert.pk])).content.decode()
    )
    tie.is_sos_contact = False
    tie.save()
    page = client.get(reverse("notifications:detail", args=[alert.pk])).content.decode()
    assert "Please call me." not in page


def test_supporter_nudge_details_respect_scopes(client, member, make_user):
    with_consent = make_user(display_name="Maria")
    without = make_user(display_name="Jo")
    Tie.objects.create(member=member, supporter=with_consent, role=Role.SPONSOR)
    Tie.objects.create(
        member=member, supporter=without, role=Role.FRIEND, share_checkin_status=False
    )
    notes = {
        s: _note(s, f"n{s.pk}", kind=Kind.SUPPORTER_NUDGE, subject_member=member)
        for s in (with_consent, without)
    }
    client.force_login(with_consent)
    page = client.get(
        reverse("notifications:detail", args=[notes[with_consent].pk])
    ).content.decode()
    assert "Checked in today" in page
    client.force_login(without)
    page = client.get(reverse("notifications:detail", args=[notes[without].pk])).content.decode()
    assert "Checked in today" not in page


def test_therapist_digest_shows_only_consenting_caseload(client, make_user):
    therapist = TherapistFactory(display_name="Dr K")
    sharing = make_user(display_name="Alex")
    private = make_user(display_name="Blair")
    consent_sign_part2(
        tie=Tie.objects.create(member=sharing, supporter=therapist, role=Role.THERAPIST),
        scopes=["checkin_status"],
        purpose="Treatment",
        signature_name="Alex",
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    # A therapist tie without a signed consent shares nothing.
    Tie.objects.create(member=private, supporter=therapist, role=Role.THERAPIST)
    note = _note(therapist, kind=Kind.THERAPIST_DIGEST)
    client.force_login(therapist)
    page = client.get(reverse("notifications:detail", args=[note.pk])).content.decode()
    assert "Alex" in page
    assert "Blair" not in page


def test_therapist_digest_risk_signals_follow_the_checkins_within_scopes(client, make_user):
    therapist = TherapistFactory(display_name="Dr K")
    alex = make_user(display_name="Alex")
    consent_sign_part2(
        tie=Tie.objects.create(member=alex, supporter=therapist, role=Role.THERAPIST),
        scopes=["checkin_status", "mood_craving"],
        purpose="Treatment",
        signature_name="Alex",
        expires_at=timezone.now() + datetime.timedelta(days=30),
    )
    today = timezone.now().date()
    for days_ago, values in enumerate(
        [
            {"mood": 1, "craving": 2, "used": False},
            {"mood": 3, "craving": 9, "used": False},
            {"mood": 4, "craving": 1, "used": True},
            {"mood": 4, "craving": 1, "used": False},
        ]
    ):
        CheckIn.objects.create(
            member=alex,
            local_date=today - datetime.timedelta(days=days_ago),
            connectedness=3,
            **values,
        )
    from nudges.services import caseload_summary

    (row,) = caseload_summary(therapist)
    assert row == {"name": "Alex", "checkins": 4, "hard_days": 2}  # use isn't shared
    logged = DisclosureEvent.objects.filter(member_ref=alex.pk, viewer_ref=therapist.pk)
    assert sorted(logged.values_list("scope", flat=True)) == ["checkin_status", "mood_craving"]
    assert all(e.consent_id for e in logged)


@pytest.mark.parametrize("size", [2, 8])
def test_the_digest_reads_the_caseload_in_a_fixed_few_queries(
    make_user, size, django_assert_max_num_queries
):
    from nudges.services import caseload_summary

    therapist = TherapistFactory(display_name="Dr K")
    for i in range(size):
        member = make_user(display_name=f"Member {i}")
        consent_sign_part2(
            tie=Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST),
            scopes=["checkin_status", "mood_craving", "use", "contacts"],
            purpose="Treatment",
            signature_name=f"Member {i}",
            expires_at=timezone.now() + datetime.timedelta(days=30),
        )
    # Five reads for the caseload (one is the therapist's second factor, read once), then one
    # access-log append (five queries with its savepoint) per member shown: the accounting of
    # disclosures is per member.
    with django_assert_max_num_queries(5 + 5 * size):
        assert len(caseload_summary(therapist)) == size


def test_preferences_form_rejects_bad_input_and_saves_good(client, member):
    client.force_login(member)
    assert client.get(reverse("nudges:preferences")).status_code == HTTPStatus.OK
    data = {
        "isolation_enabled": "on",
        "isolation_days": "0",
        "prompt_time": "12:00",
        "supporter_nudges_enabled": "on",
        "missed_checkin_days": "3",
        "no_contact_days": "4",
        "sos_message": "Call me",
        "digest_weekday": "0",
        "digest_hour": "9",
    }
    response = client.post(reverse("nudges:preferences"), data)
    assert response.status_code == HTTPStatus.OK
    assert "isolation_days" in response.context["form"].errors
    assert not NudgePreference.objects.exists()
    data["isolation_days"] = "3"
    assert client.post(reverse("nudges:preferences"), data).status_code == HTTPStatus.FOUND
    assert NudgePreference.objects.get(member=member).isolation_days == 3


def test_push_subscription_endpoint(client, member, other):
    from accounts.models import ContactPreferences
    from checkins.models import ReminderPreference

    ContactPreferences.objects.create(user=member, channel_push=False)
    client.force_login(member)
    url = reverse("notifications:push_subscribe")
    bad = client.post(url, "not json", content_type="application/json")
    assert bad.status_code == HTTPStatus.BAD_REQUEST
    body = {"endpoint": "https://push.example/abc", "keys": {"p256dh": "k", "auth": "a"}}
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 201
    assert PushSubscription.objects.get().user == member
    assert ContactPreferences.objects.get(user=member).channel_push
    # Someone without saved reminder choices gets none made for them (no check-in reminders).
    client.force_login(other)
    body["endpoint"] = "https://push.example/other"
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 201
    assert not ReminderPreference.objects.filter(member=other).exists()
    assert not ContactPreferences.objects.filter(user=other).exists()


def test_pwa_manifest_and_service_worker_from_our_origin(client):
    manifest = client.get(reverse("nudges:manifest"))
    assert manifest["Content-Type"] == "application/manifest+json"
    data = manifest.json()
    assert data["display"] == "standalone"
    assert {"192x192", "512x512"} <= {i["sizes"] for i in data["icons"]}
    worker = client.get(reverse("nudges:service_worker"))
    assert worker["Service-Worker-Allowed"] == "/"
    assert b'addEventListener("push"' in worker.content


def test_export_includes_notifications(member):
    from nudges.exports import export_user_data

    _note(member)
    NudgePreference.objects.create(member=member, isolation_days=4)
    Mute.objects.create(user=member, kind=Kind.SUPPORTER_NUDGE)
    data = json.loads(json.dumps(export_user_data(member)))
    assert [n["title"] for n in data["notifications"]] == ["Hello"]
    assert {d["channel"] for d in data["notifications"][0]["deliveries"]} == {"inapp", "email"}
    assert data["nudge_preferences"]["isolation_days"] == 4
    assert data["nudge_preferences"]["prompt_time"] == "12:00:00"
    assert data["muted"] == [{"kind": "supporter_nudge", "channel": "all"}]


def test_admin_shows_dwell_percentiles_and_failed_notifications(client, make_user, member):
    from django.utils import timezone

    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    now = timezone.now()
    for i, seconds in enumerate([10, 20, 30, 40, 400]):
        note = _note(member, f"d{i}")
        Notification.objects.filter(pk=note.pk).update(
            due_at=now - datetime.timedelta(seconds=seconds), delivered_at=now, status="delivered"
        )
    failed = _note(member, "f")
    Notification.objects.filter(pk=failed.pk).update(status="failed")
    client.force_login(staff)
    page = client.get(reverse("admin:notifications_notification_changelist")).content.decode()
    assert "p50 30.0 s" in page
    assert "over 5" in page
    failed_page = client.get(
        reverse("admin:notifications_notification_changelist") + "?status=failed"
    )
    assert str(failed.pk) in failed_page.content.decode()


def test_notifications_from_other_apps_link_to_their_page(client, member):
    note = _note(member, kind=Kind.ENCOURAGEMENT, action_url="/network/encouragements/")
    client.force_login(member)
    page = client.get(reverse("notifications:detail", args=[note.pk])).content.decode()
    assert 'href="/network/encouragements/"' in page


def test_pages_have_one_h1_and_no_inline_code(client, member):
    import re

    note = _note(member)
    alert = SosAlert.objects.create(member=member, message="Call me")
    client.force_login(member)
    for url in [
        reverse("notifications:inbox"),
        reverse("notifications:detail", args=[note.pk]),
        reverse("nudges:preferences"),
        reverse("nudges:sos"),
        reverse("nudges:sos_status", args=[alert.pk]),
        reverse("notifications:act", args=[action_token(note.pk, "snooze")]),
    ]:
        html = client.get(url).content.decode()
        assert html.count("<h1") == 1, url
        assert " style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url


def test_a_stopped_kind_can_be_turned_back_on_only_by_its_owner(client, member, other):
    mute = Mute.objects.create(user=member, kind=Kind.CHECKIN_REMINDER)
    client.force_login(other)
    assert (
        client.post(reverse("notifications:unmute", args=[mute.kind, mute.channel])).status_code
        == 404
    )
    client.force_login(member)
    page = client.get(reverse("nudges:preferences")).content.decode()
    assert "Turn check-in reminder back on" in page
    assert (
        client.post(reverse("notifications:unmute", args=[mute.kind, mute.channel])).status_code
        == HTTPStatus.FOUND
    )
    assert not Mute.objects.exists()
