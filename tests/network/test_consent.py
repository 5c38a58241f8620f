"""Consent: versioned sharing settings, formal therapist consent, revocation and expiry."""

from __future__ import annotations

import html
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from network.consents import CONSENT_TEXT_VERSION, consent_sign_part2, consents_expire
from network.models import Consent, Role, Scope, Tie
from network.services.access import shared_scopes
from network.services.ties import tie_add_offline
from notifications.models import Notification
from tests.factories import TherapistFactory


@pytest.fixture
def therapist(db):
    return TherapistFactory(display_name="Dr Lee")


@pytest.fixture
def therapist_tie(member, therapist):
    return Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)


def _sign(client, tie, **extra):
    data = {
        "scopes": [Scope.MOOD_CRAVING, Scope.CONTACTS],
        "purpose": "Support my treatment",
        "expiry_kind": "date",
        "expires_on": (timezone.localdate() + timedelta(days=200)).isoformat(),
        "understand": "on",
        "signature_name": "Sam Example",
    }
    data.update(extra)
    return client.post(reverse("network:consent_part2", args=[tie.pk]), data)


def test_new_ties_share_the_minimal_defaults(member):
    tie = tie_add_offline(member=member, offline_name="Grandma", role=Role.FAMILY)
    assert tie.scopes == {Scope.CHECKIN_STATUS}
    assert tie.may_nudge
    assert not tie.is_sos_contact
    consent = Consent.objects.get(tie=tie)
    assert consent.scopes == [Scope.CHECKIN_STATUS]
    assert consent.ended_at is None


def test_changing_sharing_keeps_every_version(client, member, make_user):
    friend = make_user(display_name="Ana")
    tie = Tie.objects.create(member=member, supporter=friend, role=Role.FRIEND)
    client.force_login(member)
    url = reverse("network:tie_sharing", args=[tie.pk])
    client.post(url, {"scopes": [Scope.MOOD_CRAVING], "is_sos_contact": "on"})
    client.post(url, {"scopes": [Scope.MOOD_CRAVING, Scope.USE]})
    versions = list(Consent.objects.filter(tie=tie).order_by("signed_at"))
    assert [v.scopes for v in versions] == [["mood_craving"], ["mood_craving", "use"]]
    assert versions[0].end_reason == "superseded"
    assert versions[1].ended_at is None
    assert shared_scopes(friend, member) == {Scope.MOOD_CRAVING, Scope.USE}
    tie.refresh_from_db()
    assert not tie.is_sos_contact
    assert not tie.may_nudge


def test_a_formal_consent_records_every_part2_element(client, member, therapist, therapist_tie):
    client.force_login(member)
    assert shared_scopes(therapist, member) == frozenset()  # nothing before signing
    response = _sign(client, therapist_tie)
    assert response.status_code == HTTPStatus.FOUND
    consent = Consent.objects.get(tie=therapist_tie)
    assert consent.kind == "part2"
    assert consent.member == member
    assert consent.recipient == therapist
    assert consent.recipient_name == "Dr Lee"
    assert consent.scopes == ["contacts", "mood_craving"]
    assert consent.purpose == "Support my treatment"
    assert consent.signature_name == "Sam Example"
    assert consent.text_version == CONSENT_TEXT_VERSION
    assert consent.expires_at.astimezone(member.zone).date() == (
        timezone.localdate() + timedelta(days=200)
    )
    assert shared_scopes(therapist, member) == {Scope.MOOD_CRAVING, Scope.CONTACTS}


def test_an_unsigned_or_incomplete_consent_changes_nothing(client, member, therapist_tie):
    client.force_login(member)
    for bad in [
        {"signature_name": ""},
        {"understand": ""},
        {"expires_on": "2001-01-01"},
        {"expiry_kind": "event", "expiry_event": ""},
        {"scopes": []},
    ]:
        response = _sign(client, therapist_tie, **bad)
        assert response.status_code == HTTPStatus.OK, bad
    assert not Consent.objects.exists()


def test_an_expiry_event_instead_of_a_date(client, member, therapist, therapist_tie):
    client.force_login(member)
    _sign(client, therapist_tie, expiry_kind="event", expiry_event="When my treatment ends")
    consent = Consent.objects.get()
    assert consent.expires_at is None
    assert consent.expiry_event == "When my treatment ends"
    assert shared_scopes(therapist, member)


def test_an_unverified_therapist_sees_nothing_even_with_consent(member, make_user):
    not_verified = make_user()
    tie = Tie.objects.create(member=member, supporter=not_verified, role=Role.THERAPIST)
    consent_sign_part2(
        tie=tie,
        scopes=[Scope.NOTES],
        purpose="x",
        signature_name="Sam",
        expires_at=None,
        expiry_event="end of treatment",
    )
    assert shared_scopes(not_verified, member) == frozenset()


def test_revoking_stops_access_immediately_and_tells_the_recipient_neutrally(
    client, member, therapist, therapist_tie
):
    client.force_login(member)
    _sign(client, therapist_tie)
    consent = Consent.objects.get()
    response = client.post(
        reverse("network:consent_revoke", args=[consent.pk]), {"reason": "Changed therapist"}
    )
    assert response.status_code == HTTPStatus.FOUND
    consent.refresh_from_db()
    assert consent.end_reason == "revoked"
    assert consent.revocation_reason == "Changed therapist"
    assert shared_scopes(therapist, member) == frozenset()
    page = client.get(reverse("network:supporting_member", args=[therapist_tie.pk]))
    assert page.status_code == HTTPStatus.NOT_FOUND  # the member is not the supporter
    client.force_login(therapist)
    page = client.get(reverse("network:supporting_member", args=[therapist_tie.pk]))
    assert "hasn't shared anything" in html.unescape(page.content.decode())
    note = Notification.objects.get(recipient=therapist)
    assert "Support my treatment" not in note.body
    assert "revoked" not in note.body.lower()
    # Revoking twice says so.
    client.force_login(member)
    response = client.post(reverse("network:consent_revoke", args=[consent.pk]), follow=True)
    assert "already ended" in response.content.decode()


def test_expiry_job_ends_due_consents_and_reminds_two_weeks_before(
    member, therapist, therapist_tie, make_user
):
    now = timezone.now()
    consent_sign_part2(
        tie=therapist_tie,
        scopes=[Scope.NOTES],
        purpose="p",
        signature_name="Sam",
        expires_at=now + timedelta(days=1),
    )
    other_therapist = TherapistFactory(profile__verified_at=now)
    soon_tie = Tie.objects.create(member=member, supporter=other_therapist, role=Role.THERAPIST)
    soon = consent_sign_part2(
        tie=soon_tie,
        scopes=[Scope.NOTES],
        purpose="p",
        signature_name="Sam",
        expires_at=now + timedelta(days=20),
    )
    later = now + timedelta(days=10)
    assert consents_expire(now=later) == (1, 1)
    assert consents_expire(now=later) == (0, 0)  # idempotent
    expired = Consent.objects.get(tie=therapist_tie)
    assert expired.end_reason == "expired"
    therapist_tie.refresh_from_db()
    assert therapist_tie.scopes == frozenset()
    assert not therapist_tie.may_nudge
    soon.refresh_from_db()
    assert soon.ended_at is None
    assert soon.reminder_sent_at == later
    titles = sorted(Notification.objects.filter(recipient=member).values_list("title", flat=True))
    assert titles == ["A consent ends soon", "A consent has ended"]


def test_consent_history_page_and_download(client, member, therapist_tie):
    client.force_login(member)
    _sign(client, therapist_tie)
    page = client.get(reverse("network:consent_history"))
    assert "Dr Lee" in page.content.decode()
    assert "Sam Example" in page.content.decode()
    response = client.get(reverse("network:consent_history_csv"))
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "signed_at,recipient" in body
    assert "Support my treatment" in body


def test_ending_a_tie_keeps_its_history_and_ends_its_consent(client, member, make_user):
    friend = make_user()
    tie = Tie.objects.create(member=member, supporter=friend, role=Role.FRIEND)
    client.force_login(member)
    client.post(reverse("network:tie_sharing", args=[tie.pk]), {"scopes": [Scope.NOTES]})
    client.post(reverse("network:tie_status", args=[tie.pk, "end"]))
    tie.refresh_from_db()
    assert tie.status == "ended"
    assert Consent.objects.get(tie=tie).end_reason == "tie_ended"
    assert shared_scopes(friend, member) == frozenset()
    # Ending twice is refused with a message, not an error.
    response = client.post(reverse("network:tie_status", args=[tie.pk, "end"]), follow=True)
    assert "already ended" in response.content.decode()


def test_pausing_hides_everything_until_resumed(client, member, make_user):
    friend = make_user()
    tie = Tie.objects.create(member=member, supporter=friend, role=Role.FRIEND)
    client.force_login(member)
    client.post(reverse("network:tie_status", args=[tie.pk, "pause"]))
    assert shared_scopes(friend, member) == frozenset()
    client.post(reverse("network:tie_status", args=[tie.pk, "resume"]))
    assert shared_scopes(friend, member) == {Scope.CHECKIN_STATUS}


def test_revoking_everyday_sharing_stops_it_at_once(client, member, make_user):
    friend = make_user()
    tie = Tie.objects.create(member=member, supporter=friend, role=Role.FRIEND)
    client.force_login(member)
    client.post(reverse("network:tie_sharing", args=[tie.pk]), {"scopes": [Scope.NOTES]})
    consent = Consent.objects.get(tie=tie, ended_at__isnull=True)
    assert "Revoke now" in client.get(reverse("network:consent_history")).content.decode()
    client.post(reverse("network:consent_revoke", args=[consent.pk]))
    assert shared_scopes(friend, member) == frozenset()
    tie.refresh_from_db()
    assert not tie.may_nudge
    assert not tie.is_sos_contact


def test_a_foreign_consent_cannot_be_revoked(client, member, make_user):
    other = make_user()
    tie = Tie.objects.create(member=other, supporter=make_user(), role=Role.FRIEND)
    client.force_login(other)
    client.post(reverse("network:tie_sharing", args=[tie.pk]), {"scopes": [Scope.NOTES]})
    consent = Consent.objects.get(tie=tie)
    client.force_login(member)
    response = client.post(reverse("network:consent_revoke", args=[consent.pk]))
    assert response.status_code == HTTPStatus.NOT_FOUND
    consent.refresh_from_db()
    assert consent.ended_at is None


def test_signing_again_starts_from_the_consent_in_force(client, make_user):
    from django.urls import reverse
    from django.utils import timezone

    from network.consents import consent_sign_part2
    from network.models import Role, Scope, Tie

    sam = make_user(display_name="Sam")
    dr = TherapistFactory(display_name="Dr K")
    tie = Tie.objects.create(member=sam, supporter=dr, role=Role.THERAPIST)
    consent_sign_part2(
        tie=tie,
        scopes=[Scope.NOTES, Scope.REACH],
        purpose="Between sessions",
        signature_name="Sam Example",
        expires_at=timezone.now() + timezone.timedelta(days=30),
        is_sos_contact=True,
    )
    client.force_login(sam)
    page = client.get(reverse("network:consent_part2", args=[tie.pk])).content.decode()
    import re

    def ticked(value: str) -> bool:
        tag = re.search(rf'<input[^>]*name="scopes"[^>]*value="{value}"[^>]*>', page).group(0)
        return "checked" in tag

    assert ticked("notes")
    assert ticked("reach")
    assert not ticked("use")
    assert not ticked("mood_craving")
    assert 'value="Between sessions"' in page
    assert 'name="is_sos_contact" id="id_is_sos_contact" checked' in page
