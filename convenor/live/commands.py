"""Facilitator commands, shared by the WebSocket consumer and the HTTP POST views.

`parse` turns a message (JSON, strictly typed) or a form (strings) into checked values;
`execute` resolves ids within the session and calls the matching `do_*` action. Both raise
CommandError with a message fit to show the facilitator, having changed nothing.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize
from django.utils.text import capfirst

from convenor.accounts.models import User
from convenor.live import actions
from convenor.live.models import Round
from convenor.live.state import open_round
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session


class CommandError(Exception):
    """A command that cannot run; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: Literal["int", "str", "uuid"]
    required: bool = False
    max_length: int = 5000
    # What the facilitator's form calls it, for messages ("the number of minutes to extend
    # by"); without one, messages name the field as the message does ("“text”").
    label: str = ""
    # The label names several things ("the prompts"): messages say "are", not "is".
    plural: bool = False

    def what(self) -> str:
        return self.label or f"“{self.name}”"

    def is_(self) -> str:
        """The verb that agrees with `what()`: "The prompts are too long"."""
        return "are" if self.plural and self.label else "is"


def _person(name: str, label: str = "the person") -> Field:
    return Field(name, "uuid", required=True, label=label)


COMMANDS: dict[str, tuple[Field, ...]] = {
    "start_segment": (Field("segment", "uuid", label="the segment"),),
    # `segment` (and `extended`): what the console showed, so that a second click or another
    # facilitator's at the same moment does not act twice (see actions._still_running).
    "extend_segment": (
        Field("minutes", "int", required=True, label="the number of minutes to extend by"),
        Field("segment", "uuid", label="the segment"),
        Field("extended", "int", label="the minutes it was extended by already"),
    ),
    "skip_segment": (Field("segment", "uuid", label="the segment"),),
    "end_segment": (Field("segment", "uuid", label="the segment"),),
    "start_round": (
        Field("kind", "str", max_length=20, label="the kind of round"),
        Field("size", "int", label="the number of people per group"),
        Field("minutes", "int", label="the round's length in minutes"),
        Field("prompts", "str", label="the prompts", plural=True),
        Field("rooms", "int", label="the number of rooms"),
        # One prompt per room, separated by a line holding only "---".
        Field("room_prompts", "str", max_length=20000, label="the prompts per room", plural=True),
    ),
    "swap": (_person("a", "the first person to swap"), _person("b", "the second person")),
    "remove": (_person("participant"),),
    "put_back": (_person("participant"),),
    "end_round": (),
    "message_rooms": (Field("message", "str", required=True, max_length=500, label="the message"),),
    "move": (
        _person("participant"),
        Field("room", "int", required=True, label="the room to move them to"),
    ),
    "close_rooms": (Field("seconds", "int", label="the warning in seconds"),),
}

ROOM_PROMPT_SEPARATOR = "---"
DEFAULT_BREAKOUT_SIZE = 4


def split_room_prompts(text: str) -> list[str]:
    """The per-room prompts in a text where a line of "---" separates one room's from the next."""
    rooms: list[list[str]] = [[]]
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip() == ROOM_PROMPT_SEPARATOR:
            rooms.append([])
        else:
            rooms[-1].append(line)
    return [prompt for prompt in ("\n".join(lines).strip() for lines in rooms) if prompt]


def _convert(field: Field, value: Any, from_form: bool) -> Any:
    what = capfirst(field.what())
    if field.kind == "int":
        if from_form and isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise CommandError(f"{what} must be a whole number.") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise CommandError(f"{what} must be a whole number.")
        return value
    if not isinstance(value, str):
        raise CommandError(f"{what} must be text.")
    if len(value) > field.max_length:
        raise CommandError(
            f"{what} {field.is_()} too long (at most {field.max_length:,} characters)."
        )
    if field.kind == "uuid":
        try:
            return uuid.UUID(value)
        except ValueError:
            raise CommandError(f"{what} {field.is_()} not a valid id.") from None
    return value


def parse(name: str, data: Mapping[str, Any], *, from_form: bool = False) -> dict[str, Any]:
    """Checked values for command `name`; JSON messages must not carry unknown fields."""
    if name not in COMMANDS:
        raise CommandError(f"Unknown command “{name}”.")
    return parse_fields(name, COMMANDS[name], data, from_form=from_form)


def parse_fields(
    name: str, fields: tuple[Field, ...], data: Mapping[str, Any], *, from_form: bool = False
) -> dict[str, Any]:
    """Checked values for `fields` (also used by the workshop activities' messages)."""
    if not from_form:
        known = {field.name for field in fields} | {"type", "ref"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CommandError(f"Unexpected field(s) for {name}: {', '.join(unknown)}.")
    values: dict[str, Any] = {}
    for field in fields:
        value = data.get(field.name)
        if value is None or (from_form and value == ""):
            if field.required and field.label:
                what = capfirst(field.label)
                raise CommandError(f"{what} {field.is_()} required: fill it in and try again.")
            if field.required:
                raise CommandError(f"“{field.name}” is required for {name}.")
            continue
        values[field.name] = _convert(field, value, from_form)
    return values


def _segment(session: Session, segment_id: uuid.UUID | None) -> Segment | None:
    if segment_id is None:
        return None
    segment = Segment.objects.filter(pk=segment_id, session=session).first()
    if segment is None:
        raise CommandError("There is no such segment in this session.")
    return segment


def _participant(session: Session, participant_id: uuid.UUID) -> Participant:
    participant = Participant.objects.filter(
        pk=participant_id, programme_id=session.programme_id
    ).first()
    if participant is None:
        raise CommandError("There is no such person in this programme.")
    return participant


def _round(session: Session) -> Round:
    round_ = open_round(session)
    if round_ is None:
        raise CommandError("No round is running.")
    return round_


def execute(session: Session, actor: User, name: str, values: dict[str, Any]) -> str:
    """Run a parsed command; returns a short confirmation to show the facilitator."""
    try:
        return _execute(session, actor, name, values)
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from error


def _execute(session: Session, actor: User, name: str, values: dict[str, Any]) -> str:
    if name == "start_segment":
        run = actions.do_start_segment(session, actor, _segment(session, values.get("segment")))
        return f"Started “{run.segment.title}”."
    if name == "extend_segment":
        run = actions.do_extend_segment(
            session,
            actor,
            values["minutes"],
            _segment(session, values.get("segment")),
            values.get("extended"),
        )
        return f"Extended “{run.segment.title}” by {values['minutes']} min."
    if name == "skip_segment":
        run = actions.do_skip_segment(session, actor, _segment(session, values.get("segment")))
        return f"Skipped “{run.segment.title}”."
    if name == "end_segment":
        run = actions.do_end_segment(session, actor, _segment(session, values.get("segment")))
        return f"Ended “{run.segment.title}”."
    if name == "start_round":
        kind = values.get("kind", Round.Kind.COFFEE)
        if "size" in values and "rooms" in values:
            raise CommandError("Choose a group size or a number of rooms, not both.")
        default_size = DEFAULT_BREAKOUT_SIZE if kind == Round.Kind.BREAKOUT else 2
        round_ = actions.do_start_round(
            session,
            actor,
            kind=kind,
            size=values.get("size", default_size),
            minutes=values.get("minutes", 15),
            prompts=values.get("prompts"),
            rooms=values.get("rooms"),
            room_prompts=split_room_prompts(values.get("room_prompts", "")),
        )
        count = round_.groups.count()
        if round_.kind == Round.Kind.BREAKOUT:
            return f"Opened {count} breakout room{pluralize(count)}."
        return f"Started a round: {count} group{pluralize(count)}."
    if name == "swap":
        a, b = _participant(session, values["a"]), _participant(session, values["b"])
        actions.do_swap(_round(session), a, b, actor)
        return f"Swapped {a.display_name} and {b.display_name}."
    if name == "remove":
        person = _participant(session, values["participant"])
        actions.do_remove_participant(_round(session), person, actor)
        return f"Took {person.display_name} out of the round."
    if name == "put_back":
        person = _participant(session, values["participant"])
        if actions.do_put_back(_round(session), person, actor):
            return f"Put {person.display_name} back in the round."
        return f"{person.display_name} will be placed in the round when they come back."
    if name == "end_round":
        actions.do_end_round(_round(session), actor)
        return "Ended the round."
    if name == "message_rooms":
        actions.do_message_rooms(_round(session), actor, values["message"])
        return "Sent the message to every room."
    if name == "move":
        person = _participant(session, values["participant"])
        actions.do_move(_round(session), person, values["room"], actor)
        return f"Moved {person.display_name} to room {values['room']}."
    if name == "close_rooms":
        seconds = values.get("seconds", 60)
        actions.do_close_rooms(_round(session), actor, seconds)
        return f"The rooms close in {seconds} s."
    raise CommandError(f"Unknown command “{name}”.")
