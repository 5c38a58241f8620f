"""Contact log, supporter-logged contacts, encouragement, network health and the circle."""

from __future__ import annotations

import html
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import timezone

from network.models import Contact, ContactMethod, Role, Tie, TieStatus
from network.selectors import network_health, ties_for_member
from network.services.contacts import contact_log, contact_log_from_nudge
from network.services.errors import NetworkError
from notifications.models import Notification


@pytest.fixture
def maria(make_user, member):
    user = make_user(display_name="Maria")
    Tie.objects.create(member=member, supporter=user, role=Role.SPONSOR, offline_name="Maria")
    return user


def _tie(member, supporter):
    return Tie.objects.get(member=member, supporter=supporter)


def test_quick_log_in_a_couple_of_taps(client, member, maria):
    tie = _tie(member, maria)
    client.force_login(member)
    response = client.post(
        reverse("network:contacts"), {"tie": str(tie.pk), "method": "call", "helped": "5"}
    )
    assert response.status_code == HTTPStatus.FOUND
    contact = Contact.objects.get()
    assert contact.tie == tie
    assert contact.helped == 5
    assert contact.confirmed
    assert contact.local_date == timezone.now().astimezone(member.zone).date()


def test_a_meeting_needs_no_tie(client, member):
    client.force_login(member)
    client.post(reverse("network:contacts"), {"tie": "meeting", "method": "call"})
    contact = Contact.objects.get()
    assert contact.tie is None
    assert contact.method == ContactMethod.MEETING


def test_htmx_log_returns_the_panel_only(client, member, maria):
    client.force_login(member)
    response = client.post(
        reverse("network:contacts"),
        {"tie": str(_tie(member, maria).pk), "method": "text"},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "<html" not in body
    assert "Recent contacts" in body
    assert "Maria" in body


def test_bad_contact_input_changes_nothing(client, member, make_user):
    other = make_user()
    foreign = Tie.objects.create(member=other, offline_name="Not yours", role=Role.FRIEND)
    client.force_login(member)
    for data in [
        {"tie": str(foreign.pk), "method": "call"},
        {"tie": "not-a-tie", "method": "call"},
        {"tie": "meeting", "method": "call", "helped": "9"},
        {"tie": "meeting", "method": "call", "duration_minutes": "5000"},
    ]:
        response = client.post(reverse("network:contacts"), data)
        assert response.status_code == HTTPStatus.OK, data
        assert "errorlist" in response.content.decode(), data
    assert not Contact.objects.exists()
    with pytest.raises(NetworkError):
        contact_log(member=member, tie=foreign, method="call")


def test_i_reached_out_from_a_prompt_names_the_tie_while_it_is_open(member, maria, make_user):
    tie = _tie(member, maria)
    now = timezone.now()
    contact = contact_log_from_nudge(member=member, tie_id=str(tie.pk), occurred_at=now)
    assert contact.tie == tie
    assert contact.method == ContactMethod.UNSPECIFIED
    assert contact.source == Contact.Source.NUDGE
    assert contact.confirmed
    assert contact.local_date == now.astimezone(member.zone).date()
    # An ended tie, someone else's tie or a bad id still counts the contact, naming no one.
    tie.status = TieStatus.ENDED
    tie.save()
    foreign = Tie.objects.create(member=make_user(), offline_name="Not yours", role=Role.FRIEND)
    for tie_id in (str(tie.pk), str(foreign.pk), "not-a-uuid", None):
        contact = contact_log_from_nudge(member=member, tie_id=tie_id, occurred_at=now)
        assert contact.tie is None, tie_id
        assert contact.member == member, tie_id
    assert Contact.objects.filter(member=member).count() == 5
    assert not Contact.objects.filter(member=foreign.member).exists()


def test_supporter_logs_reaching_out_and_the_member_confirms(client, member, maria):
    tie = _tie(member, maria)
    client.force_login(maria)
    client.post(reverse("network:supporter_log_contact", args=[tie.pk]), {"method": "text"})
    contact = Contact.objects.get()
    assert not contact.confirmed
    assert contact.initiated_by == "supporter"
    note = Notification.objects.get(recipient=member)
    assert note.title == "Maria reached out"
    # Unconfirmed contacts don't count yet.
    ties = list(ties_for_member(member))
    assert network_health(member, ties).contacts_7 == 0
    client.force_login(member)
    client.post(reverse("network:contact_answer", args=[contact.pk, "confirm"]))
    contact.refresh_from_db()
    assert contact.confirmed
    health = network_health(member, list(ties_for_member(member)))
    assert health.contacts_7 == 1
    assert health.supporter_initiated == 1
    # Confirming again is a clear message, not an error.
    again = client.post(
        reverse("network:contact_answer", args=[contact.pk, "confirm"]), follow=True
    )
    assert "no contact waiting" in again.content.decode()


def test_encouragement_lands_in_the_inbox_with_lock_screen_safe_text(client, member, maria):
    tie = _tie(member, maria)
    client.force_login(maria)
    client.post(reverse("network:encourage", args=[tie.pk]), {"message": "So proud of you!"})
    client.post(reverse("network:encourage", args=[tie.pk]), {"template": "0"})
    notes = list(Notification.objects.filter(recipient=member, kind="encouragement"))
    assert len(notes) == 2
    messages = sorted(n.data["message"] for n in notes)
    assert messages == ["So proud of you!", "Thinking of you today."]
    assert all("proud" not in n.title + n.body for n in notes)
    client.force_login(member)
    page = client.get(reverse("network:encouragements")).content.decode()
    assert "So proud of you!" in page
    assert "Thinking of you today." in page
    assert all(n.action_url == reverse("network:encouragements") for n in notes)
    client.force_login(maria)
    empty = client.post(reverse("network:encourage", args=[tie.pk]), {}, follow=True)
    assert "Choose a message" in empty.content.decode()
    assert Notification.objects.filter(kind="encouragement").count() == 2


def test_people_i_support_lists_exactly_the_shared_scopes(client, member, maria):
    tie = _tie(member, maria)
    Tie.objects.filter(pk=tie.pk).update(share_mood_craving=True)
    Contact.objects.create(
        member=member,
        tie=tie,
        method="call",
        local_date="2026-11-01",
        occurred_at=timezone.now() - timedelta(days=2),
        initiated_by="supporter",
    )
    client.force_login(maria)
    body = html.unescape(client.get(reverse("network:supporting")).content.decode())
    assert "Sam" in body
    assert "Whether I checked in today; My mood and craving." in body
    assert "You last reached out on" in body


def test_network_health_figures(member, maria, make_user):
    now = timezone.now()
    friend_tie = Tie.objects.create(member=member, offline_name="Jo", role=Role.FRIEND)
    paused = Tie.objects.create(
        member=member, offline_name="Kim", role=Role.FRIEND, status=TieStatus.PAUSED
    )
    sponsor_tie = _tie(member, maria)

    def log(tie, days, method="call", by="member"):
        Contact.objects.create(
            member=member,
            tie=tie,
            method=method,
            occurred_at=now - timedelta(days=days),
            local_date=(now - timedelta(days=days)).date(),
            initiated_by=by,
        )

    log(sponsor_tie, 1, "in_person")
    log(sponsor_tie, 3, by="supporter")
    log(friend_tie, 10, "in_person")
    log(friend_tie, 40)
    log(paused, 2)
    health = network_health(member, list(ties_for_member(member, now)), now)
    assert health.size == 2
    assert health.role_diversity == 2
    assert dict(health.by_role) == {"Sponsor": 1, "Friend": 1}
    assert health.days_since_last_contact == 1
    assert health.contacts_7 == 3
    assert health.contacts_30 == 4
    assert health.in_person_percent == 50
    assert health.supporter_initiated == 1
    per_tie = {t.name: t.days_since for t in health.per_tie}
    assert per_tie == {"Maria": 1, "Jo": 10, "Kim": 2}


def test_network_page_draws_the_circle_with_a_text_alternative(client, member, maria):
    Tie.objects.create(member=member, offline_name="Grandma", role=Role.FAMILY)
    Contact.objects.create(
        member=member, tie=_tie(member, maria), method="call", local_date="2026-11-01"
    )
    client.force_login(member)
    body = client.get(reverse("network:home")).content.decode()
    assert 'role="group" aria-labelledby="ego-title ego-desc"' in body
    assert "<desc" in body
    assert body.count("<line ") == 2
    assert 'class="ego-line role-sponsor"' in body
    assert 'class="ego-line role-family"' in body
    assert 'class="ego-line role-sponsor" stroke-width="1.6"' in body  # weight by contact
    assert 'class="ego-line role-family" stroke-width="1.0"' in body
    grandma = Tie.objects.get(offline_name="Grandma")
    # Each person is a link to their card in the list, named in words.
    assert f'<a href="#tie-{grandma.pk}" class="ego-person" aria-label="Grandma, family: 0' in body
    assert f'<li id="tie-{grandma.pk}">' in body
    assert 'fill="#' not in body
    assert 'stroke="#' not in body  # colours come from the theme
    assert "Maria" in body
    assert "Grandma" in body
    assert "Active ties</dt><dd>2" in body
    assert "style=" not in body
    assert "<script>" not in body


def test_pages_need_no_inline_styles_or_scripts(client, member, maria):
    client.force_login(member)
    for name in ["network:home", "network:contacts", "network:supporting", "network:tie_add"]:
        body = client.get(reverse(name)).content.decode()
        assert "style=" not in body, name
        assert "<script>" not in body, name


# --- Contacts from a check-in (the check-in app calls this service) ------------------------------


def test_a_checkin_records_who_but_not_a_guessed_way(member, maria):
    from network.services.contacts import contacts_sync_from_checkin

    sponsor = _tie(member, maria)
    sponsor.reach_methods = ["in_person"]  # the usual way is not proof of how they met today
    sponsor.save()
    group = Tie.objects.create(member=member, offline_name="Home group", role=Role.GROUP)
    today = timezone.now().astimezone(member.zone).date()
    new = contacts_sync_from_checkin(
        member=member, local_date=today, tie_ids=[sponsor.pk, group.pk], meeting=False
    )
    methods = {c.tie.name: c.method for c in new}
    assert methods == {"Maria": ContactMethod.UNSPECIFIED, "Home group": ContactMethod.MEETING}
    assert all(c.source == Contact.Source.CHECKIN for c in new)
    # "In person" counts only what the member said: the group meeting, not the unnoted one.
    health = network_health(member, list(ties_for_member(member)))
    assert health.contacts_30 == 2
    assert health.in_person_percent == 50


def test_checkin_sync_ignores_unknown_ids_and_keeps_other_routes(member, maria, make_user):
    from network.services.contacts import contacts_sync_from_checkin

    sponsor = _tie(member, maria)
    stranger_tie = Tie.objects.create(member=make_user(), offline_name="Kim", role=Role.FRIEND)
    today = timezone.now().astimezone(member.zone).date()
    contact_log(member=member, tie=None, method=ContactMethod.MEETING)
    contacts_sync_from_checkin(
        member=member,
        local_date=today,
        tie_ids=[str(sponsor.pk), str(stranger_tie.pk), "not-a-uuid"],
        meeting=True,  # already logged by hand: not doubled
    )
    assert Contact.objects.filter(member=member).count() == 2
    assert not Contact.objects.filter(tie=stranger_tie).exists()
    contacts_sync_from_checkin(member=member, local_date=today, tie_ids=[], meeting=False)
    remaining = list(Contact.objects.filter(member=member).values_list("tie", "source"))
    assert remaining == [(None, Contact.Source.MANUAL)]


def test_way_not_noted_is_never_offered_when_logging_by_hand(client, member, maria):
    tie = _tie(member, maria)
    client.force_login(maria)
    page = client.get(reverse("network:supporting")).content.decode()
    assert 'value="unspecified"' not in page
    client.post(reverse("network:supporter_log_contact", args=[tie.pk]), {"method": "unspecified"})
    client.force_login(member)
    client.post(reverse("network:contacts"), {"tie": str(tie.pk), "method": "unspecified"})
    assert not Contact.objects.exists()
    page = client.get(reverse("network:contacts")).content.decode()
    assert 'value="unspecified"' not in page


def test_a_supporter_sees_the_way_in_words(client, member, maria):
    from network.services.contacts import contacts_sync_from_checkin

    tie = _tie(member, maria)
    tie.share_contacts = True
    tie.save()
    today = timezone.now().astimezone(member.zone).date()
    contacts_sync_from_checkin(member=member, local_date=today, tie_ids=[tie.pk], meeting=False)
    client.force_login(maria)
    page = client.get(reverse("network:supporting_member", args=[tie.pk])).content.decode()
    assert "In touch with their sponsor" in page
    assert "unspecified" not in page


def test_the_migration_forgets_only_guessed_ways_of_checkin_contacts(member, maria):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("network.migrations.0005_checkin_contacts_way_unspecified")
    sponsor = _tie(member, maria)
    group = Tie.objects.create(member=member, offline_name="Home group", role=Role.GROUP)
    today = timezone.now().astimezone(member.zone).date()

    def add(tie, method, source):
        return Contact.objects.create(
            member=member, tie=tie, method=method, local_date=today, source=source
        )

    guessed = add(sponsor, ContactMethod.IN_PERSON, Contact.Source.CHECKIN)
    by_hand = add(sponsor, ContactMethod.IN_PERSON, Contact.Source.MANUAL)
    group_meeting = add(group, ContactMethod.MEETING, Contact.Source.CHECKIN)
    meeting = add(None, ContactMethod.MEETING, Contact.Source.CHECKIN)
    migration.forget_guessed_ways(apps, None)
    methods = {c.pk: c.method for c in Contact.objects.all()}
    assert methods == {
        guessed.pk: ContactMethod.UNSPECIFIED,
        by_hand.pk: ContactMethod.IN_PERSON,
        group_meeting.pk: ContactMethod.MEETING,
        meeting.pk: ContactMethod.MEETING,
    }


# --- Two taps from a suggestion --------------------------------------------------------------


def test_i_reached_out_preselects_the_person_and_their_preferred_way(client, make_user):
    import re

    from django.urls import reverse

    from network.models import Contact, Role, Tie

    member = make_user(display_name="Sam")
    mine = Tie.objects.create(
        member=member, offline_name="Grandma", role=Role.FAMILY, reach_methods=["text"]
    )
    theirs = Tie.objects.create(member=make_user(), offline_name="Kim", role=Role.FRIEND)
    client.force_login(member)
    page = client.get(reverse("network:contacts") + f"?tie={mine.pk}").content.decode()
    assert f'<option value="{mine.pk}" selected>' in page
    assert '<option value="text" selected>' in page
    assert re.search(r'<input[^>]*name="when"[^>]*value="now"[^>]*checked', page)
    # Someone else's tie or a made-up way is ignored, not an error.
    page = client.get(reverse("network:contacts") + f"?tie={theirs.pk}&method=fax").content.decode()
    assert str(theirs.pk) not in page
    # "Yesterday" lands on the member's yesterday.
    client.post(
        reverse("network:contacts"), {"tie": str(mine.pk), "method": "text", "when": "yesterday"}
    )
    contact = Contact.objects.get(member=member)
    today = member.local_now().date()
    assert (today - contact.local_date).days == 1
    client.post(reverse("network:contacts"), {"tie": str(mine.pk), "method": "call"})
    assert Contact.objects.filter(member=member, local_date=today).count() == 1  # "now" by default
