"""Check-ins in the admin: metadata for support, never health content.

Operators help people with their accounts ("my check-in for Tuesday didn't save", "my
reminders come at the wrong hour"); they do not need to read how anyone is doing. So:

- Check-ins: who checked in on which date, in which time zone, when saved. Read-only. Mood,
  craving, use, connectedness, sleep, notes and gratitude are not shown.
- Questionnaire responses: which instrument on which date, read-only; answers and scores are
  not shown.
- Sobriety periods and risk events are not registered at all: their dates and their very
  existence are the health content (a relapse, a hard day), and no support task needs them.
- Reminder preferences and questionnaire schedules are settings, not health data.
"""

from django.contrib import admin

from recovery.admin import DeclaredFiltersOnly, ReadOnlyAdmin

from .models import (
    CheckIn,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    ReminderPreference,
)


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["member", "local_date", "created_at", "updated_at"]
    list_filter = ["local_date"]
    list_select_related = ["member"]
    search_fields = ["member__email"]
    fields = readonly_fields = ("member", "local_date", "time_zone", "created_at", "updated_at")


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    list_display = ["member", "checkin_reminder_enabled", "reminder_time", "paused_until"]
    raw_id_fields = ["member"]
    search_fields = ["member__email"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ReadOnlyAdmin):
    list_display = ["member", "instrument", "local_date"]
    list_select_related = ["member"]
    search_fields = ["member__email"]
    fields = readonly_fields = ("member", "instrument", "version", "local_date", "completed_at")


@admin.register(QuestionnaireSchedule)
class QuestionnaireScheduleAdmin(DeclaredFiltersOnly, admin.ModelAdmin):
    list_display = ["member", "instrument", "every_days", "next_due_on"]
    raw_id_fields = ["member", "created_by"]
