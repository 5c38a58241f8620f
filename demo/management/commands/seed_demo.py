"""Create a realistic, deterministic demo data set. Safe to run again.

Sam is a member with 90 days of check-ins and six supporters of different roles; Maria is
Sam's sponsor and has her own supporter account; Dr. Rivera is a verified therapist (with a
published demo authenticator secret) whose caseload has 25 members (Sam and 24 others): some
flagged, one consent ending in a week, one ended, with varied scopes (``clinic.demo``).
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import TherapistProfile, User
from checkins.models import CheckIn, ReminderPreference
from checkins.stats import checkin_stats_rebuild
from clinic.demo import client_consent_plan, seed_clinic, shape_client
from network.consents import consent_record_sharing, consent_revoke, consent_sign_part2
from network.models import Consent, Contact, ContactMethod, Ease, ReachMethod, Role, Scope, Tie
from network.stats import contact_stats_rebuild
from notifications.models import Kind, Notification
from nudges.models import SosAlert
from nudges.services import notify, sos_alert_send
from nudges.sos import sos_kind_words

# The published demo login (README), never for real data.
DEMO_PASSWORD = "ratpark-demo-2026"  # noqa: S105  # nosec B105
DOMAIN = "demo.ratpark.local"
DEMO_TOTP_SECRET = "RATPARKDEMOTOTPSECRETBASE32ABCDE"  # noqa: S105  # nosec B105  # published demo authenticator
CASELOAD_SIZE = 25
HISTORY_DAYS = 90

# (key, display name, role, relationship label, ease, how to reach, has an account)
SAMS_NETWORK = [
    ("rivera", "Dr. Rivera", Role.THERAPIST, "my therapist", Ease.EFFORT, ["video"], True),
    ("maria", "Maria", Role.SPONSOR, "my sponsor", Ease.EASY, ["call", "text"], True),
    ("june", "Grandma June", Role.FAMILY, "my grandmother", Ease.EASY, ["call"], False),
    ("alex", "Alex", Role.FRIEND, "old friend from work", Ease.EFFORT, ["text"], True),
    ("jordan", "Jordan", Role.PEER, "peer from group", Ease.EASY, ["text", "in_person"], True),
    ("smart", "Tuesday SMART Recovery", Role.GROUP, "home group", Ease.EASY, ["in_person"], False),
]


# How the demo's contacts with a group or a therapist happen (others: a call or a text).
CONTACT_METHOD_BY_ROLE: dict[str, ContactMethod] = {
    Role.GROUP: ContactMethod.MEETING,
    Role.THERAPIST: ContactMethod.VIDEO,
}


class Command(BaseCommand):
    help = "Create demo accounts and data (deterministic, safe to re-run)."

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            logins = seed()
            seed_inbox()
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for role, email in logins:
            self.stdout.write(f"  {role:<10} {email}")
        # Demo only: a published secret, so anyone trying the demo can open the clinic.
        self.stdout.write(
            f"  The therapist's two-factor secret (add it to an authenticator app): "
            f"{DEMO_TOTP_SECRET}"
        )


def demo_user(key: str, name: str, password_hash: str, time_zone: str = "America/New_York") -> User:
    email = f"{key}@{DOMAIN}"
    user, _ = User.objects.get_or_create(
        email=email,
        defaults={"display_name": name, "time_zone": time_zone, "password": password_hash},
    )
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed() -> list[tuple[str, str]]:
    password_hash = make_password(DEMO_PASSWORD)  # hashing is slow on purpose: do it once
    sam = demo_user("sam", "Sam", password_hash)
    ReminderPreference.objects.get_or_create(member=sam)
    people: dict[str, User] = {}  # the supporters with an account
    ties = {}
    for n, (key, name, role, label, ease, reach, has_account) in enumerate(SAMS_NETWORK):
        supporter = demo_user(key, name, password_hash) if has_account else None
        if supporter is not None:
            people[key] = supporter
        tie = Tie.objects.filter(member=sam, relationship_label=label).first()
        if tie is None:
            tie = Tie.objects.create(
                member=sam,
                supporter=supporter,
                offline_name="" if has_account else name,
                role=role,
                relationship_label=label,
                ease=ease,
                reach_methods=[ReachMethod(r).value for r in reach],
                # 555-01xx numbers are reserved for fiction.
                phone=f"+1-555-01{n:02d}" if {"call", "text"} & set(reach) else "",
            )
        if role == Role.THERAPIST:
            sign_therapy_consent(tie)
        elif not Consent.objects.current().filter(tie=tie).exists():
            scopes = {Scope.CHECKIN_STATUS}
            if role == Role.SPONSOR:
                scopes |= {Scope.MOOD_CRAVING, Scope.CONTACTS}
            consent_record_sharing(
                tie=tie,
                scopes=scopes,
                may_nudge=True,
                is_sos_contact=role in (Role.SPONSOR, Role.PEER),
            )
        ties[key] = tie

    therapist = people["rivera"]
    TherapistProfile.objects.get_or_create(
        user=therapist,
        defaults={
            "credential": "LCSW 12345 (Oregon), demo",
            "organisation": "Riverside Counseling (demo)",
            "verified_at": timezone.now(),
        },
    )

    seed_history(sam, ties, HISTORY_DAYS)
    seed_clinic(therapist, DEMO_TOTP_SECRET, password_hash, demo_user)

    # Sam's number, shared with Maria as "how to reach me" (Call/Text on her Today).
    if not sam.phone:
        sam.phone = "+1-555-0199"
        sam.save(update_fields=["phone"])
    maria_tie = ties["maria"]
    if not maria_tie.share_reach:
        current = Consent.objects.current().filter(tie=maria_tie).first()
        consent_record_sharing(
            tie=maria_tie,
            scopes={*(current.scopes if current else []), Scope.REACH},
            may_nudge=True,
            is_sos_contact=True,
        )
    staff = demo_user("staff", "Staff", password_hash)
    if not staff.is_staff:
        staff.is_staff = staff.is_superuser = True
        staff.save(update_fields=["is_staff", "is_superuser"])

    for n in range(1, CASELOAD_SIZE):
        client = demo_user(f"client{n:02d}", f"Client {n:02d}", password_hash, "America/Chicago")
        tie, _ = Tie.objects.get_or_create(
            member=client, supporter=therapist, defaults={"role": Role.THERAPIST}
        )
        plan = client_consent_plan(n)
        sign_therapy_consent(tie, scopes=plan.scopes, days=plan.days, end=plan.end)
        client_ties = {"rivera": tie}
        seed_history(client, client_ties, 30)
        shape_client(client, tie, n)

    return [
        ("member", sam.email),
        ("supporter", people["maria"].email),
        ("therapist", therapist.email),
        ("client", f"client01@{DOMAIN}"),
        ("staff", staff.email),
    ]


DEFAULT_THERAPY_SCOPES = (
    Scope.CHECKIN_STATUS,
    Scope.MOOD_CRAVING,
    Scope.USE,
    Scope.CONTACTS,
    Scope.CONNECTEDNESS,
    Scope.NETWORK,
    Scope.QUESTIONNAIRES,
)


def sign_therapy_consent(
    tie: Tie, scopes=DEFAULT_THERAPY_SCOPES, days: int = 365, end: bool = False
) -> None:
    """A 42 CFR Part 2 consent for the therapist tie, unless one was signed already (and, for
    ``end``, revoke it: a client whose consent ended stays ended on a second run)."""
    if Consent.objects.filter(tie=tie).exists():
        return
    consent = consent_sign_part2(
        tie=tie,
        scopes=list(scopes),
        purpose="Treatment: reviewing my connection and check-in trends between sessions.",
        signature_name=tie.member.display_name,
        expires_at=timezone.now() + timedelta(days=days),
        may_nudge=True,
    )
    if end:
        consent_revoke(consent=consent, reason="Treatment finished (demo).")


def seed_history(member: User, ties: dict[str, Tie], days: int) -> None:
    """Check-ins and contacts for the last ``days`` local days; existing days are kept."""
    # Deterministic per person, whatever ran before; demo data variety, not a secret.
    rng = random.Random(member.email)  # nosec B311
    today = member.local_now().date()
    existing = set(member.checkins.values_list("local_date", flat=True))
    has_contacts = member.contacts.exists()
    checkins, contacts = [], []
    tie_list = list(ties.values())
    for offset in range(days, -1, -1):
        day = today - timedelta(days=offset)
        # A realistic month: most days checked in, a few gaps, a hard patch in the middle.
        if rng.random() < 0.12:
            continue
        hard_patch = days // 2 - 3 <= offset <= days // 2 + 2
        connected_today = rng.random() < (0.45 if hard_patch else 0.8)
        checkin = CheckIn(
            member=member,
            local_date=day,
            mood=rng.randint(1, 3) if hard_patch else rng.randint(3, 5),
            craving=rng.randint(5, 9) if hard_patch else rng.randint(0, 4),
            used=hard_patch and offset == days // 2,
            connectedness=rng.randint(3, 5) if connected_today else rng.randint(1, 3),
            sleep_quality=rng.randint(2, 5),
        )
        if day not in existing:
            checkins.append(checkin)
        if connected_today and tie_list:
            tie = rng.choice(tie_list)
            at = datetime.combine(day, time(rng.randint(8, 20), rng.choice((0, 15, 30, 45))))
            method = CONTACT_METHOD_BY_ROLE.get(
                tie.role, rng.choice([ContactMethod.CALL, ContactMethod.TEXT])
            )
            contact = Contact(
                member=member,
                tie=tie,
                method=method,
                occurred_at=timezone.make_aware(at, member.zone),
                local_date=day,
                duration_minutes=rng.choice([None, 10, 20, 45, 60]),
                helped=rng.randint(3, 5),
                initiated_by=rng.choice(
                    [Contact.Initiator.MEMBER] * 3 + [Contact.Initiator.SUPPORTER]
                ),
            )
            if not has_contacts:
                contacts.append(contact)
    CheckIn.objects.bulk_create(checkins, ignore_conflicts=True)
    Contact.objects.bulk_create(contacts)
    # Bulk writes skip the services that keep the streak figures: rebuild them.
    checkin_stats_rebuild(member.pk)
    contact_stats_rebuild(member.pk)


DEMO_SOS_WORDS = "Rough evening. Could someone call me?"


def seed_inbox() -> None:
    """A first run that shows the product: example prompts and kind words in Sam's inbox,
    and an SOS of Sam's that Jordan answered and Maria has not yet (pinned on her Today)."""
    sam = User.objects.get(email=f"sam@{DOMAIN}")
    june = Tie.objects.filter(member=sam, offline_name="Grandma June").first()
    notify(
        recipient=sam,
        kind=Kind.ISOLATION_PROMPT,
        title="Who could you reach out to today?",
        body="A short hello counts. Grandma June might like to hear from you.",
        idempotency_key="demo:isolation:sam",
        data={"tie_id": str(june.pk), "name": june.name, "phone": june.phone} if june else {},
        not_before=timezone.now(),
    )
    notify(
        recipient=sam,
        kind=Kind.CHECKIN_REMINDER,
        title="Time for your check-in",
        body="Thirty seconds, whenever you're ready.",
        idempotency_key="demo:reminder:sam",
        action_url="/checkins/",
        not_before=timezone.now(),
    )
    alex = User.objects.filter(email=f"alex@{DOMAIN}").first()
    if alex is not None:
        notify(
            recipient=sam,
            kind=Kind.ENCOURAGEMENT,
            title="A message from Alex",
            body="Alex sent you a few kind words.",
            idempotency_key="demo:encourage:alex",
            action_url="/network/kind-words/",
            data={"message": "Proud of you for showing up every day.", "from": "Alex"},
        )
    alert = (
        SosAlert.objects.filter(member=sam, message=DEMO_SOS_WORDS).order_by("-created_at").first()
    )
    if alert is None or not alert.is_active():
        alert = SosAlert.objects.create(member=sam, message=DEMO_SOS_WORDS)
    sos_alert_send(alert)
    jordan = User.objects.filter(email=f"jordan@{DOMAIN}").first()
    note = Notification.objects.filter(
        recipient=jordan, kind=Kind.SOS, data__sos_id=str(alert.pk)
    ).first()
    if jordan is not None and note is not None and not note.response:
        sos_kind_words(supporter=jordan, notification=note, message="I'm here. Calling you at 8.")
