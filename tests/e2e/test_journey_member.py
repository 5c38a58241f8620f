"""Journey 1: a new member signs up, sets up reminders and a network, and checks in."""

from __future__ import annotations

import datetime
import re

from playwright.sync_api import expect

from accounts.models import User
from checkins.models import CheckIn, ReminderPreference
from network.models import Invitation, Role, Tie

from .steps import sign_up

MEMBER = "robin@example.org"


def invite(page, check, email: str, name: str, role: str, message: str = "") -> None:
    page.goto("/network/invitations/new/")
    check(page, f"invite a {role}")
    page.fill("[name=email]", email)
    page.fill("[name=name]", name)
    page.select_option("[name=role]", role)
    if message:
        page.fill("[name=message]", message)
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_load_state("load")


def test_new_member_sets_up_and_checks_in(live, page, check):
    page.goto("/")
    check(page, "home")
    page.get_by_role("link", name="Sign up").first.click()
    sign_up(page, live, MEMBER, "Robin", check=check)
    check(page, "first page after sign-up")
    robin = User.objects.get(email=MEMBER)
    assert robin.emailaddress_set.get().verified

    # Time zone (chosen at sign-up as UTC) changed in settings.
    page.goto("/settings/")
    check(page, "settings")
    page.select_option("[name=time_zone]", "America/Chicago")
    page.locator("form[action='/settings/']").get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    robin.refresh_from_db()
    assert robin.time_zone == "America/Chicago"

    # The old address (older emails link to it) opens the one reminders and messages page.
    page.goto("/checkins/reminders/")
    assert page.url.endswith("/nudges/preferences/")
    check(page, "reminders and messages")
    page.fill("[name=reminder_time]", "08:30")
    page.get_by_role("button", name="Save reminder settings").click()
    page.wait_for_load_state("load")
    assert ReminderPreference.objects.get(member=robin).reminder_time == datetime.time(8, 30)

    page.goto("/network/ties/add/")
    check(page, "add an offline contact")
    page.fill("[name=offline_name]", "Grandma Jo")
    page.select_option("[name=role]", Role.FAMILY)
    page.check("[name=reach_methods][value=call]")
    page.get_by_role("button", name="Add to my network").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Grandma Jo").first).to_be_visible()
    assert Tie.objects.get(member=robin, offline_name="Grandma Jo").supporter is None

    # The circle: each person a link to their entry in the list.
    page.goto("/network/")
    check(page, "network")
    page.emulate_media(color_scheme="dark")  # the role colours in the dark theme too
    check(page, "network (dark)")
    page.emulate_media(color_scheme="light")
    grandma = Tie.objects.get(member=robin, offline_name="Grandma Jo")
    page.locator(f"a.ego-person[href='#tie-{grandma.pk}']").focus()
    page.keyboard.press("Enter")
    # Following the link is asynchronous: wait for the address rather than read it at once.
    expect(page).to_have_url(re.compile(f"#tie-{grandma.pk}$"))

    # A meeting, in person: saved as chosen.
    page.goto("/network/contacts/")
    check(page, "contacts")
    page.select_option("[name=tie]", "meeting")
    page.select_option("[name=method]", "in_person")
    page.get_by_role("button", name="Log it").click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Meeting, in person").first).to_be_visible()
    check(page, "contact logged")

    invite(page, check, "casey@example.org", "Casey", Role.FRIEND, "You've got my back.")
    invite(page, check, "dr.lee@example.org", "Dr Lee", Role.THERAPIST)
    page.goto("/network/invitations/")
    check(page, "invitations")
    assert set(Invitation.objects.filter(member=robin).values_list("email", flat=True)) == {
        "casey@example.org",
        "dr.lee@example.org",
    }
    for address in ("casey@example.org", "dr.lee@example.org"):
        mail = live.mailbox.wait_for(address, "invited you")
        assert live.links(mail, "/network/invite/"), mail
        assert "Robin" in mail["Subject"]

    page.goto("/checkins/")
    check(page, "today's check-in")
    for name, value in (("mood", "4"), ("craving", "2"), ("used", "no"), ("connectedness", "4")):
        page.check(f"[name={name}][value='{value}']")
    page.get_by_role("button", name="Check in", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Thank you for checking in.")).to_be_visible()
    check(page, "check-in saved")
    assert CheckIn.objects.filter(member=robin).count() == 1
