"""A client's history as CSV, PDF and a FHIR R4 Bundle. Each holds only the consent's scopes,
carries the redisclosure notice, and never holds session notes (they are not in the history).

The view writes the access log and asks for a fresh sign-in; these functions only build files.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from network.consents import REDISCLOSURE_NOTICE, REDISCLOSURE_PLAIN
from network.models import Scope
from recovery.csv import csv_response

from .history import ClientHistory, score_rows


def _filename(h: ClientHistory, ext: str) -> str:
    return f"rat-park-client-{h.start:%Y%m%d}-{h.end:%Y%m%d}.{ext}"


def _preface(h: ClientHistory) -> list[str]:
    consent = h.access.consent
    if consent is None:  # the clinic opens a client only under one (selectors.client_access)
        raise ValueError("A client's history is exported under a formal consent only.")
    return [
        REDISCLOSURE_NOTICE,
        REDISCLOSURE_PLAIN,
        f"Client: {h.access.tie.member.display_name}",
        f"Range: {h.start.isoformat()} to {h.end.isoformat()}",
        f"Shared under the formal consent signed {consent.signed_at:%Y-%m-%d}: "
        + ", ".join(consent.scope_labels()),
    ]


def history_rows(h: ClientHistory) -> list[list]:
    """(date, kind, item, value) rows for the CSV and the PDF."""
    rows: list[list] = []
    for c in h.checkins:
        day = c["local_date"].isoformat()
        rows.append([day, "check-in", "checked in", "yes"])
        for key in ("mood", "craving", "used", "connectedness", "notes", "gratitude"):
            if key in c and c[key] not in ("", None):
                rows.append([day, "check-in", key, c[key]])
    for c in h.contacts:
        helped = "" if c["helped"] is None else f", helped {c['helped']}/5"
        rows.append(
            [c["local_date"].isoformat(), "contact", c["role_label"], c["method_label"] + helped]
        )
    for s in score_rows(h):
        rows.append([s["day"].isoformat(), "questionnaire", s["instrument"], s["total"]])
    return sorted(rows, key=lambda r: r[0])


def export_csv(h: ClientHistory) -> StreamingHttpResponse:
    return csv_response(
        _filename(h, "csv"), ["date", "kind", "item", "value"], history_rows(h), _preface(h)
    )


def export_pdf(h: ClientHistory) -> HttpResponse:
    # reportlab is pure Python with wheels: no system packages. The page fits both A4 and
    # Letter: A4's width and Letter's height, the smaller of each, with 18 mm margins.
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    page = (min(A4[0], LETTER[0]), min(A4[1], LETTER[1]))
    buffer = io.BytesIO()
    notice = REDISCLOSURE_NOTICE

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 8)
        canvas.drawString(18 * mm, 10 * mm, f"{notice}  Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=page,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title="Rat Park client history",
    )
    styles = getSampleStyleSheet()
    story = [Paragraph("Client history", styles["Title"])]
    story += [Paragraph(_escape(line), styles["Normal"]) for line in _preface(h)]
    story.append(Spacer(1, 6 * mm))
    data = [["Date", "Kind", "Item", "Value"]] + [
        [
            r[0],
            r[1],
            Paragraph(_escape(str(r[2])), styles["Normal"]),
            Paragraph(_escape(str(r[3])), styles["Normal"]),
        ]
        for r in history_rows(h)
    ]
    width = page[0] - 36 * mm
    table = Table(data, colWidths=[24 * mm, 26 * mm, 40 * mm, width - 90 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(h, "pdf")}"'
    return response


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- FHIR ------------------------------------------------------------------------------------


# No published LOINC code measures these app-specific self-reports, so each uses a code system
# under the deployment's own address (documented in docs/privacy.md). fhir.resources' R4B
# models are used: from version 7 the package defaults to R5, and R4B is R4-compatible for
# Patient, Observation, QuestionnaireResponse and Bundle.
def code_system() -> str:
    return f"{settings.SITE_URL}/fhir/CodeSystem/rat-park"


OBSERVATION_CODES = {
    "mood": ("Mood, self-reported (1 really struggling to 5 great)", Scope.MOOD_CRAVING),
    "craving": ("Craving, self-reported (0 none to 10 strongest)", Scope.MOOD_CRAVING),
    "connectedness": (
        "Connectedness, self-reported (1 very alone to 5 very connected)",
        Scope.CONNECTEDNESS,
    ),
}


def build_bundle(h: ClientHistory) -> dict:
    """The Bundle (type collection) as a dict, validated by fhir.resources' R4B models.

    Resources are built from plain dicts with ``model_validate`` (the constructors validate
    the same way but are typed as taking the nested models)."""
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    system = code_system()
    patient_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{system}/patient/{h.access.tie.pk}"))
    subject = {"reference": f"urn:uuid:{patient_id}", "display": h.access.tie.member.display_name}
    entries = [
        {
            "fullUrl": f"urn:uuid:{patient_id}",
            "resource": Patient.model_validate(
                {"id": patient_id, "name": [{"text": h.access.tie.member.display_name}]}
            ),
        }
    ]

    def add(resource) -> None:
        entries.append({"fullUrl": f"urn:uuid:{resource.id}", "resource": resource})

    def observation(code: str, display: str, day: str, value: int) -> Observation:
        return Observation.model_validate(
            {
                "id": str(uuid.uuid4()),
                "status": "final",
                "code": {
                    "coding": [{"system": system, "code": code, "display": display}],
                    "text": display,
                },
                "subject": subject,
                "effectiveDateTime": day,
                "valueInteger": value,
            }
        )

    for c in h.checkins:
        for key, (display, _scope) in OBSERVATION_CODES.items():
            if key in c:
                add(observation(key, display, c["local_date"].isoformat(), c[key]))
    for week, roles in sorted(h.contacts_by_week_role.items()):
        if week >= h.start:
            add(
                observation(
                    "contacts-per-week",
                    "Confirmed contacts in the week starting",
                    week.isoformat(),
                    sum(roles.values()),
                )
            )
    for s in score_rows(h):
        add(
            QuestionnaireResponse.model_validate(
                {
                    "id": str(uuid.uuid4()),
                    "status": "completed",
                    "questionnaire": f"{system}/Questionnaire/{s['key']}",
                    "subject": subject,
                    "authored": s["day"].isoformat(),
                    "item": [
                        {
                            "linkId": "total",
                            "text": f"{s['instrument']} total",
                            "answer": [{"valueDecimal": s["total"]}],
                        }
                    ],
                }
            )
        )
    bundle = Bundle.model_validate(
        {
            "type": "collection",
            "meta": {
                "security": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "42CFRPart2",
                        "display": REDISCLOSURE_NOTICE,
                    }
                ]
            },
            "entry": entries,
        }
    )
    return json.loads(bundle.model_dump_json())


def export_fhir(h: ClientHistory) -> HttpResponse:
    response = HttpResponse(
        json.dumps(build_bundle(h), indent=1), content_type="application/fhir+json"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(h, "json")}"'
    return response


BUILDERS: dict[str, Callable[[ClientHistory], HttpResponseBase]] = {
    "csv": export_csv,
    "pdf": export_pdf,
    "fhir": export_fhir,
}
