from django import template

from accounts.models import User

from ..selectors import supported_ties
from ..services import suggest_reach_out

register = template.Library()


@register.inclusion_tag("network/_dashboard.html")
def network_dashboard(user: User) -> dict:
    """Today's connection prompt for the member, and the people this user supports."""
    return {
        "suggestion": next(iter(suggest_reach_out(user, limit=1)), None),
        "supported": supported_ties(user),
    }
