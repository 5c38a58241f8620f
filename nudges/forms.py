from __future__ import annotations

from django import forms

from .models import NudgePreference


class NudgePreferenceForm(forms.ModelForm):
    class Meta:
        model = NudgePreference
        fields = [
            "isolation_enabled",
            "isolation_days",
            "prompt_time",
            "supporter_nudges_enabled",
            "missed_checkin_days",
            "no_contact_days",
            "urgent_alerts",
            "sos_message",
            "digest_weekday",
            "digest_hour",
        ]
        widgets = {"prompt_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M")}


class SosForm(forms.Form):
    checkin = forms.IntegerField(min_value=1)


class PushSubscriptionForm(forms.Form):
    endpoint = forms.URLField(max_length=500, assume_scheme="https")
    p256dh = forms.CharField(max_length=200)
    auth = forms.CharField(max_length=100)
