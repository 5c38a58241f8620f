"""The access log (accounting of disclosures): append-only, hash-chained entries."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .ties import Consent


class DisclosureAction(models.TextChoices):
    VIEW = "view", "Viewed"
    EXPORT = "export", "Exported"


class AppendOnlyQuerySet(models.QuerySet):
    """The access log has no update or delete path through the ORM's default manager."""

    def update(self, **kwargs):
        raise PermissionError("The access log is append-only.")

    def delete(self):
        raise PermissionError("The access log is append-only.")


class DisclosureEvent(models.Model):
    """Who saw which scope of whose data, when, under which consent. Append-only, hash-chained.

    Each member has their own chain: ``seq`` is the entry's position in it (1, 2, 3 …) and
    ``prev_hash`` the hash of the entry before it (see ``network.accesslog``). People are
    stored as plain ids and names next to nullable foreign keys: deleting an account
    nulls the foreign key but leaves the hashed values intact, so the chain stays verifiable.
    """

    id = models.BigAutoField(primary_key=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="disclosures_about",
    )
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="disclosures_seen",
    )
    consent = models.ForeignKey(
        Consent, null=True, on_delete=models.SET_NULL, related_name="disclosures"
    )
    seq = models.PositiveIntegerField()
    member_ref = models.BigIntegerField()
    member_name = models.CharField(max_length=120)
    viewer_ref = models.BigIntegerField()
    viewer_name = models.CharField(max_length=120)
    consent_ref = models.CharField(max_length=36, blank=True)
    scope = models.CharField(max_length=20)
    action = models.CharField(max_length=8, choices=DisclosureAction.choices)
    occurred_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["member_ref", "-occurred_at"])]
        constraints = [
            # One position per member's chain: two writers can never fork it. Its index also
            # finds a member's head in one lookup.
            models.UniqueConstraint(
                fields=["member_ref", "seq"], name="network_disclosure_one_seq_per_chain"
            )
        ]

    def __str__(self) -> str:
        return f"{self.viewer_name} {self.get_action_display().lower()} {self.scope}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The access log is append-only.")
