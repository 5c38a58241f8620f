from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import devmail, views

# The admin login goes through allauth, so staff sign in with MFA like everyone else. Wrapping
# the site's bound method is allauth's documented way; mypy forbids assigning to a method.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Rat Park administration"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("crisis/", views.crisis, name="crisis"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("network/", include("network.urls")),
    # The check-in reminders page became part of the one reminders and messages page.
    path("checkins/reminders/", views.moved, {"to": "nudges:preferences"}),
    path("checkins/", include("checkins.urls")),
    path("nudges/", include("nudges.urls")),
    path("nudges/", include("notifications.urls")),
    path("clinic/", include("clinic.urls")),
    path("admin/", admin.site.urls),
]
if settings.DEBUG:
    urlpatterns.append(path("dev/mail/", devmail.sent_mail, name="dev_mail"))
