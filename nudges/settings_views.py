"""The one page for reminders and messages: check-in reminders, quiet hours, channels, a pause,
reach-out prompts and supporter nudges, messages the person stopped, and device notifications.

It lives here, above the check-in app, because it gathers choices from both; the check-in
app's old reminders address redirects here (emails link to it)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import ContactPreferencesForm
from accounts.models import ContactPreferences
from accounts.types import AuthenticatedHttpRequest
from checkins import services as checkin_services
from checkins.forms import PauseForm, ReminderPreferenceForm
from notifications.models import Mute, PushSubscription
from recovery.jitter import default_time

from .forms import NudgePreferenceForm
from .models import NudgePreference
from .schedule import DEFAULT_PROMPT_TIME

# Which form a POST is for: its submit button's ``action``. A POST without one is the
# prompts form (as it was before the two pages became one).
REMINDERS, PAUSE, PROMPTS = "save", "pause", "prompts"


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    member = request.user
    action = request.POST.get("action", PROMPTS) if request.method == "POST" else None
    reminder_pref = checkin_services.reminder_preference_for(member)
    # Unsaved choices show the spread default prompt time: the time the prompt comes.
    nudge_pref = NudgePreference.objects.filter(member=member).first() or NudgePreference(
        member=member, prompt_time=default_time(DEFAULT_PROMPT_TIME, member.pk)
    )
    # Quiet hours and channels are the person's contact preferences; no row means the
    # defaults, and saving the form makes one.
    contact_pref = ContactPreferences.objects.filter(user=member).first() or ContactPreferences(
        user=member
    )
    contact_form = ContactPreferencesForm(
        request.POST if action == REMINDERS else None, instance=contact_pref
    )
    reminder_form = ReminderPreferenceForm(
        request.POST if action == REMINDERS else None,
        instance=reminder_pref,
        contact_form=contact_form,
    )
    pause_form = PauseForm(request.POST if action == PAUSE else None)
    prompts_form = NudgePreferenceForm(
        request.POST if action == PROMPTS else None, instance=nudge_pref
    )
    if action == REMINDERS and reminder_form.is_valid() and contact_form.is_valid():
        with transaction.atomic():
            reminder_form.save()
            contact_form.save()
        messages.success(request, "Your reminder settings are saved.")
        return redirect("nudges:preferences")
    if action == PAUSE and pause_form.is_valid():
        days = pause_form.cleaned_data["days"]
        checkin_services.reminders_pause(preference=reminder_pref, days=days)
        messages.success(
            request, f"Reminders are paused for {days} days." if days else "Reminders are back on."
        )
        return redirect("nudges:preferences")
    if action == PROMPTS and prompts_form.is_valid():
        prompts_form.save()
        messages.success(request, "Your reminder choices are saved.")
        return redirect("nudges:preferences")
    if action not in (None, REMINDERS, PAUSE, PROMPTS):
        messages.error(request, "Nothing was changed.")
        return redirect("nudges:preferences")
    return render(
        request,
        "nudges/preferences.html",
        {
            "reminder_form": reminder_form,
            "contact_form": contact_form,
            "pause_form": pause_form,
            "form": prompts_form,
            "preference": reminder_pref,
            "paused": reminder_pref.is_paused(),
            "vapid_public_key": settings.VAPID_PUBLIC_KEY,
            "devices": PushSubscription.objects.filter(user=member).count(),
            "mutes": Mute.objects.filter(user=member).order_by("kind", "channel"),
        },
    )
