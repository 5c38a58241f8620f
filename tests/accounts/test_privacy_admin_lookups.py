"""Staff can narrow an admin list only by the filters it offers, never by a field it hides.

Django's admin accepts a query-string lookup on any local field, so a list that shows no
mood would still answer ``?used__exact=1`` by which rows it lists. Every refused lookup
answers 400 Bad Request (SuspiciousOperation), and search reaches only what is shown.
"""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.test import RequestFactory
from django.urls import reverse

from checkins.models import CheckIn, QuestionnaireResponse
from network.models import Consent, DisclosureEvent
from notifications.models import Kind, Notification
from nudges.services import notify

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "checkins", "network", "notifications", "nudges", "mfa"}


@pytest.fixture
def staff(make_user, client):
    user = make_user("ops@example.org", display_name="Operator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def _changelist(model) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")


def _ours() -> list[tuple[type, admin.ModelAdmin]]:
    return [(m, a) for m, a in admin.site._registry.items() if m._meta.app_label in OUR_APPS]


@pytest.fixture
def hard_day(member):
    return CheckIn.objects.create(
        member=member,
        local_date=datetime.date(2026, 11, 20),
        mood=1,
        craving=9,
        used=True,
        connectedness=1,
        notes="NOTE-PRIVATE",
    )


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (CheckIn, "used__exact=1"),
        (CheckIn, "mood__lte=1"),
        (CheckIn, "craving__gte=9"),
        (CheckIn, "notes__icontains=NOTE"),
        (CheckIn, "gratitude__icontains=a"),
        (CheckIn, "member__isnull=False"),
        (QuestionnaireResponse, "answers__isnull=False"),
        (QuestionnaireResponse, "scores__total__gte=10"),
        (Notification, "data__words__icontains=WORDS"),
        (Notification, "body__icontains=asked"),
        (Notification, "subject_member__exact=1"),
        (Notification, "idempotency_key__contains=sos"),
        (Consent, "purpose__icontains=alcohol"),
        (Consent, "revocation_reason__icontains=x"),
        (DisclosureEvent, "viewer__exact=1"),
        (DisclosureEvent, "member_ref__exact=1"),
    ],
)
def test_a_lookup_on_a_hidden_field_answers_400(client, staff, hard_day, model, query):
    assert query.split("__")[0] in {f.name for f in model._meta.get_fields()}
    response = client.get(f"{_changelist(model)}?{query}")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert b"NOTE-PRIVATE" not in response.content


def test_no_admin_accepts_a_lookup_on_any_undeclared_field(client, staff, hard_day):
    """Every concrete field of every registered model, not only the ones listed above."""
    refused = []
    for model, model_admin in _ours():
        declared = model_admin.declared_lookups(None)
        for field in model._meta.concrete_fields:
            lookup = f"{field.name}__isnull"
            if lookup in declared:
                continue
            response = client.get(f"{_changelist(model)}?{lookup}=True")
            if response.status_code != HTTPStatus.BAD_REQUEST:
                refused.append((model.__name__, lookup, response.status_code))
    assert refused == []


@pytest.mark.parametrize(
    ("model", "query"),
    [
        (CheckIn, "local_date__gte=2026-11-01&local_date__lt=2026-12-01"),
        (Notification, "status__exact=pending&kind__exact=sos"),
        (Notification, "created_at__year=2026"),
        (Consent, "kind__exact=part2"),
        (DisclosureEvent, "action__exact=view"),
    ],
)
def test_the_declared_filters_still_work(client, staff, hard_day, model, query):
    assert client.get(f"{_changelist(model)}?{query}").status_code == HTTPStatus.OK


def test_every_filter_link_the_admin_offers_works(client, staff, member, make_user):
    """Follow each filter link on each changelist: the admin's own links are all allowed."""
    notify(
        recipient=make_user(),
        kind=Kind.SOS,
        title="t",
        body="b",
        idempotency_key="sos:x:y",
        subject_member=member,
    )
    broken = []
    for model, _model_admin in _ours():
        url = _changelist(model)
        page = client.get(url).content.decode()
        for query in set(_filter_links(page)):
            status = client.get(f"{url}{query}").status_code
            if status != HTTPStatus.OK:
                broken.append((model.__name__, query, status))
    assert broken == []


def _filter_links(page: str) -> list[str]:
    import re

    return [q.replace("&amp;", "&") for q in re.findall(r'href="(\?[^"]+)"', page)]


def test_search_reaches_only_what_the_admin_shows(staff):
    request = RequestFactory().get("/admin/")
    request.user = staff
    for model, model_admin in _ours():
        shown = set(model_admin.get_list_display(request))
        shown |= set(flatten_fieldsets(model_admin.get_fieldsets(request)))
        for name in model_admin.get_search_fields(request):
            parts = name.lstrip("^=@").split("__")
            if len(parts) == 1:
                assert parts[0] in shown, (model.__name__, name)
            else:
                # Across a relation only the person's own identifiers, never their content.
                assert parts[0] in shown, name
                assert parts[-1] in {"email", "display_name"}, name


def test_the_notification_search_is_no_oracle_on_whom_an_sos_is_about(
    client, staff, member, make_user
):
    helper = make_user(display_name="Helper", email="helper@example.org")
    notify(
        recipient=helper,
        kind=Kind.SOS,
        title="t",
        body="b",
        idempotency_key=f"sos:{helper.pk}:ABOUT-{member.pk}",
        subject_member=member,
    )
    url = _changelist(Notification)
    assert client.get(f"{url}?q=ABOUT-{member.pk}").context["cl"].result_count == 0
    assert client.get(f"{url}?q=helper@example.org").context["cl"].result_count == 1
