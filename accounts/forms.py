from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING

from django import forms

from .models import TherapistProfile, User

if TYPE_CHECKING:
    from django.http import HttpRequest


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    display_name = forms.CharField(
        max_length=60,
        label="What should we call you?",
        help_text="A first name or nickname is enough. People you invite will see it.",
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="UTC",
        label="Time zone",
        help_text="We suggest your device's time zone. Type a city's first letters to find yours.",
        # static/js/timezone.js fills in the browser's zone (Intl) when this still says UTC.
        widget=forms.Select(attrs={"data-detect-zone": ""}),
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"]
        user.time_zone = self.cleaned_data["time_zone"]
        user.save(update_fields=["display_name", "time_zone"])


class ProfileForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        label="Time zone",
        help_text="Reminders and your daily check-in follow this time zone.",
    )

    class Meta:
        model = User
        fields = ["display_name", "time_zone", "language", "phone"]
        labels = {"display_name": "What should we call you?"}
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        allowed = set("0123456789+-() .")
        if phone and (set(phone) - allowed or sum(c.isdigit() for c in phone) < 5):
            raise forms.ValidationError(
                "Enter a phone number using digits, spaces and + - ( ), e.g. +1 503 555 0100."
            )
        return phone


class TherapistApplicationForm(forms.ModelForm):
    class Meta:
        model = TherapistProfile
        fields = ["credential", "organisation"]
        labels = {"credential": "Licence or credential", "organisation": "Practice or organisation"}


class DeleteAccountForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that my account and everything in it will be deleted for good.",
        error_messages={"required": "Tick the box to confirm, or go back to your settings."},
    )
