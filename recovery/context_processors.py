from __future__ import annotations

import functools

from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

# The URLs every page's header, tab bar and footer link to (``base.html``), by URL name: they
# take no arguments, so each is reversed once per process (and URL configuration) rather than
# about twenty reversals on every page.
NAV_URLS = {
    "home": "home",
    "dashboard": "dashboard",
    "checkin": "checkins:today",
    "network": "network:home",
    "inbox": "notifications:inbox",
    "unread_count": "notifications:unread_count",
    "sos": "nudges:sos",
    "settings": "account_settings",
    "logout": "account_logout",
    "login": "account_login",
    "signup": "account_signup",
    "crisis": "crisis",
    "manifest": "nudges:manifest",
    "service_worker": "nudges:service_worker",
}
NAV_STATIC = {
    "favicon": "img/favicon.svg",
    "site_css": "css/site.css",
    "nudges_css": "nudges/nudges.css",
    "icon_192": "nudges/icons/icon-192.png",
    "pwa_js": "nudges/pwa.js",
    "timezone_js": "js/timezone.js",
}


@functools.lru_cache(maxsize=16)
def _nav(script_prefix: str, urlconf: str, static_url: str) -> dict[str, str]:
    # The arguments are the cache key: what the reversed and static URLs depend on.
    urls = {key: reverse(name, urlconf=urlconf) for key, name in NAV_URLS.items()}
    urls.update({key: static(path) for key, path in NAV_STATIC.items()})
    return urls


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "CRISIS_RESOURCES": settings.CRISIS_RESOURCES,
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
        "NAV": _nav(
            get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF, settings.STATIC_URL
        ),
    }
