"""Rat Park's allauth policy.

accounts sits below the apps that send people here from a link (an invitation, for one), so
it never imports them: ``LOGIN_REDIRECTS`` lists dotted paths to functions taking the session
and returning where to go after login, or None; the first answer wins. It is the same
registry mechanism as ``accounts.services.EXPORTERS`` (see docs/architecture.md).
"""

from __future__ import annotations

import logging
import smtplib
from typing import TYPE_CHECKING

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

MFA_METHOD_IDS = ("mfa_reauthenticate", "mfa_reauthenticate:webauthn")

# Where a login goes when it carries no ``?next=``: each takes the session, returns a URL or None.
LOGIN_REDIRECTS: list[str] = [
    # Back to an invitation the person opened before they had an account.
    "network.invitations.pending_invitation_take",
]


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        """The client address that rate limits key on.

        allauth raises ImproperlyConfigured (a 500) when X-Forwarded-For has fewer entries
        than TRUSTED_PROXY_COUNT. That only happens to a request that skipped one of our
        proxies, so its header is not to be trusted: key on the connecting address instead.
        """
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            logger.warning("X-Forwarded-For shorter than TRUSTED_PROXY_COUNT; using REMOTE_ADDR")
            ip = request.META.get("REMOTE_ADDR")
            if not ip:
                raise PermissionDenied("Unable to determine client IP address") from None
            return ip

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Send an account email (verification, password reset); a mail server that is down
        or answers 4xx/5xx must not turn signing up or signing in into a server error.

        The account change itself is already saved; the person is told to ask again later
        (every one of these emails can be requested again from its page).
        """
        try:
            super().send_mail(template_prefix, email, context)
        except (smtplib.SMTPException, OSError) as exc:
            logger.warning("account email not sent (%s: %s)", template_prefix, type(exc).__name__)
            request = getattr(allauth_context, "request", None)
            if request is not None:
                messages.warning(
                    request,
                    "We couldn't send the email just now. Please ask for it again in a few "
                    "minutes.",
                )

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        """After login, back to an invitation the person opened before they had an account.

        Only used when the login carries no ``?next=`` of its own (allauth checks that first),
        e.g. when the email was verified in another browser and the session lost the flow.
        """
        for path in LOGIN_REDIRECTS:
            url = import_string(path)(request.session)
            if url:
                return url
        return super().get_login_redirect_url(request)

    def get_reauthentication_methods(self, user: AbstractBaseUser | AnonymousUser) -> list[dict]:
        """Ask people who set up two-factor authentication for that factor first.

        The first method is where allauth's ``reauthentication_required`` sends them; the
        others stay one link away on that page.
        """
        methods = super().get_reauthentication_methods(user)
        return sorted(methods, key=lambda method: method["id"] not in MFA_METHOD_IDS)
