"""Responses to a signed-in person are never stored by the browser or anything in between.

Rat Park's pages carry health data (mood, use, SOS words, who supports whom). On a shared
device, a page kept in the disk cache or the back/forward cache would show it again after the
person signed out. So every response to a signed-in user, pages, htmx fragments and streamed
CSV downloads alike, says ``Cache-Control: no-store`` (with ``private`` and ``max-age=0`` for
older caches, and ``Pragma: no-cache`` for HTTP/1.0 ones). One middleware does it, so a new
view cannot forget. Static files are served before this runs and stay cacheable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.cache import add_never_cache_headers

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse


class PrivateNoStoreMiddleware:
    """``Cache-Control: no-store`` on every response to a signed-in user."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Read after the view: a sign-in in this very request counts, a sign-out does not.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)  # max-age=0, no-cache, no-store, private
            response["Pragma"] = "no-cache"
        return response
