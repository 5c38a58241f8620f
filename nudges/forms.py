from __future__ import annotations

import datetime

from django import forms

from accounts.selectors import quiet_hours_of

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
        help_texts = {"prompt_time": "Outside your quiet hours: nothing is sent then."}

    THERAPIST_FIELDS = ("digest_weekday", "digest_hour")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The weekly digest is for clinicians only; members never see its settings.
        if not self.instance.member.is_verified_therapist:
            for name in self.THERAPIST_FIELDS:
                del self.fields[name]

    def clean_prompt_time(self) -> datetime.time:
        # The sweep skips prompts due in quiet hours, so such a time would never fire.
        at = self.cleaned_data["prompt_time"]
        start, end = quiet_hours_of(self.instance.member)
        inside = (start <= at < end) if start <= end else (at >= start or at < end)
        if inside:
            raise forms.ValidationError(
                f"{at:%H:%M} is inside your quiet hours ({start:%H:%M} to {end:%H:%M}), when "
                "no prompts are sent. Choose a time outside them, or change your quiet hours "
                "under Check-in reminders on this page."
            )
        return at


class SosForm(forms.Form):
    """The SOS button: from a hard check-in (``checkin``) or the standing "I need support"."""

    checkin = forms.IntegerField(min_value=1, required=False)
    message = forms.CharField(
        label="Anything you'd like them to know? (optional)",
        max_length=200,
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "maxlength": 200, "aria-describedby": "sos-message-help"}
        ),
        help_text="Only these words are shared, nothing from your check-ins. Leave it empty "
        "to send your usual words.",
    )


class SosReachingOutForm(forms.Form):
    method = forms.ChoiceField(
        label="How",
        choices=[
            ("call", "Call"),
            ("text", "Text"),
            ("video", "Video"),
            ("in_person", "In person"),
        ],
        initial="call",
    )


class SosKindWordsForm(forms.Form):
    message = forms.CharField(label="Kind words", max_length=280)
