import pytest
from django.core.management import call_command

from accounts.models import User
from checkins.models import CheckIn
from network.models import Consent, Contact, Role, Scope, Tie
from network.services.access import shared_scopes


def counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        CheckIn.objects.count(),
        Contact.objects.count(),
        Tie.objects.count(),
        Consent.objects.count(),
    )


@pytest.mark.django_db
def test_seed_demo_builds_the_promised_data_set_and_is_safe_to_rerun(client, capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "sam@demo.ratpark.local" in output
    assert "rivera@demo.ratpark.local" in output

    sam = User.objects.get(email="sam@demo.ratpark.local")
    sam_ties = Tie.objects.filter(member=sam)
    assert sam_ties.count() == 6
    assert len(set(sam_ties.values_list("role", flat=True))) == 6
    # 90 days of history, with realistic gaps but most days present.
    assert 60 <= sam.checkins.count() <= 91
    assert sam.contacts.exists()

    therapist = User.objects.get(email="rivera@demo.ratpark.local")
    assert therapist.is_verified_therapist
    caseload = Tie.objects.active().filter(supporter=therapist, role=Role.THERAPIST)
    assert caseload.values("member").distinct().count() == 25

    # The therapist sees clients' shared data only through a signed, current consent.
    assert Scope.MOOD_CRAVING in shared_scopes(therapist, sam)
    client_one = User.objects.get(email="client01@demo.ratpark.local")
    assert Scope.USE in shared_scopes(therapist, client_one)
    assert shared_scopes(User.objects.get(email="maria@demo.ratpark.local"), sam) >= {
        Scope.CHECKIN_STATUS,
        Scope.MOOD_CRAVING,
    }

    before = counts()
    call_command("seed_demo")
    assert counts() == before

    assert client.login(email="maria@demo.ratpark.local", password="ratpark-demo-2026")


@pytest.mark.django_db
def test_the_demo_shows_the_sos_loop_and_kind_words_at_once(client, capsys):
    from django.urls import reverse

    call_command("seed_demo")
    assert "staff@demo.ratpark.local" in capsys.readouterr().out
    assert User.objects.get(email="staff@demo.ratpark.local").is_staff
    assert client.login(email="maria@demo.ratpark.local", password="ratpark-demo-2026")
    today = client.get(reverse("dashboard")).content.decode()
    assert "Sam asked for support" in today
    assert 'href="tel:+1-555-0199"' in today
    assert client.login(email="sam@demo.ratpark.local", password="ratpark-demo-2026")
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "A message from Alex" in inbox
    assert "Who could you reach out to today?" in inbox
    sos_page = client.get(reverse("nudges:sos_sent"), follow=True).content.decode()
    assert "Jordan sent kind words" in sos_page
    assert "Maria has been told" in sos_page
    call_command("seed_demo")  # re-running adds no second SOS wave
    from notifications.models import Kind, Notification

    assert (
        Notification.objects.filter(kind=Kind.SOS, recipient__email__startswith="maria").count()
        == 1
    )
