"""What a browser sends to turn web push on or off for a device."""

from __future__ import annotations

from django import forms


class PushSubscriptionForm(forms.Form):
    endpoint = forms.URLField(max_length=500, assume_scheme="https")
    p256dh = forms.CharField(max_length=200)
    auth = forms.CharField(max_length=100)


class PushUnsubscribeForm(forms.Form):
    endpoint = forms.URLField(max_length=500, assume_scheme="https")
