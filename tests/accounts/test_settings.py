"""The settings page (profile, links, therapist status) and the therapist application."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import TherapistProfile, User

pytestmark = pytest.mark.django_db

SETTINGS = reverse("account_settings")
APPLY = reverse("therapist_application")


def test_settings_links_to_security_data_and_therapist_pages(client, member):
    client.force_login(member)
    response = client.get(SETTINGS)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    for name in (
        "account_email",
        "account_change_password",
        "mfa_index",
        "mfa_list_webauthn",
        "account_export",
        "account_delete",
        "therapist_application",
    ):
        assert f'href="{reverse(name)}"' in body, name
    assert 'value="Sam"' in body


def test_it_saves_the_profile(client, member):
    client.force_login(member)
    response = client.post(
        SETTINGS, {"display_name": "Sammy", "time_zone": "Europe/Lisbon", "language": "es"}
    )
    assert response.status_code == HTTPStatus.FOUND
    member.refresh_from_db()
    assert (member.display_name, member.time_zone, member.language) == (
        "Sammy",
        "Europe/Lisbon",
        "es",
    )
    # The saved language is used from the next page on.
    response = client.get(SETTINGS)
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in response.content.decode()


def test_an_unknown_time_zone_is_refused_and_nothing_is_lost(client, member):
    client.force_login(member)
    response = client.post(
        SETTINGS, {"display_name": "Sammy", "time_zone": "Europe/Atlantis", "language": "en"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "time_zone" in response.context["form"].errors
    assert 'value="Sammy"' in response.content.decode()
    member.refresh_from_db()
    assert (member.display_name, member.time_zone) == ("Sam", "UTC")


def test_settings_cannot_set_fields_outside_the_profile(client, member):
    client.force_login(member)
    client.post(
        SETTINGS,
        {
            "display_name": "Sam",
            "time_zone": "UTC",
            "language": "en",
            "email": "evil@example.org",
            "is_staff": "on",
        },
    )
    member.refresh_from_db()
    assert member.email == "sam@example.org"
    assert not member.is_staff


def test_settings_page_is_constant_query(client, member, django_assert_max_num_queries):
    client.force_login(member)
    with django_assert_max_num_queries(12):
        assert client.get(SETTINGS).status_code == HTTPStatus.OK


def test_applying_creates_an_unverified_profile_with_no_clinician_power(client, member):
    client.force_login(member)
    assert client.get(APPLY).status_code == HTTPStatus.OK
    response = client.post(APPLY, {"credential": "LCSW 12345 (Oregon)", "organisation": "Clinic"})
    assert response.status_code == HTTPStatus.FOUND
    profile = TherapistProfile.objects.get(user=member)
    assert profile.credential == "LCSW 12345 (Oregon)"
    assert profile.verified_at is None
    assert not User.objects.get(pk=member.pk).is_verified_therapist
    assert "waiting for an administrator" in client.get(SETTINGS).content.decode()


def test_an_empty_credential_is_refused(client, member):
    client.force_login(member)
    response = client.post(APPLY, {"credential": "", "organisation": "Clinic"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["credential"]
    assert not TherapistProfile.objects.exists()


def _admin_action(client, action: str, profile: TherapistProfile):
    return client.post(
        reverse("admin:accounts_therapistprofile_changelist"),
        {"action": action, "_selected_action": [profile.pk]},
    )


def test_staff_verify_and_revoke_in_the_admin(client, member, make_user):
    staff = make_user("staff@example.org", is_staff=True, is_superuser=True)
    profile = TherapistProfile.objects.create(user=member, credential="LCSW 1")
    client.force_login(staff)

    assert _admin_action(client, "verify", profile).status_code == HTTPStatus.FOUND
    member = User.objects.get(pk=member.pk)
    assert member.is_verified_therapist
    assert member.therapist_profile.verified_by == staff

    assert _admin_action(client, "revoke", profile).status_code == HTTPStatus.FOUND
    member = User.objects.get(pk=member.pk)
    assert not member.is_verified_therapist
    assert TherapistProfile.objects.verified().count() == 0


def test_a_revoked_therapist_cannot_reapply_to_regain_power(client, member):
    profile = TherapistProfile.objects.create(user=member, credential="LCSW 1")
    TherapistProfile.objects.filter(pk=profile.pk).update(
        verified_at="2026-01-01T00:00Z", revoked_at="2026-02-01T00:00Z"
    )
    client.force_login(member)
    response = client.post(APPLY, {"credential": "LCSW 2", "organisation": ""})
    assert response.status_code == HTTPStatus.OK
    assert "withdrawn" in response.content.decode()
    profile.refresh_from_db()
    assert profile.credential == "LCSW 1"
    assert profile.revoked_at is not None
    assert not User.objects.get(pk=member.pk).is_verified_therapist


def test_a_verified_therapist_cannot_swap_the_verified_credential(client, member):
    profile = TherapistProfile.objects.create(user=member, credential="LCSW 1")
    TherapistProfile.objects.filter(pk=profile.pk).update(verified_at="2026-01-01T00:00Z")
    client.force_login(member)
    client.post(APPLY, {"credential": "Something else", "organisation": ""})
    profile.refresh_from_db()
    assert profile.credential == "LCSW 1"
    assert User.objects.get(pk=member.pk).is_verified_therapist


def test_a_pending_application_can_be_corrected(client, member):
    TherapistProfile.objects.create(user=member, credential="LCSW 1")
    client.force_login(member)
    client.post(APPLY, {"credential": "LCSW 12", "organisation": "Clinic"})
    profile = TherapistProfile.objects.get(user=member)
    assert (profile.credential, profile.verified_at) == ("LCSW 12", None)
