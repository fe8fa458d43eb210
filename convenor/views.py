"""Project-wide views: the front door and the CSRF failure page."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render


def root(request: HttpRequest) -> HttpResponseRedirect:
    """Facilitators go to their programmes; everyone else to the sign-in page."""
    if request.user.is_authenticated:
        return redirect("programmes:home")
    return redirect("accounts:login")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A readable page instead of Django's technical one (expired form, blocked cookies)."""
    return render(request, "403_csrf.html", status=403)
