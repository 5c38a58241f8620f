"""The core forms by keyboard alone, and with JavaScript turned off.

Keyboard: Tab, Shift+Tab, arrow keys, Space and Enter only; no clicks. No JavaScript: sign-up,
email verification, login, check-in, logging a contact and inviting someone all work as plain
HTML forms (htmx only enhances them).
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from accounts.models import User
from checkins.models import CheckIn
from network.models import Contact, Invitation, Role, Tie
from tests.factories import PASSWORD

from .browser import tab_to
from .steps import log_in, sign_up


def press_radio(page: Page, name: str, steps: int = 0) -> None:
    """Tab into a radio group, pick its first option with Space, then move ``steps`` right."""
    tab_to(page, f"[name={name}]")
    page.keyboard.press("Space")
    for _ in range(steps):
        page.keyboard.press("ArrowRight")


def test_member_checks_in_and_logs_a_contact_by_keyboard(live, page, check, account):
    robin = account("robin@example.org", "Robin")
    Tie.objects.create(member=robin, offline_name="Grandma Jo", role=Role.FAMILY)

    page.goto("/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to content", focused
    tab_to(page, "[name=login]")
    page.keyboard.type(robin.email)
    tab_to(page, "[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    tab_to(page, "nav a[href='/checkins/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/checkins/**")
    check(page, "check-in (keyboard)")
    press_radio(page, "mood", steps=3)  # Good
    press_radio(page, "craving", steps=1)  # 1
    press_radio(page, "used")  # No
    press_radio(page, "connectedness", steps=3)
    tab_to(page, "form.checkin-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.get_by_text("Thank you for checking in.")).to_be_visible()
    checkin = CheckIn.objects.get(member=robin)
    assert (checkin.mood, checkin.craving, checkin.used) == (4, 1, False)

    page.goto("/network/contacts/")
    check(page, "log a contact (keyboard)")
    tab_to(page, "[name=tie]")
    page.keyboard.press("ArrowDown")  # from the blank choice to Grandma Jo, if there is one
    tab_to(page, "[name=duration_minutes]")
    page.keyboard.type("15")
    tab_to(page, "form[action='/network/contacts/'] button[type=submit]")
    # htmx posts the form and swaps the panel in place: wait for that answer, not a new page.
    with page.expect_response(lambda r: r.url.endswith("/network/contacts/")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.ok, answer.value.status
    contact = Contact.objects.get(member=robin, duration_minutes=15)
    assert contact.tie.offline_name == "Grandma Jo"


def test_core_forms_work_without_javascript(live, new_page, check):
    page = new_page(javascript=False)
    email = "sky@example.org"
    sign_up(page, live, email, "Sky", time_zone="Europe/London")
    check(page, "signed up (no JavaScript)", axe=False)
    sky = User.objects.get(email=email)
    assert sky.time_zone == "Europe/London"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state("load")
    log_in(page, email)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto("/checkins/")
    for name, value in (("mood", "3"), ("craving", "0"), ("used", "no"), ("connectedness", "3")):
        page.check(f"[name={name}][value='{value}']")
    page.get_by_role("button", name="Check in", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.get_by_text("Thank you for checking in.")).to_be_visible()
    check(page, "check-in (no JavaScript)", axe=False)
    assert CheckIn.objects.filter(member=sky).exists()

    jo = Tie.objects.create(member=sky, offline_name="Grandma Jo", role=Role.FAMILY)
    page.goto("/network/contacts/")
    page.select_option("[name=tie]", str(jo.pk))
    page.fill("[name=duration_minutes]", "20")
    page.get_by_role("button", name="Log it").click()
    page.wait_for_load_state("load")
    check(page, "contact logged (no JavaScript)", axe=False)
    assert Contact.objects.filter(member=sky, tie=jo, duration_minutes=20).exists()

    page.goto("/network/invitations/new/")
    page.fill("[name=email]", "casey@example.org")
    page.fill("[name=name]", "Casey")
    page.select_option("[name=role]", Role.FRIEND)
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_load_state("load")
    check(page, "invitation sent (no JavaScript)", axe=False)
    assert Invitation.objects.filter(member=sky, email="casey@example.org").exists()
    live.mailbox.wait_for("casey@example.org", "invited you")
