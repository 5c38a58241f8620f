from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import check_broker, check_database


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@require_GET
@never_cache
def healthz(request):
    problems = {"database": check_database(), "broker": check_broker()}
    body = {name: (error or "ok") for name, error in problems.items()}
    healthy = not any(problems.values())
    body["status"] = "ok" if healthy else "unavailable"
    return JsonResponse(body, status=200 if healthy else 503)


def crisis(request):
    return render(request, "crisis.html")
