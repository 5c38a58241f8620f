"""Journey 5: a therapist signs in with TOTP and with a passkey, sees what a member shares
under a formal consent, the member sees it in the access log, revokes, and access ends.

``CLINICAL_PAGES`` lists the pages the therapist opens under the consent; the clinic's caseload,
client history and exports join that list when they land, and every later step (the access
log, the revocation) then covers them too.
"""

from __future__ import annotations

import datetime
import time

import pyotp
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.models import TherapistProfile
from checkins.services import checkin_record
from network.consents import consent_sign_part2
from network.models import Consent, Role, Scope, Tie

from ..conftest import PASSWORD
from .steps import log_in

THERAPIST = "dr.lee@example.org"
CLINICAL_PAGES = [lambda tie: f"/network/supporting/{tie.pk}/"]


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("load")


def confirm_access(page: Page, check) -> None:
    """allauth asks for the password again before security changes; give it when asked."""
    if page.get_by_role("heading", name="Confirm Access").count():
        check(page, "confirm access")
        page.fill("[name=password]", PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_load_state("load")


def enrol_totp(page: Page, check) -> pyotp.TOTP:
    page.goto("/accounts/2fa/totp/activate/")
    confirm_access(page, check)
    check(page, "activate TOTP")
    secret = page.locator("#authenticator_secret").input_value()
    totp = pyotp.TOTP(secret)
    page.fill("[name=code]", totp.now())
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state("load")
    check(page, "after TOTP activation")
    return totp


def fresh_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """A code not used before: the server refuses a code twice, so wait for the next step."""
    while (code := totp.now()) in used:
        time.sleep(1)
    used.add(code)
    return code


def add_virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def enrol_passkey(page: Page, check) -> None:
    page.goto("/accounts/2fa/webauthn/add/")
    confirm_access(page, check)
    check(page, "add a passkey")
    page.fill("[name=name]", "Laptop")
    page.check("[name=passwordless]")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)
    check(page, "after adding a passkey")


def test_therapist_mfa_consent_access_log_and_revocation(live, new_page, check, account):
    robin = account("robin@example.org", "Robin")
    lee = account(THERAPIST, "Dr Lee")
    TherapistProfile.objects.create(user=lee, credential="LCSW 4417", verified_at=timezone.now())
    tie = Tie.objects.create(member=robin, supporter=lee, role=Role.THERAPIST)
    checkin_record(
        member=robin,
        local_date=timezone.localdate(),
        values={"mood": 2, "craving": 7, "used": False, "connectedness": 3},
    )

    therapist = new_page()
    add_virtual_authenticator(therapist)
    log_in(therapist, THERAPIST)
    totp = enrol_totp(therapist, check)
    used = {totp.now()}
    enrol_passkey(therapist, check)
    log_out(therapist)

    # Password, then a TOTP code.
    log_in(therapist, THERAPIST)
    check(therapist, "TOTP code")
    therapist.fill("[name=code]", fresh_code(totp, used))
    therapist.get_by_role("button", name="Sign In").click()
    therapist.wait_for_load_state("load")
    expect(therapist.get_by_role("button", name="Log out")).to_be_visible()
    log_out(therapist)

    # The passkey alone.
    therapist.goto("/accounts/login/")
    therapist.get_by_role("button", name="Sign in with a passkey").click()
    expect(therapist.get_by_role("button", name="Log out")).to_be_visible()

    # Nothing is visible before Robin signs a consent.
    for page_of in CLINICAL_PAGES:
        therapist.goto(page_of(tie))
        expect(therapist.locator("main")).not_to_contain_text("Low (2)")

    consent_sign_part2(
        tie=tie,
        scopes=[Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING],
        purpose="Treatment",
        signature_name="Robin Example",
        expires_at=timezone.now() + datetime.timedelta(days=90),
    )
    for page_of in CLINICAL_PAGES:
        therapist.goto(page_of(tie))
        check(therapist, "therapist sees what Robin shares")
        expect(therapist.locator("main")).to_contain_text("Low (2)")

    member = new_page()
    log_in(member, robin.email)
    member.goto("/network/access-log/")
    check(member, "access log")
    expect(member.locator("table")).to_contain_text("Dr Lee")

    consent = Consent.objects.get(tie=tie, ended_at__isnull=True)
    member.goto("/network/consents/")
    check(member, "consents")
    member.get_by_role("button", name="Revoke now consent for Dr Lee").click()
    member.wait_for_load_state("load")
    consent.refresh_from_db()
    assert consent.ended_at is not None

    for page_of in CLINICAL_PAGES:
        response = therapist.goto(page_of(tie))
        check(therapist, "therapist after revocation")
        main = therapist.locator("main")
        for shared in ("Low (2)", "Check-in today", "The last two weeks", "Download this"):
            expect(main).not_to_contain_text(shared)
        assert response.status in (200, 403, 404)
