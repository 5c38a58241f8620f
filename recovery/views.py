from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from .cache import degraded_stats
from .health import check_broker, check_database


@require_GET
def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database and broker health: 200 when both answer, 503 (with the reason) if not.

    The cache figures are this web process's own (see recovery.cache): a degraded cache
    alone does not make the site unhealthy, since every page works without it.
    """
    problems = {"database": check_database(), "broker": check_broker()}
    body = {name: (error or "ok") for name, error in problems.items()}
    healthy = not any(problems.values())
    body["status"] = "ok" if healthy else "unavailable"
    body.update(degraded_stats())
    return JsonResponse(body, status=200 if healthy else 503)


def crisis(request):
    return render(request, "crisis.html")
