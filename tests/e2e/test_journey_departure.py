"""Journey 6: a member downloads their data, deletes the account, and can't log in again."""

from __future__ import annotations

import datetime
import json

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import ContactPreferences, User
from checkins.services import checkin_record
from network.consents import consent_record_sharing
from network.models import Role, Scope, Tie
from notifications.models import Notification
from tests.factories import PASSWORD

from .stack import text_of
from .steps import log_in


def test_member_exports_deletes_and_cannot_log_in(live, new_page, check, account):
    robin = account("robin@example.org", "Robin")
    casey = account("casey@example.org", "Casey")
    tie = Tie.objects.create(member=robin, supporter=casey, role=Role.FRIEND)
    consent_record_sharing(
        tie=tie, scopes=[Scope.CHECKIN_STATUS], may_nudge=True, is_sos_contact=False
    )
    ContactPreferences.objects.create(
        user=casey, quiet_start=datetime.time(0, 0), quiet_end=datetime.time(0, 0)
    )
    checkin_record(
        member=robin,
        local_date=timezone.localdate(),
        values={"mood": 4, "craving": 1, "used": False, "connectedness": 4, "notes": "A calm day"},
    )

    page = new_page(accept_downloads=True)
    log_in(page, robin.email)
    page.goto("/settings/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all your data").click()
    data = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert "A calm day" in json.dumps(data)
    assert "Casey" in json.dumps(data)

    page.goto("/settings/delete/")
    check(page, "delete account")
    page.get_by_label("I understand that my account").check()
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_load_state("load")
    if page.get_by_role("heading", name="Confirm Access").count():
        check(page, "confirm it's you")
        page.fill("[name=password]", PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_load_state("load")
    check(page, "after deletion")
    expect(page.get_by_text("Your account and everything in it are deleted")).to_be_visible()
    assert not User.objects.filter(email=robin.email).exists()

    log_in(page, robin.email)
    check(page, "login after deletion")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("not correct")

    # Casey, who may still be told about Robin, gets one plain notice: in the inbox and by
    # email (Casey has no quiet hours, so it goes at once). Nothing of Robin's data is in it.
    notice = "Robin has closed their Rat Park account"
    (told,) = Notification.objects.filter(recipient=casey)
    assert told.title == notice
    mail = live.mailbox.wait_for(casey.email, text=notice, timeout=60)
    assert "A calm day" not in text_of(mail)
    log_in(page, casey.email)
    page.goto("/nudges/")
    check(page, "supporter's inbox after the departure")
    expect(page.locator("main")).to_contain_text(notice)
