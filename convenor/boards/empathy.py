"""The empathy map: per breakout group, notes on what a named persona sees, hears, thinks and
feels, does and expects; side by side and combined in the plenary.

The groups are those of the session's open breakout round, or of its most recent one when none
is open (maps are often finished or read after the rooms close). Only a group's members add to
its map; the facilitator sees every map and can hide a note. Events are "empathy.*" with ids,
numbers and counts only.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from convenor.activities.dispatch import current_segment
from convenor.activities.registry import author_label
from convenor.boards.common import check_open, check_segment, clean_text, md_text
from convenor.boards.models import (
    MAX_NOTE_CHARS,
    MAX_PERSONA_CHARS,
    Area,
    EmpathyNote,
    EmpathyPersona,
)
from convenor.live.events import emit, lock_state
from convenor.live.models import GroupMember, RoomGroup, Round, SegmentRun
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session

KINDS = frozenset({Segment.Kind.EMPATHY_MAP})
WHAT = "an empathy map segment"
NO_GROUPS = (
    "There are no breakout groups yet: the facilitator needs to start breakout groups first, "
    "then each group fills in its own map."
)
PERSONA_PREFIX = "persona:"


def map_round(session: Session) -> Round | None:
    """The breakout round whose groups make the maps: the open one, else the latest."""
    breakouts = Round.objects.filter(session=session, kind=Round.Kind.BREAKOUT)
    found = breakouts.filter(ended_at__isnull=True).first()
    return found or breakouts.order_by("-started_at").first()


def persona_for(segment: Segment) -> str:
    """The facilitator's persona, else a "Persona: …" line of the segment's prompts, else ""."""
    return _persona(segment)[0]


def _persona(segment: Segment) -> tuple[str, bool]:
    """`persona_for`, and whether the facilitator named it (one query for both)."""
    found = EmpathyPersona.objects.filter(segment=segment).first()
    if found is not None:
        return found.text, True
    for line in segment.prompts.splitlines():
        if line.strip().lower().startswith(PERSONA_PREFIX):
            return line.strip()[len(PERSONA_PREFIX) :].strip()[:MAX_PERSONA_CHARS], False
    return "", False


def _group_count(note: EmpathyNote) -> int:
    return EmpathyNote.objects.filter(
        segment_id=note.segment_id, round_id=note.round_id, number=note.number, hidden=False
    ).count()


def _emit(
    session: Session, kind: str, note: EmpathyNote, note_id: Any = None, **extra: Any
) -> None:
    payload = {
        "segment": str(note.segment_id),
        "round": str(note.round_id),
        "group": note.number,
        "note": str(note_id or note.pk),
        "area": note.area,
        "notes": _group_count(note),
        **extra,
    }
    emit(session, kind, payload)


def do_empathy_add(
    segment: Segment, group: RoomGroup, author: Participant, area: str, text: str
) -> EmpathyNote:
    """Add a note to one area of `group`'s map; only the group's members may."""
    text = clean_text(text, MAX_NOTE_CHARS, "A note")
    if area not in Area.values:
        choices = ", ".join(Area.values)
        raise ValidationError(f"Unknown area “{area[:20]}”; choose one of {choices}.")
    session = segment.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        check_segment(segment, KINDS, WHAT)
        round_ = map_round(session)
        if round_ is None:
            raise ValidationError(NO_GROUPS)
        if group.round_id != round_.pk:
            raise ValidationError(
                "That group belongs to an earlier breakout; reload the page to see your group."
            )
        if not GroupMember.objects.filter(group=group, participant=author).exists():
            raise ValidationError("You can only add notes to your own group's map.")
        note = EmpathyNote.objects.create(
            session=session,
            segment=segment,
            round=round_,
            group=group,
            number=group.number,
            author=author,
            area=area,
            text=text,
        )
        _emit(session, "empathy.added", note)
    return note


def do_empathy_remove(note: EmpathyNote, participant: Participant) -> None:
    """Take one of your own notes off your group's map."""
    session = note.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        note = EmpathyNote.objects.get(pk=note.pk)
        if note.author_id != participant.pk:
            raise ValidationError("You can only remove your own notes.")
        note_id = note.pk  # delete() clears it
        note.delete()
        _emit(session, "empathy.removed", note, note_id)


def do_empathy_hide(note: EmpathyNote, hidden: bool) -> EmpathyNote:
    """Hide a note from participants, the plenary view and the record (or show it again)."""
    session = note.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        note = EmpathyNote.objects.get(pk=note.pk)
        if note.hidden == hidden:
            return note
        note.hidden = hidden
        note.save(update_fields=["hidden"])
        _emit(session, "empathy.hidden", note, hidden=hidden)
    return note


def do_empathy_persona(segment: Segment, text: str) -> str:
    """Name the persona every group maps; empty text goes back to the run-sheet's."""
    if segment.kind not in KINDS:
        raise ValidationError(f"“{segment.title}” is not {WHAT}.")
    text = " ".join(text.split())
    if text:
        text = clean_text(text, MAX_PERSONA_CHARS, "The persona")
    session = segment.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        if text:
            EmpathyPersona.objects.update_or_create(
                segment=segment, defaults={"text": text, "updated_at": timezone.now()}
            )
        else:
            EmpathyPersona.objects.filter(segment=segment).delete()
        emit(session, "empathy.persona", {"segment": str(segment.pk)})
    return persona_for(segment)


# --- What the panels, the plenary view and the record show ----------------------------------


@dataclass(frozen=True)
class NoteView:
    note: EmpathyNote
    author: str | None
    mine: bool


@dataclass(frozen=True)
class AreaView:
    key: str
    label: str
    notes: list[NoteView]


@dataclass(frozen=True)
class GroupMap:
    round: Round
    number: int
    # The group as it is now (None once it has emptied), and how many are in it.
    group: RoomGroup | None
    members: int
    areas: list[AreaView]

    @property
    def count(self) -> int:
        return sum(1 for area in self.areas for view in area.notes if not view.note.hidden)


def _areas(notes: list[NoteView]) -> list[AreaView]:
    return [
        AreaView(key, str(label), [view for view in notes if view.note.area == key])
        for key, label in Area.choices
    ]


def maps_for(
    segment: Segment,
    viewer: Membership | None,
    *,
    with_hidden: bool = False,
    group: RoomGroup | None = None,
) -> list[GroupMap]:
    """Every group's map for the segment: the groups of the map round (even with no notes yet)
    and any earlier group that has notes. Hidden notes only `with_hidden` (facilitators).

    With `group` (a group of the map round), only that group's map: what a participant's panel
    shows, read without the other groups' notes (a round of 1,000 people has 250 rooms, and
    each of their pages asks for its panel when the round starts)."""
    notes = EmpathyNote.objects.filter(segment=segment).select_related("author")
    if not with_hidden:
        notes = notes.filter(hidden=False)
    if group is not None:
        notes = notes.filter(round_id=group.round_id, number=group.number)
    programme = viewer.programme if viewer is not None else segment.session.programme
    me = viewer.participant.pk if viewer is not None and viewer.participant else None
    by_group: dict[tuple[Any, int], list[NoteView]] = {}
    for note in notes.order_by("created_at"):
        view = NoteView(note, author_label(programme, note.author, viewer), note.author_id == me)
        by_group.setdefault((note.round_id, note.number), []).append(view)
    keys = set(by_group)
    if group is not None:
        keys.add((group.round_id, group.number))
        rooms = RoomGroup.objects.filter(pk=group.pk)
        rounds = {group.round_id: group.round}
    else:
        current = map_round(segment.session)
        if current is not None:
            numbers = current.groups.values_list("number", flat=True)
            keys |= {(current.pk, number) for number in numbers}
        rooms = RoomGroup.objects.filter(round__in={key[0] for key in keys})
        rounds = {r.pk: r for r in Round.objects.filter(pk__in={key[0] for key in keys})}
    groups = {(room.round_id, room.number): room for room in rooms.annotate(n=Count("memberships"))}
    ordered = sorted(keys, key=lambda key: (rounds[key[0]].started_at, key[1]))
    maps = []
    for key in ordered:
        room = groups.get(key)
        members = getattr(room, "n", 0) if room is not None else 0
        maps.append(GroupMap(rounds[key[0]], key[1], room, members, _areas(by_group.get(key, []))))
    return maps


def combined(maps: list[GroupMap]) -> list[AreaView]:
    """Every group's visible notes, area by area."""
    notes = [view for m in maps for area in m.areas for view in area.notes if not view.note.hidden]
    return _areas(notes)


def several_rounds(maps: list[GroupMap]) -> bool:
    return len({m.round.pk for m in maps}) > 1


def prompts_without_persona(segment: Segment) -> str:
    """The segment's prompts without their "Persona: …" lines: the map's heading names the
    persona (the facilitator's, which may differ, or that line's)."""
    lines = segment.prompts.splitlines()
    kept = [line for line in lines if not line.strip().lower().startswith(PERSONA_PREFIX)]
    return "\n".join(kept).strip()


def _panel_base(segment: Segment, round_: Round | None) -> dict[str, Any]:
    persona, named = _persona(segment)
    return {
        "empathy_prompts": prompts_without_persona(segment),
        "empathy_persona": persona,
        "empathy_custom_persona": named,
        "empathy_round": round_,
        "empathy_no_groups": NO_GROUPS,
        "empathy_areas": Area.choices,
        "empathy_max": MAX_NOTE_CHARS,
        "empathy_persona_max": MAX_PERSONA_CHARS,
    }


def everyone_context(session: Session, segment: Segment) -> Any:
    """Before the session's first breakout round, every participant's panel is alike: there
    are no groups yet (see convenor.activities.registry.Panel.for_everyone)."""
    if Round.objects.filter(session=session, kind=Round.Kind.BREAKOUT).exists():
        return None
    return _panel_base(segment, None)


def round_start_context(session: Session, segment: Segment, round_: Round, group: Any) -> Any:
    """A participant's panel in `group` of a breakout round just started: its empty map
    (see convenor.activities.registry.Panel.at_round_start)."""
    return {
        **_panel_base(segment, round_),
        "empathy_group": group,
        "empathy_my_map": GroupMap(round_, group.number, group, 0, _areas([])),
    }


def panel_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    round_ = map_round(session)
    context = _panel_base(segment, round_)
    if membership.is_facilitator:
        maps = maps_for(segment, membership, with_hidden=True)
        context["empathy_maps"] = maps
        context["empathy_several_rounds"] = several_rounds(maps)
        return context
    if round_ is None or membership.participant is None:
        return context
    row = (
        GroupMember.objects.filter(round=round_, participant=membership.participant)
        .select_related("group")
        .first()
    )
    if row is not None:
        row.group.round = round_  # the same row: not read again
        mine = maps_for(segment, membership, group=row.group)
        context["empathy_group"] = row.group
        context["empathy_my_map"] = mine[0] if mine else None
    return context


def plenary_segment(session: Session, segment_id: str | None) -> Segment | None:
    """The empathy map segment the plenary view shows: the one asked for, else the current
    segment when it is one, else the one started most recently."""
    segments = session.segments.filter(kind=Segment.Kind.EMPATHY_MAP)
    if segment_id is not None:
        try:
            return segments.filter(pk=segment_id).first()
        except (ValueError, ValidationError):
            return None
    current = current_segment(session)
    if current is not None and current.kind == Segment.Kind.EMPATHY_MAP:
        return current
    run = (
        SegmentRun.objects.filter(segment__in=segments, started_at__isnull=False)
        .order_by("-started_at")
        .select_related("segment")
        .first()
    )
    return run.segment if run is not None else None


def _export_areas(areas: list[AreaView]) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for area in areas:
        entries = []
        for view in area.notes:
            entry: dict[str, Any] = {"text": view.note.text}
            if view.author is not None:
                entry["author"] = view.author
            entries.append(entry)
        result[area.key] = entries
    return result


def export(session: Session) -> list[dict[str, Any]]:
    """Each empathy map segment with notes: persona, every group's map and the combined map."""
    sections = []
    segments = session.segments.filter(kind=Segment.Kind.EMPATHY_MAP).order_by(
        "position", "created_at"
    )
    for segment in segments:
        maps = [m for m in maps_for(segment, None) if m.count]
        if not maps:
            continue
        sections.append(
            {
                "segment": segment.title,
                "persona": persona_for(segment),
                "groups": [
                    {
                        "group": m.number,
                        "breakout_started_at": m.round.started_at.isoformat(),
                        "areas": _export_areas(m.areas),
                    }
                    for m in maps
                ],
                "combined": {
                    area.key: [view.note.text for view in area.notes] for area in combined(maps)
                },
            }
        )
    return sections


def export_markdown(session: Session) -> list[str]:
    lines: list[str] = []
    labels = dict(Area.choices)
    for section in export(session):
        lines += [f"### {md_text(section['segment'])}", ""]
        if section["persona"]:
            lines += [f"Persona: {md_text(section['persona'])}", ""]
        for group in section["groups"]:
            lines += [f"#### Group {group['group']}", ""]
            for key, entries in group["areas"].items():
                if not entries:
                    continue
                lines.append(f"- {labels[key]}:")
                for entry in entries:
                    by = f" ({entry['author']})" if "author" in entry else ""
                    lines.append(f"  - {md_text(entry['text'])}{by}")
            lines.append("")
        lines += ["#### Every group together", ""]
        for key, texts in section["combined"].items():
            lines.append(f"- {labels[key]}: " + ("; ".join(md_text(t) for t in texts) or "none"))
        lines.append("")
    return lines
