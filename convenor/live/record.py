"""The breakout rooms' notes in the session's record (convenor.activities.views.export).

Notes are the room's shared text and never say who wrote what, so the section reads the same
under the Chatham House rule; rooms whose notes are empty are left out, as on the plenary
page (convenor.live.views.plenary), which lists the same rooms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from convenor.activities.registry import Export, register_export
from convenor.boards.common import md_text
from convenor.live.models import Round
from convenor.workshops.models import Session


@dataclass(frozen=True)
class ClosedRoom:
    number: int
    prompt: str
    text: str


def rooms_with_notes(round_: Round) -> list[ClosedRoom]:
    """A breakout round's rooms that took notes, by number (the notes of a room that emptied
    mid-round are kept under its number too)."""
    return [
        ClosedRoom(notes.number, round_.prompt_for(notes.number), notes.text)
        for notes in sorted(round_.notes.all(), key=lambda n: (n.number, n.updated_at))
        if notes.text.strip()
    ]


def export(session: Session) -> list[dict[str, Any]]:
    """Each breakout round of the session, in order, with its rooms' notes."""
    rounds = Round.objects.filter(session=session, kind=Round.Kind.BREAKOUT)
    return [
        {
            "started_at": round_.started_at.isoformat(),
            "ended_at": round_.ended_at.isoformat() if round_.ended_at else None,
            "rooms": [
                {"room": room.number, "prompt": room.prompt, "notes": room.text}
                for room in rooms_with_notes(round_)
            ],
        }
        for round_ in rounds.order_by("started_at").prefetch_related("notes")
    ]


def export_markdown(session: Session) -> list[str]:
    zone = ZoneInfo(session.time_zone)
    lines: list[str] = []
    rounds = Round.objects.filter(session=session, kind=Round.Kind.BREAKOUT)
    for round_ in rounds.order_by("started_at").prefetch_related("notes"):
        lines += [f"### Breakout rooms from {round_.started_at.astimezone(zone):%H:%M}", ""]
        rooms = rooms_with_notes(round_)
        if not rooms:
            lines += ["No room took notes.", ""]
        for room in rooms:
            lines += [f"#### Room {room.number}", ""]
            if room.prompt.strip():
                lines += [f"> {md_text(line)}" for line in room.prompt.splitlines() if line.strip()]
                lines.append("")
            # Each line of the notes as a line of its own (a blank line between paragraphs).
            for line in room.text.strip().splitlines():
                lines.append(f"{md_text(line)}  " if line.strip() else "")
            lines.append("")
    return lines


register_export(Export("breakouts", "Breakout rooms' notes", export, export_markdown, order=25))
