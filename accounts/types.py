"""Types for views: a request whose user is signed in.

``request.user`` is ``User | AnonymousUser`` to a type checker. Behind ``login_required`` it is
always a ``User``; views so protected annotate ``request: AuthenticatedHttpRequest`` instead
of repeating that fact with casts or asserts.
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from .models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
    # Set by django_htmx.middleware.HtmxMiddleware on every request.
    htmx: HtmxDetails
