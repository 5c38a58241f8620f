"""The nudges app's URLs under ``/nudges/``: SOS, preferences and web push (the inbox's are
``notifications.urls``, under the same prefix)."""

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
    path("preferences/unmute/<str:kind>/<str:channel>/", views.unmute, name="unmute"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
