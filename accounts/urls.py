from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("settings/", views.account_settings, name="account_settings"),
    path("settings/therapist/", views.therapist_application, name="therapist_application"),
    path("settings/export/", views.account_export, name="account_export"),
    path("settings/delete/", views.account_delete, name="account_delete"),
]
