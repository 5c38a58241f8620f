from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set (``manage.py seed_demo``).

    It sits above every other app because seeding touches all of them; nothing imports it.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "demo"
    verbose_name = "Demo data"
