"""A round's groups pushed to the participants' tabs, so nobody has to ask for theirs.

After `round_started` (or a `round_changed`) commits, each group's part of the live page (the
"Your group" region: partners' names, organisation and sector, the meeting place, prompts and
countdown, or the room and its notes) is rendered once, escaped like every server-rendered
page, and sent only to the connections of that group's members: each tab gets one small
message, never one big message for everyone. The rendered list names everyone in the group;
live.js removes the reader's own entry. People the facilitator took out of the round are sent
the region saying so with each `round_changed` (it lists them). The page's HTTP partial
(`live:round_part`) stays the way back after a reconnect, a snapshot or without JavaScript.
"""

import re
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.template.defaultfilters import linebreaks_filter
from django.template.loader import get_template
from django.utils import timezone
from django.utils.html import conditional_escape

from convenor.activities.pushed import round_start_panels
from convenor.live.events import Personal, encode
from convenor.live.models import GroupMember, LivePresence, RoomNotes, Round
from convenor.live.templatetags.live_groups import Slot, group_people, meeting_place
from convenor.live.views import GroupView, PersonRow, place_of, round_basics

TEMPLATE = "live/_my_group.html"
COUNTDOWN = "live/_countdown.html"


# Letters and digits only, so escaping leaves the markers as they are; new in every process.
_MARK = f"convenorslot{secrets.token_hex(8)}"


@dataclass
class _SlotNotes:
    rev: str
    text: str


class GroupRegions:
    """A round's group regions, each the same HTML as rendering the template for that group,
    at a fraction of the cost: the template is rendered once (per shape: with a prompt or
    without) with markers where groups differ (number, id, people, meeting place, prompt and
    notes), split at the markers, and each group's values, escaped as the template escapes
    them, are put between the pieces. A value is never searched for markers, so nothing a
    person typed can stand for one. A round's start renders 500 regions for 1,000 people."""

    def __init__(self, render: Callable[..., str]) -> None:
        self.render = render
        self.frames: dict[bool, tuple[list[str], dict[str, Slot]]] = {}

    def _frame(self, prompted: bool) -> tuple[list[str], dict[str, Slot]]:
        found = self.frames.get(prompted)
        if found is not None:
            return found
        slots = {
            name: Slot(f"{_MARK}{name}")
            for name in ("number", "people", "place", "id", "prompt", "rev", "text")
        }
        sentinel = GroupView(
            number=slots["number"],  # type: ignore[arg-type]
            members=slots["people"],  # type: ignore[arg-type]
            place=slots["place"],  # type: ignore[arg-type]
            id=slots["id"],  # type: ignore[arg-type]
            prompt=slots["prompt"] if prompted else "",
            notes=_SlotNotes(slots["rev"], slots["text"]),  # type: ignore[arg-type]
        )
        html = self.render(my_group=sentinel)
        # The prompt goes through `linebreaks`: what it makes of the marker is what is
        # replaced.
        self.prompt_token = str(linebreaks_filter(slots["prompt"], autoescape=True))
        tokens = [self.prompt_token, *(str(slot) for slot in slots.values())]
        pattern = "|".join(re.escape(token) for token in tokens)
        found = self.frames[prompted] = (re.split(f"({pattern})", html), slots)
        return found

    def fill(self, view: GroupView) -> str:
        pieces, slots = self._frame(bool(view.prompt))
        notes = view.notes
        values = {
            str(slots["number"]): str(conditional_escape(str(view.number))),
            str(slots["id"]): str(conditional_escape(str(view.id))),
            str(slots["people"]): group_people(view, **getattr(slots["people"], "options", {})),
            str(slots["place"]): meeting_place(
                view.place, **getattr(slots["place"], "options", {})
            ),
            self.prompt_token: str(linebreaks_filter(view.prompt, autoescape=True)),
            str(slots["rev"]): str(notes.rev or 0) if notes is not None else "0",
            str(slots["text"]): str(conditional_escape(notes.text)) if notes is not None else "",
        }
        return "".join([values.get(piece, piece) for piece in pieces])


def _own_views(message: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    """A participant's `round_started`: only its own group (and itself, if waiting). The
    groups are indexed by member once, not searched once per participant."""
    round_ = message["payload"]["round"]
    group_of = {pid: group for group in round_["groups"] for pid in group["members"]}
    waiting = set(round_["waiting"])

    def view(participant: str) -> dict[str, Any]:
        group = group_of.get(participant)
        own = {
            **round_,
            "groups": [group] if group is not None else [],
            "waiting": [participant] if participant in waiting else [],
        }
        return {**message, "payload": {"round": own}}

    return view


def round_parts(session_id: UUID) -> Personal:
    """For `emit(..., personal=...)` on round events: each affected participant's tab gets the
    event (its own view of it) and its group's region, rendered once per group."""

    def build(message: dict[str, Any]) -> dict[str, str]:
        return _messages(session_id, message)

    return build


def group_renderer(round_: Round) -> Callable[..., str]:
    """Renders the round's "Your group" region for a participant's tab (`my_group=...`,
    `waiting_me=...` or `taken_out_me=...`), with what every group's region shows alike
    rendered once."""
    session = round_.session
    base = {
        "programme": session.programme,
        "session": session,
        "server_now": timezone.now(),
        **round_basics(round_),
    }
    # What every group's region of the round shows alike, rendered once, not once per group.
    base["round_countdown"] = get_template(COUNTDOWN).render(
        {**base, "ends_at": base["round_ends_at"], "label": "this round"}
    )
    base["round_prompts_html"] = linebreaks_filter(round_.prompts, autoescape=True)
    template = get_template(TEMPLATE)

    def render(**extra: Any) -> str:
        return str(template.render({**base, **extra}))

    return render


def _messages(session_id: UUID, message: dict[str, Any]) -> dict[str, str]:
    payload = message["payload"]
    started = message["kind"] == "round_started"
    round_id = payload["round"]["id"] if started else payload["round_id"]
    round_ = Round.objects.select_related("session__programme").filter(pk=round_id).first()
    if round_ is None or round_.ended_at is not None:
        return {}  # Already over: the next event (and the partial) says what to show.
    channels: dict[str, list[str]] = defaultdict(list)
    rows = LivePresence.objects.filter(session_id=session_id, participant__isnull=False)
    for participant_id, channel in rows.values_list("participant_id", "channel_name"):
        channels[str(participant_id)].append(channel)
    # The people the facilitator took out of the round: told so, not "placed in a moment".
    taken_out = set(payload.get("taken_out", [])) if not started else set()
    if started:
        affected = set(channels)
    else:
        touched = {pid for group in payload["groups"] for pid in group["members"]}
        affected = (touched | set(payload["waiting"]) | taken_out) & set(channels)
    if not affected:
        return {}

    session = round_.session
    render = group_renderer(round_)
    regions = GroupRegions(render)

    members = (
        GroupMember.objects.filter(round=round_, group__in=_groups_of(round_, affected))
        .order_by("participant__display_name")
        .values_list(
            "group_id",
            "group__number",
            "group__room_token",
            "participant_id",
            "participant__display_name",
            "participant__pronouns",
            "participant__organisation",
            "participant__sector",
        )
    )
    by_group: dict[UUID, list[PersonRow]] = defaultdict(list)
    groups: dict[UUID, tuple[int, str]] = {}
    for group_id, number, token, person_id, name, pronouns, organisation, sector in members:
        by_group[group_id].append(PersonRow(person_id, name, pronouns, organisation, sector))
        groups[group_id] = (number, token)
    notes = {n.group_id: n for n in RoomNotes.objects.filter(group_id__in=list(groups))}
    # A breakout round's start brings each group its activity panels too (when they are built
    # on the groups), so that no tab has to ask for them.
    panels = round_start_panels(round_) if started else None
    panels_of: dict[UUID, dict[str, str]] = {}
    html_of: dict[str, str] = {}
    group_of: dict[str, UUID] = {}
    for group_id, people in by_group.items():
        number, token = groups[group_id]
        view = GroupView(
            number,
            people,
            place_of(session, number, token),
            group_id,
            round_.prompt_for(number),
            notes.get(group_id),
            alone=len(people) <= 1,
        )
        html = regions.fill(view)
        if panels is not None:
            panels_of[group_id] = panels(number, group_id)
        for person in people:
            html_of[str(person.pk)] = html
            group_of[str(person.pk)] = group_id
    waiting = set(payload["round"]["waiting"] if started else payload["waiting"])
    pending: Callable[[], str] = lambda: render(waiting_me=False)  # noqa: E731
    waiting_html = render(waiting_me=True) if waiting & affected else ""
    taken_out_html = render(taken_out_me=True) if taken_out & affected else ""

    own_view = _own_views(message) if started else None
    # Everyone in a group is sent the same text (their own view of the event is their group's):
    # encoded once per group.
    texts: dict[UUID, str] = {}
    out: dict[str, str] = {}
    for pid in affected:
        own_group = group_of.get(pid)
        text = texts.get(own_group) if own_group is not None else None
        if text is None:
            if pid in html_of:
                html = html_of[pid]
            elif pid in waiting:
                html = waiting_html
            elif pid in taken_out:
                html = taken_out_html
            else:
                html = pending()
            event = own_view(pid) if own_view is not None else message
            pushed = {"round": html}
            if own_group is not None:
                pushed.update(panels_of.get(own_group, {}))
            text = encode({"type": "event", "event": event, "html": pushed})
            if own_group is not None:
                texts[own_group] = text
        for channel in channels[pid]:
            out[channel] = text
    return out


def _groups_of(round_: Round, participants: set[str]) -> Any:
    return GroupMember.objects.filter(round=round_, participant_id__in=participants).values(
        "group_id"
    )
