"""Ties, contacts and the choices they use, and the consents that say what a tie shares.

Consent stays with the tie: the access predicate (``TieQuerySet.receivable``) reads it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import SECOND_FACTOR_TYPES

if TYPE_CHECKING:
    import datetime


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    SPONSOR = "sponsor", "Sponsor"
    FAMILY = "family", "Family"
    FRIEND = "friend", "Friend"
    PEER = "peer", "Peer in recovery"
    GROUP = "group", "Group or meeting"


class Ease(models.TextChoices):
    EASY = "easy", "Easy to reach out to"
    EFFORT = "effort", "Takes some effort"
    CRISIS_ONLY = "crisis_only", "Only in a crisis"


class ReachMethod(models.TextChoices):
    CALL = "call", "Call"
    TEXT = "text", "Text"
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video"


class ContactMethod(models.TextChoices):
    CALL = "call", "Call"
    TEXT = "text", "Text"
    IN_PERSON = "in_person", "In person"
    VIDEO = "video", "Video"
    MEETING = "meeting", "Meeting"
    # A check-in asks only "who", not "how": the way is left unsaid rather than guessed, and
    # reads as "In touch with …". Never counted as in person.
    UNSPECIFIED = "unspecified", "In touch"


# The ways a person can choose when logging a contact by hand (everything but "unspecified").
LOGGABLE_METHODS = [(v, label) for v, label in ContactMethod.choices if v != "unspecified"]


class MeetingWay(models.TextChoices):
    """How a meeting (method "meeting") was attended. Kept apart from the method so a meeting
    stays a meeting (a group, in network health) while its way is saved as the member chose."""

    IN_PERSON = "in_person", "in person"
    VIDEO = "video", "by video"
    CALL = "call", "by phone"


def contact_method_label(method: str, meeting_way: str = "") -> str:
    """How a contact reads: "Call", "Meeting", "Meeting, in person"."""
    label = ContactMethod(method).label
    return f"{label}, {MeetingWay(meeting_way).label}" if meeting_way else label


class TieStatus(models.TextChoices):
    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


# What a member can choose to share with one supporter. Names are stable: they are stored in
# consents and in the access log.
class Scope(models.TextChoices):
    CHECKIN_STATUS = "checkin_status", "Whether I checked in today"
    MOOD_CRAVING = "mood_craving", "My mood and craving"
    USE = "use", "Use or relapse reports"
    CONTACTS = "contacts", "Who I have been in touch with"
    NOTES = "notes", "My check-in notes"
    # The member's own phone number (on their profile), for Call and Text buttons.
    REACH = "reach", "How to reach me (my phone number)"
    # Clinical scopes: offered only on a therapist's formal consent (see CLINICAL_SCOPES).
    CONNECTEDNESS = "connectedness", "How connected I feel"
    NETWORK = "network", "My network (people by role, network health, the circle)"
    QUESTIONNAIRES = "questionnaires", "My questionnaire scores"


SCOPE_FIELDS = {
    Scope.CHECKIN_STATUS: "share_checkin_status",
    Scope.MOOD_CRAVING: "share_mood_craving",
    Scope.USE: "share_use",
    Scope.CONTACTS: "share_contacts",
    Scope.NOTES: "share_notes",
    Scope.REACH: "share_reach",
}

# Scopes only a formal (Part 2) consent can grant: a supporter's sharing settings don't offer
# them, so no tie flag holds them; a therapist's access reads them from the signed consent.
# An older consent keeps exactly the scopes it was signed with: a new scope needs a new one.
CLINICAL_SCOPES = frozenset({Scope.CONNECTEDNESS, Scope.NETWORK, Scope.QUESTIONNAIRES})
SHARING_SCOPE_CHOICES = [(v, label) for v, label in Scope.choices if v not in CLINICAL_SCOPES]

OPEN_STATUSES = (TieStatus.INVITED, TieStatus.ACTIVE, TieStatus.PAUSED)


class TieQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def active(self):
        return self.filter(status=TieStatus.ACTIVE)

    def receivable(self, now=None):
        """Ties whose supporter may see, or be told, anything about the member right now.

        This is the access predicate for sets of ties: every reader that selects recipients
        (SOS, nudges, digests, the clinic, the API) starts here, and
        ``network.services.access.access_for_tie`` applies the same rule to one tie already loaded.
        The tie is active and links a Rat Park user; a therapist tie also needs a formal
        (Part 2) consent in force by its own expiry time, whether or not the daily expiry job
        has run, and a therapist whose credentials staff verified and have not withdrawn, who
        signs in with a second factor (an authenticator app or a security key).
        """
        from allauth.mfa.models import Authenticator  # allauth's models load after ours

        now = now or timezone.now()
        formal_in_force = Consent.objects.filter(
            tie=OuterRef("pk"), kind=ConsentKind.PART2, ended_at__isnull=True
        ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        # MFA is mandatory for therapists: without a second factor, nothing reaches them.
        second_factor = Authenticator.objects.filter(
            user=OuterRef("supporter_id"), type__in=SECOND_FACTOR_TYPES
        )
        clinical = (
            Q(
                supporter__therapist_profile__verified_at__isnull=False,
                supporter__therapist_profile__revoked_at__isnull=True,
            )
            & Exists(formal_in_force)
            & Exists(second_factor)
        )
        return (
            self.active().filter(supporter__isnull=False).filter(~Q(role=Role.THERAPIST) | clinical)
        )

    def with_open_consents(self):
        """With what ``access_for_tie`` reads loaded: the member, the supporter's therapist
        profile and the tie's consents not yet ended (newest first). One prefetch query."""
        return self.select_related("member", "supporter__therapist_profile").prefetch_related(
            models.Prefetch("consents", queryset=Consent.objects.filter(ended_at__isnull=True))
        )

    def nudgeable(self, now=None):
        """Receivable ties whose supporter agreed to be nudged about the member."""
        return self.receivable(now).filter(may_nudge=True)

    def sos(self, now=None):
        """Receivable ties whose supporter is one of the member's SOS contacts."""
        return self.receivable(now).filter(is_sos_contact=True)


class Tie(models.Model):
    """One person (or group) in a member's support network.

    The supporter is either a Rat Park user or an offline contact known only by name.
    A tie is never deleted when it ends or pauses: its contact history stays.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="support_ties"
    )
    supporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supporting_ties",
    )
    offline_name = models.CharField(
        max_length=80, blank=True, help_text="For someone who won't use Rat Park."
    )
    phone = models.CharField(max_length=32, blank=True)
    contact_email = models.EmailField(blank=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    relationship_label = models.CharField(
        max_length=60, blank=True, help_text="Optional, e.g. “my sister”."
    )
    ease = models.CharField(max_length=16, choices=Ease.choices, default=Ease.EASY)
    reach_methods = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=TieStatus.choices, default=TieStatus.ACTIVE)

    # Consent: what this supporter may see and receive. Defaults are minimal.
    share_checkin_status = models.BooleanField(default=True)
    share_mood_craving = models.BooleanField(default=False)
    share_use = models.BooleanField(default=False)
    share_contacts = models.BooleanField(default=False)
    share_notes = models.BooleanField(default=False)
    share_reach = models.BooleanField(default=False)
    may_nudge = models.BooleanField(
        default=True, help_text="Rat Park may suggest they reach out to you."
    )
    is_sos_contact = models.BooleanField(
        default=False, help_text="Alerted when you ask for help after a hard check-in."
    )

    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # Kept (network.stats): the latest confirmed contact on this tie, so pages need not
    # aggregate its whole history.
    last_contact_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Not columns: on rows from ``selectors.ties_for_member`` (annotations: the last contact,
    # contacts in 30 days) and ``selectors.network_health`` (days since the last contact).
    last_contact: datetime.datetime | None
    contacts_30: int
    days_since: int | None

    objects = TieQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(supporter__isnull=False) | ~Q(offline_name=""),
                name="tie_has_supporter_or_name",
            ),
            models.CheckConstraint(
                condition=Q(supporter__isnull=True) | ~Q(supporter=F("member")),
                name="tie_not_to_self",
            ),
            models.UniqueConstraint(
                fields=["member", "supporter"],
                condition=Q(supporter__isnull=False) & ~Q(status="ended"),
                name="one_open_tie_per_supporter",
            ),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"

    @property
    def name(self) -> str:
        """How the member sees this person. After an invitation is accepted the member keeps
        the name they gave; if it differs from the supporter's own, both show: "Mum (Maria)"."""
        supporter = self.supporter  # None, without a query, for an offline contact
        if supporter is not None:
            own = supporter.display_name
            given = self.offline_name.strip()
            if given and given.casefold() != own.casefold():
                return f"{given} ({own})"
            return own
        return self.offline_name or "A former supporter"

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(scope for scope, field in SCOPE_FIELDS.items() if getattr(self, field))

    def allows(self, scope: str) -> bool:
        return self.status == TieStatus.ACTIVE and scope in self.scopes


class ContactQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed=True)


class Contact(models.Model):
    """A member reached out to, or heard from, someone: the thing Rat Park celebrates."""

    class Initiator(models.TextChoices):
        MEMBER = "member", "I reached out"
        SUPPORTER = "supporter", "They reached out"

    class Source(models.TextChoices):
        MANUAL = "manual", "Logged by hand"
        CHECKIN = "checkin", "From a check-in"
        NUDGE = "nudge", "From a reminder"
        SUPPORTER = "supporter", "Logged by the supporter"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the (member, local_date) and (member, occurred_at) indexes serve
    # every lookup by member, and an index on member alone led PostgreSQL to read a member's
    # whole history to find their last 5 weeks.
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contacts",
        db_index=False,
    )
    # No tie means a meeting or group outside the member's listed network.
    tie = models.ForeignKey(
        Tie, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    method = models.CharField(max_length=16, choices=ContactMethod.choices)
    # Only for a meeting: in person, by video or by phone; blank when not said (a check-in asks
    # only "who", and meetings logged before the way was asked).
    meeting_way = models.CharField(
        max_length=16, choices=MeetingWay.choices, blank=True, default=""
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    # The member's local calendar date when the contact happened (streaks, sweeps).
    local_date = models.DateField()
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    helped = models.PositiveSmallIntegerField(
        "did it help?",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    initiated_by = models.CharField(
        max_length=16, choices=Initiator.choices, default=Initiator.MEMBER
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    # A contact logged by a supporter counts once the member confirms it.
    confirmed = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(helped__isnull=True) | Q(helped__gte=1, helped__lte=5),
                name="contact_helped_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__isnull=True) | Q(duration_minutes__lte=1440),
                name="contact_duration_at_most_a_day",
            ),
            models.CheckConstraint(
                condition=Q(meeting_way="") | Q(method="meeting"),
                name="contact_meeting_way_only_for_meetings",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-occurred_at"]),
            models.Index(fields=["member", "local_date"]),
            models.Index(fields=["tie", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.method_label} on {self.local_date}"

    def save(self, *args, **kwargs):
        if self.local_date is None:
            self.local_date = self.occurred_at.astimezone(self.member.zone).date()
        super().save(*args, **kwargs)

    @property
    def method_label(self) -> str:
        return contact_method_label(self.method, self.meeting_way)


class ContactStats(models.Model):
    """Kept aggregates of a member's confirmed contacts (``network.stats`` keeps them).

    Updated in the transaction of the contact that changes them; ``rebuild_kept_aggregates``
    recomputes them from history. The connection streak is the run of days with a contact.
    """

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="contact_stats",
    )
    last_contact_at = models.DateTimeField(null=True, blank=True)
    last_contact_on = models.DateField(null=True, blank=True)
    run_started_on = models.DateField(null=True, blank=True)
    longest_streak = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Contact figures of {self.member_id}"


# --- Consent ---------------------------------------------------------------------------------


class ConsentKind(models.TextChoices):
    SHARING = "sharing", "Sharing settings"
    PART2 = "part2", "Formal consent (42 CFR Part 2)"


class ConsentEnd(models.TextChoices):
    SUPERSEDED = "superseded", "Replaced by newer settings"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"
    TIE_ENDED = "tie_ended", "Tie ended or paused"
    RECIPIENT_LEFT = "left", "The recipient left the network"


class ConsentQuerySet(models.QuerySet):
    def current(self, now=None):
        """Consents in force: not ended and not past their expiry."""
        now = now or timezone.now()
        return self.filter(ended_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class Consent(models.Model):
    """One version of what a member lets one supporter see. Never edited, only ended.

    Every change to a tie's sharing creates a new row and ends the previous one, so the
    member's consent history is complete. For therapists the row is a formal 42 CFR Part 2
    §2.31 consent: recipient, specific data (scopes), purpose, expiry, e-signature, text version.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tie = models.ForeignKey(Tie, on_delete=models.CASCADE, related_name="consents")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents_given"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="consents_received",
    )
    # Kept as plain text so the record still names the recipient if their account goes.
    recipient_name = models.CharField(max_length=120)
    kind = models.CharField(max_length=8, choices=ConsentKind.choices, default=ConsentKind.SHARING)
    scopes = models.JSONField(default=list, blank=True)
    may_nudge = models.BooleanField(default=True)
    is_sos_contact = models.BooleanField(default=False)
    purpose = models.CharField(max_length=300, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expiry_event = models.CharField(max_length=200, blank=True)
    signature_name = models.CharField(max_length=120, blank=True)
    signed_at = models.DateTimeField(default=timezone.now)
    text_version = models.CharField(max_length=20, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=12, choices=ConsentEnd.choices, blank=True)
    revocation_reason = models.CharField(max_length=300, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tie"], condition=Q(ended_at__isnull=True), name="one_open_consent_per_tie"
            ),
            models.CheckConstraint(
                condition=~Q(kind="part2")
                | (
                    ~Q(signature_name="")
                    & ~Q(purpose="")
                    & ~Q(text_version="")
                    & (Q(expires_at__isnull=False) | ~Q(expiry_event=""))
                ),
                name="part2_consent_is_complete",
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, end_reason="")
                | Q(ended_at__isnull=False) & ~Q(end_reason=""),
                name="consent_end_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "-signed_at"]),
            # The daily expiry job looks only at open consents with an expiry date.
            models.Index(
                fields=["expires_at"],
                condition=Q(ended_at__isnull=True, expires_at__isnull=False),
                name="consent_open_expiry_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_name} ({self.signed_at:%Y-%m-%d})"

    @property
    def is_formal(self) -> bool:
        return self.kind == ConsentKind.PART2

    def is_current(self, now=None) -> bool:
        now = now or timezone.now()
        return self.ended_at is None and (self.expires_at is None or self.expires_at > now)

    def scope_labels(self) -> list[str]:
        return [Scope(s).label for s in self.scopes if s in Scope.values]
