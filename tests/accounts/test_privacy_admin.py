"""The admin gives operators what support needs and nothing more: no health content, no
secrets, no way around a member's consent, no vouching for oneself."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from accounts.models import TherapistProfile
from checkins.models import CheckIn, RiskEvent, SobrietyPeriod
from network.consents import consent_record_sharing
from network.invitations import invitation_create
from network.models import Contact, ContactMethod, Invitation, Role, Scope, Tie, TieStatus
from notifications.models import Kind, Mute
from nudges.models import NudgePreference
from nudges.services import notify

pytestmark = pytest.mark.django_db

TOTP_SECRET = "JBSWY3DPEHPK3PXPZX7Q"
RECOVERY_SEED = "5f0c1e2d3b4a69788796a5b4c3d2e1f0"


@pytest.fixture
def staff(make_user, client):
    user = make_user("ops@example.org", display_name="Operator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _url(model, view: str, *args) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def _html(response) -> str:
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


# --- 1a: a tie's sharing is consent, changed only by the member -----------------------------


def test_staff_cannot_change_a_ties_sharing_or_people(client, staff, member, make_user):
    friend = make_user(display_name="Friend")
    tie = Tie.objects.create(member=member, supporter=friend, role=Role.FRIEND)
    consent_record_sharing(
        tie=tie, scopes=[Scope.CHECKIN_STATUS], may_nudge=False, is_sos_contact=False
    )
    other = make_user()
    change = _url(Tie, "change", tie.pk)

    page = _html(client.get(change))
    for field in ("share_notes", "share_use", "may_nudge", "is_sos_contact", "supporter"):
        assert f'name="{field}"' not in page, field

    response = client.post(
        change,
        {
            "member": member.pk,
            "supporter": other.pk,
            "role": Role.FRIEND,
            "status": TieStatus.ACTIVE,
            "share_notes": "on",
            "share_use": "on",
            "share_mood_craving": "on",
            "may_nudge": "on",
            "is_sos_contact": "on",
        },
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    tie.refresh_from_db()
    assert tie.supporter == friend
    assert tie.scopes == {Scope.CHECKIN_STATUS}
    assert not (tie.may_nudge)
    assert not (tie.is_sos_contact)
    assert client.get(_url(Tie, "add")).status_code == HTTPStatus.FORBIDDEN
    delete = client.post(_url(Tie, "delete", tie.pk), {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert Tie.objects.filter(pk=tie.pk).exists()


def test_an_ended_tie_cannot_be_reopened_in_the_admin(client, staff, member, make_user):
    tie = Tie.objects.create(
        member=member,
        supporter=make_user(),
        role=Role.FRIEND,
        status=TieStatus.ENDED,
        share_notes=True,
    )
    response = client.post(_url(Tie, "change", tie.pk), {"status": TieStatus.ACTIVE})
    assert response.status_code == HTTPStatus.FORBIDDEN
    tie.refresh_from_db()
    assert tie.status == TieStatus.ENDED


# --- 1b: check-ins, risk events, contacts, sobriety -------------------------------------------


@pytest.fixture
def hard_day(member):
    checkin = CheckIn.objects.create(
        member=member,
        local_date=datetime.date(2026, 11, 20),
        mood=1,
        craving=9,
        used=True,
        connectedness=1,
        sleep_quality=2,
        notes="NOTE-PRIVATE",
        gratitude="GRATITUDE-PRIVATE",
    )
    RiskEvent.objects.create(
        member=member,
        checkin=checkin,
        local_date=checkin.local_date,
        used=True,
        high_craving=True,
        low_mood=True,
    )
    SobrietyPeriod.objects.create(member=member, started_on=datetime.date(2026, 11, 21))
    return checkin


HEALTH_WORDS = ("Really struggling", "Very alone", "PRIVATE", "craving", "mood", "sleep")


def test_the_checkin_admin_shows_only_metadata(client, staff, hard_day):
    pages = [
        _html(client.get(_url(CheckIn, "changelist"))),
        _html(client.get(_url(CheckIn, "change", hard_day.pk))),
    ]
    for page in pages:
        assert "sam@example.org" in page or "Sam" in page
        for word in HEALTH_WORDS:
            assert word.lower() not in page.lower(), word
        assert 'name="used"' not in page
        assert "connectedness" not in page.lower()
    assert "20 November 2026" in pages[1] or "Nov. 20, 2026" in pages[1]


def test_the_checkin_admin_cannot_change_add_or_delete(client, staff, hard_day):
    response = client.post(
        _url(CheckIn, "change", hard_day.pk),
        {"mood": 5, "craving": 0, "used": "", "connectedness": 5, "local_date": "2026-11-21"},
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    hard_day.refresh_from_db()
    assert (hard_day.mood, hard_day.craving, hard_day.used) == (1, 9, True)
    assert hard_day.local_date == datetime.date(2026, 11, 20)
    assert client.get(_url(CheckIn, "add")).status_code == HTTPStatus.FORBIDDEN
    delete = client.post(_url(CheckIn, "delete", hard_day.pk), {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert CheckIn.objects.filter(pk=hard_day.pk).exists()


def test_risk_events_and_sobriety_dates_are_not_in_the_admin(client, staff, hard_day):
    for model in (RiskEvent, SobrietyPeriod):
        assert not admin.site.is_registered(model)
        with pytest.raises(NoReverseMatch):
            _url(model, "changelist")
        path = f"/admin/checkins/{model._meta.model_name}/"
        assert client.get(path).status_code == HTTPStatus.NOT_FOUND
    index = _html(client.get("/admin/checkins/"))
    assert "Risk" not in index
    assert "Sobriety" not in index
    assert "2026-11-21" not in index
    assert "21 November" not in index


def test_contacts_are_listed_by_metadata_only_and_never_changed(client, staff, member):
    tie = Tie.objects.create(member=member, offline_name="ZED-SPONSOR", role=Role.SPONSOR)
    contact = Contact.objects.create(
        member=member,
        tie=tie,
        method=ContactMethod.IN_PERSON,
        local_date=datetime.date(2026, 11, 20),
        helped=5,
        duration_minutes=47,
    )
    page = _html(client.get(_url(Contact, "changelist")))
    assert "Sam" in page
    for word in ("In person", "ZED-SPONSOR", "help"):
        assert word not in page, word
    assert client.get(_url(Contact, "change", contact.pk)).status_code == HTTPStatus.FORBIDDEN
    response = client.post(_url(Contact, "change", contact.pk), {"method": "call", "helped": 1})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get(_url(Contact, "add")).status_code == HTTPStatus.FORBIDDEN
    delete = client.post(_url(Contact, "delete", contact.pk), {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    contact.refresh_from_db()
    assert (contact.method, contact.helped) == (ContactMethod.IN_PERSON, 5)


# --- 1c: the words in an invitation are the member's ------------------------------------------


def test_the_invitation_admin_hides_the_personal_message(client, staff, member):
    invitation_create(
        member=member,
        email="x@example.org",
        name="X",
        role="peer",
        message="MESSAGE-PRIVATE I trust you",
    )
    invitation = Invitation.objects.get()
    for page in (
        _html(client.get(_url(Invitation, "changelist"))),
        _html(client.get(_url(Invitation, "change", invitation.pk))),
    ):
        assert "MESSAGE-PRIVATE" not in page
        assert "x@example.org" in page
    response = client.post(_url(Invitation, "change", invitation.pk), {"status": "cancelled"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    invitation.refresh_from_db()
    assert invitation.status == "pending"


# --- 1d: second factors -------------------------------------------------------------------


def _second_factors(user) -> tuple[Authenticator, Authenticator]:
    totp = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": TOTP_SECRET}
    )
    codes = Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.RECOVERY_CODES,
        data={"seed": RECOVERY_SEED, "used_mask": 0},
    )
    return totp, codes


def test_staff_never_see_a_second_factors_secret(client, staff, member):
    totp, codes = _second_factors(member)
    pages = [_html(client.get(_url(Authenticator, "changelist")))]
    pages += [_html(client.get(_url(Authenticator, "change", a.pk))) for a in (totp, codes)]
    for page in pages:
        assert TOTP_SECRET not in page
        assert RECOVERY_SEED not in page
        assert 'name="data"' not in page
    assert "TOTP Authenticator" in pages[0]
    response = client.post(_url(Authenticator, "change", totp.pk), {"data": "{}"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get(_url(Authenticator, "add")).status_code == HTTPStatus.FORBIDDEN
    totp.refresh_from_db()
    assert totp.data == {"secret": TOTP_SECRET}


def test_staff_can_remove_a_lost_authenticator(client, staff, member, make_user):
    totp, _codes = _second_factors(member)
    other = make_user()
    other_totp, other_codes = _second_factors(other)
    response = client.post(_url(Authenticator, "delete", totp.pk), {"post": "yes"})
    assert response.status_code == HTTPStatus.FOUND
    # Recovery codes alone are no second factor: they go with the last real one.
    assert not Authenticator.objects.filter(user=member).exists()
    assert set(Authenticator.objects.filter(user=other)) == {other_totp, other_codes}


def test_removing_authenticators_in_bulk_drops_dangling_recovery_codes(client, staff, member):
    totp, _codes = _second_factors(member)
    response = client.post(
        _url(Authenticator, "changelist"),
        {"action": "delete_selected", "_selected_action": [totp.pk], "post": "yes"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not Authenticator.objects.filter(user=member).exists()


# --- 1e: nobody verifies their own credential ------------------------------------------------


def test_staff_cannot_verify_their_own_therapist_profile(client, staff, member):
    own = TherapistProfile.objects.create(user=staff, credential="LCSW OWN")
    theirs = TherapistProfile.objects.create(user=member, credential="LCSW THEIRS")
    response = client.post(
        _url(TherapistProfile, "changelist"),
        {"action": "verify", "_selected_action": [own.pk, theirs.pk]},
        follow=True,
    )
    own.refresh_from_db()
    theirs.refresh_from_db()
    assert own.verified_at is None
    assert own.verified_by is None
    assert theirs.verified_at is not None
    assert theirs.verified_by == staff
    shown = [str(m) for m in response.context["messages"]]
    assert any("Your own profile was skipped" in m for m in shown), shown
    assert "1 credential(s) verified." in shown


def test_verifying_only_ones_own_profile_verifies_nothing(client, staff):
    own = TherapistProfile.objects.create(user=staff, credential="LCSW OWN")
    client.post(
        _url(TherapistProfile, "changelist"), {"action": "verify", "_selected_action": [own.pk]}
    )
    own.refresh_from_db()
    assert own.verified_at is None
    assert not staff.__class__.objects.get(pk=staff.pk).is_verified_therapist


# --- Notifications: delivery state, not whom an alert is about -------------------------------


def test_the_notification_admin_does_not_say_whom_an_sos_is_about(client, staff, make_user):
    asker = make_user(display_name="Zebulon")
    helper = make_user(display_name="Helper")
    note, _ = notify(
        recipient=helper,
        kind=Kind.SOS,
        title="Zebulon asked for support",
        body="Zebulon would like you to reach out.",
        idempotency_key=f"sos:{helper.pk}:IDEMPOTENCY-PRIVATE",
        subject_member=asker,
        data={"words": "WORDS-PRIVATE"},
    )
    for page in (
        _html(client.get(_url(note.__class__, "changelist"))),
        _html(client.get(_url(note.__class__, "change", note.pk))),
    ):
        for secret in ("Zebulon", "WORDS-PRIVATE", "IDEMPOTENCY-PRIVATE"):
            assert secret not in page, secret


def test_members_nudge_choices_and_mutes_are_read_only(client, staff, member):
    pref = NudgePreference.objects.create(member=member, supporter_nudges_enabled=False)
    mute = Mute.objects.create(user=member, kind=Kind.SUPPORTER_NUDGE, channel="all")
    response = client.post(
        _url(NudgePreference, "change", pref.pk), {"supporter_nudges_enabled": "on"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    pref.refresh_from_db()
    assert pref.supporter_nudges_enabled is False
    delete = client.post(_url(Mute, "delete", mute.pk), {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert Mute.objects.filter(pk=mute.pk).exists()


def test_a_verified_profile_cannot_be_moved_to_the_acting_staff_member(client, staff, member):
    from django.utils import timezone

    theirs = TherapistProfile.objects.create(
        user=member, credential="LCSW THEIRS", verified_at=timezone.now()
    )
    response = client.post(
        _url(TherapistProfile, "change", theirs.pk),
        {"user": staff.pk, "credential": "LCSW THEIRS", "organisation": ""},
    )
    assert response.status_code == HTTPStatus.FOUND
    theirs.refresh_from_db()
    assert theirs.user == member
    assert not TherapistProfile.objects.filter(user=staff).exists()


def test_staff_cannot_edit_the_credential_someone_else_verified_for_them(client, staff, make_user):
    from django.utils import timezone

    own = TherapistProfile.objects.create(
        user=staff, credential="LCSW 1", verified_at=timezone.now(), verified_by=make_user()
    )
    response = client.post(
        _url(TherapistProfile, "change", own.pk),
        {"user": staff.pk, "credential": "MD anything", "organisation": "Elsewhere"},
    )
    assert response.status_code == HTTPStatus.FOUND
    own.refresh_from_db()
    assert (own.credential, own.organisation) == ("LCSW 1", "")


def test_the_consent_admin_hides_the_members_own_words(client, staff, member, make_user):
    from network.consents import consent_revoke, consent_sign_part2

    tie = Tie.objects.create(member=member, supporter=make_user(), role=Role.THERAPIST)
    consent = consent_sign_part2(
        tie=tie,
        scopes=[Scope.MOOD_CRAVING],
        purpose="PURPOSE-PRIVATE alcohol treatment",
        signature_name="Sam",
        expires_at=None,
        expiry_event="End of treatment",
    )
    consent_revoke(consent=consent, reason="REASON-PRIVATE")
    page = _html(client.get(_url(consent.__class__, "change", consent.pk)))
    assert "PURPOSE-PRIVATE" not in page
    assert "REASON-PRIVATE" not in page
    assert "End of treatment" in page
