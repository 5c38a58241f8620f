"""Journey 4: a member stops logging contacts; the sweep's prompt names a person by email, and
its one-tap link logs the contact without a login.

The member's history is set in the database (joined ten days ago, last contact five days ago,
today's prompt time a few seconds from now); the sweep itself is the real one, run by beat
every minute through the worker.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import ContactPreferences
from checkins.models import ReminderPreference
from network.models import Contact, ContactMethod, Role, Tie
from network.services.contacts import contact_log
from nudges.models import NudgePreference
from nudges.rules import ISOLATION_PROMPT, due

# Beat sweeps once a minute; the prompt is due a few seconds after the set-up.
SWEEP_WAIT = 75


def test_isolation_prompt_names_a_person_and_logs_the_contact(live, new_page, check, account):
    now = timezone.now()
    robin = account("robin@example.org", "Robin", date_joined=now - datetime.timedelta(days=10))
    jo = Tie.objects.create(member=robin, offline_name="Grandma Jo", role=Role.FAMILY)
    contact_log(
        member=robin,
        tie=jo,
        method=ContactMethod.CALL,
        occurred_at=now - datetime.timedelta(days=5),
    )
    # No quiet hours, so the prompt may go at any hour the test runs; no check-in reminder.
    ReminderPreference.objects.create(member=robin, checkin_reminder_enabled=False)
    ContactPreferences.objects.create(
        user=robin, quiet_start=datetime.time(0), quiet_end=datetime.time(0)
    )
    NudgePreference.objects.create(
        member=robin, isolation_days=2, prompt_time=(now + datetime.timedelta(seconds=3)).time()
    )
    before = set(Contact.objects.filter(member=robin).values_list("pk", flat=True))

    # The rule itself picks Robin in the next minute (a set-up mistake shows here, not as a
    # timeout).
    soon = timezone.now() + datetime.timedelta(seconds=30)
    picked = due(ISOLATION_PROMPT, now=soon, since=now - datetime.timedelta(minutes=1))
    assert [row["recipient_id"] for row in picked] == [robin.pk], picked
    mail = live.mailbox.wait_for(robin.email, text="Grandma Jo", timeout=SWEEP_WAIT)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Grandma Jo" in text, text
    (link,) = live.links(mail, "/nudges/a/")[:1]

    # A browser that has never logged in.
    page = new_page()
    page.goto(link)
    check(page, "one-tap confirm")
    page.get_by_role("button", name="Log that you reached out").click()
    page.wait_for_load_state("load")
    check(page, "one-tap done")
    expect(page.locator("main")).to_contain_text("We've added it to your contact log")
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()

    (logged,) = Contact.objects.filter(member=robin).exclude(pk__in=before)
    assert logged.tie_id == jo.pk
    assert logged.confirmed
