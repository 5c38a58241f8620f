"""What each export holds: the notice, only the consent's scopes, valid FHIR R4, a PDF page."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.urls import reverse

from checkins.models import CheckIn, Instrument, QuestionnaireResponse
from network.models import Scope
from tests.clinic_support import enrol_mfa, reauthenticate
from tests.factories import TherapistFactory
from tests.network_cast import _therapist_tie


@pytest.fixture
def setup(client, make_user, member):
    therapist = enrol_mfa(TherapistFactory(display_name="Dr Export"))
    member.display_name = "=HYPERLINK(1)"
    member.save()
    tie = _therapist_tie(
        member, therapist, [Scope.MOOD_CRAVING, Scope.CONNECTEDNESS, Scope.QUESTIONNAIRES]
    )
    today = member.local_now().date()
    CheckIn.objects.create(
        member=member, local_date=today, mood=2, craving=6, connectedness=4, notes="HIDDEN-NOTE"
    )
    QuestionnaireResponse.objects.create(
        member=member,
        instrument=Instrument.UCLA3,
        version="Hughes 2004, 3-item",
        answers=[2, 2, 3],
        scores={"total": 7},
        local_date=today,
    )
    client.force_login(therapist)
    reauthenticate(client)
    return tie


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_csv_has_the_notice_only_its_scopes_and_no_formulas(client, setup):
    text = _body(client.get(reverse("clinic:export_csv", args=[setup.pk]))).decode()
    assert text.startswith("42 CFR part 2 prohibits unauthorized use or disclosure")
    assert "Client: =HYPERLINK(1)" in text
    assert not [cell for line in text.splitlines() for cell in line.split(",") if cell[:1] == "="]
    assert "connectedness" in text
    assert "mood" in text
    assert "HIDDEN-NOTE" not in text  # the notes scope wasn't given


def test_fhir_is_a_valid_r4_collection(client, setup, settings):
    from fhir.resources.R4B.bundle import Bundle

    response = client.get(reverse("clinic:export_fhir", args=[setup.pk]))
    assert response["Content-Type"] == "application/fhir+json"
    data = json.loads(_body(response))
    bundle = Bundle.model_validate(data)  # parses back under the R4B models
    assert bundle.type == "collection"
    kinds = [e.resource.get_resource_type() for e in bundle.entry]
    assert kinds.count("Patient") == 1
    assert "QuestionnaireResponse" in kinds
    codes = {
        e.resource.code.coding[0].code
        for e in bundle.entry
        if e.resource.get_resource_type() == "Observation"
    }
    assert codes == {"mood", "craving", "connectedness"}
    systems = {
        e.resource.code.coding[0].system
        for e in bundle.entry
        if e.resource.get_resource_type() == "Observation"
    }
    assert systems == {f"{settings.SITE_URL}/fhir/CodeSystem/rat-park"}
    patient = next(e.resource for e in bundle.entry if e.resource.get_resource_type() == "Patient")
    assert [n.text for n in patient.name] == ["=HYPERLINK(1)"]  # display name only
    assert patient.telecom is None
    assert patient.birthDate is None
    assert "42 CFR part 2" in json.dumps(data)
    assert "HIDDEN-NOTE" not in json.dumps(data)


def test_pdf_is_a_pdf_with_the_notice(client, setup):
    response = client.get(reverse("clinic:export_pdf", args=[setup.pk]))
    assert response.status_code == HTTPStatus.OK
    body = _body(response)
    assert body.startswith(b"%PDF")
    # A4 width (595.3 pt) and Letter height (792 pt): the page prints on both.
    assert b"/MediaBox [ 0 0 595.2756 792 ]" in body
