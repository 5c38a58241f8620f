from __future__ import annotations

import datetime
from typing import Any

from django import forms

from accounts.forms import ContactPreferencesForm
from accounts.models import User
from network import selectors as network_selectors
from recovery import quiet_hours

from .instruments import InstrumentDefinition
from .models import SCHEDULE_INTERVALS, CheckIn, Connectedness, Instrument, Mood, ReminderPreference
from .services import MAX_PAUSE_DAYS, MEETING

CRAVING_CHOICES = [(n, str(n)) for n in range(11)]
SLEEP_CHOICES = [
    ("", "Skip"),
    (1, "Very poor"),
    (2, "Poor"),
    (3, "Okay"),
    (4, "Good"),
    (5, "Very good"),
]
USED_CHOICES = [("no", "No"), ("yes", "Yes")]
WEEKDAYS = [(0, "Mon"), (1, "Tue"), (2, "Wed"), (3, "Thu"), (4, "Fri"), (5, "Sat"), (6, "Sun")]


class CheckInForm(forms.ModelForm):
    """The 30-second daily check-in. Only mood, craving, use and connectedness are required."""

    mood = forms.TypedChoiceField(
        label="How is your mood today?",
        choices=Mood.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose how your mood is today."},
    )
    craving = forms.TypedChoiceField(
        label="How strong is any craving right now? (0 = none, 10 = the strongest)",
        choices=CRAVING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose a craving level from 0 to 10."},
    )
    used = forms.TypedChoiceField(
        label="Have you used or acted out since your last check-in?",
        help_text="Whatever the answer, thank you for being honest. It helps you get support.",
        choices=USED_CHOICES,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Please answer yes or no. Either answer is okay."},
    )
    connectedness = forms.TypedChoiceField(
        label="How connected do you feel today?",
        choices=Connectedness.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Please choose how connected you feel."},
    )
    connected_with = forms.MultipleChoiceField(
        label="Who did you connect with today?",
        help_text="Anyone you already logged for this day is ticked already.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sleep_quality = forms.TypedChoiceField(
        label="How did you sleep? (optional)",
        choices=SLEEP_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = CheckIn
        fields = [
            "mood",
            "craving",
            "used",
            "connectedness",
            "sleep_quality",
            "gratitude",
            "notes",
        ]
        labels = {
            "gratitude": "Something you're grateful for (optional)",
            "notes": "Anything else on your mind? (optional)",
        }
        help_texts = {"notes": "Private to you unless you chose to share notes with someone."}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3, "maxlength": 2000})}

    def __init__(self, *args: Any, member: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ties = network_selectors.open_ties_for(member)
        connected_with = self.fields["connected_with"]
        if not isinstance(connected_with, forms.MultipleChoiceField):  # declared so above
            raise TypeError("connected_with is not a choice field.")
        connected_with.choices = [
            (str(tie.pk), f"{tie.name} ({tie.get_role_display().lower()})") for tie in ties
        ] + [(MEETING, "A meeting")]
        if self.instance.pk:
            self.initial["used"] = "yes" if self.instance.used else "no"

    def checkin_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SobrietyForm(forms.Form):
    started_on = forms.DateField(
        label="My sobriety date",
        help_text="The first day you count. Optional: not everyone counts days.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, today: datetime.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["started_on"].widget.attrs["max"] = today.isoformat()

    def clean_started_on(self) -> datetime.date:
        value = self.cleaned_data["started_on"]
        if value > self.today:
            raise forms.ValidationError("The date can't be in the future.")
        if value < self.today - datetime.timedelta(days=365 * 100):
            raise forms.ValidationError("Please check the year.")
        return value


class ReminderPreferenceForm(forms.ModelForm):
    """The reminder choices. Quiet hours and channels are the person's contact preferences
    (``accounts.forms.ContactPreferencesForm``), posted with this form on the same page:
    pass that form as ``contact_form`` so a reminder time inside them is refused."""

    reminder_days = forms.TypedMultipleChoiceField(
        label="On these days",
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ReminderPreference
        fields = ["checkin_reminder_enabled", "reminder_time", "reminder_days"]
        labels = {
            "checkin_reminder_enabled": "Remind me to check in",
            "reminder_time": "At this time (your local time)",
        }
        help_texts = {
            "reminder_time": "Choose a time outside your quiet hours: nothing is sent then.",
        }
        widgets = {
            "reminder_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(
        self, *args: Any, contact_form: ContactPreferencesForm | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.contact_form = contact_form
        mask = self.instance.reminder_days
        self.initial["reminder_days"] = [day for day, _ in WEEKDAYS if mask & (1 << day)]

    def clean_reminder_days(self) -> int:
        return sum(1 << day for day in set(self.cleaned_data["reminder_days"]))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("checkin_reminder_enabled") and not data.get("reminder_days"):
            self.add_error("reminder_days", "Choose at least one day, or turn reminders off.")
        contact = self.contact_form
        quiet: dict[str, Any] = {}
        if contact is not None and contact.is_bound:
            contact.is_valid()  # cleans once; the view asks again for its own answer
            quiet = contact.cleaned_data
        at, start, end = data.get("reminder_time"), quiet.get("quiet_start"), quiet.get("quiet_end")
        # The sweep skips reminders due in quiet hours, so such a time would never fire.
        if (
            data.get("checkin_reminder_enabled")
            and at is not None
            and start is not None
            and end is not None
            and quiet_hours.inside(at, start, end)
        ):
            self.add_error(
                "reminder_time",
                f"{at:%H:%M} is inside your quiet hours ({start:%H:%M} to {end:%H:%M}), "
                "when no reminders are sent. Choose a time outside them, or change your "
                "quiet hours.",
            )
        return data


class PauseForm(forms.Form):
    days = forms.IntegerField(
        label="Pause all reminders for this many days",
        min_value=0,
        max_value=MAX_PAUSE_DAYS,
        help_text="0 resumes reminders now.",
    )


class QuestionnaireForm(forms.Form):
    """One radio group per item, built from the instrument definition."""

    def __init__(self, *args: Any, instrument: InstrumentDefinition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for number, text in enumerate(instrument.items, start=1):
            self.fields[f"item_{number}"] = forms.TypedChoiceField(
                label=f"{number}. {text}",
                choices=instrument.options,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Please choose an answer for this question."},
            )

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"item_{n}"] for n in range(1, len(self.instrument.items) + 1)]


class ScheduleForm(forms.Form):
    instrument = forms.ChoiceField(choices=Instrument.choices)
    every_days = forms.TypedChoiceField(
        label="How often",
        choices=[*SCHEDULE_INTERVALS, (0, "Stop the schedule")],
        coerce=int,
    )
