from __future__ import annotations

from django import forms

from .models import NOTE_MAX_LENGTH


class NoteForm(forms.Form):
    session_on = forms.DateField(
        label="Session date", widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(
        label="Note (only you can read it)",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
