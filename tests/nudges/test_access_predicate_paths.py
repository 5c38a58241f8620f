"""Every path that tells or shows someone anything about a member goes through one predicate.

The paths: the SOS, the sweep's supporter nudge, the therapist digest, the notification's own
page and inbox (and a delivery still waiting for quiet hours to end), the supporter's pages.
The cases: a therapist whose formal consent passed its ``expires_at`` an hour ago (the daily
expiry job has not run, so every stored flag still says yes), a therapist never verified, and
one whose verification staff withdrew. Each case on each path, next to a friend and a valid
therapist who still get everything. The tests run the real sweep and services and read the
pages, so they hold for any implementation of the rules.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import ContactPreferences, TherapistProfile, User
from accounts.services import export_user_data
from checkins.models import CheckIn
from network.consents import consent_record_sharing, consent_sign_part2
from network.models import Consent, DisclosureEvent, Role, Scope, Tie, TieStatus
from network.services.access import access_for_tie
from network.services.suggestion import suggest_reach_out
from notifications.delivery import deliver_one
from notifications.models import Channel, Delivery, DeliveryStatus, Kind, Notification
from nudges.models import NudgePreference, SosAlert, SweepState
from nudges.services import notify
from nudges.sweep import run_sweep
from tests.factories import PASSWORD, TherapistFactory
from tests.network_cast import build_cast

UTC = datetime.UTC
NOON = datetime.datetime(2026, 3, 4, 12, 0, 30, tzinfo=UTC)  # a Wednesday: the sweep's clock
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
SOS_WORDS = "SOS-WORDS-7731: please call me tonight"
SURNAME = "Okafor"  # only the member's name carries it, so a page without it names no one
CASES = ["expired", "unverified", "withdrawn"]
THERAPIST_SCOPES = [Scope.CHECKIN_STATUS, Scope.CONTACTS, Scope.MOOD_CRAVING]

pytestmark = pytest.mark.usefixtures("no_default_quiet_hours")


@dataclass
class Clinic:
    sam: User
    friend: User
    valid: User  # a verified therapist under a consent in force
    invalid: User  # the therapist of the case under test
    case: str
    ties: dict[str, Tie] = field(default_factory=dict)

    def lose_access(self, at: datetime.datetime) -> None:
        """Make the case happen ``at`` without touching the stored flags (the bug's setting)."""
        tie = self.ties["invalid"]
        if self.case == "expired":
            # An hour past its own expiry; the daily job that ends consents has not run.
            Consent.objects.filter(tie=tie, ended_at__isnull=True).update(
                expires_at=at - datetime.timedelta(hours=1)
            )
        elif self.case == "withdrawn":
            TherapistProfile.objects.filter(user=self.invalid).update(revoked_at=at)
        tie.refresh_from_db()
        # Nothing cleared the flags: only the predicate can tell.
        assert tie.status == TieStatus.ACTIVE
        assert tie.may_nudge
        assert tie.is_sos_contact


def _therapist(make_user, name: str, *, verified: bool = True) -> User:
    return TherapistFactory(
        email=f"{name.lower()}@example.org",
        display_name=f"Dr {name}",
        profile__verified_at=NOON - 30 * DAY if verified else None,
    )


def _therapist_tie(member: User, therapist: User) -> Tie:
    tie = Tie.objects.create(member=member, supporter=therapist, role=Role.THERAPIST)
    consent_sign_part2(
        tie=tie,
        scopes=THERAPIST_SCOPES,
        purpose="Treatment",
        signature_name="Sam Okafor",
        expires_at=timezone.now() + 365 * DAY,
        may_nudge=True,
        is_sos_contact=True,
        now=NOON - 2 * DAY,
    )
    return tie


def _friend_tie(member: User, friend: User, role: str = Role.FRIEND) -> Tie:
    tie = Tie.objects.create(member=member, supporter=friend, role=role)
    consent_record_sharing(
        tie=tie, scopes=[Scope.CHECKIN_STATUS], may_nudge=True, is_sos_contact=True
    )
    return tie


@pytest.fixture(params=CASES)
def clinic(request, make_user) -> Clinic:
    case = request.param
    sam = make_user("sam@example.org", display_name=f"Sam {SURNAME}")
    sam.date_joined = NOON - 30 * DAY
    sam.save(update_fields=["date_joined"])
    friend = make_user("friend@example.org", display_name="Fran")
    valid = _therapist(make_user, "Valid")
    invalid = _therapist(make_user, case.title(), verified=case != "unverified")
    c = Clinic(sam=sam, friend=friend, valid=valid, invalid=invalid, case=case)
    c.ties["friend"] = _friend_tie(sam, friend)
    c.ties["valid"] = _therapist_tie(sam, valid)
    c.ties["invalid"] = _therapist_tie(sam, invalid)
    NudgePreference.objects.create(member=sam, sos_message=SOS_WORDS)
    return c


def _sweep_at_noon() -> None:
    SweepState.objects.create(id=1, last_run_at=NOON - MINUTE)
    run_sweep(now=NOON, dispatch=False)


def _recipients(kind: str, **filters) -> set[User]:
    return {n.recipient for n in Notification.objects.filter(kind=kind, **filters)}


def _hard_checkin(member: User) -> CheckIn:
    return CheckIn.objects.create(
        member=member, local_date=member.local_now().date(), mood=1, craving=9, connectedness=1
    )


# --- The SOS -------------------------------------------------------------------------------------


def test_sos_reaches_the_friend_and_the_valid_therapist_only(client, clinic):
    clinic.lose_access(timezone.now())
    client.force_login(clinic.sam)
    response = client.post(reverse("nudges:sos"), {"checkin": _hard_checkin(clinic.sam).pk})
    alert = SosAlert.objects.get(member=clinic.sam)
    assert response.url == reverse("nudges:sos_status", args=[alert.pk])
    assert _recipients(Kind.SOS, subject_member=clinic.sam) == {clinic.friend, clinic.valid}
    # The member is told whom Rat Park alerted: the therapist who may not hear is not listed.
    page = client.get(response.url).content.decode()
    assert "Dr Valid" in page
    assert "Fran" in page
    assert clinic.invalid.display_name not in page


# --- The sweep: supporter nudges and the therapist digest ----------------------------------------


def test_sweep_nudges_only_supporters_who_may_be_told(clinic):
    # Sam checked in five days ago and not since: a nudge is due for every nudgeable supporter.
    CheckIn.objects.create(
        member=clinic.sam, local_date=NOON.date() - 5 * DAY, mood=3, craving=1, connectedness=3
    )
    clinic.lose_access(NOON)
    _sweep_at_noon()
    nudged = _recipients(Kind.SUPPORTER_NUDGE, subject_member=clinic.sam)
    assert nudged == {clinic.friend, clinic.valid}


def test_sweep_makes_a_digest_only_for_a_caseload_that_may_be_seen(clinic):
    for therapist in (clinic.valid, clinic.invalid):
        NudgePreference.objects.create(
            member=therapist, digest_weekday=NOON.weekday(), digest_hour=NOON.hour
        )
    clinic.lose_access(NOON)
    _sweep_at_noon()
    assert _recipients(Kind.THERAPIST_DIGEST) == {clinic.valid}


def test_the_digest_names_only_clients_whose_tie_is_receivable(client, make_user):
    therapist = _therapist(make_user, "Both")
    sam = make_user(display_name=f"Sam {SURNAME}")
    olive = make_user(display_name="Olive Lapsed")
    _therapist_tie(sam, therapist)
    lapsed = _therapist_tie(olive, therapist)
    Consent.objects.filter(tie=lapsed).update(expires_at=NOON - datetime.timedelta(hours=1))
    NudgePreference.objects.create(
        member=therapist, digest_weekday=NOON.weekday(), digest_hour=NOON.hour
    )
    _sweep_at_noon()
    digest = Notification.objects.get(recipient=therapist, kind=Kind.THERAPIST_DIGEST)
    client.force_login(therapist)
    page = client.get(reverse("notifications:detail", args=[digest.pk])).content.decode()
    assert f"Sam {SURNAME}" in page
    assert "Olive" not in page
    # Only the client shown is in the access log.
    assert set(
        DisclosureEvent.objects.filter(viewer_ref=therapist.pk).values_list("member_ref", flat=True)
    ) == {sam.pk}


# --- The notification page, the inbox and a waiting delivery -------------------------------------


def _messages_about(member: User, recipient: User, tie: Tie) -> dict[str, Notification]:
    """What the old rules made for every flagged tie: an SOS, a nudge, a digest."""
    name = member.display_name
    made = {}
    for kind, title, body, data in [
        (Kind.SOS, f"{name} asked for support", f"{name} would like you to reach out.", True),
        (
            Kind.SUPPORTER_NUDGE,
            f"{name} might appreciate hearing from you",
            f"{name} could use a hello today. A short message is plenty.",
            False,
        ),
    ]:
        made[kind], _ = notify(
            recipient=recipient,
            kind=kind,
            title=title,
            body=body,
            idempotency_key=f"test:{kind}:{recipient.pk}",
            subject_member=member,
            data={"words": SOS_WORDS, "tie_id": str(tie.pk)} if data else {"tie_id": str(tie.pk)},
        )
    made[Kind.THERAPIST_DIGEST], _ = notify(
        recipient=recipient,
        kind=Kind.THERAPIST_DIGEST,
        title="Your weekly Rat Park summary",
        body="Your weekly summary is ready. Log in to read it.",
        idempotency_key=f"test:digest:{recipient.pk}",
    )
    return made


def test_notification_pages_withhold_what_is_about_the_member_once_access_is_lost(client, clinic):
    lost = _messages_about(clinic.sam, clinic.invalid, clinic.ties["invalid"])
    kept = _messages_about(clinic.sam, clinic.valid, clinic.ties["valid"])
    clinic.lose_access(timezone.now())

    # A fresh sign-in (a therapist signed in before the withdrawal is signed out: clinic tests).
    client.force_login(User.objects.get(pk=clinic.invalid.pk))
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert SURNAME not in inbox
    assert "hello today" not in inbox
    assert "no longer shown" in inbox
    for notification in lost.values():
        response = client.get(reverse("notifications:detail", args=[notification.pk]))
        assert response.status_code == HTTPStatus.OK
        page = response.content.decode()
        assert SURNAME not in page, notification.kind
        assert SOS_WORDS not in page
        assert "hello today" not in page
    assert not DisclosureEvent.objects.filter(viewer_ref=clinic.invalid.pk).exists()

    # The valid therapist still reads all of it.
    client.force_login(clinic.valid)
    sos = client.get(reverse("notifications:detail", args=[kept[Kind.SOS].pk])).content.decode()
    assert f"Sam {SURNAME} asked for support" in sos
    assert SOS_WORDS in sos
    nudge = client.get(reverse("notifications:detail", args=[kept[Kind.SUPPORTER_NUDGE].pk]))
    assert "could use a hello today" in nudge.content.decode()
    digest = client.get(reverse("notifications:detail", args=[kept[Kind.THERAPIST_DIGEST].pk]))
    assert f"Sam {SURNAME}" in digest.content.decode()


def test_a_waiting_email_about_the_member_is_not_sent_once_access_is_lost(clinic):
    lost = _messages_about(clinic.sam, clinic.invalid, clinic.ties["invalid"])
    kept = _messages_about(clinic.sam, clinic.valid, clinic.ties["valid"])
    clinic.lose_access(timezone.now())
    mail.outbox.clear()
    for made in (lost, kept):
        for kind in (Kind.SOS, Kind.SUPPORTER_NUDGE):
            for delivery in Delivery.objects.filter(notification=made[kind]):
                deliver_one(delivery.pk)
    statuses = set(
        Delivery.objects.filter(notification__in=[lost[Kind.SOS], lost[Kind.SUPPORTER_NUDGE]])
        .values_list("status", flat=True)
        .distinct()
    )
    assert statuses == {DeliveryStatus.SKIPPED}
    assert [m.to for m in mail.outbox] == [[clinic.valid.email], [clinic.valid.email]]
    assert all(SURNAME in m.subject for m in mail.outbox)


def test_the_recipients_own_export_withholds_it_too(clinic):
    _messages_about(clinic.sam, clinic.invalid, clinic.ties["invalid"])
    clinic.lose_access(timezone.now())
    exported = export_user_data(clinic.invalid)["nudges"]["notifications"]
    text = repr(exported)
    assert SURNAME not in text
    assert SOS_WORDS not in text


# --- The supporter's pages -----------------------------------------------------------------------


def test_supporter_pages_show_nothing_to_a_therapist_without_access(client, clinic):
    CheckIn.objects.create(
        member=clinic.sam,
        local_date=clinic.sam.local_now().date(),
        mood=2,
        craving=3,
        connectedness=2,
    )
    clinic.lose_access(timezone.now())
    tie = clinic.ties["invalid"]

    # A fresh sign-in (a therapist signed in before the withdrawal is signed out: clinic tests).
    client.force_login(User.objects.get(pk=clinic.invalid.pk))
    supporting = client.get(reverse("network:supporting")).content.decode()
    assert "nothing beyond your connection" in supporting
    assert f'href="{reverse("network:supporting_member", args=[tie.pk])}"' not in supporting
    page = client.get(reverse("network:supporting_member", args=[tie.pk])).content.decode()
    assert "hasn't shared anything" in page
    assert "checked in today" not in page
    assert "Mood" not in page
    export = client.get(reverse("network:supporting_export", args=[tie.pk]))
    csv_text = b"".join(export.streaming_content).decode()
    assert "checked_in_today" not in csv_text
    assert "mood" not in csv_text
    assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK
    assert not DisclosureEvent.objects.filter(viewer_ref=clinic.invalid.pk).exists()

    client.force_login(clinic.valid)
    valid_tie = clinic.ties["valid"]
    page = client.get(reverse("network:supporting_member", args=[valid_tie.pk])).content.decode()
    assert "checked in today" in page
    assert "Mood" in page
    assert DisclosureEvent.objects.filter(viewer_ref=clinic.valid.pk).exists()


def test_the_per_tie_twin_agrees_with_the_queryset_predicate(make_user):
    cast = build_cast()
    withdrawn = cast.therapist_active.therapist_profile
    receivable = set(Tie.objects.receivable().values_list("pk", flat=True))
    for name, tie in cast.ties.items():
        tie = Tie.objects.select_related("supporter__therapist_profile").get(pk=tie.pk)
        assert access_for_tie(tie, tie.supporter).receivable == (tie.pk in receivable), name
    withdrawn.revoked_at = timezone.now()
    withdrawn.save(update_fields=["revoked_at"])
    tie = Tie.objects.get(pk=cast.ties["therapist_active"].pk)
    assert not access_for_tie(tie, tie.supporter).receivable
    assert not Tie.objects.receivable().filter(pk=tie.pk).exists()


# --- Closing an account tells the member's supporters and therapists ------------------------------


def test_closing_an_account_tells_each_supporter_and_therapist_exactly_once(client, make_user):
    sam = make_user("sam@example.org", display_name=f"Sam {SURNAME}")
    friend = make_user("friend@example.org", display_name="Fran")
    paused = make_user("paused@example.org", display_name="Pat")
    gone = make_user("gone@example.org", display_name="Gone")
    valid = _therapist(make_user, "Valid")
    lapsed = _therapist(make_user, "Lapsed")
    _friend_tie(sam, friend)
    Tie.objects.filter(pk=_friend_tie(sam, paused).pk).update(status=TieStatus.PAUSED)
    Tie.objects.filter(pk=_friend_tie(sam, gone).pk).update(status=TieStatus.ENDED)
    Tie.objects.create(member=sam, offline_name="Grandma", role=Role.FAMILY)
    _therapist_tie(sam, valid)
    Consent.objects.filter(tie=_therapist_tie(sam, lapsed)).update(
        expires_at=timezone.now() - datetime.timedelta(hours=1)
    )

    # Through the real page: confirm, then the password again.
    client.force_login(sam)
    reauth = client.post(reverse("account_delete"), {"confirm": "on"}).url
    client.post(reauth, {"password": PASSWORD})
    assert not User.objects.filter(pk=sam.pk).exists()

    notices = Notification.objects.filter(
        kind=Kind.NETWORK, idempotency_key__startswith="network:member-left:"
    )
    by_recipient = {}
    for notice in notices:
        assert notice.recipient not in by_recipient, "told twice"
        by_recipient[notice.recipient] = notice
    assert set(by_recipient) == {friend, paused, valid, lapsed}
    named = f"Sam {SURNAME} has closed their Rat Park account"
    for person in (friend, valid):
        assert by_recipient[person].title == named
    # Those who may not be told about Sam now hear the news naming no one.
    for person in (paused, lapsed):
        assert SURNAME not in by_recipient[person].title + by_recipient[person].body
        assert by_recipient[person].title == "Someone you support has closed their Rat Park account"

    # The normal delivery path: an inbox and an email delivery each, and the email goes.
    for notice in by_recipient.values():
        channels = set(notice.deliveries.values_list("channel", flat=True))
        assert {Channel.INAPP, Channel.EMAIL} <= channels
    mail.outbox.clear()
    for delivery in Delivery.objects.filter(notification__in=notices, channel=Channel.EMAIL):
        assert deliver_one(delivery.pk).status == "sent"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        p.email for p in (friend, paused, valid, lapsed)
    )
    assert {m.subject for m in mail.outbox if m.to == [friend.email]} == {named}
    # The supporter's inbox still has it after the account is gone.
    client.force_login(friend)
    assert named in client.get(reverse("notifications:inbox")).content.decode()


# --- Reasons state facts, never words ------------------------------------------------------------

ATTRIBUTIONS = ("said", "say", "there for you", "would want", "wants", "told", "promised")


def test_reach_out_reasons_state_facts_and_quote_no_one(client, make_user):
    sam = make_user(display_name="Sam")
    maria = make_user(display_name="Maria Okafor")
    # No quiet hours for Maria, so the facts don't depend on when the test runs.
    ContactPreferences.objects.create(
        user=maria, quiet_start=datetime.time(0), quiet_end=datetime.time(0)
    )
    night = make_user(display_name="Nox", time_zone="Pacific/Kiritimati")
    tie = Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR, is_sos_contact=True)
    Tie.objects.create(member=sam, supporter=night, role=Role.PEER)
    Tie.objects.create(
        member=sam, offline_name="Ana", role=Role.FAMILY, relationship_label="my sister"
    )
    when = timezone.now() - 3 * DAY
    tie.contacts.create(member=sam, method="call", occurred_at=when, local_date=when.date())
    reasons = [
        s.reason
        for crisis in (False, True)
        for s in suggest_reach_out(sam, crisis=crisis, limit=10)
    ]
    assert reasons
    for reason in reasons:
        assert not any(word in reason.lower() for word in ATTRIBUTIONS), reason
    crisis = {s.tie.name: s.reason for s in suggest_reach_out(sam, crisis=True, limit=10)}
    assert crisis["Maria Okafor"] == (
        "Maria Okafor: your sponsor; one of your SOS contacts; you were last in touch 3 days ago."
    )
    assert crisis["Ana"] == "Ana: your sister; no contact logged yet."

    # The hard-day panel shows the same facts.
    client.force_login(sam)
    _hard_checkin(sam)
    page = client.get(reverse("checkins:today")).content.decode()
    assert "your sponsor; one of your SOS contacts" in page
    assert "said they are there for you" not in page


# --- Reaching out needs the predicate too ---------------------------------------------------------


def test_a_therapist_without_access_can_no_longer_send_kind_words_or_log_reaching_out(clinic):
    from network.models import Contact, ContactMethod
    from network.services.contacts import contact_log_by_supporter
    from network.services.encouragement import encouragement_send
    from network.services.errors import NetworkError

    clinic.lose_access(timezone.now())
    invalid, valid = clinic.ties["invalid"], clinic.ties["valid"]
    with pytest.raises(NetworkError):
        encouragement_send(supporter=clinic.invalid, tie=invalid, message="Thinking of you")
    with pytest.raises(NetworkError):
        contact_log_by_supporter(supporter=clinic.invalid, tie=invalid, method=ContactMethod.CALL)
    assert not Notification.objects.filter(recipient=clinic.sam).exists()
    assert not Contact.objects.filter(tie=invalid).exists()
    # The therapist who may still see the member can.
    encouragement_send(supporter=clinic.valid, tie=valid, message="Thinking of you")
    contact_log_by_supporter(supporter=clinic.valid, tie=valid, method=ContactMethod.CALL)
    assert Contact.objects.filter(tie=valid).count() == 1
