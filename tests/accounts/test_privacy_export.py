"""The export includes the words addressed to the user, and nothing more of anyone else's."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse

from accounts.services import export_user_data
from checkins.models import CheckIn
from network.consents import consent_record_sharing
from network.models import Role, Scope, Tie, TieStatus
from network.services.encouragement import encouragement_send
from network.services.ties import tie_set_status
from notifications.models import Kind
from nudges.models import NudgePreference
from nudges.services import sos_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(make_user):
    return make_user("ana@example.org", display_name="Ana")


def _messages(user, kind: str) -> list[str | None]:
    notes = export_user_data(user)["nudges"]["notifications"]
    return [n["message"] for n in notes if n["kind"] == kind]


def _sos_from(asker, supporter) -> Tie:
    """``supporter`` is ``asker``'s SOS contact; ``asker`` has a hard day and asks for help."""
    tie = Tie.objects.create(member=asker, supporter=supporter, role=Role.FRIEND)
    consent_record_sharing(
        tie=tie, scopes=[Scope.CHECKIN_STATUS], may_nudge=True, is_sos_contact=True
    )
    NudgePreference.objects.create(member=asker, sos_message="ANA-WORDS please call me")
    checkin = CheckIn.objects.create(
        member=asker,
        local_date=datetime.date(2026, 11, 20),
        mood=1,
        craving=9,
        used=True,
        connectedness=1,
        notes="ANA-NOTE private",
    )
    sos_send(member=asker, checkin=checkin)
    return tie


def test_kind_words_received_are_exported(member, ana, make_user):
    tie = Tie.objects.create(member=member, supporter=ana, role=Role.SPONSOR)
    encouragement_send(supporter=ana, tie=tie, message="You've got this, Sam.")
    # Words sent to someone else are theirs, not Sam's.
    other = make_user(display_name="Other")
    other_tie = Tie.objects.create(member=other, supporter=ana, role=Role.FRIEND)
    encouragement_send(supporter=ana, tie=other_tie, message="OTHER-WORDS for someone else")

    assert _messages(member, Kind.ENCOURAGEMENT) == ["You've got this, Sam."]
    text = json.dumps(export_user_data(member))
    assert "OTHER-WORDS" not in text
    # The sender's export does not carry the words they sent as someone's received message.
    assert "You've got this" not in json.dumps(export_user_data(ana)["nudges"])


def test_an_sos_contact_gets_only_the_words_they_were_shown(member, ana):
    _sos_from(ana, member)

    data = export_user_data(member)
    (alert,) = [n for n in data["nudges"]["notifications"] if n["kind"] == Kind.SOS]
    assert alert["message"] == "ANA-WORDS please call me"
    text = json.dumps(data)
    # Nothing of Ana's check-in, account or tie beyond the words she chose to share.
    for private in ("ANA-NOTE", "ana@example.org", "tie_id", "subject_member", "craving"):
        assert private not in text, private
    # And Ana's own export holds her message as her setting, not as something she received.
    assert _messages(ana, Kind.SOS) == []
    assert export_user_data(ana)["nudges"]["nudge_preferences"]["sos_message"].startswith(
        "ANA-WORDS"
    )


def test_the_export_shows_sos_words_on_the_same_terms_as_the_page(client, member, ana):
    tie = _sos_from(ana, member)
    client.force_login(member)
    alert = member.notifications.get(kind=Kind.SOS)
    detail = reverse("notifications:detail", args=[alert.pk])
    assert "ANA-WORDS" in client.get(detail).content.decode()

    # Ana takes Sam off her SOS contacts: the page stops showing her words, and so does the export.
    consent_record_sharing(
        tie=tie, scopes=[Scope.CHECKIN_STATUS], may_nudge=True, is_sos_contact=False
    )
    assert "ANA-WORDS" not in client.get(detail).content.decode()
    assert _messages(member, Kind.SOS) == [None]
    assert "ANA-WORDS" not in json.dumps(export_user_data(member))


def test_sos_words_leave_the_export_when_the_tie_ends(member, ana):
    tie = _sos_from(ana, member)
    assert _messages(member, Kind.SOS) == ["ANA-WORDS please call me"]
    tie_set_status(tie=tie, status=TieStatus.ENDED)
    assert _messages(member, Kind.SOS) == [None]


def test_the_export_with_messages_stays_constant_query(
    member, ana, make_user, django_assert_max_num_queries
):
    _sos_from(ana, member)
    with django_assert_max_num_queries(30) as small:
        export_user_data(member)
    for n in range(5):
        asker = make_user()
        _sos_from(asker, member)
        tie = Tie.objects.create(member=member, supporter=asker, role=Role.PEER)
        encouragement_send(supporter=asker, tie=tie, message=f"kind words {n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = export_user_data(member)
    assert len([m for m in _messages(member, Kind.SOS) if m]) == 6
    assert len(data["nudges"]["notifications"]) == 11


def test_a_celebrations_words_are_exported_and_other_data_is_not(member):
    from nudges.services import notify

    notify(
        recipient=member,
        kind=Kind.CELEBRATION,
        title="A milestone to celebrate",
        body="You reached a milestone.",
        idempotency_key="celebration:test",
        data={"milestone": "days-30", "message": "30 days sober. That's yours."},
    )
    notify(
        recipient=member,
        kind=Kind.ISOLATION_PROMPT,
        title="Maybe reach out",
        body="x",
        idempotency_key="iso:test",
        data={"tie_id": "t", "name": "Jo", "phone": "+1 555 0199"},
    )
    assert _messages(member, Kind.CELEBRATION) == ["30 days sober. That's yours."]
    assert _messages(member, Kind.ISOLATION_PROMPT) == [None]
    assert "+1 555 0199" not in json.dumps(export_user_data(member)["nudges"])
