import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ok"}


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
