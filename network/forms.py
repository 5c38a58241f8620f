"""Forms for the network pages. Each parses input for one service call."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from .consents import CONSENT_TEXT_VERSION, CONSENT_TEXTS, default_part2_expiry
from .models import (
    LOGGABLE_METHODS,
    SHARING_SCOPE_CHOICES,
    ContactMethod,
    Ease,
    MeetingWay,
    ReachMethod,
    Role,
    Scope,
    Tie,
    TieStatus,
)
from .services.encouragement import ENCOURAGEMENT_TEMPLATES


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The form's own copy of a declared choice field (``fields`` is typed by its base)."""
    field = form.fields[name]
    if not isinstance(field, forms.ChoiceField):
        raise TypeError(f"{type(form).__name__}.{name} is not a choice field.")
    return field


class OfflineTieForm(forms.Form):
    offline_name = forms.CharField(label="Their name", max_length=80)
    role = forms.ChoiceField(choices=Role.choices)
    relationship_label = forms.CharField(
        label="What they are to you (optional)",
        max_length=60,
        required=False,
        help_text="For example “my sister” or “my home group”.",
    )
    ease = forms.ChoiceField(label="Reaching out to them is…", choices=Ease.choices)
    reach_methods = forms.MultipleChoiceField(
        label="Ways to reach them",
        choices=ReachMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    phone = forms.CharField(label="Phone (optional)", max_length=32, required=False)
    contact_email = forms.EmailField(label="Email (optional)", required=False)


class TieEditForm(forms.ModelForm):
    reach_methods = forms.MultipleChoiceField(
        label="Ways to reach them",
        choices=ReachMethod.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Tie
        fields = [
            "offline_name",
            "phone",
            "contact_email",
            "role",
            "relationship_label",
            "ease",
            "reach_methods",
        ]
        labels = {"offline_name": "Their name", "ease": "Reaching out to them is…"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.supporter_id:
            # A Rat Park user's name and contact details are theirs to manage.
            for name in ("offline_name", "phone", "contact_email"):
                del self.fields[name]


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Their email address")
    name = forms.CharField(
        label="Their name", max_length=80, help_text="How you know them; only you see this."
    )
    # No role chosen until the member chooses one (a default would make everyone a therapist).
    role = forms.ChoiceField(
        choices=[("", "Choose their role"), *Role.choices],
        error_messages={"required": "Choose their role: sponsor, family, friend, …"},
    )
    relationship_label = forms.CharField(
        label="What they are to you (optional)", max_length=60, required=False
    )
    message = forms.CharField(
        label="A short message (optional)",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="They see this and your display name before they accept. Nothing else.",
    )


class SharingForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label="What they may see",
        choices=SHARING_SCOPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    may_nudge = forms.BooleanField(
        label="Rat Park may suggest they reach out to me", required=False
    )
    is_sos_contact = forms.BooleanField(
        label="Alert them when I ask for help (an SOS contact)", required=False
    )


EXPIRY_CHOICES = [("date", "On a date"), ("event", "When something happens")]


class Part2ConsentForm(forms.Form):
    scopes = forms.MultipleChoiceField(
        label="Information my therapist may see",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = forms.CharField(
        label="Purpose",
        max_length=300,
        initial="To support my treatment and recovery.",
    )
    expiry_kind = forms.ChoiceField(
        label="This consent ends",
        choices=EXPIRY_CHOICES,
        initial="date",
        widget=forms.RadioSelect,
    )
    expires_on = forms.DateField(
        label="End date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="At most 2 years from today. Default: 12 months.",
    )
    expiry_event = forms.CharField(
        label="End event",
        max_length=200,
        required=False,
        help_text="For example “when my treatment with this therapist ends”.",
    )
    may_nudge = forms.BooleanField(
        label="Rat Park may suggest they reach out to me", required=False
    )
    is_sos_contact = forms.BooleanField(
        label="Alert them when I ask for help (an SOS contact)", required=False
    )
    understand = forms.BooleanField(
        label="I have read the consent text and I know I can revoke it at any time"
    )
    signature_name = forms.CharField(
        label="Type your full name to sign",
        max_length=120,
    )

    consent_text = CONSENT_TEXTS[CONSENT_TEXT_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = default_part2_expiry().date()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns, typed as never None
        today = timezone.localdate()
        if data.get("expiry_kind") == "date":
            expires_on = data.get("expires_on")
            if not expires_on:
                self.add_error("expires_on", "Choose an end date.")
            elif expires_on <= today:
                self.add_error("expires_on", "The end date must be after today.")
            elif expires_on > today + timedelta(days=731):
                self.add_error("expires_on", "Please choose a date within two years.")
        elif data.get("expiry_kind") == "event" and not data.get("expiry_event", "").strip():
            self.add_error("expiry_event", "Describe the event that ends this consent.")
        return data


class RevokeForm(forms.Form):
    reason = forms.CharField(label="Reason (optional)", max_length=300, required=False)


WHEN_CHOICES = [("now", "Just now"), ("earlier", "Earlier today"), ("yesterday", "Yesterday")]


class ContactForm(forms.Form):
    tie = forms.ChoiceField(label="With whom")
    method = forms.ChoiceField(label="How", choices=LOGGABLE_METHODS)
    when = forms.ChoiceField(
        label="When", choices=WHEN_CHOICES, initial="now", widget=forms.RadioSelect
    )
    duration_minutes = forms.IntegerField(
        label="Minutes (optional)", min_value=1, max_value=1440, required=False
    )
    helped = forms.TypedChoiceField(
        label="Did it help?",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[
            ("", "Skip"),
            (1, "1 – not really"),
            (2, "2"),
            (3, "3"),
            (4, "4"),
            (5, "5 – a lot"),
        ],
    )

    MEETING = "meeting"

    def __init__(self, *args, ties=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["when"].required = False
        _choice_field(self, "tie").choices = [(self.MEETING, "A meeting")] + [
            (str(t.pk), t.name) for t in ties if t.status in (TieStatus.ACTIVE, TieStatus.PAUSED)
        ]

    def occurred_at(self, member, now: datetime) -> datetime:
        """The moment "when" stands for, in the member's own day: now; earlier today (two
        hours ago, never before their midnight); yesterday (their yesterday at 18:00)."""
        when = self.cleaned_data.get("when") or "now"
        local = now.astimezone(member.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if when == "earlier":
            return max(now - timedelta(hours=2), midnight)
        if when == "yesterday":
            return (midnight - timedelta(days=1)).replace(hour=18)
        return now


class ContactEditForm(forms.Form):
    """Change a contact the member logged: how, when, how long, whether it helped."""

    method = forms.ChoiceField(label="How", choices=LOGGABLE_METHODS)
    occurred_at = forms.DateTimeField(
        label="When",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    duration_minutes = ContactForm.base_fields["duration_minutes"]
    helped = ContactForm.base_fields["helped"]

    def __init__(self, *args, contact, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "method": contact.method,
                # Naive local time: a form would otherwise show it in the server's zone.
                "occurred_at": contact.occurred_at.astimezone(contact.member.zone).replace(
                    tzinfo=None
                ),
                "duration_minutes": contact.duration_minutes,
                "helped": contact.helped,
            },
        )
        super().__init__(*args, **kwargs)
        self.zone = contact.member.zone
        if contact.tie_id is None and contact.method == ContactMethod.MEETING:
            # A meeting stays a meeting: what can change is how it was attended.
            _choice_field(self, "method").choices = [
                *((v, label.capitalize()) for v, label in MeetingWay.choices),
                (ContactMethod.MEETING, "Not said"),
            ]
            self.initial["method"] = contact.meeting_way or ContactMethod.MEETING
        elif contact.method == ContactMethod.UNSPECIFIED:
            # A check-in or reminder didn't say how; keeping that must stay possible.
            _choice_field(self, "method").choices = [
                *LOGGABLE_METHODS,
                (ContactMethod.UNSPECIFIED, ContactMethod.UNSPECIFIED.label),
            ]

    def clean_occurred_at(self):
        # The time is the member's local time, whatever the server's zone.
        value = self.cleaned_data["occurred_at"]
        return value.replace(tzinfo=None).replace(tzinfo=self.zone)


class SupporterContactForm(forms.Form):
    method = forms.ChoiceField(label="How", choices=LOGGABLE_METHODS)


class EncouragementForm(forms.Form):
    template = forms.ChoiceField(
        label="Choose a message",
        required=False,
        widget=forms.RadioSelect,
        choices=[(str(i), text) for i, text in enumerate(ENCOURAGEMENT_TEMPLATES)],
    )
    message = forms.CharField(
        label="Or write your own",
        max_length=280,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data  # what Form.clean returns, typed as never None
        text = (data.get("message") or "").strip()
        if not text and data.get("template") not in (None, ""):
            text = ENCOURAGEMENT_TEMPLATES[int(data["template"])]
        if not text:
            raise forms.ValidationError("Choose a message or write your own.")
        data["text"] = text
        return data
