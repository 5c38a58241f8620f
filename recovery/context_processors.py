from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "CRISIS_RESOURCES": settings.CRISIS_RESOURCES,
        "EMERGENCY_NUMBER": settings.EMERGENCY_NUMBER,
    }
