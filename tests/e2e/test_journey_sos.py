"""Journey 3: a hard check-in shows crisis lines and a person; SOS emails the SOS contact,
who finds it pinned on their Today and answers; the member's SOS page shows the answer."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

from network.consents import consent_record_sharing
from network.models import Role, Scope, Tie
from nudges.models import NudgePreference

from .steps import log_in

SOS_CONTACT = "casey@example.org"


def test_hard_checkin_offers_help_and_sos_reaches_the_contact(live, page, new_page, check, account):
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
    expect(panel.get_by_text(re.compile(r"^(Grandma Jo|Casey): "))).to_be_visible()

    started = time.monotonic()
    panel.get_by_role("button", name="Tell my SOS contacts").click()
    page.wait_for_load_state("load")
    # The member's own SOS page: who was told, and (below) who answered.
    expect(page).to_have_url(re.compile(r"/nudges/sos/[0-9a-f-]{36}/$"))
    sos_page = page.url
    check(page, "SOS sent")
    answers = page.locator("#sos-answers")
    expect(answers).to_contain_text("Casey has been told")
    expect(page.locator("main").locator("a[href='tel:988']").first).to_be_visible()
    mail = live.mailbox.wait_for(SOS_CONTACT, timeout=60)
    assert time.monotonic() - started < 60
    assert "Robin" in mail["Subject"] + mail.get_body().get_content()
    # Notification text carries no health details.
    body = mail.get_body(preferencelist=("plain",)).get_content()
    for detail in ("craving", "mood", "used"):
        assert detail not in body.lower(), body

    # Casey signs in: the SOS is pinned on Casey's Today with Robin's own words and ways to answer.
    casey_page = new_page()
    log_in(casey_page, SOS_CONTACT)
    casey_page.goto("/")
    card = casey_page.get_by_role("article", name="Robin asked for support")
    expect(card).to_be_visible()
    check(casey_page, "SOS pinned on the contact's Today")
    card.get_by_label("How").select_option("call")
    card.get_by_role("button", name="I'm reaching out now").click()
    casey_page.wait_for_load_state("load")
    expect(casey_page.locator("main")).to_contain_text("We've told Robin you're reaching out")
    check(casey_page, "contact answered the SOS")

    # Robin's SOS page, still open, picks the answer up by itself (htmx polls every 10 s).
    assert page.url == sos_page
    expect(answers).to_contain_text("Casey is reaching out", timeout=25_000)
    check(page, "SOS answered")
    # A reload shows the same answer (the page works without its polling too).
    page.reload()
    expect(page.locator("#sos-answers")).to_contain_text("Casey is reaching out")
