"""Live pages: the participant's view, the facilitator's console, their partials and commands.

Pages are complete without JavaScript (a reload shows the current state, forms post commands);
live.js keeps a WebSocket open and re-fetches the partials named by each region when an event
says they changed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.live import commands
from convenor.live.models import GroupMember, Round
from convenor.live.state import open_round, runsheet_state
from convenor.programmes.access import (
    Membership,
    get_session_for_facilitator,
    get_session_for_member,
    participant_must_agree,
)
from convenor.programmes.models import Participant
from convenor.workshops.models import ROOM_PLACEHOLDER, Session


@dataclass(frozen=True)
class Place:
    """Where a group meets: a video room, a table, or both (hybrid)."""

    video_url: str
    table: int | None


@dataclass(frozen=True)
class GroupView:
    number: int
    members: list[Participant]
    place: Place


def _place(session: Session, number: int, token: str) -> Place:
    video = ""
    if session.video_url_template and session.format != Session.Format.IN_PERSON:
        video = session.video_url_template.replace(ROOM_PLACEHOLDER, f"convenor-{token}")
    table = number if session.format != Session.Format.ONLINE or not video else None
    return Place(video_url=video, table=table)


def _sheet(session: Session) -> dict[str, Any]:
    """The run-sheet state with datetimes (for the templates) and the current and next items."""
    state = runsheet_state(session)
    for item in state["segments"]:
        for key in ("starts_at", "ends_at"):
            item[key] = datetime.fromisoformat(item[key]) if item[key] else None
    by_id = {item["id"]: item for item in state["segments"]}
    state["current_item"] = by_id.get(state["current"] or "")
    state["next_item"] = by_id.get(state["next"] or "")
    if state["current_item"] is not None:
        segment = session.segments.filter(pk=state["current"]).first()
        state["current_prompts"] = segment.prompts if segment is not None else ""
    return state


def _groups(round_: Round) -> list[GroupView]:
    members: dict[UUID, list[Participant]] = {}
    rows = GroupMember.objects.filter(round=round_).select_related("participant")
    for row in rows.order_by("participant__display_name"):
        members.setdefault(row.group_id, []).append(row.participant)
    return [
        GroupView(g.number, members.get(g.pk, []), _place(round_.session, g.number, g.room_token))
        for g in round_.groups.all()
    ]


def _context(membership: Membership, session: Session, **extra: Any) -> dict[str, Any]:
    programme = membership.programme
    base = reverse("live:session", args=[programme.pk, session.pk])
    return {
        "membership": membership,
        "programme": programme,
        "session": session,
        "server_now": timezone.now(),
        "ws_path": f"/ws/live/{session.pk}/",
        "live_base": base,
        **extra,
    }


def _round_context(membership: Membership, session: Session) -> dict[str, Any]:
    round_ = open_round(session)
    context: dict[str, Any] = {"round": round_}
    if round_ is None:
        return context
    context["round_ends_at"] = round_.started_at + timedelta(minutes=round_.minutes)
    if membership.is_facilitator:
        context["groups"] = _groups(round_)
        context["waiting"] = list(round_.waiting.order_by("display_name"))
        context["in_round"] = sorted(
            [p for g in context["groups"] for p in g.members] + context["waiting"],
            key=lambda p: p.display_name,
        )
    elif membership.participant is not None:
        mine = GroupMember.objects.filter(round=round_, participant=membership.participant)
        row = mine.select_related("group").first()
        if row is not None:
            group = row.group
            context["my_group"] = GroupView(
                group.number,
                list(
                    Participant.objects.filter(pk__in=group.members.values("pk"))
                    .exclude(pk=membership.participant.pk)
                    .order_by("display_name")
                ),
                _place(session, group.number, group.room_token),
            )
        context["waiting_me"] = round_.waiting.filter(pk=membership.participant.pk).exists()
    return context


# --- Pages ----------------------------------------------------------------------------------


@participant_must_agree
def live_session(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_member(request, programme_id, session_id)
    context = _context(membership, session, sheet=_sheet(session))
    context.update(_round_context(membership, session))
    return render(request, "live/session.html", context)


def console(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(request, programme_id, session_id)
    context = _context(membership, session, sheet=_sheet(session), here=_here(session))
    context.update(_round_context(membership, session))
    context["nav_active"] = "sessions"
    return render(request, "live/console.html", context)


# --- Partials (fetched by live.js after an event) -------------------------------------------


@participant_must_agree
def now_part(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_member(request, programme_id, session_id)
    context = _context(membership, session, sheet=_sheet(session))
    return render(request, "live/_now.html", context)


@participant_must_agree
def round_part(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_member(request, programme_id, session_id)
    context = _context(membership, session, **_round_context(membership, session))
    template = "live/_groups.html" if membership.is_facilitator else "live/_my_group.html"
    return render(request, template, context)


def _here(session: Session) -> list[Participant]:
    return list(
        Participant.objects.filter(presences__session=session).distinct().order_by("display_name")
    )


def here_part(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(request, programme_id, session_id)
    return render(request, "live/_here.html", _context(membership, session, here=_here(session)))


# --- Commands -------------------------------------------------------------------------------


def command(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """Run a facilitator command posted by a form (the console's no-JavaScript path)."""
    membership, session = get_session_for_facilitator(
        request, programme_id, session_id, for_write=True
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    assert isinstance(request.user, User)
    name = request.POST.get("command", "")
    try:
        values = commands.parse(name, request.POST, from_form=True)
        done = commands.execute(session, request.user, name, values)
    except commands.CommandError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("live:console", membership.programme.pk, session.pk)
