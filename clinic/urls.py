from django.urls import path

from . import views

app_name = "clinic"

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("organisations/<str:org_id>/", views.organisation, name="organisation"),
    path("two-factor/", views.mfa_required, name="mfa_required"),
    path("clients/<str:tie_id>/", views.client, name="client"),
    path("clients/<str:tie_id>/export.csv", views.export_csv, name="export_csv"),
    path("clients/<str:tie_id>/export.pdf", views.export_pdf, name="export_pdf"),
    path("clients/<str:tie_id>/fhir.json", views.export_fhir, name="export_fhir"),
    path("clients/<str:tie_id>/notes/", views.note_add, name="note_add"),
    path("clients/<str:tie_id>/notes/<str:note_id>/delete/", views.note_delete, name="note_delete"),
    path("clients/<str:tie_id>/discussed/", views.discussed, name="discussed"),
]
