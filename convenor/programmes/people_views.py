"""People pages for facilitators: the cohort list, add/edit/remove, CSV import, personal links."""

import copy
import csv
from datetime import timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.cache import never_cache

from convenor.accounts.models import User
from convenor.programmes import actions, people_actions
from convenor.programmes.access import (
    Membership,
    get_participant_for_facilitator,
    get_programme_for_facilitator,
)
from convenor.programmes.invite_views import invite_url
from convenor.programmes.models import Programme
from convenor.programmes.people import (
    COLUMNS,
    FIELDS,
    MAX_UPLOAD_BYTES,
    CsvFileError,
    PeopleFile,
    Row,
    invite_state,
    read_people_csv,
)
from convenor.programmes.people_forms import (
    ImportForm,
    LinksExportForm,
    ParticipantForm,
    ValidDaysForm,
)

# An organisation-wide trial can have thousands of people; a cohort fits on one page.
PEOPLE_PER_PAGE = 200
# The parsed rows travel from the preview to the confirmation in a signed hidden field, so the
# file need not be uploaded twice and nothing is kept on the server for an abandoned preview.
PREVIEW_MAX_AGE = timedelta(hours=2)
# Beyond Django's default request body limit (2.5 MB) the confirmation could not be posted.
PREVIEW_MAX_CHARS = 2_000_000


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _context(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {
        "membership": membership,
        "programme": membership.programme,
        "nav_active": "people",
        **extra,
    }


def people_list(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id)
    people = membership.programme.participants.order_by("display_name", "created_at")
    people = people.prefetch_related("invites")
    page = Paginator(people, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(person, invite_state(person)) for person in page.object_list]
    context = _context(membership, rows=rows, page=page)
    return render(request, "programmes/people/list.html", context)


def person_add(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    form = ParticipantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.add_participant(
                membership.programme, _user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added {person.display_name}.")
            if "add_another" in request.POST:
                return redirect("programmes:person_add", membership.programme.pk)
            return redirect("programmes:people", membership.programme.pk)
    status = 400 if form.errors else 200
    context = _context(membership, form=form, creating=True)
    return render(request, "programmes/people/form.html", context, status=status)


def person_edit(request: HttpRequest, programme_id: UUID, participant_id: UUID) -> HttpResponse:
    membership, person = get_participant_for_facilitator(
        request, programme_id, participant_id, for_write=True
    )
    # The form writes into its instance while validating; a copy keeps `person` as saved.
    form = ParticipantForm(request.POST or None, instance=copy.copy(person))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_participant(person, _user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['display_name']}'s details.")
            return redirect("programmes:people", membership.programme.pk)
    status = 400 if form.errors else 200
    context = _context(membership, form=form, person=person)
    return render(request, "programmes/people/form.html", context, status=status)


def person_remove(request: HttpRequest, programme_id: UUID, participant_id: UUID) -> HttpResponse:
    membership, person = get_participant_for_facilitator(
        request, programme_id, participant_id, for_write=True
    )
    if request.method == "POST":
        actions.remove_participant(person, _user(request))
        messages.success(request, f"Removed {person.display_name} and everything of theirs.")
        return redirect("programmes:people", membership.programme.pk)
    return render(
        request, "programmes/people/remove_confirm.html", _context(membership, person=person)
    )


@never_cache
def person_link(request: HttpRequest, programme_id: UUID, participant_id: UUID) -> HttpResponse:
    """A person's link: its state, and a new one (shown once; it replaces any unused one)."""
    membership, person = get_participant_for_facilitator(
        request, programme_id, participant_id, for_write=request.method == "POST"
    )
    form = ValidDaysForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = actions.issue_personal_invite(
                person, _user(request), valid_days=form.cleaned_data["valid_days"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            context = _context(
                membership,
                person=person,
                invite=issued.invite,
                url=invite_url(request, issued.token),
            )
            return render(request, "programmes/invites/link_created.html", context)
    context = _context(membership, person=person, form=form, state=invite_state(person))
    status = 400 if form.errors else 200
    return render(request, "programmes/people/link.html", context, status=status)


# --- CSV import -----------------------------------------------------------------------------


def _preview_salt(programme: Programme) -> str:
    # Binding the signature to the programme stops a preview being confirmed into another.
    return f"convenor.people-import:{programme.pk}"


def _sign_rows(programme: Programme, rows: tuple[Row, ...]) -> str:
    packed = [[row.line, [row.values.get(name, "") for name in FIELDS]] for row in rows]
    return signing.dumps(packed, salt=_preview_salt(programme), compress=True)


def _unsign_rows(programme: Programme, signed: str) -> list[tuple[int, dict[str, str]]]:
    """The rows signed for the preview; BadSignature if changed, expired or not ours."""
    packed = signing.loads(signed, salt=_preview_salt(programme), max_age=PREVIEW_MAX_AGE)
    return [(int(line), dict(zip(FIELDS, values, strict=True))) for line, values in packed]


def _render_preview(
    request: HttpRequest,
    membership: Membership,
    parsed: PeopleFile,
    file_name: str,
    status: int = 200,
) -> HttpResponse:
    signed = _sign_rows(membership.programme, parsed.rows) if parsed.importable else ""
    too_big = len(signed) > PREVIEW_MAX_CHARS
    # The file's own columns, or (when re-checking signed rows) those with anything in them.
    shown = [
        (column, field)
        for column, field in COLUMNS.items()
        if column in parsed.columns or any(row.values.get(field) for row in parsed.rows)
    ]
    context = _context(
        membership,
        parsed=parsed,
        file_name=file_name,
        headers=[column.replace("_", " ").capitalize() for column, _ in shown],
        table=[(row, [row.values.get(field, "") for _, field in shown]) for row in parsed.rows],
        signed_rows="" if too_big else signed,
        too_big=too_big,
    )
    return render(request, "programmes/people/preview.html", context, status=status)


def people_import(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Upload a CSV and see every row, and every row's problem, before anything is saved."""
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
            form.add_error(
                "file", f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KiB. Split it."
            )
        else:
            try:
                parsed = read_people_csv(upload.read(MAX_UPLOAD_BYTES + 1), membership.programme)
            except CsvFileError as error:
                form.add_error("file", str(error))
            else:
                return _render_preview(request, membership, parsed, str(upload.name or ""))
    status = 400 if form.errors else 200
    return render(
        request, "programmes/people/import.html", _context(membership, form=form), status=status
    )


def people_import_confirm(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Save every previewed row in one transaction, or none of them."""
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    programme = membership.programme
    try:
        entries = _unsign_rows(programme, request.POST.get("rows", ""))
    except (signing.BadSignature, ValueError, TypeError):
        problem = "This preview is too old or was changed. Upload the file again to import it."
        return _import_refused(request, membership, problem, status=400)
    try:
        added = people_actions.import_participants(programme, _user(request), entries)
    except people_actions.ImportRefused as refused:
        parsed = PeopleFile(columns=(), unknown_columns=(), rows=refused.rows)
        name = str(request.POST.get("file_name", ""))
        return _render_preview(request, membership, parsed, name, status=409)
    except ValidationError as error:
        return _import_refused(request, membership, " ".join(error.messages), status=409)
    messages.success(request, f"Imported {len(added)} {'person' if len(added) == 1 else 'people'}.")
    return redirect("programmes:people", programme.pk)


def _import_refused(
    request: HttpRequest, membership: Membership, problem: str, status: int
) -> HttpResponse:
    context = _context(membership, form=ImportForm(), problem=problem)
    return render(request, "programmes/people/import.html", context, status=status)


# --- Everyone's links -----------------------------------------------------------------------

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


@never_cache
def people_links(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Fresh personal links for many people at once, as a CSV to paste into a mail merge."""
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    programme = membership.programme
    form = LinksExportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        people = programme.participants.all()
        if not form.cleaned_data["everyone"]:
            people = people.filter(agreed_ground_rules_at__isnull=True).exclude(
                invites__redeemed_at__isnull=False
            )
        chosen = list(people)
        if not chosen:
            form.add_error("everyone", "Everyone has joined already; nobody needs a new link.")
        else:
            try:
                issued = people_actions.issue_personal_invites(
                    programme, _user(request), chosen, valid_days=form.cleaned_data["valid_days"]
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _links_csv(request, programme, issued)
    status = 400 if form.errors else 200
    return render(
        request, "programmes/people/links.html", _context(membership, form=form), status=status
    )


def _links_csv(
    request: HttpRequest, programme: Programme, issued: list[actions.IssuedInvite]
) -> HttpResponse:
    filename = f"{slugify(programme.name) or 'programme'}-invite-links.csv"
    response = HttpResponse(
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    # A BOM makes Excel read the file as UTF-8 (names with accents stay intact).
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["id", "name", "email", "organisation", "sector", "link", "valid_until"])
    for item in issued:
        person = item.invite.participant
        assert person is not None
        writer.writerow(
            [
                _cell(person.external_id),
                _cell(person.display_name),
                _cell(person.email),
                _cell(person.organisation),
                _cell(person.sector),
                invite_url(request, item.token),
                timezone.localtime(item.invite.expires_at).date().isoformat(),
            ]
        )
    return response
