from django.urls import path

from . import views

app_name = "network"
urlpatterns = [
    path("", views.home, name="home"),
    path("ties/add/", views.tie_add, name="tie_add"),
    path("ties/<uuid:tie_id>/edit/", views.tie_edit, name="tie_edit"),
    path("ties/<uuid:tie_id>/sharing/", views.tie_sharing, name="tie_sharing"),
    path("ties/<uuid:tie_id>/consent/", views.consent_part2, name="consent_part2"),
    path("ties/<uuid:tie_id>/<str:action>/", views.tie_status, name="tie_status"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("invitations/new/", views.invitation_create, name="invitation_create"),
    path(
        "invitations/<uuid:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "invitations/<uuid:invitation_id>/cancel/",
        views.invitation_cancel,
        name="invitation_cancel",
    ),
    path("invite/<str:token>/", views.invitation_respond, name="invitation_respond"),
    path("consents/", views.consent_history_view, name="consent_history"),
    path("consents/download/", views.consent_history_csv, name="consent_history_csv"),
    path("consents/<uuid:consent_id>/revoke/", views.consent_revoke_view, name="consent_revoke"),
    path("access-log/", views.access_log, name="access_log"),
    path("access-log/download/", views.access_log_csv, name="access_log_csv"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/<uuid:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<uuid:contact_id>/delete/", views.contact_delete_view, name="contact_delete"),
    path("contacts/<uuid:contact_id>/<str:answer>/", views.contact_answer, name="contact_answer"),
    path("kind-words/", views.encouragements, name="encouragements"),
    path("supporting/", views.supporting, name="supporting"),
    path("supporting/<uuid:tie_id>/", views.supporting_member, name="supporting_member"),
    path("supporting/<uuid:tie_id>/export/", views.supporting_export, name="supporting_export"),
    path("supporting/<uuid:tie_id>/leave/", views.supporting_leave, name="supporting_leave"),
    path("supporting/<uuid:tie_id>/encourage/", views.encourage, name="encourage"),
    path(
        "supporting/<uuid:tie_id>/reached-out/",
        views.supporter_log_contact,
        name="supporter_log_contact",
    ),
]
