"""The demo shows what the caseload is for, and the digest leads to it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from nudges.rules import caseload_url

pytestmark = pytest.mark.django_db


def test_the_demo_caseload_has_flags_an_expiring_and_an_ended_consent(client, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "two-factor secret" in out
    rivera = User.objects.get(email="rivera@demo.ratpark.local")
    client.force_login(rivera)
    page = client.get(reverse("clinic:caseload")).content.decode()
    assert page.count('class="client-card') == 24  # 25 clients, one consent ended
    assert "Hard check-in in the last 7 days" in page
    assert "No contact with anyone logged for" in page
    assert "of the last 7 days without a check-in" in page
    assert "UCLA-3 loneliness rose" in page
    assert "Consent ends on" in page
    assert "Client 06: consent ended on" in page
    # Flagged first by default.
    first_card = page.split('class="client-card')[1]
    assert first_card.startswith(" flagged")


def test_the_printed_demo_secret_signs_the_therapist_in(client, capsys):
    from tests.accounts.test_mfa import totp_code

    call_command("seed_demo")
    secret = capsys.readouterr().out.rsplit(": ", 1)[1].strip()
    response = client.post(
        reverse("account_login"),
        {"login": "rivera@demo.ratpark.local", "password": "ratpark-demo-2026"},
    )
    assert response.url.startswith(reverse("mfa_authenticate"))
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert client.get(reverse("clinic:caseload")).status_code == 200


def test_the_digest_leads_to_the_caseload():
    # The digest rule itself is checked in tests/nudges/test_rules.py.
    assert caseload_url() == "/clinic/"
