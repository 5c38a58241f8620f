from __future__ import annotations

import zoneinfo
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join

from .models import ContactPreferences, TherapistProfile, User

if TYPE_CHECKING:
    from django.http import HttpRequest


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


def find_time_zone(typed: str) -> str | None:
    """The IANA zone a person typed: exact, or with spaces for underscores and any case
    ("america/new york"), or a city alone when only one zone has it ("Lisbon"). None if none."""
    wanted = typed.strip().replace(" ", "_").casefold()
    if not wanted:
        return None
    zones = zoneinfo.available_timezones()
    by_name = {name.casefold(): name for name in zones}
    if wanted in by_name:
        return by_name[wanted]
    cities = [name for name in zones if name.rsplit("/", 1)[-1].casefold() == wanted]
    return cities[0] if len(cities) == 1 else None


class TimeZoneInput(forms.TextInput):
    """A text box with a searchable list of every IANA zone (``<input list>`` and a
    ``<datalist>``): it works without JavaScript; static/js/timezone.js proposes the browser's
    zone into it."""

    list_id = "time-zone-list"

    def __init__(self, attrs: dict | None = None) -> None:
        defaults = {
            "list": self.list_id,
            "autocomplete": "off",
            "spellcheck": "false",
            "autocapitalize": "none",
            "data-detect-zone": "",
        }
        super().__init__({**defaults, **(attrs or {})})

    def render(self, name, value, attrs=None, renderer=None):
        box = super().render(name, value, attrs, renderer)
        options = format_html_join(
            "", '<option value="{}"></option>', ((zone,) for zone, _ in time_zone_choices())
        )
        return format_html('{}<datalist id="{}">{}</datalist>', box, self.list_id, options)


class TimeZoneField(forms.CharField):
    """A time zone typed or picked from the list, checked against the IANA database."""

    widget = TimeZoneInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        zone = find_time_zone(value)
        if zone is None:
            raise forms.ValidationError(
                "We don't know the time zone “%(value)s”. Start typing your city, for example "
                "Chicago or Lisbon, and pick it from the list.",
                params={"value": value},
            )
        return zone


class SignupForm(forms.Form):
    """Extra fields on allauth's sign-up form."""

    display_name = forms.CharField(
        max_length=60,
        label="What should we call you?",
        help_text="A first name or nickname is enough. People you invite will see it.",
    )
    time_zone = TimeZoneField(
        initial="UTC",
        label="Time zone",
        help_text="We suggest your device's time zone. Start typing your city to find yours "
        "in the list, for example America/Chicago.",
        # static/js/timezone.js fills in the browser's zone (Intl) when this still says UTC.
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


class ContactPreferencesForm(forms.ModelForm):
    """Quiet hours and channels, shown on the reminders page under the reminder choices."""

    class Meta:
        model = ContactPreferences
        fields = ["quiet_start", "quiet_end", "channel_email", "channel_push"]
        labels = {
            "quiet_start": "Quiet hours start",
            "quiet_end": "Quiet hours end",
            "channel_email": "By email",
            "channel_push": "By web push notification",
        }
        help_texts = {"channel_push": "On the devices where you turned notifications on."}
        widgets = {
            "quiet_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Offer push only where this server can send it (the browser check is push.js's).
        if not settings.VAPID_PUBLIC_KEY:
            del self.fields["channel_push"]
