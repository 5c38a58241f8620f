"""Check-in pages: who may see what, the risk panel, validation, constant-query history."""

from __future__ import annotations

import datetime
import html
import uuid
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checkins import selectors, services
from checkins.models import CheckIn, CheckinStats, QuestionnaireResponse, RiskEvent
from checkins.stats import checkin_stats_rebuild
from network.models import Contact, ContactMethod, Role, Tie, TieStatus
from network.stats import contact_stats_rebuild

CALM = {"mood": "4", "craving": "2", "used": "no", "connectedness": "4"}


@pytest.fixture
def supporter(make_user):
    return make_user(display_name="Maria")


@pytest.fixture
def tie(member, supporter):
    return Tie.objects.create(
        member=member, supporter=supporter, role=Role.SPONSOR, phone="555-0101"
    )


MEMBER_PAGES = [
    ("checkins:today", {}),
    ("checkins:history", {}),
    ("checkins:sobriety", {}),
    ("checkins:questionnaires", {}),
    ("checkins:questionnaire_take", {"instrument": "ucla3"}),
]


@pytest.mark.parametrize(("name", "kwargs"), MEMBER_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(client, db, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == HTTPStatus.FOUND
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("name", "kwargs"), MEMBER_PAGES)
def test_the_member_sees_their_pages(client, member, name, kwargs):
    client.force_login(member)
    assert client.get(reverse(name, kwargs=kwargs)).status_code == HTTPStatus.OK


def test_a_checkin_via_the_form_saves_and_logs_contacts(client, member, tie):
    client.force_login(member)
    response = client.post(
        reverse("checkins:today"), {**CALM, "connected_with": [str(tie.pk), "meeting"]}
    )
    assert response.status_code == HTTPStatus.FOUND
    checkin = CheckIn.objects.get(member=member)
    assert checkin.local_date == selectors.local_today(member)
    assert Contact.objects.filter(member=member).count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Thank you for checking in." in page
    assert "Tell my SOS contacts" not in page


def test_the_form_refuses_bad_values_with_a_message_and_saves_nothing(client, member):
    client.force_login(member)
    response = client.post(reverse("checkins:today"), {**CALM, "mood": "9", "craving": "-1"})
    assert response.status_code == HTTPStatus.OK
    assert "Select a valid choice" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_the_form_refuses_someone_elses_tie(client, member, make_user):
    client.force_login(member)
    foreign = Tie.objects.create(member=make_user(), offline_name="Kim", role=Role.FRIEND)
    response = client.post(reverse("checkins:today"), {**CALM, "connected_with": [str(foreign.pk)]})
    assert response.status_code == HTTPStatus.OK
    assert not CheckIn.objects.exists()
    assert not Contact.objects.exists()


def test_a_hard_day_shows_crisis_help_and_the_sos_prompt_at_once(client, member, tie):
    client.force_login(member)
    response = client.post(
        reverse("checkins:today"), {**CALM, "used": "yes", "craving": "9"}, follow=True
    )
    page = response.content.decode()
    checkin = CheckIn.objects.get(member=member)
    assert 'href="tel:988"' in page
    assert "1-800-662-4357" in page
    assert 'href="tel:555-0101"' in page
    assert 'href="sms:555-0101"' in page
    assert f'action="{reverse("nudges:sos")}"' in page
    assert f'name="checkin" value="{checkin.pk}"' in page
    assert "Tell my SOS contacts" in page
    assert RiskEvent.objects.filter(checkin=checkin).exists()
    for word in ("failed", "failure", "relapsed", "should have"):
        assert word not in page.lower()


def test_use_offers_a_sobriety_restart_only_to_members_who_count_days(client, member):
    client.force_login(member)
    client.post(reverse("checkins:today"), {**CALM, "used": "yes"})
    assert "Restart my sobriety date" not in client.get(reverse("checkins:today")).content.decode()
    client.post(reverse("checkins:sobriety"), {"action": "set", "started_on": "2026-01-01"})
    assert "Restart my sobriety date" in client.get(reverse("checkins:today")).content.decode()
    response = client.post(reverse("checkins:sobriety_restart"))
    assert response.status_code == HTTPStatus.FOUND
    assert "Restart my sobriety date" not in client.get(reverse("checkins:today")).content.decode()
    assert member.sobriety_periods.count() == 2
    assert CheckIn.objects.filter(member=member).count() == 1


def test_a_future_date_redirects_to_today(client, member):
    client.force_login(member)
    future = selectors.local_today(member) + datetime.timedelta(days=2)
    response = client.get(reverse("checkins:day", kwargs={"date": future.isoformat()}))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("checkins:today")


def test_a_bad_date_is_a_404_not_a_500(client, member):
    client.force_login(member)
    response = client.get(reverse("checkins:day", kwargs={"date": "2026-02-31"}))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_old_checkins_are_read_only(client, member):
    client.force_login(member)
    old = selectors.local_today(member) - datetime.timedelta(days=5)
    CheckIn.objects.create(member=member, local_date=old, mood=3, craving=4, connectedness=3)
    url = reverse("checkins:day", kwargs={"date": old.isoformat()})
    page = client.get(url).content.decode()
    assert '<form method="post" class="checkin-form"' not in page
    client.post(url, {**CALM, "mood": "5"})
    assert CheckIn.objects.get(member=member).mood == 3


def test_a_member_cannot_see_another_members_questionnaire(client, member, make_user):
    other = make_user()
    response = QuestionnaireResponse.objects.create(
        member=other,
        instrument="ucla3",
        version="x",
        answers=[1, 2, 3],
        scores={"total": 6},
        local_date=datetime.date(2026, 3, 1),
    )
    client.force_login(member)
    url = reverse("checkins:questionnaire_result", kwargs={"pk": response.pk})
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.force_login(other)
    assert client.get(url).status_code == HTTPStatus.OK


def test_the_dashboard_shows_the_checkin_section(client, member):
    client.force_login(member)
    page = client.get(reverse("dashboard")).content.decode()
    assert reverse("checkins:today") in page
    # Someone who has never checked in gets an invitation, not a row of zeros.
    assert "in a row connecting with someone" not in page
    assert "takes about 30 seconds" in page
    CheckIn.objects.create(
        member=member, local_date=member.local_now().date(), mood=3, craving=2, connectedness=3
    )
    page = client.get(reverse("dashboard")).content.decode()
    assert "in a row connecting with someone" in page
    assert "You've checked in today." in page  # the kept figures say so: no check-in read


def test_the_dashboard_is_constant_query_in_history(
    client, member, tie, django_assert_max_num_queries
):
    client.force_login(member)
    _fill_history(member, tie, 2)
    checkin_stats_rebuild(member.pk)
    contact_stats_rebuild(member.pk)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK
    baseline = len(few)
    _fill_history(member, tie, 3 * 365, start=2)
    checkin_stats_rebuild(member.pk)
    contact_stats_rebuild(member.pk)
    with django_assert_max_num_queries(baseline):
        assert client.get(reverse("dashboard")).status_code == HTTPStatus.OK


# --- What a supporter sees: one page, network:supporting_member ---------------------------


def _shared_url(tie):
    return reverse("network:supporting_member", kwargs={"tie_id": tie.pk})


def _logged(member):
    from network.models import DisclosureEvent

    events = DisclosureEvent.objects.filter(member_ref=member.pk)
    return sorted(events.values_list("scope", flat=True))


def _checkin_today(member, **fields):
    values = {"mood": 2, "craving": 6, "used": True, "connectedness": 2, "notes": "hard call"}
    return CheckIn.objects.create(
        member=member, local_date=selectors.local_today(member), **{**values, **fields}
    )


def test_the_old_shared_address_leads_to_the_one_supporter_page(client, supporter, tie):
    old = reverse("checkins:shared", kwargs={"tie_id": tie.pk})
    assert "/accounts/login/" in client.get(old)["Location"]
    client.force_login(supporter)
    response = client.get(old)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _shared_url(tie)


def test_shared_view_requires_login(client, tie):
    assert client.get(_shared_url(tie)).status_code == HTTPStatus.FOUND


def test_shared_view_status_only_by_default_and_logged(client, member, supporter, tie):
    _checkin_today(member)
    client.force_login(supporter)
    response = client.get(_shared_url(tie))
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Confidential." in page  # the redisclosure notice
    assert "Sam checked in today." in page
    assert "Low" not in page
    assert "hard call" not in page
    assert _logged(member) == ["checkin_status"]


def test_shared_view_shows_each_consented_scope_and_logs_each_once(client, member, supporter, tie):
    tie.share_mood_craving = tie.share_use = tie.share_notes = True
    tie.save()
    _checkin_today(member, gratitude="my sister")
    client.force_login(supporter)
    page = client.get(_shared_url(tie)).content.decode()
    assert "Low (2)" in page
    assert "hard call" in page
    assert "Grateful for: my sister" in page
    assert _logged(member) == ["checkin_status", "mood_craving", "notes", "use"]


def test_supporter_without_consent_sees_nothing_and_nothing_is_logged(
    client, member, supporter, tie
):
    tie.share_checkin_status = False
    tie.save()
    _checkin_today(member)
    client.force_login(supporter)
    page = client.get(_shared_url(tie)).content.decode()
    assert "shared anything beyond your connection" in html.unescape(page)
    assert "checked in today" not in page
    assert "hard call" not in page
    assert _logged(member) == []


@pytest.mark.parametrize("status", [TieStatus.PAUSED, TieStatus.ENDED])
def test_paused_or_ended_tie_is_refused(client, member, make_user, status):
    therapist = make_user(display_name="Dr. Lee")
    tie = Tie.objects.create(
        member=member,
        supporter=therapist,
        role=Role.THERAPIST,
        status=status,
        share_mood_craving=True,
    )
    _checkin_today(member)
    client.force_login(therapist)
    assert client.get(_shared_url(tie)).status_code == HTTPStatus.NOT_FOUND
    assert _logged(member) == []


def test_other_people_cannot_use_the_tie_id(client, member, make_user, tie):
    _checkin_today(member)
    for person in (member, make_user()):
        client.force_login(person)
        assert client.get(_shared_url(tie)).status_code == HTTPStatus.NOT_FOUND
    url = reverse("network:supporting_member", kwargs={"tie_id": uuid.uuid4()})
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert _logged(member) == []


def test_shared_checkins_selector_reads_only_the_allowed_fields(member):
    _checkin_today(member, gratitude="tea")
    today = selectors.local_today(member)
    assert selectors.shared_checkins(member, {"contacts"}, today=today, days=14) == []
    (row,) = selectors.shared_checkins(member, {"checkin_status"}, today=today, days=14)
    assert row == {"local_date": today}
    (row,) = selectors.shared_checkins(member, {"mood_craving", "notes"}, today=today, days=14)
    assert set(row) == {"local_date", "mood", "mood_label", "craving", "notes", "gratitude"}


# --- History stays constant-query ----------------------------------------------------------


def _fill_history(member, tie, days, start=0):
    today = selectors.local_today(member)
    CheckIn.objects.bulk_create(
        CheckIn(
            member=member,
            local_date=today - datetime.timedelta(days=i),
            mood=1 + i % 5,
            craving=i % 11,
            connectedness=1 + (i * 3) % 5,
        )
        for i in range(start, days)
    )
    Contact.objects.bulk_create(
        Contact(
            member=member,
            tie=tie if i % 3 else None,
            method=ContactMethod.CALL,
            local_date=today - datetime.timedelta(days=i),
        )
        for i in range(start, days, 2)
    )


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(ctx)


@pytest.mark.parametrize("days", [30, 90, 365])
def test_history_is_constant_query_for_three_years_of_checkins(
    client, member, make_user, tie, days, django_assert_max_num_queries
):
    client.force_login(member)
    url = f"{reverse('checkins:history')}?range={days}"
    baseline = _count_queries(client, url)  # no data at all
    _fill_history(member, tie, 3 * 365)
    with django_assert_max_num_queries(baseline):
        page = client.get(url)
    body = page.content.decode()
    assert "<svg" in body
    assert "<title" in body
    assert "<desc" in body
    assert body.count("<table") >= 5  # calendar plus a data table per chart


def test_the_day_page_is_constant_query(client, member, tie, django_assert_max_num_queries):
    client.force_login(member)
    url = reverse("checkins:today")
    _fill_history(member, tie, 2)  # today's check-in exists (a hard day: the risk panel shows)
    baseline = _count_queries(client, url)
    _fill_history(member, tie, 3 * 365, start=2)
    with django_assert_max_num_queries(baseline):
        client.get(url)


def test_weekly_summary_states_the_craving_pattern_only_with_enough_data(member, tie):
    today = datetime.date(2026, 3, 28)
    h = selectors.History(today - datetime.timedelta(days=29), today, [], {}, set(), [])
    assert len(selectors.weekly_summary(h).sentences) == 1
    checkins, contact_dates = [], set()
    for i in range(28):
        day = today - datetime.timedelta(days=i)
        talked = i % 2 == 0
        if talked:
            contact_dates.add(day)
        checkins.append(
            CheckIn(
                member=member, local_date=day, mood=3, craving=2 if talked else 6, connectedness=3
            )
        )
    few = selectors.History(
        today - datetime.timedelta(days=29), today, checkins[:6], {}, contact_dates, []
    )
    assert not any("craving" in s for s in selectors.weekly_summary(few).sentences)
    enough = selectors.History(
        today - datetime.timedelta(days=29), today, checkins, {}, contact_dates, []
    )
    summary = selectors.weekly_summary(enough)
    assert summary.connected_days == 4
    assert any("craving was lower on days you talked with someone" in s for s in summary.sentences)


def test_overlong_notes_get_one_clear_message(client, member):
    client.force_login(member)
    response = client.post(reverse("checkins:today"), {**CALM, "notes": "x" * 2001})
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "at most 2000 characters" in page
    assert "Constraint" not in page
    assert not CheckIn.objects.exists()


def _zone_where_hour_is_between(low, high):
    """A fixed-offset zone whose local time right now is between low:00 and high:59."""
    import zoneinfo

    from django.utils import timezone

    now = timezone.now()
    for offset in range(-12, 15):
        # Etc/GMT signs are inverted: Etc/GMT-3 is UTC+3.
        name = f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}" if offset else "UTC"
        if low <= now.astimezone(zoneinfo.ZoneInfo(name)).hour <= high:
            return name
    raise AssertionError("no zone found")


def test_the_day_page_accepts_a_late_checkin_for_yesterday_before_noon(client, member):
    member.time_zone = _zone_where_hour_is_between(1, 10)
    member.save()
    client.force_login(member)
    yesterday = selectors.local_today(member) - datetime.timedelta(days=1)
    today_page = client.get(reverse("checkins:today")).content.decode()
    assert "Check in for yesterday instead" in today_page
    url = reverse("checkins:day", kwargs={"date": yesterday.isoformat()})
    assert "open until noon" in client.get(url).content.decode()
    assert client.post(url, CALM).status_code == HTTPStatus.FOUND
    assert CheckIn.objects.get(member=member).local_date == yesterday


def test_the_day_page_refuses_a_new_checkin_for_yesterday_after_noon(client, member):
    member.time_zone = _zone_where_hour_is_between(13, 22)
    member.save()
    client.force_login(member)
    yesterday = selectors.local_today(member) - datetime.timedelta(days=1)
    url = reverse("checkins:day", kwargs={"date": yesterday.isoformat()})
    assert "too late to add one" in client.get(url).content.decode()
    response = client.post(url, CALM, follow=True)
    assert "too late to add a check-in for that day" in response.content.decode()
    assert not CheckIn.objects.exists()


# --- One screen, then a closure card ------------------------------------------------------------


def test_after_checking_in_a_closure_card_replaces_the_form(client, member):
    # Someone offline: no quiet hours, so a suggestion whatever the time of the test run.
    tie = Tie.objects.create(
        member=member, offline_name="Grandma", role=Role.FAMILY, phone="555-0102"
    )
    client.force_login(member)
    services.sobriety_set(
        member=member,
        started_on=selectors.local_today(member) - datetime.timedelta(days=1),
        today=selectors.local_today(member),
    )
    response = client.post(reverse("checkins:today"), CALM, follow=True)
    page = response.content.decode()
    assert "Thank you for checking in." in page
    assert "Milestone:" in page
    assert "in a row connecting with someone" in page
    assert 'class="checkin-form"' not in page
    assert f"?tie={tie.pk}" in page  # one suggested person, one tap to log it
    assert 'href="tel:555-0102"' in page
    assert "Change this check-in" in page
    # Reloading, or asking to change it, shows the form again with the answers in it.
    again = client.get(reverse("checkins:today")).content.decode()
    assert 'class="checkin-form"' in again
    assert "Milestone:" not in again
    assert (
        'class="checkin-form"' in client.get(reverse("checkins:today") + "?edit=1").content.decode()
    )


def test_a_hard_day_shows_only_the_hard_day_panel_never_a_milestone(client, member, tie):
    client.force_login(member)
    services.sobriety_set(
        member=member,
        started_on=selectors.local_today(member) - datetime.timedelta(days=1),
        today=selectors.local_today(member),
    )
    response = client.post(reverse("checkins:today"), {**CALM, "craving": "9"}, follow=True)
    page = response.content.decode()
    assert "Today sounds hard" in page
    assert "Milestone" not in page
    assert "Thank you for checking in" not in page
    assert "Your check-in is saved." in page


def test_optional_questions_are_folded_away_and_the_core_ones_come_first(client, member):
    client.force_login(member)
    page = client.get(reverse("checkins:today")).content.decode()
    folded = page.index('<details class="optional-fields"')
    for core in ("id_mood", "id_craving", "id_used", "id_connectedness"):
        assert page.index(f'id="{core}') < folded, core
    for optional in ("id_sleep_quality", "id_gratitude", "id_notes"):
        assert page.index(f'id="{optional}') > folded, optional


def test_the_calendar_has_a_heading_for_each_month(client, member):
    from checkins.charts import calendar_months

    d = datetime.date
    weeks = [
        [None, None, None, {"date": d(2026, 10, 29)}, {"date": d(2026, 10, 30)}, None, None],
        [{"date": d(2026, 11, 2)}, None, None, None, None, None, None],
        [{"date": d(2026, 11, 30)}, {"date": d(2026, 12, 1)}, None, None, None, None, None],
    ]
    assert [h for h, _ in calendar_months(weeks)] == ["October 2026", "", "December 2026"]
    weeks[1][0] = {"date": d(2026, 11, 1)}
    assert [h for h, _ in calendar_months(weeks)][1] == "November 2026"
    client.force_login(member)
    page = client.get(reverse("checkins:history")).content.decode()
    assert 'scope="colgroup"' in page


def test_charts_fit_a_phone_mood_words_on_the_axis_and_edge_labels_hang_inwards():
    from checkins import charts

    today = datetime.date(2026, 3, 31)
    ticks = charts._x_ticks(today - datetime.timedelta(days=90), today)
    assert [t.minor for t in ticks][:4] == [False, True, False, True]
    assert ticks[0].anchor == "start"
    assert all(t.anchor == "middle" for t in ticks[1:-1] if t.pos < charts.WIDTH - 50)
    chart = charts.line_chart(
        slug="mood",
        title="Mood",
        description="d",
        start=today - datetime.timedelta(days=6),
        end=today,
        values={today: 3, today - datetime.timedelta(days=3): 4},
        y_min=1,
        y_max=5,
        y_ticks=[(1, "Really struggling"), (5, "Great")],
        value_heading="Mood",
        word_ticks=True,
    )
    assert len(chart.paths) == 2  # a day without data is a gap, not a line across it
    assert chart.word_ticks
    assert chart.y_ticks[0].label == "Really struggling"


def _post_queries(client, member, ties, *, bound):
    client.force_login(member)
    client.get(reverse("checkins:today"))  # the form first, as a member does
    chosen = [str(t.pk) for t in ties] + ["meeting"]
    with bound as ctx:
        response = client.post(reverse("checkins:today"), {**CALM, "connected_with": chosen})
    assert response.status_code == HTTPStatus.FOUND
    return [q["sql"] for q in ctx.captured_queries]


def test_the_checkin_post_is_constant_query_in_ties_and_history(
    client, member, make_user, django_assert_max_num_queries
):
    """A check-in naming three people and a meeting was 58 statements (a constraint check
    with its savepoint per field, the kept figures read and written once per contact); it
    now costs a fixed number, the same for six people and three years of history."""
    ties = [
        Tie.objects.create(member=member, supporter=make_user(), role=Role.FRIEND) for _ in range(6)
    ]
    # Not a first check-in (that one also flags the reminder schedule): yesterday's exists.
    _fill_history(member, ties[0], 2, start=1)
    checkin_stats_rebuild(member.pk)  # bulk_create sends no signals
    contact_stats_rebuild(member.pk)
    # The test's transaction turns BEGIN/COMMIT into a savepoint and its release: counted,
    # as they are statements in production.
    few = _post_queries(client, member, ties[:3], bound=django_assert_max_num_queries(17))
    other = make_user()
    ties_b = [
        Tie.objects.create(member=other, supporter=make_user(), role=Role.FRIEND) for _ in range(6)
    ]
    _fill_history(other, ties_b[0], 3 * 365, start=1)
    checkin_stats_rebuild(other.pk)
    contact_stats_rebuild(other.pk)
    many = _post_queries(client, other, ties_b, bound=django_assert_max_num_queries(len(few)))
    assert Contact.objects.filter(member=other, source=Contact.Source.CHECKIN).count() >= 7
    assert len(many) == len(few)


def _calm_post(client, member):
    client.get(reverse("checkins:today"))  # the form first, as a member does
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(reverse("checkins:today"), CALM)
    assert response.status_code == HTTPStatus.FOUND
    return [q["sql"] for q in ctx.captured_queries]


def test_a_checkin_post_is_at_most_ten_statements(client, member, tie):
    """The everyday check-in (nobody named), created and then edited, in at most ten statements
    with the session's read and the transaction's BEGIN and COMMIT: no savepoint, no session
    write (the closure card is asked for in a signed cookie), the kept figures folded in one
    UPDATE and the counters read once, whatever the history."""
    _fill_history(member, tie, 3 * 365, start=1)
    checkin_stats_rebuild(member.pk)
    contact_stats_rebuild(member.pk)
    client.force_login(member)
    created = _calm_post(client, member)
    assert CheckIn.objects.filter(member=member).count() == 3 * 365
    edited = _calm_post(client, member)
    for statements in (created, edited):
        assert len(statements) <= 10, "\n".join(statements)
        assert not any("django_session" in q for q in statements[1:])
    kept = CheckinStats.objects.get(member=member)
    assert kept.last_checkin_on == selectors.local_today(member)
    assert kept.longest_streak == 3 * 365


def test_a_first_checkin_still_flags_the_reminder_schedule(client, member):
    from nudges.models import Schedule

    Schedule.objects.filter(user=member).update(stale=False, checkin_reminder_at=None)
    client.force_login(member)
    _calm_post(client, member)
    assert Schedule.objects.get(user=member).stale
    Schedule.objects.filter(user=member).update(stale=False)
    _calm_post(client, member)  # an edit, and later check-ins, leave it alone
    assert not Schedule.objects.get(user=member).stale


def test_the_closure_card_is_this_members_and_this_days_only(client, member, make_user):
    client.force_login(member)
    response = client.post(reverse("checkins:today"), CALM)
    cookie = response.cookies["checkins_closure"]
    assert cookie["httponly"]
    assert cookie["max-age"]
    assert "mood" not in cookie.value
    assert "craving" not in cookie.value
    other = make_user()
    client.force_login(other)
    CheckIn.objects.create(
        member=other, local_date=selectors.local_today(other), mood=3, craving=1, connectedness=3
    )
    page = client.get(reverse("checkins:today")).content.decode()
    assert "Thank you for checking in." not in page
    client.cookies["checkins_closure"] = "tampered"
    assert client.get(reverse("checkins:today")).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("field", "value"),
    [("mood", 0), ("mood", 6), ("craving", 11), ("connectedness", 0), ("sleep_quality", 6)],
)
def test_each_check_constraint_is_also_checked_in_python(member, field, value):
    """The form no longer asks the database per check constraint (CheckIn.validate_constraints):
    every one must still be refused with a message before the database sees it."""
    from django.core.exceptions import ValidationError

    checkin = CheckIn(member=member, local_date=datetime.date(2026, 3, 1), mood=3, craving=2)
    checkin.connectedness = 3
    setattr(checkin, field, value)
    with pytest.raises(ValidationError) as exc:
        checkin.full_clean()
    assert field in exc.value.message_dict
    checkin = CheckIn(member=member, local_date=datetime.date(2026, 3, 1), mood=3, craving=2)
    checkin.connectedness, checkin.notes = 3, "x" * 2001
    with pytest.raises(ValidationError) as exc:
        checkin.validate_constraints()
    assert "notes" in exc.value.message_dict
