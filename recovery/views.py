from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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


def moved(request: HttpRequest, to: str) -> HttpResponseRedirect:
    """An address that moved (old emails still link to it): a GET goes to the new page; a
    POST from a page opened before the move is sent on with its body (307), so nothing the
    person entered is lost."""
    target = reverse(to)
    if request.method == "POST":
        response = HttpResponseRedirect(target)
        response.status_code = 307
        return response
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(f"{target}?{query}" if query else target)
