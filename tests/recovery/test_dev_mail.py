"""The local demo's "Sent mail" page: files under var/mail/, staff only, DEBUG only."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection
from django.http import Http404
from django.test import RequestFactory

from recovery import devmail


def _send(tmp_path, subject: str, body: str) -> None:
    connection = get_connection(
        "django.core.mail.backends.filebased.EmailBackend", file_path=str(tmp_path)
    )
    mail = EmailMultiAlternatives(subject, body, "a@example.org", ["sam@example.org"])
    mail.attach_alternative(f"<p>{body}</p>", "text/html")
    connection.send_messages([mail])


def test_sent_mail_lists_the_written_messages_newest_first(tmp_path):
    _send(tmp_path, "First", "Open http://127.0.0.1:8123/nudges/ to see it.")
    _send(tmp_path, "Second", "Hello again.")
    mails = devmail.sent_mail_list(tmp_path)
    assert [m.subject for m in mails][:2] in (["Second", "First"], ["First", "Second"])
    first = next(m for m in mails if m.subject == "First")
    assert "http://127.0.0.1:8123/nudges/" in first.body
    assert first.to == "sam@example.org"
    assert devmail.sent_mail_list(tmp_path / "missing") == []


def test_the_page_is_for_staff_and_only_in_debug(make_user, settings, tmp_path):
    settings.MAIL_DIR = tmp_path
    _send(tmp_path, "Your invitation", "Go to http://127.0.0.1:8000/x/")
    factory = RequestFactory()
    member = make_user(display_name="Sam")
    staff = make_user(display_name="Staff", is_staff=True)

    def get(user):
        request = factory.get("/dev/mail/")
        request.user = user
        return devmail.sent_mail(request)

    settings.DEBUG = True
    response = get(member)
    assert response.status_code == HTTPStatus.FOUND  # to the admin login
    page = get(staff)
    assert page.status_code == HTTPStatus.OK
    assert '<a href="http://127.0.0.1:8000/x/"' in page.content.decode()
    settings.DEBUG = False
    with pytest.raises(Http404):
        get(staff)
