"""The nudges app's URLs under ``/nudges/``: SOS, preferences, the service worker and the
manifest (the inbox's, unmuting and push subscriptions are ``notifications.urls``, under the
same prefix)."""

from django.urls import path

from . import settings_views, views

app_name = "nudges"
urlpatterns = [
    path("sos/", views.sos, name="sos"),
    path("sos/sent/", views.sos_sent, name="sos_sent"),
    path("sos/<uuid:pk>/", views.sos_status, name="sos_status"),
    path("sos/<uuid:pk>/answers/", views.sos_answers, name="sos_answers"),
    path("<uuid:pk>/sos/reaching-out/", views.sos_reaching_out, name="sos_reaching_out"),
    path("<uuid:pk>/sos/kind-words/", views.sos_kind_words, name="sos_kind_words"),
    path("preferences/", settings_views.preferences, name="preferences"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
