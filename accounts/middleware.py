from __future__ import annotations

import time
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone, translation

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse


class UserTimezoneMiddleware:
    """Render dates, times and text in the signed-in person's own time zone and language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.zone)
            # Their saved choice wins over the browser's Accept-Language.
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class SlidingSessionMiddleware:
    """Slide the idle timeout without writing the session on every request.

    ``SESSION_SAVE_EVERY_REQUEST`` would cost a write and a commit on every signed-in
    request. Instead the session is saved (pushing its expiry and cookie forward by
    ``SESSION_COOKIE_AGE``) only when the last refresh is more than
    ``SESSION_REFRESH_SECONDS`` old, so the idle timeout holds to within that much.
    Listed after ``SessionMiddleware``, so its change is saved on the way out.
    """

    KEY = "_refreshed_at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or not session.session_key:
            return response
        now = int(time.time())
        every = int(getattr(settings, "SESSION_REFRESH_SECONDS", 60))
        last = session.get(self.KEY)
        if not isinstance(last, int) or now - last >= every or now < last:
            session[self.KEY] = now  # marks it modified: SessionMiddleware saves it
        return response
