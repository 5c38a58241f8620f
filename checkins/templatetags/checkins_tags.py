from __future__ import annotations

from django import template

from accounts.models import User
from checkins.services import dashboard_summary

register = template.Library()


@register.inclusion_tag("checkins/_dashboard.html")
def checkins_dashboard(member: User) -> dict:
    """The check-in section of the member's dashboard."""
    return {"summary": dashboard_summary(member)}
