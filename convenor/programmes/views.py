"""Programme pages for facilitators, and the participant's way in (ground rules, home)."""

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.access import (
    get_facilitation_for_facilitator,
    get_programme_for_facilitator,
    get_programme_for_member,
    participant_logout,
    participant_must_agree,
)
from convenor.programmes.forms import CofacilitatorForm, ProgrammeForm
from convenor.programmes.models import Programme


def _posted(request: HttpRequest) -> QueryDict | None:
    """Form data for a POST (even an empty one, which must show errors), None otherwise."""
    return request.POST if request.method == "POST" else None


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    # Open programmes first; NULL ordering differs between SQLite and PostgreSQL, so say it.
    programmes = Programme.objects.filter(facilitations__user=_user(request)).order_by(
        F("archived_at").asc(nulls_first=True), "-created_at"
    )
    return render(request, "programmes/home.html", {"programmes": programmes})


@login_required
def create(request: HttpRequest) -> HttpResponse:
    form = ProgrammeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            programme = actions.create_programme(_user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Created {programme.name}.")
            return redirect("programmes:dashboard", programme.pk)
    return render(request, "programmes/programme_form.html", {"form": form, "creating": True})


def dashboard(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id)
    programme = membership.programme
    context = {
        "membership": membership,
        "programme": programme,
        "facilitations": programme.facilitations.select_related("user"),
        "participant_count": programme.participants.count(),
        "agreed_count": programme.participants.filter(agreed_ground_rules_at__isnull=False).count(),
        "nav_active": "dashboard",
    }
    return render(request, "programmes/dashboard.html", context)


def edit(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    programme = membership.programme
    form = ProgrammeForm(_posted(request), instance=programme)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_programme(programme, _user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved the programme's settings.")
            return redirect("programmes:dashboard", programme.pk)
    context = {"membership": membership, "programme": programme, "form": form}
    context["nav_active"] = "settings"
    return render(request, "programmes/programme_form.html", context)


def archive(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    programme = membership.programme
    if request.method == "POST":
        actions.archive_programme(programme, _user(request))
        messages.success(request, f"Archived {programme.name}. It is now read-only.")
        return redirect("programmes:dashboard", programme.pk)
    context = {"membership": membership, "programme": programme, "nav_active": "settings"}
    return render(request, "programmes/archive_confirm.html", context)


def restore(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        actions.restore_programme(membership.programme, _user(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Restored the programme; it can be changed again.")
    return redirect("programmes:dashboard", membership.programme.pk)


def facilitators(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(
        request, programme_id, for_write=request.method == "POST"
    )
    programme = membership.programme
    form = CofacilitatorForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            added = actions.add_cofacilitator(programme, _user(request), form.cleaned_data["email"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added {added.user.name} as a co-facilitator.")
            return redirect("programmes:facilitators", programme.pk)
    context = {
        "membership": membership,
        "programme": programme,
        "form": form,
        "facilitations": programme.facilitations.select_related("user"),
        "nav_active": "facilitators",
    }
    return render(request, "programmes/facilitators.html", context)


def facilitator_remove(
    request: HttpRequest, programme_id: UUID, facilitation_id: UUID
) -> HttpResponse:
    membership, facilitation = get_facilitation_for_facilitator(
        request, programme_id, facilitation_id, for_write=True
    )
    programme = membership.programme
    error_message = ""
    if request.method == "POST":
        try:
            actions.remove_cofacilitator(programme, _user(request), facilitation)
        except ValidationError as error:
            error_message = " ".join(error.messages)
        else:
            if facilitation.user_id == request.user.pk:
                messages.success(request, f"You no longer facilitate {programme.name}.")
                return redirect("programmes:home")
            messages.success(request, f"Removed {facilitation.user.name}.")
            return redirect("programmes:facilitators", programme.pk)
    context = {
        "membership": membership,
        "programme": programme,
        "facilitation": facilitation,
        "error_message": error_message,
        "nav_active": "facilitators",
    }
    status = 400 if error_message else 200
    return render(request, "programmes/facilitator_remove.html", context, status=status)


def ground_rules(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Participants read and agree to the ground rules; facilitators see what they will see."""
    membership = get_programme_for_member(request, programme_id)
    programme = membership.programme
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.method == "POST":
        if membership.participant is None:
            raise PermissionDenied("Only participants agree to the ground rules.")
        actions.agree_ground_rules(membership.participant)
        if next_url:
            return redirect(next_url)
        return redirect("programmes:participant_home", programme.pk)
    context = {
        "membership": membership,
        "programme": programme,
        "next": next_url,
        "nav_active": "ground_rules",
    }
    return render(request, "programmes/ground_rules.html", context)


@participant_must_agree
def participant_home(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """The participant's page for a programme (facilitators see it as a preview)."""
    membership = get_programme_for_member(request, programme_id)
    context = {
        "membership": membership,
        "programme": membership.programme,
        "nav_active": "participant_home",
    }
    return render(request, "programmes/participant_home.html", context)


def leave(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Forget this device's participant identity for the programme (for shared devices)."""
    membership = get_programme_for_member(request, programme_id)
    if membership.participant is None:
        raise PermissionDenied("Facilitators sign out from the account menu.")
    if request.method == "POST":
        participant_logout(request, programme_id)
        left = {"programme_name": membership.programme.name}
        return render(request, "programmes/left.html", left)
    context = {"membership": membership, "programme": membership.programme}
    return render(request, "programmes/leave_confirm.html", context)
