"""factory_boy factories: the people, ties, consents and records the tests build on.

Each factory makes a row the way the application would: a user can sign in (a verified primary
address and the test password), a tie to a user carries the sharing consent that the consent
service records, and a therapist's consent is signed through that service too, so the tie's
``share_*`` flags always follow the consent in force. Tests name only what matters to them::

    sam = UserFactory(display_name="Sam", time_zone="Europe/Berlin")
    tie = TieFactory(member=sam, scopes=[Scope.MOOD_CRAVING])
    CheckinFactory(member=sam, local_date=today, craving=7)
"""

from __future__ import annotations

import datetime

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import TherapistProfile, User
from checkins.models import CheckIn
from network.consents import consent_record_sharing, consent_sign_part2
from network.models import Consent, Contact, ContactMethod, Role, Tie

PASSWORD = "a-long-test-password-42"
THERAPIST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(DjangoModelFactory):
    """A person who can sign in with ``PASSWORD`` (``verified=False``: an unconfirmed address)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    time_zone = "UTC"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The manager normalises the address and hashes the password, as sign-up does.
        kwargs.setdefault("password", PASSWORD)
        return model_class.objects.create_user(*args, **kwargs)

    @factory.post_generation
    def verified(user, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(
                user=user, email=user.email, verified=extracted is not False, primary=True
            )


class TherapistFactory(UserFactory):
    """A therapist staff have verified, with an authenticator app unless ``mfa=False`` (MFA is
    mandatory for them: the access predicate shares nothing with one who has none)."""

    display_name = factory.Sequence(lambda n: f"Dr {n}")

    @factory.post_generation
    def profile(user, create, extracted, **kwargs):
        if create:
            fields = {"credential": "LCSW 1", "verified_at": timezone.now()} | kwargs
            TherapistProfile.objects.create(user=user, **fields)

    @factory.post_generation
    def mfa(user, create, extracted, **kwargs):
        if create and extracted is not False:
            TOTP.activate(user, THERAPIST_TOTP_SECRET)


class TieFactory(DjangoModelFactory):
    """A member's tie to a supporter who has an account.

    Unless the role is therapist, the tie starts with the sharing consent the consent service
    records: ``scopes`` (default none), ``scopes__may_nudge`` (default True) and
    ``scopes__is_sos_contact`` (default False). A therapist's tie needs a
    ``TherapistConsentFactory``; an offline tie (``supporter=None``) has no consent.
    """

    class Meta:
        model = Tie
        skip_postgeneration_save = True

    member = factory.SubFactory(UserFactory)
    supporter = factory.SubFactory(UserFactory)
    role = Role.FRIEND

    @factory.post_generation
    def scopes(tie, create, extracted, may_nudge=True, is_sos_contact=False):
        if create and tie.supporter_id is not None and tie.role != Role.THERAPIST:
            consent_record_sharing(
                tie=tie, scopes=extracted or (), may_nudge=may_nudge, is_sos_contact=is_sos_contact
            )


class OfflineTieFactory(TieFactory):
    """Someone in the member's network who has no account, known by name only."""

    supporter = None
    offline_name = factory.Sequence(lambda n: f"Offline {n}")
    role = Role.FAMILY


class TherapistConsentFactory(DjangoModelFactory):
    """A therapist's formal consent, signed through the consent service (a year by default)."""

    class Meta:
        model = Consent

    tie = factory.SubFactory(
        TieFactory, supporter=factory.SubFactory(TherapistFactory), role=Role.THERAPIST
    )
    scopes = ()
    purpose = "Treatment"
    signature_name = "Sam Example"
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=365))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return consent_sign_part2(**kwargs)


def _local_today(member: User) -> datetime.date:
    return timezone.now().astimezone(member.zone).date()


class CheckinFactory(DjangoModelFactory):
    """A calm check-in on the member's local today unless ``local_date`` says otherwise."""

    class Meta:
        model = CheckIn

    member = factory.SubFactory(UserFactory)
    local_date = factory.LazyAttribute(lambda o: _local_today(o.member))
    mood = 3
    craving = 2
    connectedness = 3


class ContactFactory(DjangoModelFactory):
    """A call the member logged, at noon of ``local_date`` in their time zone by default."""

    class Meta:
        model = Contact

    member = factory.SubFactory(UserFactory)
    tie = None
    method = ContactMethod.CALL
    local_date = factory.LazyAttribute(lambda o: _local_today(o.member))
    occurred_at = factory.LazyAttribute(
        lambda o: datetime.datetime.combine(o.local_date, datetime.time(12), tzinfo=o.member.zone)
    )
