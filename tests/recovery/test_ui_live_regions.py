"""Flash messages are announced by a live region and stay a real list (axe-core ``listitem``
and ``list``): the status role sits on a wrapper, never on the ``<ul>`` itself."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.contrib import messages
from django.urls import reverse

from accounts.models import User
from tests.demo.test_crawl import crawl, demo  # noqa: F401  (demo is a fixture)

pytestmark = pytest.mark.django_db

LIST_TAGS = {"ul", "ol", "menu"}
VOID_TAGS = {"br", "img", "input", "meta", "link", "hr", "source", "wbr", "area", "col", "embed"}


class ListFacts(HTMLParser):
    """Each ``<li>`` whose parent is not a list that keeps its list role, and the text that
    sits inside a live region."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.orphans: list[str] = []
        self.roled_lists: list[str] = []
        self.live_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in LIST_TAGS and attrs.get("role") not in (None, "list"):
            self.roled_lists.append(f"<{tag} role={attrs['role']}>")
        if tag == "li":
            parent_tag, parent_attrs = self.stack[-1] if self.stack else ("", {})
            if parent_tag not in LIST_TAGS or parent_attrs.get("role") not in (None, "list"):
                self.orphans.append(f"li in <{parent_tag} {parent_attrs}>")
        if tag not in VOID_TAGS:
            self.stack.append((tag, attrs))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        live = any(
            a.get("role") in ("status", "alert") or a.get("aria-live") for _, a in self.stack
        )
        if live and data.strip():
            self.live_text.append(data.strip())


def facts(html: str) -> ListFacts:
    parser = ListFacts()
    parser.feed(html)
    return parser


def test_a_flash_message_is_in_a_live_region_and_a_real_list(client, member):
    client.force_login(member)
    response = client.post(reverse("notifications:mark_all_read"), follow=True)
    page = facts(response.content.decode())
    assert "All caught up." in page.live_text
    assert page.roled_lists == []
    assert page.orphans == []


def test_several_messages_of_each_level_keep_list_semantics(rf, member):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.shortcuts import render

    request = rf.get("/")
    request.user = member
    request.session = {}
    request._messages = FallbackStorage(request)
    for level, text in [(messages.SUCCESS, "Saved."), (messages.ERROR, "Not saved.")]:
        messages.add_message(request, level, text)
    page = facts(render(request, "base.html").content.decode())
    assert {"Saved.", "Not saved."} <= set(page.live_text)
    assert page.roled_lists == []
    assert page.orphans == []


@pytest.mark.slow
@pytest.mark.parametrize("email", ["sam", "maria"])
def test_no_page_a_person_reaches_breaks_list_semantics(client, demo, email):  # noqa: F811
    client.force_login(User.objects.get(email=f"{email}@demo.ratpark.local"))
    broken = []

    class Checking:
        def get(self, path):
            response = client.get(path)
            if "text/html" in response.get("Content-Type", ""):
                page = facts(response.content.decode())
                if page.roled_lists or page.orphans:
                    broken.append((path, page.roled_lists, page.orphans))
            return response

    crawl(Checking())
    assert broken == []
