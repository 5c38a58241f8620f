"""Therapist sessions: MFA before client data, a short idle timeout, and withdrawal ends them."""

from __future__ import annotations

from http import HTTPStatus

from django.urls import reverse
from django.utils import timezone

from clinic.middleware import CLINICAL_SESSION_KEY
from network.models import DisclosureEvent, Role, Scope, Tie
from network.services.access import access_for_tie
from tests.accounts.test_mfa import totp_code
from tests.clinic_support import TOTP_SECRET, enrol_mfa
from tests.factories import PASSWORD, TherapistFactory
from tests.network_cast import _therapist_tie


def test_a_verified_therapists_session_idles_out_after_the_configured_time(
    client, settings, make_user
):
    settings.THERAPIST_IDLE_TIMEOUT_MINUTES = 7
    therapist = enrol_mfa(TherapistFactory(email="dr@example.org"))
    member = make_user()
    response = client.post(
        reverse("account_login"), {"login": "dr@example.org", "password": PASSWORD}
    )
    assert response.url.startswith(reverse("mfa_authenticate"))
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    assert response.status_code == HTTPStatus.FOUND
    client.get(reverse("dashboard"))
    assert client.session.get(CLINICAL_SESSION_KEY)
    assert client.session.get_expiry_age() == 7 * 60
    # An ordinary member keeps the site-wide timeout.
    client.logout()
    client.force_login(member)
    client.get(reverse("dashboard"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    del therapist


def test_withdrawing_verification_ends_the_session_at_once(client, make_user, member):
    therapist = enrol_mfa(TherapistFactory(email="dr@example.org"))
    tie = _therapist_tie(member, therapist, [Scope.MOOD_CRAVING])
    client.force_login(therapist)
    assert client.get(reverse("clinic:client", args=[tie.pk])).status_code == HTTPStatus.OK
    therapist.therapist_profile.revoked_at = timezone.now()
    therapist.therapist_profile.save()
    response = client.get(reverse("dashboard"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_staff_need_a_second_factor_before_the_admin(client, settings, make_user):
    settings.STAFF_ADMIN_REQUIRES_MFA = True
    staff = make_user(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get("/admin/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("clinic:mfa_required")
    enrol_mfa(staff)
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_a_verified_therapist_without_a_second_factor_sees_no_client_data_anywhere(
    client, make_user
):
    """MFA is mandatory before any client data: not only the clinic, but the supporter pages
    and everything the access predicate serves (digest, nudges, SOS)."""
    member = make_user(display_name="Sam")
    therapist = TherapistFactory(display_name="Dr Later", mfa=False)
    tie = _therapist_tie(member, therapist, [Scope.MOOD_CRAVING, Scope.CHECKIN_STATUS])
    assert not Tie.objects.receivable().filter(pk=tie.pk).exists()
    assert access_for_tie(Tie.objects.get(pk=tie.pk), therapist).scopes == frozenset()
    client.force_login(therapist)
    for url in (
        reverse("network:supporting"),
        reverse("network:supporting_member", args=[tie.pk]),
        reverse("network:supporting_export", args=[tie.pk]),
        reverse("checkins:shared", args=[tie.pk]),
        reverse("notifications:inbox"),
        reverse("clinic:caseload"),
        reverse("clinic:client", args=[tie.pk]),
    ):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FOUND, url
        assert response.url == reverse("clinic:mfa_required"), url
    assert not DisclosureEvent.objects.filter(member_ref=member.pk).exists()

    enrol_mfa(therapist)
    assert Tie.objects.receivable().filter(pk=tie.pk).exists()
    therapist = type(therapist).objects.get(pk=therapist.pk)  # a fresh load, as each request
    assert access_for_tie(Tie.objects.get(pk=tie.pk), therapist).scopes == {
        Scope.MOOD_CRAVING,
        Scope.CHECKIN_STATUS,
    }
    response = client.get(reverse("network:supporting_member", args=[tie.pk]))
    assert response.status_code == HTTPStatus.OK
    assert DisclosureEvent.objects.filter(member_ref=member.pk, viewer_ref=therapist.pk).exists()


def test_an_ordinary_supporter_needs_no_second_factor(client, make_user):
    member = make_user(display_name="Sam")
    friend = make_user(display_name="Pat")
    tie = Tie.objects.create(member=member, supporter=friend, role=Role.FRIEND)
    client.force_login(friend)
    response = client.get(reverse("network:supporting_member", args=[tie.pk]))
    assert response.status_code == HTTPStatus.OK
