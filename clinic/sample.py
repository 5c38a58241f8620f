"""Synthetic caseloads for the benchmark and the query-count tests (bulk inserts, no signals;
the kept aggregates are rebuilt at the end, as ``rebuild_kept_aggregates`` would).

Not used by any page: it builds N members, each with a therapist tie under a formal consent
covering every scope, daily check-ins and a contact most days, for ``days`` days.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import User
from checkins.models import CheckIn, Instrument, QuestionnaireResponse
from checkins.stats import checkin_stats_rebuild
from network.consents import CONSENT_TEXT_VERSION
from network.models import (
    Consent,
    ConsentKind,
    Contact,
    ContactMethod,
    Role,
    Scope,
    Tie,
)
from network.stats import contact_stats_rebuild


def build_caseload(therapist: User, clients: int, days: int, *, prefix: str = "c") -> list[Tie]:
    now = timezone.now()
    today = now.date()
    password = make_password(None)
    members = User.objects.bulk_create(
        User(
            email=f"{prefix}{i}@example.org",
            display_name=f"Client {i:04d}",
            password=password,
        )
        for i in range(clients)
    )
    therapist_ties = Tie.objects.bulk_create(
        Tie(member=m, supporter=therapist, role=Role.THERAPIST, share_checkin_status=False)
        for m in members
    )
    friends = Tie.objects.bulk_create(
        Tie(member=m, offline_name="A friend", role=Role.FRIEND) for m in members
    )
    Consent.objects.bulk_create(
        Consent(
            tie=tie,
            member_id=tie.member_id,
            recipient=therapist,
            recipient_name=therapist.display_name,
            kind=ConsentKind.PART2,
            scopes=sorted(Scope.values),
            purpose="Treatment",
            signature_name="Client",
            text_version=CONSENT_TEXT_VERSION,
            signed_at=now - datetime.timedelta(days=days),
            expires_at=now + datetime.timedelta(days=200 if i % 10 else 7),
        )
        for i, tie in enumerate(therapist_ties)
    )
    batch: list = []
    contacts: list = []
    for i, member in enumerate(members):
        for d in range(days):
            day = today - datetime.timedelta(days=d)
            batch.append(
                CheckIn(
                    member=member,
                    local_date=day,
                    mood=1 + (d + i) % 5,
                    craving=(d * 3 + i) % 11,
                    connectedness=1 + (d + 2 * i) % 5,
                    notes="sample",
                )
            )
            if (d + i) % 3:
                contacts.append(
                    Contact(
                        member=member,
                        tie=friends[i],
                        method=ContactMethod.CALL,
                        occurred_at=now - datetime.timedelta(days=d),
                        local_date=day,
                    )
                )
        if len(batch) > 20000:
            CheckIn.objects.bulk_create(batch)
            Contact.objects.bulk_create(contacts)
            batch, contacts = [], []
    CheckIn.objects.bulk_create(batch)
    Contact.objects.bulk_create(contacts)
    QuestionnaireResponse.objects.bulk_create(
        QuestionnaireResponse(
            member=member,
            instrument=Instrument.UCLA3,
            version="Hughes 2004, 3-item",
            answers=[1, 2, 2],
            scores={"total": total},
            local_date=today - datetime.timedelta(days=d),
            completed_at=now - datetime.timedelta(days=d),
        )
        for member in members
        for d, total in ((60, 4), (10, 7))
    )
    for member in members:
        checkin_stats_rebuild(member.pk)
        contact_stats_rebuild(member.pk)
    return therapist_ties
