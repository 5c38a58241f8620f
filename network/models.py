"""A member's support network: ties to supporters, and the contacts made through them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


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


SCOPE_FIELDS = {
    Scope.CHECKIN_STATUS: "share_checkin_status",
    Scope.MOOD_CRAVING: "share_mood_craving",
    Scope.USE: "share_use",
    Scope.CONTACTS: "share_contacts",
    Scope.NOTES: "share_notes",
}

OPEN_STATUSES = (TieStatus.INVITED, TieStatus.ACTIVE, TieStatus.PAUSED)


class TieQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def active(self):
        return self.filter(status=TieStatus.ACTIVE)

    def nudgeable(self):
        """Active ties to a Rat Park user who agreed to be nudged about the member."""
        return self.active().filter(may_nudge=True, supporter__isnull=False)

    def sos(self):
        return self.active().filter(is_sos_contact=True, supporter__isnull=False)


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
    may_nudge = models.BooleanField(
        default=True, help_text="Rat Park may suggest they reach out to you."
    )
    is_sos_contact = models.BooleanField(
        default=False, help_text="Alerted when you ask for help after a hard check-in."
    )

    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

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
        if self.supporter_id is not None:
            return self.supporter.display_name
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
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contacts"
    )
    # No tie means a meeting or group outside the member's listed network.
    tie = models.ForeignKey(
        Tie, null=True, blank=True, on_delete=models.CASCADE, related_name="contacts"
    )
    method = models.CharField(max_length=16, choices=ContactMethod.choices)
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
        ]
        indexes = [
            models.Index(fields=["member", "-occurred_at"]),
            models.Index(fields=["member", "local_date"]),
            models.Index(fields=["tie", "-occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} on {self.local_date}"

    def save(self, *args, **kwargs):
        if self.local_date is None:
            self.local_date = self.occurred_at.astimezone(self.member.zone).date()
        super().save(*args, **kwargs)
