"""The site's URLs plus ``/bench/hello/``: a signed-in "hello" through the full middleware
stack, the ceiling bench/http_pages.py measures every page against. Mounted only by
``bench.http_settings``."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from recovery.urls import urlpatterns as site_urlpatterns


@login_required
def hello(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"hello {request.user.pk}", content_type="text/plain")


urlpatterns = [path("bench/hello/", hello, name="bench_hello"), *site_urlpatterns]
