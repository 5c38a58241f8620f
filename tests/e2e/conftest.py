"""Fixtures for the browser journeys: the live stack, Chromium, pages, mail and checks.

Every test here is marked ``e2e`` and ``slow`` (see ``pytest_collection_modifyitems``); `make
test` runs them after the fast suite, two at a time with pytest-xdist.
"""

from __future__ import annotations

import os
import shutil

import pytest
import redis
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from playwright.sync_api import sync_playwright

from accounts.models import User
from tests.factories import PASSWORD, UserFactory

from .browser import DESKTOP, SHOTS, Checker, launch, slug
from .stack import Stack, start_stack


def pytest_collection_modifyitems(items):
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def _stack(django_db_setup, tmp_path_factory):
    with start_stack(tmp_path_factory.mktemp("e2e-stack")) as stack:
        yield stack


@pytest.fixture
def live(_stack: Stack, transactional_db) -> Stack:
    """The running stack with a clean mailbox and no rate-limit counters from earlier tests."""
    _stack.assert_alive()
    _stack.mailbox.clear()
    client = redis.Redis.from_url(_stack.redis.url)
    for key in client.scan_iter("ratpark:*"):
        client.delete(key)
    yield _stack
    _stack.assert_alive()


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps are ordinary synchronous ones, so Django's async guard is told so.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = launch(playwright)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def check(request) -> Checker:
    """``check(page, "name")``: screenshots under var/e2e/<test>/ and axe-core at both sizes."""
    folder = SHOTS / slug(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)  # only this run's pictures
    return Checker(folder)


@pytest.fixture
def new_page(browser, live, check):
    """``new_page()`` opens a page in a fresh browser profile (its own cookies)."""
    contexts = []

    def make(*, javascript: bool = True, **options):
        context = browser.new_context(
            base_url=live.base, viewport=DESKTOP, java_script_enabled=javascript, **options
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return check.watch(context.new_page())

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def account(db):
    """A verified account that can log in through gunicorn (which uses the real hashers)."""

    def make(email: str, display_name: str, **extra) -> User:
        user = UserFactory(email=email, display_name=display_name, **extra)
        hasher = PBKDF2PasswordHasher()
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
        return user

    return make
