"""Who to reach out to: staleness, what helped, crisis-only ties, supporters' quiet hours."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from accounts.models import ContactPreferences
from network.models import Contact, Ease, Role, Tie
from network.services.suggestion import suggest_reach_out

# 15:00 UTC: afternoon in UTC and New York, 00:00 the next day in Tokyo.
NOW = dt.datetime(2026, 11, 27, 15, 0, tzinfo=dt.UTC)


def _tie(member, name, role=Role.FRIEND, **extra):
    return Tie.objects.create(member=member, offline_name=name, role=role, **extra)


def _contact(tie, days_ago, helped=None):
    when = NOW - timedelta(days=days_ago)
    Contact.objects.create(
        member=tie.member,
        tie=tie,
        method="call",
        occurred_at=when,
        local_date=when.date(),
        helped=helped,
    )


def test_least_recently_contacted_first_with_a_kind_reason(member):
    maria = _tie(member, "Maria", Role.SPONSOR)
    jo = _tie(member, "Jo")
    _contact(maria, 6)
    _contact(jo, 1)
    ranked = suggest_reach_out(member, now=NOW)
    assert [s.tie for s in ranked] == [maria, jo]
    assert ranked[0].reason == "Maria: your sponsor; you were last in touch 6 days ago."


def test_the_members_own_label_is_used(member):
    _tie(member, "Ana", Role.FAMILY, relationship_label="my sister")
    (suggestion,) = suggest_reach_out(member, now=NOW)
    assert suggestion.reason == "Ana: your sister; no contact logged yet."


def test_contacts_that_helped_outweigh_a_few_days(member):
    helpful = _tie(member, "Helpful")
    meh = _tie(member, "Meh")
    _contact(helpful, 3, helped=5)
    _contact(meh, 5, helped=1)
    assert [s.tie for s in suggest_reach_out(member, now=NOW)] == [helpful, meh]


def test_unconfirmed_contacts_do_not_count(member):
    tie = _tie(member, "Kim")
    Contact.objects.create(
        member=member,
        tie=tie,
        method="call",
        occurred_at=NOW,
        local_date=NOW.date(),
        confirmed=False,
    )
    assert "no contact logged yet" in suggest_reach_out(member, now=NOW)[0].reason


def test_crisis_only_ties_appear_only_in_a_crisis(member):
    _tie(member, "Everyday")
    crisis_line = _tie(member, "Crisis buddy", ease=Ease.CRISIS_ONLY, is_sos_contact=True)
    assert crisis_line not in [s.tie for s in suggest_reach_out(member, now=NOW)]
    ranked = suggest_reach_out(member, now=NOW, crisis=True)
    assert ranked[0].tie == crisis_line
    assert (
        ranked[0].reason
        == "Crisis buddy: your friend; one of your SOS contacts; no contact logged yet."
    )


def test_ended_paused_and_invited_ties_are_never_suggested(member):
    for status in ["ended", "paused", "invited"]:
        _tie(member, status, status=status)
    assert suggest_reach_out(member, now=NOW) == []


def test_supporters_in_their_quiet_hours_are_skipped(member, make_user):
    sleeper = make_user(display_name="Sleeper", time_zone="Asia/Tokyo")  # 00:00 there
    awake = make_user(display_name="Awake", time_zone="America/New_York")  # 10:00 there
    night_owl = make_user(display_name="Owl", time_zone="Asia/Tokyo")
    ContactPreferences.objects.create(
        user=night_owl, quiet_start=dt.time(3, 0), quiet_end=dt.time(9, 0)
    )
    for user in (sleeper, awake, night_owl):
        Tie.objects.create(member=member, supporter=user, role=Role.PEER)
    names = {s.tie.name for s in suggest_reach_out(member, now=NOW, limit=10)}
    # Sleeper has no preferences row: the default quiet hours (22:00–08:00) apply.
    assert names == {"Awake", "Owl"}
    crisis = suggest_reach_out(member, now=NOW, crisis=True, limit=10)
    assert crisis[-1].tie.name == "Sleeper"  # in a crisis still listed, but last
    # A fact from the data (their local time), not a guess at what they would want.
    assert crisis[-1].reason == (
        "Sleeper: a peer in recovery; no contact logged yet; "
        "it is 00:00 where they are, in their quiet hours."
    )


def test_offline_contacts_have_no_quiet_hours(member):
    _tie(member, "Grandma", Role.FAMILY)
    late = dt.datetime(2026, 11, 27, 3, 0, tzinfo=dt.UTC)
    assert [s.tie.name for s in suggest_reach_out(member, now=late)] == ["Grandma"]


def test_ranking_is_two_queries_however_many_ties(member, make_user, django_assert_num_queries):
    for i in range(30):
        tie = Tie.objects.create(member=member, supporter=make_user(), role=Role.PEER)
        _contact(tie, i % 9, helped=(i % 5) + 1)
    with django_assert_num_queries(2):
        assert len(suggest_reach_out(member, now=NOW, limit=5)) == 5
