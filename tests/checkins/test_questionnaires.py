"""Validated questionnaires: scoring as published, item-level storage, schedules, pages."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from checkins import services
from checkins.exports import export_user_data
from checkins.instruments import BARC10, INSTRUMENTS, MSPSS, UCLA3, InvalidAnswers
from checkins.models import QuestionnaireResponse, QuestionnaireSchedule
from tests.factories import TherapistFactory


def _scores(definition, answers):
    return {s.key: s.value for s in definition.score(answers)}


def test_ucla3_is_the_sum_of_three_items_from_3_to_9():
    assert len(UCLA3.items) == 3
    assert [v for v, _ in UCLA3.options] == [1, 2, 3]
    assert _scores(UCLA3, [1, 1, 1]) == {"total": 3}
    assert _scores(UCLA3, [3, 2, 3]) == {"total": 8}
    assert _scores(UCLA3, [3, 3, 3]) == {"total": 9}


def test_barc10_is_the_sum_of_ten_items_from_10_to_60():
    assert len(BARC10.items) == 10
    assert [v for v, _ in BARC10.options] == [1, 2, 3, 4, 5, 6]
    assert _scores(BARC10, [1] * 10) == {"total": 10}
    assert _scores(BARC10, [6] * 10) == {"total": 60}
    assert _scores(BARC10, [5, 5, 4, 4, 5, 5, 4, 5, 5, 5]) == {"total": 47}


def test_mspss_subscales_are_item_means_by_the_published_key():
    # Significant Other 1,2,5,10; Family 3,4,8,11; Friends 6,7,9,12 (Zimet et al. 1988).
    answers = [7, 7, 1, 1, 7, 4, 4, 1, 4, 7, 1, 4]
    assert _scores(MSPSS, answers) == {
        "total": 4.0,
        "significant_other": 7.0,
        "family": 1.0,
        "friends": 4.0,
    }
    assert _scores(MSPSS, [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5]) == {
        "total": 3.58,
        "significant_other": 2.75,
        "family": 3.0,
        "friends": 5.0,
    }


@pytest.mark.parametrize(
    ("definition", "answers"),
    [
        (UCLA3, [1, 2]),
        (UCLA3, [1, 2, 4]),
        (UCLA3, [0, 2, 3]),
        (BARC10, [7] * 10),
        (BARC10, [True] * 10),
        (MSPSS, [4] * 11),
        (MSPSS, ["4"] * 12),
    ],
)
def test_answers_off_the_scale_are_refused(definition, answers):
    with pytest.raises(InvalidAnswers):
        definition.score(answers)


def test_the_bam_is_left_out_until_its_wording_is_confirmed():
    assert "bam" not in INSTRUMENTS


def test_submitting_stores_item_answers_version_and_scores(member):
    response = services.questionnaire_submit(member=member, instrument="ucla3", answers=[2, 3, 1])
    response.refresh_from_db()
    assert response.answers == [2, 3, 1]
    assert response.version == UCLA3.version
    assert response.scores == {"total": 6}


def test_bad_answers_store_nothing(member):
    with pytest.raises(ValidationError):
        services.questionnaire_submit(member=member, instrument="barc10", answers=[9] * 10)
    with pytest.raises(ValidationError):
        services.questionnaire_submit(member=member, instrument="bam", answers=[1] * 17)
    assert not QuestionnaireResponse.objects.exists()


def test_submitting_advances_the_schedule(member):
    today = datetime.date(2026, 3, 10)
    services.questionnaire_schedule_set(
        member=member, instrument="barc10", every_days=30, created_by=member, today=today
    )
    now = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)
    services.questionnaire_submit(member=member, instrument="barc10", answers=[4] * 10, now=now)
    schedule = QuestionnaireSchedule.objects.get(member=member)
    assert schedule.next_due_on == datetime.date(2026, 4, 9)


def test_taking_a_questionnaire_in_the_browser(client, member):
    client.force_login(member)
    url = reverse("checkins:questionnaire_take", kwargs={"instrument": "ucla3"})
    page = client.get(url).content.decode()
    assert "How often do you feel left out?" in page
    assert "Hughes" in page  # the source is cited on the page
    response = client.post(url, {"item_1": "3", "item_2": "3", "item_3": "2"})
    assert response.status_code == HTTPStatus.FOUND
    result = client.get(response["Location"]).content.decode()
    assert "8" in result
    assert "3–9" in result
    assert "not a diagnosis" in result
    assert "no official cut-off" in result


def test_a_missing_answer_is_explained_and_nothing_is_saved(client, member):
    client.force_login(member)
    url = reverse("checkins:questionnaire_take", kwargs={"instrument": "barc10"})
    response = client.post(url, {f"item_{n}": "4" for n in range(1, 10)})
    assert response.status_code == HTTPStatus.OK
    assert "Please choose an answer for this question." in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_unknown_questionnaire_is_404(client, member):
    client.force_login(member)
    url = reverse("checkins:questionnaire_take", kwargs={"instrument": "bam"})
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_barc10_result_cites_the_47_finding_as_research_not_verdict(client, member):
    client.force_login(member)
    url = reverse("checkins:questionnaire_take", kwargs={"instrument": "barc10"})
    response = client.post(url, {f"item_{n}": "5" for n in range(1, 11)}, follow=True)
    page = response.content.decode()
    assert "47" in page
    assert "Vilsaint" in page
    assert "not a verdict" in page


def test_scheduling_from_the_questionnaire_page(client, member):
    client.force_login(member)
    url = reverse("checkins:questionnaire_schedule")
    client.post(url, {"instrument": "mspss", "every_days": "90"})
    schedule = QuestionnaireSchedule.objects.get(member=member)
    assert schedule.every_days == 90
    assert schedule.created_by == member
    page = client.get(reverse("checkins:questionnaires")).content.decode()
    assert "Due now." in page
    assert "Brief Addiction Monitor" in page  # its absence is explained
    client.post(url, {"instrument": "mspss", "every_days": "0"})
    assert not QuestionnaireSchedule.objects.exists()
    response = client.post(url, {"instrument": "mspss", "every_days": "3"})
    assert response.status_code == HTTPStatus.FOUND
    assert not QuestionnaireSchedule.objects.exists()


def test_scores_trend_beside_the_checkin_trends(client, member):
    client.force_login(member)
    services.questionnaire_submit(member=member, instrument="ucla3", answers=[2, 2, 2])
    page = client.get(reverse("checkins:history")).content.decode()
    assert "Loneliness (UCLA-3)" in page


def test_export_includes_questionnaires_and_sobriety(member):
    services.questionnaire_submit(member=member, instrument="ucla3", answers=[1, 2, 3])
    services.sobriety_set(
        member=member, started_on=datetime.date(2026, 1, 1), today=datetime.date(2026, 3, 1)
    )
    data = export_user_data(member)
    assert data["questionnaire_responses"][0]["answers"] == [1, 2, 3]
    assert data["questionnaire_responses"][0]["version"] == UCLA3.version
    assert data["sobriety_periods"] == [{"started_on": "2026-01-01", "ended_on": None}]


# --- A therapist schedules a questionnaire for the member ------------------------------------


@pytest.fixture
def therapist(make_user):

    return TherapistFactory(
        display_name="Dr. Lee",
        profile__verified_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )


def _tie(member, supporter, *, consent=True, **fields):
    """A therapist tie; with ``consent``, a formal consent in force for a year."""
    from network.consents import consent_sign_part2
    from network.models import Role, Tie

    fields.setdefault("role", Role.THERAPIST)
    tie = Tie.objects.create(member=member, supporter=supporter, **fields)
    if consent and tie.role == Role.THERAPIST:
        consent_sign_part2(
            tie=tie,
            scopes=["checkin_status"],
            purpose="Treatment",
            signature_name="Sam Example",
            expires_at=timezone.now() + datetime.timedelta(days=365),
        )
    return tie


def _schedule_url(tie):
    return reverse("checkins:therapist_schedule", kwargs={"tie_id": tie.pk})


def test_a_verified_therapist_can_schedule_for_their_client(client, member, therapist):
    tie = _tie(member, therapist)
    client.force_login(therapist)
    page = client.get(reverse("network:supporting_member", args=[tie.pk])).content.decode()
    assert _schedule_url(tie) in page  # the one supporter page offers it
    response = client.post(_schedule_url(tie), {"instrument": "barc10", "every_days": "30"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("network:supporting_member", args=[tie.pk])
    schedule = QuestionnaireSchedule.objects.get(member=member)
    assert schedule.created_by == therapist
    client.force_login(member)
    page = client.get(reverse("checkins:questionnaires")).content.decode()
    assert "suggested by Dr. Lee" in page


def test_scheduling_is_refused_to_everyone_else(client, member, therapist, make_user):
    from accounts.models import TherapistProfile
    from network.models import Role, TieStatus

    unverified = make_user()
    TherapistProfile.objects.create(user=unverified, credential="pending")
    friend = make_user()
    data = {"instrument": "ucla3", "every_days": "7"}
    refused = [
        (therapist, _tie(member, therapist, status=TieStatus.PAUSED)),
        (unverified, _tie(member, unverified)),
        (friend, _tie(member, friend, role=Role.FRIEND)),
    ]
    for user, tie in refused:
        client.force_login(user)
        assert client.post(_schedule_url(tie), data).status_code == HTTPStatus.FORBIDDEN
        page = client.get(reverse("network:supporting_member", args=[tie.pk])).content
        assert _schedule_url(tie).encode() not in page
    # Neither the member nor a stranger can act through someone else's therapist tie.
    others_tie = _tie(make_user(), therapist)
    for user in (member, friend):
        client.force_login(user)
        assert client.post(_schedule_url(others_tie), data).status_code == HTTPStatus.NOT_FOUND
    client.logout()
    assert client.post(_schedule_url(others_tie), data).status_code == HTTPStatus.FOUND
    assert not QuestionnaireSchedule.objects.exists()


@pytest.mark.parametrize("ending", ["none", "expired", "revoked"])
def test_a_therapist_without_a_consent_in_force_cannot_schedule(client, member, therapist, ending):
    from network.consents import consent_revoke
    from network.models import Consent

    tie = _tie(member, therapist, consent=ending != "none")
    if ending == "expired":
        # Past its expiry but not yet swept by the daily job: still refused.
        Consent.objects.filter(tie=tie).update(expires_at=timezone.now())
    elif ending == "revoked":
        consent_revoke(consent=Consent.objects.get(tie=tie))
    client.force_login(therapist)
    url = _schedule_url(tie)
    assert client.post(url, {"instrument": "ucla3", "every_days": "7"}).status_code == 403
    page = client.get(reverse("network:supporting_member", args=[tie.pk])).content
    assert url.encode() not in page
    assert not QuestionnaireSchedule.objects.exists()
