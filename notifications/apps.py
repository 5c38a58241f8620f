from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """The delivery platform: notifications, their channels, mutes and one-tap links.

    It knows no rule: the nudges app (and any app above this one) decides what to say and
    when; this one stores it and carries it to the inbox, email and web push.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"
