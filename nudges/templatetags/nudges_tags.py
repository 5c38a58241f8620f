from django import template

from accounts.models import User

from ..sos import latest_active_alert, pinned_for

register = template.Library()


@register.inclusion_tag("nudges/_sos_pinned.html", takes_context=True)
def sos_pinned(context, user: User) -> dict:
    """Active SOS alerts to this user, pinned on Today, and the user's own recent SOS."""
    return {
        "cards": pinned_for(user),
        "own": latest_active_alert(user),
        "csrf_token": context.get("csrf_token"),
        "EMERGENCY_NUMBER": context.get("EMERGENCY_NUMBER"),
    }
