"""The shared CSV writer and the queryset access predicate that every reader builds on."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from network.models import Consent, Tie
from recovery.csv import csv_lines, safe_cell
from tests.network_cast import build_cast


@pytest.mark.parametrize("dangerous", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_neutralises_formula_triggers(dangerous):
    assert safe_cell(dangerous) == "'" + dangerous


@pytest.mark.parametrize("harmless", ["Sam", "1", "", "a=b", " =x"])
def test_safe_cell_keeps_ordinary_text(harmless):
    assert safe_cell(harmless) == harmless


def test_csv_lines_neutralise_header_preface_and_rows():
    text = "".join(csv_lines(["=h"], [['=HYPERLINK("x")', 3, None]], preface=["@note"]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["'@note"], ["'=h"], ['\'=HYPERLINK("x")', "3", ""]]


@pytest.mark.django_db
def test_receivable_keeps_valid_ties_and_drops_each_invalid_therapist(make_user):
    cast = build_cast()
    receivable = set(Tie.objects.receivable().filter(member=cast.member))
    assert cast.ties["therapist_active"] in receivable
    assert cast.ties["supporter_none"] in receivable
    assert cast.ties["therapist_unverified"] not in receivable
    assert cast.ties["therapist_revoked"] not in receivable
    assert cast.ties["ended"] not in receivable


@pytest.mark.django_db
def test_receivable_drops_a_consent_past_its_expiry_before_the_daily_job(make_user):
    cast = build_cast()
    tie = cast.ties["therapist_active"]
    Consent.objects.filter(tie=tie, ended_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(hours=1)
    )
    assert not Tie.objects.receivable().filter(pk=tie.pk).exists()


@pytest.mark.django_db
def test_receivable_drops_a_therapist_whose_verification_was_withdrawn(make_user):
    cast = build_cast()
    tie = cast.ties["therapist_active"]
    profile = cast.therapist_active.therapist_profile
    profile.revoked_at = timezone.now()
    profile.save(update_fields=["revoked_at"])
    assert not Tie.objects.receivable().filter(pk=tie.pk).exists()
