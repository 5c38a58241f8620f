import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert (body["database"], body["broker"], body["status"]) == ("ok", "ok", "ok")


@pytest.mark.django_db
def test_home_page_shows_crisis_resources(client):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "tel:988" in body
    assert "1-800-662-4357" in body


@pytest.mark.django_db
def test_dashboard_requires_login(client, member):
    assert client.get(reverse("dashboard")).status_code == 302
    client.force_login(member)
    assert client.get(reverse("dashboard")).status_code == 200


@pytest.mark.django_db
def test_dashboard_prompts_a_specific_person_and_lists_people_i_support(client, make_user):
    from accounts.models import ContactPreferences
    from network.models import Role, Tie

    sam = make_user(display_name="Sam")
    maria = make_user(display_name="Maria")
    # No quiet hours for Maria: otherwise, run at night, she is rightly not suggested.
    ContactPreferences.objects.create(user=maria, quiet_start="00:00", quiet_end="00:00")
    Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR, phone="+15551234567")
    # No quiet hours for Maria, so the suggestion shows whatever time the test runs at.
    from accounts.models import ContactPreferences

    ContactPreferences.objects.update_or_create(
        user=maria, defaults={"quiet_start": "08:00", "quiet_end": "08:00"}
    )
    client.force_login(sam)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Maria" in body
    assert 'href="tel:+15551234567"' in body
    assert "People you support" not in body

    client.force_login(maria)
    body = client.get(reverse("dashboard")).content.decode()
    assert "People you support" in body
    assert "Sam" in body


@pytest.mark.django_db
def test_a_supporter_without_history_sees_no_row_of_zero_counters(client, make_user):
    from network.models import Role, Tie

    sam = make_user(display_name="Sam")
    maria = make_user(display_name="Maria")
    Tie.objects.create(member=sam, supporter=maria, role=Role.SPONSOR)
    client.force_login(maria)
    body = client.get(reverse("dashboard")).content.decode()
    assert "days in a row" not in body
    assert "Supporters need support too" in body
    assert body.index("People you support") < body.index("Your own support network")


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    from django.core.management import call_command

    # Exits non-zero (SystemExit) when a model changed without a migration.
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
