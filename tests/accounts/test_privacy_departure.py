"""A supporter who deletes their account leaves no consent "in force" behind them."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.services import delete_account
from network.accesslog import disclosures_append, verify_chain
from network.consents import consent_record_sharing
from network.models import Consent, ConsentEnd, DisclosureEvent, Role, Scope, Tie, TieStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(make_user):
    return make_user("ana@example.org", display_name="Ana")


def _share(tie: Tie, *scopes: str) -> Consent:
    return consent_record_sharing(tie=tie, scopes=scopes, may_nudge=True, is_sos_contact=True)


def test_a_departing_supporters_consents_end_with_their_ties(ana, member, make_user):
    tie = Tie.objects.create(member=ana, supporter=member, role=Role.SPONSOR)
    first = _share(tie, Scope.CHECKIN_STATUS)
    current = _share(tie, Scope.CHECKIN_STATUS, Scope.MOOD_CRAVING)
    first.refresh_from_db()
    superseded_at = first.ended_at
    disclosures_append(viewer=member, member=ana, scopes=[Scope.MOOD_CRAVING], consent=current)
    # Someone else's consent to a different supporter is not touched.
    other_tie = Tie.objects.create(member=ana, supporter=make_user(), role=Role.FRIEND)
    other = _share(other_tie, Scope.CHECKIN_STATUS)

    delete_account(member)

    current.refresh_from_db()
    assert current.ended_at is not None
    assert current.end_reason == ConsentEnd.RECIPIENT_LEFT
    assert current.recipient is None
    assert current.recipient_name == "Sam"
    tie.refresh_from_db()
    assert tie.status == TieStatus.ENDED
    assert current.ended_at == tie.status_changed_at
    first.refresh_from_db()
    assert (first.ended_at, first.end_reason) == (superseded_at, ConsentEnd.SUPERSEDED)
    assert list(Consent.objects.filter(member=ana).current()) == [other]
    # The access log keeps its entry under that consent, and the chain still verifies.
    event = DisclosureEvent.objects.get()
    assert event.consent_ref == str(current.pk)
    assert event.viewer_name == "Sam"
    report = verify_chain()
    assert report.ok
    assert report.checked == 1


def test_a_consent_left_open_on_an_old_ended_tie_ends_too(ana, member):
    tie = Tie.objects.create(member=ana, supporter=member, role=Role.FRIEND)
    consent = _share(tie, Scope.CHECKIN_STATUS)
    # An older tie that ended without its consent being closed (data from before the fix).
    Tie.objects.filter(pk=tie.pk).update(status=TieStatus.ENDED)
    delete_account(member)
    consent.refresh_from_db()
    assert consent.end_reason == ConsentEnd.RECIPIENT_LEFT
    assert consent.ended_at is not None


def test_the_members_consent_history_offers_no_revoke_for_someone_who_left(client, ana, member):
    tie = Tie.objects.create(member=ana, supporter=member, role=Role.SPONSOR)
    _share(tie, Scope.CHECKIN_STATUS)
    client.force_login(ana)
    history = reverse("network:consent_history")
    before = client.get(history).content.decode()
    assert "In force" in before
    assert "Revoke now" in before

    delete_account(member)

    response = client.get(history)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "In force" not in page
    assert "Revoke now" not in page
    assert ConsentEnd.RECIPIENT_LEFT.label in page


def test_consents_stay_open_if_the_deletion_fails(ana, member, monkeypatch):
    tie = Tie.objects.create(member=ana, supporter=member, role=Role.SPONSOR)
    consent = _share(tie, Scope.CHECKIN_STATUS)

    def fail(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(User, "delete", fail)
    with pytest.raises(RuntimeError):
        delete_account(member)
    consent.refresh_from_db()
    assert consent.ended_at is None
    tie.refresh_from_db()
    assert tie.status == TieStatus.ACTIVE
    assert tie.supporter_id == member.pk
