from __future__ import annotations

import datetime
import zoneinfo
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property

from recovery import quiet_hours

# allauth.mfa's Authenticator types that count as a second factor (its "recovery_codes" don't).
SECOND_FACTOR_TYPES = ("totp", "webauthn")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError("“%(value)s” is not a known time zone.", params={"value": value})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The same account can be a member, a supporter of others, and a therapist."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=60,
        help_text="The name others in your network see. A first name or nickname is enough.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    language = models.CharField(
        "preferred language", max_length=8, choices=settings.LANGUAGES, default="en"
    )
    phone = models.CharField(
        "phone number",
        max_length=32,
        blank=True,
        help_text="Optional. Only people you choose see it, under “How to reach me” in what "
        "you share with them.",
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "user"

    def __str__(self) -> str:
        return self.display_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def local_now(self):
        return timezone.now().astimezone(self.zone)

    @property
    def is_verified_therapist(self) -> bool:
        profile = getattr(self, "therapist_profile", None)
        return profile is not None and profile.is_verified

    @cached_property
    def has_second_factor(self) -> bool:
        """An authenticator app or a security key (recovery codes alone are not a factor).
        One query, once per loaded user: a request's pages ask it for every client."""
        from allauth.mfa.models import Authenticator  # allauth's models load after ours

        return Authenticator.objects.filter(user=self, type__in=SECOND_FACTOR_TYPES).exists()


class TherapistProfileQuerySet(models.QuerySet):
    def verified(self):
        return self.filter(verified_at__isnull=False, revoked_at__isnull=True)


class TherapistProfile(models.Model):
    """A clinician's credentials. Clinician powers need staff verification in the admin."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="therapist_profile")
    credential = models.CharField(
        max_length=120, help_text="Licence type and number, e.g. “LCSW 12345 (Oregon)”."
    )
    organisation = models.CharField(max_length=200, blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TherapistProfileQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.user} ({self.credential})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None and self.revoked_at is None


class ContactPreferences(models.Model):
    """How a person may be contacted: their quiet hours and the channels they accept.

    Read by every app that tells people anything (notifications, network, nudges). No row
    means the defaults (quiet hours ``quiet_hours.DEFAULT``, every channel on); the nudges
    sweep reads a missing row the same way, so nobody gets a row just by being a user.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="contact_preferences"
    )
    quiet_start = models.TimeField(default=quiet_hours.DEFAULT_START)
    quiet_end = models.TimeField(default=quiet_hours.DEFAULT_END)
    # Unused: the inbox always gets everything. Kept so old exports and rows stay readable.
    channel_in_app = models.BooleanField(default=True)
    channel_email = models.BooleanField(default=True)
    # Push goes to anyone with a subscribed device unless they turn it off here.
    channel_push = models.BooleanField(default=True)

    class Meta:
        verbose_name = "contact preferences"
        verbose_name_plural = "contact preferences"

    def __str__(self) -> str:
        return f"Contact preferences of {self.user}"

    def in_quiet_hours(self, local_time: datetime.time) -> bool:
        return quiet_hours.inside(local_time, self.quiet_start, self.quiet_end)
