from django.contrib import admin

from .models import (
    CheckIn,
    QuestionnaireResponse,
    QuestionnaireSchedule,
    ReminderPreference,
    RiskEvent,
    SobrietyPeriod,
)

# Health content (notes, answers) is not listed in the admin changelists on purpose: staff
# should not browse it. Rows are reachable for support, read-only where they are records.


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    list_display = ["member", "local_date", "created_at"]
    list_filter = ["local_date"]
    search_fields = ["member__email"]
    raw_id_fields = ["member"]
    exclude = ["notes", "gratitude"]
    readonly_fields = ["member", "local_date", "time_zone", "created_at", "updated_at"]


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ["member", "checkin_reminder_enabled", "reminder_time", "paused_until"]
    raw_id_fields = ["member"]
    search_fields = ["member__email"]


@admin.register(SobrietyPeriod)
class SobrietyPeriodAdmin(admin.ModelAdmin):
    list_display = ["member", "started_on", "ended_on"]
    raw_id_fields = ["member"]
    search_fields = ["member__email"]


@admin.register(RiskEvent)
class RiskEventAdmin(admin.ModelAdmin):
    list_display = ["member", "local_date", "created_at", "handled_at"]
    raw_id_fields = ["member", "checkin"]
    readonly_fields = ["member", "checkin", "local_date", "used", "high_craving", "low_mood"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(admin.ModelAdmin):
    list_display = ["member", "instrument", "local_date"]
    raw_id_fields = ["member"]
    exclude = ["answers", "scores"]
    readonly_fields = ["member", "instrument", "version", "local_date", "completed_at"]


@admin.register(QuestionnaireSchedule)
class QuestionnaireScheduleAdmin(admin.ModelAdmin):
    list_display = ["member", "instrument", "every_days", "next_due_on"]
    raw_id_fields = ["member", "created_by"]
