"""Steps the journeys share: signing up (with the mailed verification link), logging in, a TOTP
code that will still be good when it arrives."""

from __future__ import annotations

import time

import pyotp
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


# The server accepts a code only in its own 30-second step (no tolerance): a code typed in the
# last seconds of its step can reach the server in the next one, on a slow machine.
SECONDS_LEFT_IN_STEP = 8


def fresh_code(totp: pyotp.TOTP, used: set[str] | None = None) -> str:
    """A code with time left in its step, and not used before (the server refuses a code twice)."""
    used = used if used is not None else set()
    while (
        code := totp.now()
    ) in used or totp.interval - time.time() % totp.interval < SECONDS_LEFT_IN_STEP:
        time.sleep(1)
    used.add(code)
    return code
