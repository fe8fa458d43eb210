"""The facilitators' pairing-preferences page: who to keep apart and who to put together."""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render

from convenor.accounts.models import User
from convenor.programmes import pairs
from convenor.programmes.access import Membership, get_programme_for_facilitator
from convenor.programmes.models import PairPreference
from convenor.programmes.pairs_forms import PairForm, PairsImportForm


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _render_list(
    request: HttpRequest,
    membership: Membership,
    form: PairForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    programme = membership.programme
    preferences = (
        PairPreference.objects.filter(programme=programme)
        .select_related("person_a", "person_b")
        .order_by("kind", "person_a__display_name", "person_b__display_name")
    )
    context: dict[str, Any] = {
        "membership": membership,
        "programme": programme,
        "nav_active": "pairs",
        "preferences": preferences,
        "form": form if form is not None else PairForm(programme),
        "problem": problem,
    }
    return render(request, "programmes/pairs/list.html", context, status=status)


def pairs_list(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """The list, and the form that adds one preference."""
    membership = get_programme_for_facilitator(
        request, programme_id, for_write=request.method == "POST"
    )
    if request.method != "POST":
        return _render_list(request, membership)
    form = PairForm(membership.programme, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            pairs.add_pair_preference(
                membership.programme, _user(request), data["first"], data["second"], data["kind"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Saved: {data['first'].display_name} and {data['second'].display_name}."
            )
            return redirect("programmes:pairs", membership.programme.pk)
    return _render_list(request, membership, form=form, status=400)


def pair_remove(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Remove the preference named by the posted `pair` id."""
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    preference = pairs.find_pair_preference(membership.programme, request.POST.get("pair"))
    if preference is None:
        problem = "That preference no longer exists (someone may have removed it already)."
        return _render_list(request, membership, problem=problem, status=404)
    try:
        pairs.remove_pair_preference(preference, _user(request))
    except ValidationError as error:
        return _render_list(request, membership, problem=" ".join(error.messages), status=409)
    messages.success(
        request,
        f"Removed the preference for {preference.person_a.display_name} and "
        f"{preference.person_b.display_name}.",
    )
    return redirect("programmes:pairs", membership.programme.pk)


def pairs_import(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Add many pairs of one kind from a CSV file, all or none."""
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    form = PairsImportForm(request.POST or None, request.FILES or None)
    problems: tuple[str, ...] = ()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            rows = pairs.read_pairs_csv(upload.read(pairs.MAX_UPLOAD_BYTES + 1))
            added = pairs.import_pair_preferences(
                membership.programme, _user(request), rows, form.cleaned_data["kind"]
            )
        except pairs.PairsRefused as refused:
            form.add_error("file", refused)
            problems = refused.problems
        except ValidationError as error:
            form.add_error("file", error)
        else:
            count = len(added)
            messages.success(request, f"Added {count} {'pair' if count == 1 else 'pairs'}.")
            return redirect("programmes:pairs", membership.programme.pk)
    context = {
        "membership": membership,
        "programme": membership.programme,
        "nav_active": "pairs",
        "form": form,
        "problems": problems,
    }
    status = 400 if form.errors else 200
    return render(request, "programmes/pairs/import.html", context, status=status)
