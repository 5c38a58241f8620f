"""Follow every link a person can see, as each kind of user, and never meet a server error.

The demo data set gives every role something to show; the crawl visits each internal link
found on the pages it reaches (GET only, so nothing changes) and records any 5xx.
"""

from __future__ import annotations

import io
import re
from collections import deque
from http import HTTPStatus

import pytest
from django.core.management import call_command

from accounts.models import User

LINK = re.compile(r'href="(/[^"#]*)"')
SKIP = ("/static/", "/accounts/logout/", "/admin/logout/")
MAX_PAGES = 250

# Seeds the demo and follows every link: up to half a minute each, so outside `-m "not slow"`.
pytestmark = pytest.mark.slow


def crawl(client, start: str = "/dashboard/") -> tuple[set[str], list[tuple[str, int]]]:
    seen, errors = {start}, []
    queue = deque([start])
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        if response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR:
            errors.append((path, response.status_code))
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for link in LINK.findall(response.content.decode()):
            link = link.replace("&amp;", "&")
            if link not in seen and not link.startswith(SKIP):
                seen.add(link)
                queue.append(link)
    return seen, errors


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=io.StringIO())


@pytest.mark.parametrize("email", ["sam", "maria", "rivera", "client01"])
def test_no_link_leads_to_a_server_error(client, demo, email):
    client.force_login(User.objects.get(email=f"{email}@demo.ratpark.local"))
    seen, errors = crawl(client)
    assert len(seen) > 10  # the crawl really went somewhere
    assert errors == []


def test_staff_can_browse_the_admin_without_server_errors(client, demo):
    staff = User.objects.create_superuser("staff@example.org", "a-long-test-password-42")
    client.force_login(staff)
    seen, errors = crawl(client, "/admin/")
    assert len(seen) > 10
    assert errors == []
