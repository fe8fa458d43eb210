"""Session pages, the run-sheet editor and calendar files.

Every lookup goes through convenor.programmes.access first (outsiders 404, participants 403 on
facilitator pages), then the HTTP method is checked, so the answer never reveals more than the
caller may know. Every write calls convenor.workshops.actions.
"""

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from convenor.accounts.models import User
from convenor.programmes.access import (
    Membership,
    get_programme_for_facilitator,
    get_programme_for_member,
    get_segment_for_facilitator,
    get_session_for_facilitator,
    get_session_for_member,
    participant_must_agree,
)
from convenor.programmes.models import Programme
from convenor.workshops import actions, ics
from convenor.workshops.forms import (
    ApplyTemplateForm,
    DuplicateForm,
    MoveForm,
    SegmentForm,
    SessionForm,
)
from convenor.workshops.models import CalendarFeed, Session
from convenor.workshops.runsheet import timing
from convenor.workshops.templates_builtin import TEMPLATES

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _context(membership: Membership, **extra: Any) -> dict[str, Any]:
    return {"membership": membership, "programme": membership.programme, **extra}


def _status(form: Any) -> int:
    """400 for a submitted form with errors, so tests and tools see the refusal."""
    return 400 if form.is_bound and form.errors else 200


def _runsheet_url(session: Session, anchor: str = "") -> str:
    url = reverse("workshops:runsheet", args=[session.programme_id, session.pk])
    return f"{url}#{anchor}" if anchor else url


# --- Sessions -------------------------------------------------------------------------------


def session_list(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id)
    # An explicit order: Django drops Meta.ordering from queries with GROUP BY.
    sessions = membership.programme.sessions.annotate(segment_count=Count("segments")).order_by(
        "starts_at", "position"
    )
    context = _context(membership, sessions=sessions, nav_active="sessions")
    return render(request, "workshops/session_list.html", context)


def session_create(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    membership = get_programme_for_facilitator(request, programme_id, for_write=True)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = actions.create_session(
                membership.programme, _user(request), **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added the session {session.title}.")
            return redirect("workshops:runsheet", membership.programme.pk, session.pk)
    context = _context(membership, form=form, creating=True, nav_active="sessions")
    return render(request, "workshops/session_form.html", context, status=_status(form))


def session_edit(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(
        request, programme_id, session_id, for_write=True
    )
    form = SessionForm(request.POST or None, initial=SessionForm.initial_for(session))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_session(session, _user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Saved the session.")
            return redirect("workshops:runsheet", membership.programme.pk, session.pk)
    context = _context(membership, form=form, session=session, nav_active="sessions")
    return render(request, "workshops/session_form.html", context, status=_status(form))


def session_delete(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(
        request, programme_id, session_id, for_write=True
    )
    if request.method == "POST":
        actions.delete_session(session, _user(request))
        messages.success(request, f"Deleted the session {session.title}.")
        return redirect("workshops:sessions", membership.programme.pk)
    context = _context(membership, session=session, nav_active="sessions")
    context["segment_count"] = session.segments.count()
    return render(request, "workshops/session_delete.html", context)


# --- Run-sheet ------------------------------------------------------------------------------


def _runsheet_context(membership: Membership, session: Session, **extra: Any) -> dict[str, Any]:
    return _context(
        membership, session=session, timing=timing(session), nav_active="sessions", **extra
    )


def runsheet(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(request, programme_id, session_id)
    return render(request, "workshops/runsheet.html", _runsheet_context(membership, session))


def segment_add(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(
        request, programme_id, session_id, for_write=True
    )
    form = SegmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            segment = actions.add_segment(session, _user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Added {segment.title}.")
            return redirect(_runsheet_url(session, f"segment-{segment.pk}"))
    context = _context(membership, session=session, form=form, nav_active="sessions")
    return render(request, "workshops/segment_form.html", context, status=_status(form))


def segment_edit(
    request: HttpRequest, programme_id: UUID, session_id: UUID, segment_id: UUID
) -> HttpResponse:
    membership, segment = get_segment_for_facilitator(
        request, programme_id, session_id, segment_id, for_write=True
    )
    form = SegmentForm(request.POST or None, instance=segment)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_segment(segment, _user(request), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved {form.cleaned_data['title']}.")
            return redirect(_runsheet_url(segment.session, f"segment-{segment.pk}"))
        # A failed save must not show half-applied values as if they were stored.
        segment.refresh_from_db()
    context = _context(
        membership, session=segment.session, segment=segment, form=form, nav_active="sessions"
    )
    return render(request, "workshops/segment_form.html", context, status=_status(form))


def segment_delete(
    request: HttpRequest, programme_id: UUID, session_id: UUID, segment_id: UUID
) -> HttpResponse:
    membership, segment = get_segment_for_facilitator(
        request, programme_id, session_id, segment_id, for_write=True
    )
    if request.method == "POST":
        actions.delete_segment(segment, _user(request))
        messages.success(request, f"Removed {segment.title}.")
        return redirect(_runsheet_url(segment.session, "runsheet"))
    context = _context(membership, session=segment.session, segment=segment)
    context["nav_active"] = "sessions"
    return render(request, "workshops/segment_delete.html", context)


def segment_move(
    request: HttpRequest, programme_id: UUID, session_id: UUID, segment_id: UUID
) -> HttpResponse:
    """Move a segment up or down; htmx gets the run-sheet table back, browsers a redirect."""
    membership, segment = get_segment_for_facilitator(
        request, programme_id, session_id, segment_id, for_write=True
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    session = segment.session
    form = MoveForm(request.POST)
    error = moved_message = ""
    if not form.is_valid():
        error = "Move a segment up or down."
    else:
        try:
            moved = actions.move_segment(segment, _user(request), form.cleaned_data["direction"])
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            count = session.segments.count()
            moved_message = f"Moved “{moved.title}” to place {moved.position + 1} of {count}."
    if getattr(request, "htmx", False):
        # htmx does not swap 4xx answers by default; the message goes inside the swapped table.
        context = _runsheet_context(
            membership, session, move_error=error, moved_message=moved_message, is_htmx=True
        )
        return render(request, "workshops/_runsheet_table.html", context)
    if error:
        context = _runsheet_context(membership, session, move_error=error)
        return render(request, "workshops/runsheet.html", context, status=400)
    messages.success(request, moved_message)
    return redirect(_runsheet_url(session, f"segment-{segment.pk}"))


def template_apply(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(
        request, programme_id, session_id, for_write=True
    )
    form = ApplyTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.apply_template(
                session,
                _user(request),
                form.cleaned_data["template"],
                replace=form.cleaned_data["replace"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            name = TEMPLATES[form.cleaned_data["template"]].name
            messages.success(request, f"Built the run-sheet from “{name}”.")
            return redirect(_runsheet_url(session, "runsheet"))
    context = _context(
        membership,
        session=session,
        form=form,
        templates=list(TEMPLATES.values()),
        existing=session.segments.count(),
        nav_active="sessions",
    )
    return render(request, "workshops/template_apply.html", context, status=_status(form))


def runsheet_duplicate(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(
        request, programme_id, session_id, for_write=True
    )
    others = (
        membership.programme.sessions.exclude(pk=session.pk)
        .annotate(segment_count=Count("segments"))
        .filter(segment_count__gt=0)
        .order_by("starts_at", "position")
    )
    sources = [(other, other.segment_count) for other in others]
    form = DuplicateForm(request.POST or None, sources=sources)
    if request.method == "POST" and form.is_valid():
        # The choices were limited to this programme's sessions; the action checks again.
        source = next(s for s, _ in sources if str(s.pk) == form.cleaned_data["source"])
        try:
            actions.duplicate_runsheet(
                session, _user(request), source, replace=form.cleaned_data["replace"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Copied the run-sheet of {source.title}.")
            return redirect(_runsheet_url(session, "runsheet"))
    context = _context(
        membership,
        session=session,
        form=form,
        has_sources=bool(sources),
        existing=session.segments.count(),
        nav_active="sessions",
    )
    return render(request, "workshops/runsheet_duplicate.html", context, status=_status(form))


# --- Calendar files -------------------------------------------------------------------------


def _ics_response(programme: Programme, sessions: list[Session], filename: str) -> HttpResponse:
    response = HttpResponse(ics.calendar_for(programme, sessions), content_type=ICS_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Private data: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


def _series(programme: Programme) -> list[Session]:
    return list(programme.sessions.select_related("programme").prefetch_related("segments"))


@participant_must_agree
def session_ics(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """One session as an .ics file, for the programme's participants and facilitators."""
    membership, session = get_session_for_member(request, programme_id, session_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return _ics_response(membership.programme, [session], ics.filename_for(session.title))


@participant_must_agree
def programme_ics(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """The whole series as one .ics file (a download; calendar apps use the feed link)."""
    membership = get_programme_for_member(request, programme_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    programme = membership.programme
    return _ics_response(programme, _series(programme), ics.filename_for(programme.name))


def calendar_feed(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """Facilitators make, replace or withdraw the programme's calendar-subscription link."""
    membership = get_programme_for_facilitator(
        request, programme_id, for_write=request.method == "POST"
    )
    programme = membership.programme
    new_url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "create":
            token = actions.create_calendar_feed(programme, _user(request))
            new_url = request.build_absolute_uri(
                reverse("workshops:calendar_subscribe", args=[token])
            )
            messages.success(request, "Made a new subscription link; any earlier one stopped.")
        elif action == "revoke":
            if actions.revoke_calendar_feed(programme, _user(request)):
                messages.success(request, "Withdrew the subscription link.")
            return redirect("workshops:calendar_feed", programme.pk)
        else:
            messages.error(request, "Choose to make a new link or to withdraw the current one.")
            return redirect("workshops:calendar_feed", programme.pk)
    context = _context(
        membership,
        feed=CalendarFeed.objects.filter(programme=programme).first(),
        new_url=new_url,
        nav_active="calendar",
    )
    return render(request, "workshops/calendar_feed.html", context)


def calendar_subscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The subscribed feed: the secret link is the credential, as calendar apps send no cookie."""
    programme = actions.programme_for_feed_token(token)
    if programme is None:
        raise Http404("No such calendar.")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    response = _ics_response(programme, _series(programme), ics.filename_for(programme.name))
    response["Content-Disposition"] = "inline"
    response["X-Robots-Tag"] = "noindex"
    return response
