from django.apps import AppConfig


class ClinicConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "clinic"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        def on_login(sender, request, user, **kwargs):
            # Session policy, not domain logic: a verified therapist's session idles out sooner.
            if request is not None and hasattr(request, "session") and user.is_verified_therapist:
                from .middleware import mark_clinical

                mark_clinical(request)

        user_logged_in.connect(on_login, weak=False, dispatch_uid="clinic_mark_clinical_session")
