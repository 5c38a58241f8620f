"""Journey 3: a hard check-in shows crisis lines and a person; SOS emails the SOS contact."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from network.consents import consent_record_sharing
from network.models import Role, Scope, Tie
from nudges.models import NudgePreference

from .steps import log_in

SOS_CONTACT = "casey@example.org"


def test_hard_checkin_offers_help_and_sos_reaches_the_contact(live, page, check, account):
    robin = account("robin@example.org", "Robin")
    casey = account(SOS_CONTACT, "Casey")
    tie = Tie.objects.create(member=robin, supporter=casey, role=Role.SPONSOR)
    consent_record_sharing(
        tie=tie, scopes=[Scope.CHECKIN_STATUS], may_nudge=True, is_sos_contact=True
    )
    # Casey agreed to be woken for an SOS, so the email goes now even in Casey's quiet hours.
    NudgePreference.objects.create(member=casey, urgent_alerts=True)
    Tie.objects.create(member=robin, offline_name="Grandma Jo", role=Role.FAMILY, phone="555-0100")

    log_in(page, robin.email)
    page.goto("/checkins/")
    for name, value in (("mood", "1"), ("craving", "9"), ("used", "yes"), ("connectedness", "1")):
        page.check(f"[name={name}][value='{value}']")
    page.get_by_role("button", name="Check in", exact=True).click()
    page.wait_for_load_state("load")

    panel = page.get_by_role("region", name="Today sounds hard")
    expect(panel).to_be_visible()
    check(page, "hard check-in")
    expect(panel.locator("a[href='tel:988']")).to_be_visible()
    expect(panel.get_by_role("heading", name="Someone you could reach out to")).to_be_visible()
    # A named person from Robin's network (which one is the suggestion rule's business).
    expect(
        panel.get_by_text(re.compile(r"^(Grandma Jo \(family\)|Casey \(sponsor\))"))
    ).to_be_visible()

    started = time.monotonic()
    panel.get_by_role("button", name="Tell my SOS contacts").click()
    page.wait_for_load_state("load")
    check(page, "SOS sent")
    expect(page.locator("main")).to_contain_text("Casey")
    mail = live.mailbox.wait_for(SOS_CONTACT, timeout=60)
    assert time.monotonic() - started < 60
    assert "Robin" in mail["Subject"] + mail.get_body().get_content()
    # Notification text carries no health details.
    body = mail.get_body(preferencelist=("plain",)).get_content()
    for detail in ("craving", "mood", "used"):
        assert detail not in body.lower(), body
