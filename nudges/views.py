from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST


@login_required
@require_POST
def sos(request):
    """Tell the member's SOS contacts (the nudges issue implements it)."""
    return HttpResponse("Not implemented yet", status=501)
