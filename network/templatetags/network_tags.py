from django import template

from accounts.models import User

from ..selectors import supported_ties
from ..services.disclosure import supporter_cards_show
from ..services.suggestion import suggest_reach_out

register = template.Library()


@register.inclusion_tag("network/_dashboard.html", takes_context=True)
def network_dashboard(context, user: User) -> dict:
    """Today's connection prompt for the member, and a card per person this user supports."""
    supported = supported_ties(user)
    cards = supporter_cards_show(user, supported=supported)
    return {
        "suggestion": next(iter(suggest_reach_out(user, limit=1)), None),
        "cards": cards,
        "paused": [tie for tie, _ in supported if tie.status != "active"],
        "supported": bool(supported),
        "csrf_token": context.get("csrf_token"),
    }
