from __future__ import annotations

import smtplib
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from .. import links
from ..tokens import unsubscribe_url
from . import BaseChannel, PermanentFailure, TemporaryFailure

if TYPE_CHECKING:
    from ..models import Delivery, Notification


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return max(codes) if codes else None
    return getattr(exc, "smtp_code", None)


class EmailChannel(BaseChannel):
    """HTML and plain-text email through Django's email backend, so any provider works."""

    name = "email"

    def send(self, delivery: Delivery, notification: Notification) -> None:
        recipient = notification.recipient
        unsubscribe = unsubscribe_url(recipient.pk, notification.kind)
        context = {
            "notification": notification,
            "recipient": recipient,
            "actions": links.actions_for(notification, absolute=True),
            "open_url": links.open_url(notification, absolute=True),
            "unsubscribe_url": unsubscribe,
            "SITE_NAME": settings.SITE_NAME,
            # Emails render outside a request: the context processor does not run here.
            "CRISIS_RESOURCES": settings.CRISIS_RESOURCES,
            "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        }
        message = EmailMultiAlternatives(
            subject=notification.title,
            body=render_to_string("notifications/email/notification.txt", context),
            to=[recipient.email],
            headers={
                # A stable Message-ID: if a worker dies after sending but before recording it,
                # the resend carries the same id and mail clients show one message.
                "Message-ID": f"<{notification.pk}.{delivery.pk}@ratpark.invalid>",
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        message.attach_alternative(
            render_to_string("notifications/email/notification.html", context), "text/html"
        )
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"SMTP {exc.smtp_code}") from exc
            raise PermanentFailure(f"SMTP {exc.smtp_code}") from exc
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
            code = _smtp_code(exc) or 500
            if 400 <= code < 500:
                raise TemporaryFailure(f"SMTP {code}") from exc
            raise PermanentFailure(f"SMTP {code}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Disconnects, timeouts, refused connections: the server may be back soon.
            raise TemporaryFailure(type(exc).__name__) from exc
