"""The inbox's URLs, turning a stopped kind back on and web push subscriptions, mounted under
``/nudges/`` (their address before this app existed) next to the nudges app's own (SOS,
preferences, the service worker)."""

from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("unread/", views.unread_count, name="unread_count"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/read/", views.mark_read, name="mark_read"),
    path("<uuid:pk>/respond/<str:action>/", views.respond, name="respond"),
    path("a/<str:token>/", views.act, name="act"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("preferences/unmute/<str:kind>/<str:channel>/", views.unmute, name="unmute"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
]
