"""The local "Sent mail" page: in DEBUG only, for staff, the emails written under var/mail/."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

SHOWN = 50


@dataclass(frozen=True)
class SentMail:
    subject: str
    to: str
    date: str
    body: str


def _parse(raw: bytes) -> list[SentMail]:
    """The file backend appends each message to a file, separated by a line of dashes."""
    mails = []
    for chunk in raw.split(b"\n" + b"-" * 79 + b"\n"):
        if not chunk.strip():
            continue
        msg = email.message_from_bytes(chunk.strip(), policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        body = part.get_content() if part is not None else ""
        mails.append(SentMail(msg["subject"] or "", msg["to"] or "", msg["date"] or "", body))
    return mails


def sent_mail_list(directory: Path, limit: int = SHOWN) -> list[SentMail]:
    if not directory.is_dir():
        return []
    files = sorted(directory.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    mails: list[SentMail] = []
    for path in files:
        mails.extend(reversed(_parse(path.read_bytes())))
        if len(mails) >= limit:
            break
    return mails[:limit]


@require_GET
@staff_member_required
def sent_mail(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:
        raise Http404("Only on a local demo.")
    return render(request, "dev_mail.html", {"mails": sent_mail_list(Path(settings.MAIL_DIR))})
