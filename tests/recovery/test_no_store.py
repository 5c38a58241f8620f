"""No page, fragment or download shown to a signed-in person may be stored by the browser.

The crawl visits every link each demo role can see (and the admin as staff); every answer it
gets, HTML, redirects, errors and CSV downloads alike, must say ``Cache-Control: no-store``.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.cache import patch_cache_control

from accounts.models import User
from tests.demo.test_crawl import crawl, demo  # noqa: F401  (demo is a fixture)


class Recording:
    """A test client that keeps every response the crawl gets."""

    def __init__(self, client) -> None:
        self.client = client
        self.responses: list[tuple[str, object]] = []

    def get(self, path: str):
        response = self.client.get(path)
        self.responses.append((path, response))
        return response


def _not_stored(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives and response.get("Pragma") == "no-cache"


def _crawl_as(client, user: User, start: str = "/dashboard/") -> Recording:
    client.force_login(user)
    recording = Recording(client)
    crawl(recording, start)
    return recording


@pytest.mark.slow
def test_every_page_and_download_a_signed_in_person_reaches_is_no_store(client, demo):  # noqa: F811
    """One crawl per demo role (member, sponsor, therapist, a therapist's client)."""
    downloads = set()
    for email in ("sam", "maria", "rivera", "client01"):
        recording = _crawl_as(client, User.objects.get(email=f"{email}@demo.ratpark.local"))
        assert len(recording.responses) > 10
        stored = [(p, r.status_code) for p, r in recording.responses if not _not_stored(r)]
        assert stored == [], email
        downloads |= {
            p for p, r in recording.responses if r.get("Content-Type", "").startswith("text/csv")
        }
    # The crawl reached every kind of CSV download, so the check above covered them.
    assert reverse("network:access_log_csv") in downloads
    assert reverse("network:consent_history_csv") in downloads
    assert any("/export/" in path for path in downloads), downloads  # a supporter's export


@pytest.mark.slow
def test_the_admin_is_no_store_for_staff(client, demo):  # noqa: F811
    staff = User.objects.create_superuser("staff@example.org", "a-long-test-password-42")
    recording = _crawl_as(client, staff, "/admin/")
    assert [path for path, r in recording.responses if not _not_stored(r)] == []


def test_an_anonymous_visitor_gets_cacheable_public_pages(client):
    response = client.get(reverse("crisis"))
    assert response.status_code == HTTPStatus.OK
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_views_own_cache_headers_do_not_win_for_a_signed_in_person(rf, member):
    from django.http import HttpResponse

    from recovery.middleware import PrivateNoStoreMiddleware

    def view(request):
        response = HttpResponse("mood: 2")
        patch_cache_control(response, public=True, max_age=3600)
        return response

    request = rf.get("/")
    request.user = member
    response = PrivateNoStoreMiddleware(view)(request)
    assert _not_stored(response)
    assert "public" not in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]
