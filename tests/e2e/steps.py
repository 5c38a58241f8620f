"""Steps the journeys share: signing up (with the mailed verification link) and logging in."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

from .stack import Stack


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("[name=login]", email)
    page.fill("[name=password]", password)
    page.locator("form").get_by_role("button", name="Sign In").click()
    page.wait_for_load_state("load")


def sign_up(page: Page, live: Stack, email: str, name: str, time_zone: str = "UTC", check=None):
    """Sign up on the current page or /accounts/signup/ and follow the verification link."""
    if "/accounts/signup/" not in page.url:
        page.goto("/accounts/signup/")
    if check:
        check(page, "sign up")
    page.fill("[name=email]", email)
    page.get_by_label("What should we call you?").fill(name)
    # A text box with a list of zones (it works without JavaScript); the script proposed one.
    page.fill("[name=time_zone]", time_zone)
    page.fill("[name=password1]", PASSWORD)
    page.fill("[name=password2]", PASSWORD)
    page.locator("form").get_by_role("button", name="Sign Up").click()
    page.wait_for_load_state("load")
    if check:
        check(page, "verify your email")
    mail = live.mailbox.wait_for(email, "confirm")
    (link,) = live.links(mail, "/accounts/confirm-email/")
    page.goto(link)
    if check:
        check(page, "confirm email")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("load")
    expect(
        page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Sign out"))
    )
