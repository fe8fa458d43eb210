"""Live pages: the participant's view, the facilitator's console, their partials and commands.

Pages are complete without JavaScript (a reload shows the current state, forms post commands);
live.js keeps a WebSocket open and re-fetches the partials named by each region when an event
says they changed. A page says which event it was rendered after (`data-seq`), so its first
hello asks only for what happened since, instead of a snapshot and a fetch of every region.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.activities.views import activity_context
from convenor.live import actions, commands
from convenor.live.events import current_seq
from convenor.live.models import GroupMember, RoomGroup, RoomNotes, Round
from convenor.live.notes import just_left
from convenor.live.record import rooms_with_notes
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
    """Where a group meets: a video room, a table, or both (hybrid).

    `ask_facilitator`: some of the group join online but the session has no video-room link,
    so the page says their facilitator will tell them where to meet.
    """

    video_url: str
    table: int | None
    ask_facilitator: bool = False


@dataclass(frozen=True)
class PersonRow:
    """What a group's region shows of a person (read without loading whole rows)."""

    pk: UUID
    display_name: str
    pronouns: str
    organisation: str
    sector: str


@dataclass(frozen=True)
class GroupView:
    number: int
    members: Sequence[Participant | PersonRow]
    place: Place
    id: UUID | None = None
    prompt: str = ""
    notes: RoomNotes | None = None
    # Nobody else in the group yet (the people list says so).
    alone: bool = False


def place_of(session: Session, number: int, token: str) -> Place:
    """In person: the table. Online: the group's video room, or (with no video-room link set
    for the session) no place at all, only that the facilitator will say. Hybrid: the table
    and the video room (or the facilitator's word, for those online, without a link)."""
    video = ""
    online = session.format != Session.Format.IN_PERSON
    if session.video_url_template and online:
        video = session.video_url_template.replace(ROOM_PLACEHOLDER, f"convenor-{token}")
    table = number if session.format != Session.Format.ONLINE else None
    return Place(video_url=video, table=table, ask_facilitator=online and not video)


def _minutes(count: int) -> str:
    return "less than a minute" if count == 0 else f"{count} min"


def run_outcome(item: dict[str, Any]) -> str:
    """What the run-sheet says of a segment that has finished (`item` from `sheet_of`): how
    long it ran, against the time it was given (its planned length and any extension, as the
    "N min over" shown while it ran), and whether it was skipped while running or before.

    "done after 5 min (10 min early)", "skipped after running 3 min (2 min over)",
    "done after 20 min (on time, counting its 5 min extension)", "skipped, not run".
    """
    started, ended = item["starts_at"], item["ends_at"]
    skipped = item["status"] == "skipped"
    if started is None or ended is None:
        return "skipped, not run" if skipped else item["status"]
    # Whole minutes, to the nearest: elapsed time, so midnight and time zones do not matter.
    ran = int((ended - started).total_seconds() + 30) // 60
    extension = item["extension_minutes"]
    off = ran - (item["duration_minutes"] + extension)
    if off > 0:
        against = f"{off} min over"
    elif off < 0:
        against = f"{-off} min early"
    else:
        against = "on time"
    if extension:
        against += f", counting its {extension} min extension"
    what = "skipped after running" if skipped else "done after"
    return f"{what} {_minutes(ran)} ({against})"


def sheet_of(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The run-sheet state with datetimes (for the templates) and the current and next items,
    as of `now` (default: the present): what is pending is planned from no earlier than `now`,
    and a segment running past its planned end says so (`overrun`, `over_minutes`). A finished
    segment says how it ran (`outcome`, see `run_outcome`)."""
    now = now if now is not None else timezone.now()
    state = runsheet_state(session, now=now)
    for item in state["segments"]:
        for key in ("starts_at", "ends_at"):
            item[key] = datetime.fromisoformat(item[key]) if item[key] else None
        if item["status"] in ("done", "skipped"):
            item["outcome"] = run_outcome(item)
    by_id = {item["id"]: item for item in state["segments"]}
    current = state["current_item"] = by_id.get(state["current"] or "")
    state["next_item"] = by_id.get(state["next"] or "")
    state["overrun"] = False
    state["over_minutes"] = 0
    if current is not None:
        segment = session.segments.filter(pk=state["current"]).first()
        state["current_prompts"] = segment.prompts if segment is not None else ""
        if current["ends_at"] is not None and now > current["ends_at"]:
            state["overrun"] = True
            state["over_minutes"] = int((now - current["ends_at"]).total_seconds() // 60)
    return state


def _groups(round_: Round) -> list[GroupView]:
    members: dict[UUID, list[Participant]] = {}
    rows = GroupMember.objects.filter(round=round_).select_related("participant")
    for row in rows.order_by("participant__display_name"):
        members.setdefault(row.group_id, []).append(row.participant)
    notes = {n.group_id: n for n in RoomNotes.objects.filter(round=round_, group__isnull=False)}
    return [
        GroupView(
            g.number,
            members.get(g.pk, []),
            place_of(round_.session, g.number, g.room_token),
            g.pk,
            round_.prompt_for(g.number),
            notes.get(g.pk),
        )
        for g in round_.groups.all()
    ]


def live_context(membership: Membership, session: Session, **extra: Any) -> dict[str, Any]:
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


def round_basics(round_: Round) -> dict[str, Any]:
    """What every view of an open round shows, whoever reads it."""
    return {
        "round": round_,
        "round_ends_at": round_.started_at + timedelta(minutes=round_.minutes),
        "rooms_closed": round_.rooms_closed(),
        "breakout": round_.kind == Round.Kind.BREAKOUT,
    }


def _round_context(membership: Membership, session: Session) -> dict[str, Any]:
    round_ = open_round(session)
    context: dict[str, Any] = {"round": round_}
    if round_ is None:
        return context
    context.update(round_basics(round_))
    if membership.is_facilitator:
        context["groups"] = _groups(round_)
        context["waiting"] = list(round_.waiting.order_by("display_name"))
        context["taken_out"] = list(round_.taken_out.order_by("display_name"))
        context["in_round"] = sorted(
            [p for g in context["groups"] for p in g.members] + context["waiting"],
            key=lambda p: p.display_name,
        )
    elif membership.participant is not None:
        mine = GroupMember.objects.filter(round=round_, participant=membership.participant)
        row = mine.select_related("group").first()
        if row is not None:
            group = row.group
            others = list(
                Participant.objects.filter(pk__in=group.members.values("pk"))
                .exclude(pk=membership.participant.pk)
                .order_by("display_name")
            )
            context["my_group"] = GroupView(
                group.number,
                others,
                place_of(session, group.number, group.room_token),
                group.pk,
                round_.prompt_for(group.number),
                RoomNotes.objects.filter(group=group).first(),
                alone=not others,
            )
        context["waiting_me"] = round_.waiting.filter(pk=membership.participant.pk).exists()
        context["taken_out_me"] = round_.taken_out.filter(pk=membership.participant.pk).exists()
    return context


# --- Pages ----------------------------------------------------------------------------------


@participant_must_agree
def live_session(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_member(request, programme_id, session_id)
    seq = current_seq(session)  # read first: what the page shows is at least this new
    context = live_context(membership, session, sheet=sheet_of(session), seq=seq)
    context.update(_round_context(membership, session))
    context.update(activity_context(request, membership, session))
    return render(request, "live/session.html", context)


def console(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(request, programme_id, session_id)
    seq = current_seq(session)  # read first: what the page shows is at least this new
    context = live_context(
        membership, session, sheet=sheet_of(session), here=_here(session), seq=seq
    )
    context.update(_round_context(membership, session))
    context.update(activity_context(request, membership, session))
    context["nav_active"] = "sessions"
    return render(request, "live/console.html", context)


# --- Partials (fetched by live.js after an event) -------------------------------------------


@participant_must_agree
def now_part(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_member(request, programme_id, session_id)
    # ?view=participant: the participants' page's region (a facilitator may be looking at it).
    as_participant = request.GET.get("view") == "participant"
    context = live_context(
        membership, session, sheet=sheet_of(session), as_participant=as_participant
    )
    return render(request, "live/_now.html", context)


@participant_must_agree
def round_part(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_member(request, programme_id, session_id)
    context = live_context(membership, session, **_round_context(membership, session))
    template = "live/_groups.html" if membership.is_facilitator else "live/_my_group.html"
    return render(request, template, context)


def _here(session: Session) -> list[Participant]:
    return list(
        Participant.objects.filter(presences__session=session).distinct().order_by("display_name")
    )


def here_part(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    membership, session = get_session_for_facilitator(request, programme_id, session_id)
    return render(
        request, "live/_here.html", live_context(membership, session, here=_here(session))
    )


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


# --- Breakout rooms: notes and the plenary --------------------------------------------------


def _room(
    membership: Membership, session: Session, pk: UUID, *, writing: bool = False
) -> RoomGroup:
    """A room of the session, for its members and the facilitators (404 outside the session);
    `writing`: also for someone who left it a moment ago (their last save may come after)."""
    group = RoomGroup.objects.select_related("round").filter(pk=pk, round__session=session).first()
    if group is None:
        raise Http404("No such room.")
    participant = membership.participant
    if (
        participant is not None
        and not group.memberships.filter(participant=participant).exists()
        and not (writing and just_left({(group.pk, participant.pk)}))
    ):
        raise PermissionDenied("You can only read your own room's notes.")
    return group


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@participant_must_agree
def room_notes(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """A room's notes as JSON (GET ?group=), or a save (POST group, text, rev).

    POST (group, text, rev, optional sid) answers JSON when asked for it (the script's fallback
    when its socket is down): 200 {"group", "rev"} and "text" when what was stored differs from
    what was sent (merged with others' saves), 409 {"error", "group", "rev", "text"} for a rev
    too old to merge, 400 {"error"}; otherwise (a form without JavaScript) it redirects back
    with a message.
    """
    membership, session = get_session_for_member(request, programme_id, session_id)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST" and membership.participant is None:
        raise PermissionDenied("Only the room's members can write its notes.")
    try:
        pk = UUID((request.GET if request.method == "GET" else request.POST).get("group", ""))
    except ValueError:
        return JsonResponse({"error": "Say which room: “group” must be a room's id."}, status=400)
    group = _room(membership, session, pk, writing=request.method == "POST")
    if request.method == "GET":
        notes = RoomNotes.objects.filter(group=group).first()
        return JsonResponse(
            {
                "group": str(group.pk),
                "text": notes.text if notes else "",
                "rev": notes.rev if notes else 0,
                "read_only": group.round.rooms_closed(),
            }
        )
    assert membership.participant is not None
    back = redirect("live:session", membership.programme.pk, session.pk)
    try:
        rev = int(request.POST.get("rev", ""))
        text = request.POST.get("text", "")
        sid = request.POST.get("sid") or None
        saved = actions.do_save_notes(group, membership.participant, text, rev, sid)
    except ValueError:
        error = "“rev” must be a whole number."
    except actions.NotesConflict as conflict:
        if _wants_json(request):
            reply = {"error": str(conflict), "group": str(group.pk), "rev": conflict.rev}
            return JsonResponse({**reply, "text": conflict.text}, status=409)
        messages.error(request, str(conflict))
        return back
    except ValidationError as invalid:
        error = " ".join(invalid.messages)
    else:
        if _wants_json(request):
            body = {"group": str(group.pk), "rev": saved.rev}
            return JsonResponse(body if saved.text is None else {**body, "text": saved.text})
        if saved.text is None:
            messages.success(request, "Notes saved.")
        else:
            messages.success(request, "Notes saved, together with what others in your room wrote.")
        return back
    if _wants_json(request):
        return JsonResponse({"error": error}, status=400)
    messages.error(request, error)
    return back


@participant_must_agree
def plenary(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """Every closed breakout room's notes in the session, for everyone in it (unattributed)."""
    membership, session = get_session_for_member(request, programme_id, session_id)
    now = timezone.now()
    rounds = []
    breakouts = Round.objects.filter(session=session, kind=Round.Kind.BREAKOUT)
    for round_ in breakouts.order_by("started_at"):
        if not round_.rooms_closed(now):
            continue
        rounds.append((round_, rooms_with_notes(round_)))
    return render(request, "live/plenary.html", live_context(membership, session, rounds=rounds))
