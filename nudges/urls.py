from django.urls import path

from . import settings_views, views

app_name = "nudges"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("unread/", views.unread_count, name="unread_count"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/read/", views.mark_read, name="mark_read"),
    path("<uuid:pk>/respond/<str:action>/", views.respond, name="respond"),
    path("a/<str:token>/", views.act, name="act"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
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
