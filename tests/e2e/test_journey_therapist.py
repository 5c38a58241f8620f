"""Journey 5: a therapist signs in with TOTP and with a passkey, sees what a member shares
under a formal consent, the member sees it in the access log, revokes, and access ends.

``CLINICAL_PAGES`` lists the pages the therapist opens under the consent, the clinic's caseload
and client history among them, and every later step (the access log, the revocation) covers
them too. The clinic's CSV, PDF and FHIR exports each go through allauth's reauthentication,
answered in the browser.
"""

from __future__ import annotations

import datetime
import json
import time

import pyotp
from django.utils import timezone
from playwright.sync_api import Download, Page, expect

from accounts.models import TherapistProfile
from checkins.services import checkin_record
from network.consents import consent_sign_part2
from network.models import Consent, Role, Scope, Tie
from tests.factories import PASSWORD

from .steps import fresh_code, log_in

THERAPIST = "dr.lee@example.org"
CLINICAL_PAGES = [
    lambda tie: f"/network/supporting/{tie.pk}/",
    lambda tie: "/clinic/",
    lambda tie: f"/clinic/clients/{tie.pk}/",
]
# What each clinic page shows of Robin under the consent, and must not show without one.
SHARED = ("Low (2)", "Check-in today", "The last two weeks", "Download this", "Export this range")


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
    page.fill("[name=code]", fresh_code(totp))
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state("load")
    check(page, "after TOTP activation")
    return totp


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


def open_clinical(page: Page, check, url: str):
    """Open a clinical page; a refusal (403/404) is the expected answer without a consent, so
    the browser's "failed to load resource" line for it is not counted as a page error."""
    response = page.goto(url)
    if response.status in (403, 404):
        check.console_errors[:] = [
            e for e in check.console_errors if not (e.startswith(page.url) and "status of 40" in e)
        ]
    return response


def confirm_its_you(page: Page, check, totp: pyotp.TOTP, used: set[str]) -> None:
    """Answer allauth's reauthentication with what it asks for: a code, a password or the
    passkey."""
    check(page, "confirm it's you before an export")
    if page.locator("[name=code]").count():
        page.fill("[name=code]", fresh_code(totp, used))
        page.get_by_role("button", name="Confirm").click()
    elif page.locator("[name=password]").count():
        page.fill("[name=password]", PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    else:
        page.get_by_role("button", name="Use a passkey").or_(
            page.get_by_role("button", name="Confirm")
        ).first.click()


def export(page: Page, link: str, check, totp: pyotp.TOTP, used: set[str]) -> tuple[Download, bool]:
    """Click an export link on the client page; the file, and whether allauth asked first."""
    downloads: list[Download] = []

    def keep(download: Download) -> None:
        downloads.append(download)

    page.on("download", keep)
    page.get_by_role("link", name=link).click()
    page.wait_for_load_state("load")
    asked = "/reauthenticate/" in page.url
    if asked:
        confirm_its_you(page, check, totp, used)
    deadline = time.monotonic() + 30
    while not downloads and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    page.remove_listener("download", keep)
    assert downloads, f"no {link} download from {page.url}"
    return downloads[0], asked


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

    therapist = new_page(accept_downloads=True)
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
        open_clinical(therapist, check, page_of(tie))
        for shared in SHARED:
            expect(therapist.locator("main")).not_to_contain_text(shared)
    expect(therapist.locator(f"a[href='/clinic/clients/{tie.pk}/']")).to_have_count(0)

    consent_sign_part2(
        tie=tie,
        scopes=[Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING],
        purpose="Treatment",
        signature_name="Robin Example",
        expires_at=timezone.now() + datetime.timedelta(days=90),
    )
    therapist.goto(CLINICAL_PAGES[0](tie))
    check(therapist, "therapist sees what Robin shares")
    expect(therapist.locator("main")).to_contain_text("Low (2)")

    # The clinic: the caseload lists Robin and leads to Robin's history.
    therapist.goto("/clinic/")
    check(therapist, "caseload")
    therapist.locator("main").get_by_role("link", name="Robin").click()
    therapist.wait_for_load_state("load")
    assert therapist.url.endswith(f"/clinic/clients/{tie.pk}/")
    check(therapist, "client history")
    expect(therapist.get_by_role("heading", level=1)).to_have_text("Robin")
    expect(therapist.locator("main")).to_contain_text("Export this range")

    # Each export is behind a fresh "confirm it's you" (allauth reauthentication): the first
    # one asks for the authenticator code; the confirmation then holds for a few minutes.
    client_page = therapist.url
    csv, asked = export(therapist, "CSV", check, totp, used)
    assert asked, "the first export did not ask to confirm it's you"
    assert csv.suggested_filename.endswith(".csv")
    assert "mood" in csv.path().read_text(encoding="utf-8").lower()
    therapist.goto(client_page)
    pdf, _ = export(therapist, "PDF (A4 and Letter)", check, totp, used)
    assert pdf.path().read_bytes().startswith(b"%PDF")
    therapist.goto(client_page)
    fhir, _ = export(therapist, "FHIR R4 Bundle (JSON)", check, totp, used)
    bundle = json.loads(fhir.path().read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle"

    member = new_page()
    log_in(member, robin.email)
    member.goto("/network/access-log/")
    check(member, "access log")
    expect(member.locator("table")).to_contain_text("Dr Lee")
    # The clinic's views and the three exports are in Robin's log, under Dr Lee's name.
    exported = member.locator("tr", has_text="Dr Lee").filter(has_text="Exported")
    expect(exported.first).to_be_visible()
    assert exported.count() >= 3

    consent = Consent.objects.get(tie=tie, ended_at__isnull=True)
    member.goto("/network/consents/")
    check(member, "consents")
    member.get_by_role("button", name="Revoke now consent for Dr Lee").click()
    member.wait_for_load_state("load")
    consent.refresh_from_db()
    assert consent.ended_at is not None

    for page_of in CLINICAL_PAGES:
        response = open_clinical(therapist, check, page_of(tie))
        check(therapist, "therapist after revocation")
        main = therapist.locator("main")
        for shared in SHARED:
            expect(main).not_to_contain_text(shared)
        assert response.status in (200, 403, 404)
    # The caseload keeps at most a line that the consent ended: no link, no figures.
    therapist.goto("/clinic/")
    expect(therapist.locator(f"a[href*='/clinic/clients/{tie.pk}/']")).to_have_count(0)
    expect(therapist.locator("main svg")).to_have_count(0)
