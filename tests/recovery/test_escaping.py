"""Whatever a person types is shown as text, never run as markup, on every page and HTML email.

Every free-text field gets a payload with its own tag: ``<script>TAG</script><img src=x
onerror=TAG>``. Then the member, a supporter sharing everything and a therapist under a formal
consent each follow every link they can see (the crawl), an invitee opens their invitation,
and every HTML email is sent. No page or email may contain the payload as markup, and each
field must be found escaped where it is shown, so a ``|safe`` anywhere fails this test.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from checkins.models import CheckIn
from network.consents import consent_record_sharing, consent_sign_part2
from network.invitations import invitation_create
from network.models import SHARING_SCOPE_CHOICES, Role, Scope, Tie
from network.services.encouragement import encouragement_send
from notifications.delivery import deliver_one
from notifications.models import Delivery, DeliveryStatus
from nudges.models import NudgePreference
from nudges.services import sos_send
from tests.demo.test_crawl import crawl
from tests.factories import TherapistFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("no_default_quiet_hours"),
]

TAGS = [
    "MEMBERNM",  # the member's display name
    "FRIENDNM",  # a supporter's display name
    "THERAPNM",  # a therapist's display name
    "TIELABEL",  # a tie's relationship label
    "OFFLINE",  # an offline supporter's name
    "NOTES",  # check-in notes
    "GRATEFUL",  # check-in gratitude
    "ENCOURAGE",  # a supporter's encouragement
    "INVITEMSG",  # an invitation's personal message
    "INVITEE",  # the name a member gives someone they invite
    "PURPOSE",  # a formal consent's purpose
    "SIGNATURE",  # a formal consent's signature
    "CREDENT",  # a therapist's credential
    "ORGANISE",  # a therapist's organisation
    "SOSWORDS",  # the member's SOS message
]
MARKUP = re.compile(r"<script>|<img src=x", re.IGNORECASE)


def payload(tag: str) -> str:
    return f"<script>{tag}</script><img src=x onerror={tag}>"


@pytest.fixture
def world(make_user, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    member = make_user("sam@example.org", display_name=payload("MEMBERNM"))
    friend = make_user("friend@example.org", display_name=payload("FRIENDNM"))
    therapist = TherapistFactory(
        email="dr@example.org",
        display_name=payload("THERAPNM"),
        profile__credential=payload("CREDENT"),
        profile__organisation=payload("ORGANISE"),
    )
    friend_tie = Tie.objects.create(
        member=member,
        supporter=friend,
        role=Role.SPONSOR,
        relationship_label=payload("TIELABEL"),
    )
    consent_record_sharing(
        tie=friend_tie,
        scopes=[value for value, _ in SHARING_SCOPE_CHOICES],
        may_nudge=True,
        is_sos_contact=True,
    )
    therapist_tie = Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)
    consent_sign_part2(
        tie=therapist_tie,
        scopes=[Scope.MOOD_CRAVING, Scope.NOTES],
        purpose=payload("PURPOSE"),
        signature_name=payload("SIGNATURE"),
        expires_at=timezone.now() + timedelta(days=90),
    )
    Tie.objects.create(member=member, offline_name=payload("OFFLINE"), role=Role.FAMILY)
    checkin = CheckIn.objects.create(
        member=member,
        local_date=member.local_now().date(),
        mood=1,
        craving=9,
        used=False,
        connectedness=1,
        notes=payload("NOTES"),
        gratitude=payload("GRATEFUL"),
    )
    NudgePreference.objects.create(member=member, sos_message=payload("SOSWORDS"))
    with django_capture_on_commit_callbacks(execute=True):
        _, token = invitation_create(
            member=member,
            email="invitee@example.org",
            name=payload("INVITEE"),
            role=Role.FRIEND,
            message=payload("INVITEMSG"),
        )
        encouragement_send(supporter=friend, tie=friend_tie, message=payload("ENCOURAGE"))
        sos_send(member=member, checkin=checkin)
    for delivery in Delivery.objects.filter(channel="email", status=DeliveryStatus.PENDING):
        deliver_one(delivery.pk)
    return {"member": member, "friend": friend, "therapist": therapist, "token": token}


class Collecting:
    """A client for the crawl that keeps every HTML body it is given, by path."""

    def __init__(self, client, who: str, into: dict[str, str]) -> None:
        self.client, self.who, self.into = client, who, into

    def get(self, path: str):
        response = self.client.get(path)
        if "text/html" in response.get("Content-Type", ""):
            self.into[f"{self.who} {path}"] = response.content.decode()
        return response


def _everything_shown(client, world) -> dict[str, str]:
    shown: dict[str, str] = {}
    for who in ("member", "friend", "therapist"):
        client.force_login(world[who])
        collecting = Collecting(client, who, shown)
        crawl(collecting)
        if who == "therapist":  # a verified credential's own page is not linked from settings
            collecting.get(reverse("therapist_application"))
        client.logout()
    invitation = reverse("network:invitation_respond", args=[world["token"]])
    Collecting(client, "invitee", shown).get(invitation)
    for message in mail.outbox:
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                shown[f"email to {message.to[0]}: {message.subject}"] = content
    return shown


@pytest.mark.slow
def test_no_free_text_is_ever_rendered_as_markup(client, world):
    shown = _everything_shown(client, world)
    assert any(where.startswith("email") for where in shown)
    assert [where for where, html in shown.items() if MARKUP.search(html)] == []

    found = {tag: [w for w, html in shown.items() if escape(payload(tag)) in html] for tag in TAGS}
    assert [tag for tag, where in found.items() if not where] == []  # each field was shown

    def seen(tag: str, prefix: str) -> bool:
        return any(where.startswith(prefix) for where in found[tag])

    # The places the planted bugs of the past hid in, and each kind of email.
    assert seen("ENCOURAGE", "member /"), found["ENCOURAGE"]
    assert seen("NOTES", "friend /network/supporting/"), found["NOTES"]
    assert seen("NOTES", "therapist /network/supporting/"), found["NOTES"]
    assert seen("GRATEFUL", "friend /network/supporting/"), found["GRATEFUL"]
    assert seen("SOSWORDS", "friend /nudges/"), found["SOSWORDS"]
    assert seen("INVITEMSG", "email to invitee@example.org"), found["INVITEMSG"]
    assert seen("INVITEMSG", "invitee /"), found["INVITEMSG"]
    assert seen("MEMBERNM", "email to friend@example.org"), found["MEMBERNM"]
    assert seen("FRIENDNM", "email to sam@example.org"), found["FRIENDNM"]
