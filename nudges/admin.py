"""The nudge rules in the admin: members' nudge choices, listed read-only.

Members' nudge choices are theirs: an operator can't switch on nudges a member turned off.
Notifications, deliveries and mutes are in the notifications app's admin.
"""

from __future__ import annotations

from django.contrib import admin

from recovery.admin import ReadOnlyAdmin

from .models import NudgePreference


@admin.register(NudgePreference)
class NudgePreferenceAdmin(ReadOnlyAdmin):
    list_display = ["member_id", "isolation_days", "missed_checkin_days", "no_contact_days"]
    exclude = ["sos_message"]
