"""How the workshop activities plug into live sessions.

An activity (the plenary stream, the Cynefin board, the empathy map, the common purpose builder,
reflections and feedback) lives in its own app and registers, from its AppConfig.ready():

- **actions**: named messages (`"<activity>.<verb>"`, e.g. `"plenary.post"`) with typed fields.
  The same action arrives over the session's WebSocket (`{"type": "plenary.post", ...}`) or as a
  form POST to `live:act` (the no-JavaScript path); both reach `Action.run` with checked values,
  after the role check here. `run` raises ActivityError (or ValidationError) with a message for
  the person, having changed nothing, and returns a short confirmation.
- **panels**: what the live page and the console show while a segment of a given kind is
  current (or was the last one run). `context` returns the template's context; the participant
  and the console may use different templates.
- **exports**: a section of the session's record (`live:export`), already anonymised as the
  programme's Chatham House switch says.

Events: an action writes its change and calls `convenor.live.events.emit` in the same
transaction with a kind of the form `"<activity>.<what>"` (a dot marks an activity event; the
live page then shows its activity region anew: sent with the event when the panels can say what
it is for everyone, see `Panel.for_everyone`, else fetched). Payloads carry ids, numbers and
counts, never names or user text: every connected tab reads them, whatever its role. An event
whose payload names one group of the open breakout round (`round`, its id, and `group`, the
group's number) must change only that group's members' panels: other participants' pages do
not ask for theirs.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from convenor.live.commands import Field
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session

Role = Literal["participant", "facilitator", "member"]


class ActivityError(Exception):
    """An activity action that cannot run; the message says why and how to put it right."""


@dataclass(frozen=True)
class Action:
    name: str
    fields: tuple[Field, ...]
    run: Callable[[Session, Membership, dict[str, Any]], str]
    # Who may send it: participants only (contributions), facilitators only (moderation), or
    # any member. Facilitators' actions also need a programme that is not archived.
    role: Role = "participant"


@dataclass(frozen=True)
class Panel:
    key: str
    segment_kinds: frozenset[str]
    template: str
    context: Callable[[Membership, Session, Segment], Mapping[str, Any]]
    console_template: str = ""
    # Lower first when several panels serve one kind of segment.
    order: int = 50
    # Built on the breakout groups: the live page shows it anew when a breakout round starts
    # or its groups change (other panels are left alone then, which saves a request per tab).
    follows_rounds: bool = False
    # For a panel that follows the rounds: its context for any member of `group` (with
    # `number` and `pk`) of a breakout round that has just started, when nothing is written
    # in it yet, so the same for every member; called once per round with stand-ins for the
    # group's fields, so it must not read anything through `group`. With it, the round's start
    # pushes each group's panel with the group (convenor.activities.pushed) instead of every
    # tab asking for it.
    at_round_start: Callable[[Session, Segment, Any, Any], Mapping[str, Any] | None] | None = None
    # The participants' context for any one of them with nothing of their own in it, or None
    # when there is no such context (it differs by group): then a run-sheet change, or an
    # activity's event, brings the panel to their tabs, rendered once, instead of each tab
    # asking for it (convenor.activities.pushed).
    for_everyone: Callable[[Session, Segment], Mapping[str, Any] | None] | None = None
    # With `for_everyone`: the participants whose panel is not that one, having something of
    # their own in it (a post that says "You", a pressed reaction, a saved answer), as ids or
    # a query of them. The others are sent the panel; their tabs ask for theirs. Without it,
    # `for_everyone` must only answer when the panel is the same for every participant.
    own: Callable[[Session, Segment], Iterable[Any]] | None = None


@dataclass(frozen=True)
class Export:
    key: str
    title: str
    # A JSON-able section for the session's record, anonymised when the programme says so.
    build: Callable[[Session], Any]
    # The same as Markdown lines (headings at level 3 and below).
    markdown: Callable[[Session], list[str]] | None = None
    order: int = 50


@dataclass
class Registry:
    actions: dict[str, Action] = field(default_factory=dict)
    panels: list[Panel] = field(default_factory=list)
    exports: list[Export] = field(default_factory=list)

    def panels_for(self, kind: str) -> list[Panel]:
        return sorted(
            (panel for panel in self.panels if kind in panel.segment_kinds),
            key=lambda panel: (panel.order, panel.key),
        )


registry = Registry()


def register_action(action: Action) -> None:
    if "." not in action.name:
        raise ValueError(f"Activity actions are named “<activity>.<verb>”, not {action.name!r}.")
    registry.actions[action.name] = action


def register_panel(panel: Panel) -> None:
    registry.panels = [known for known in registry.panels if known.key != panel.key] + [panel]


def register_export(export: Export) -> None:
    registry.exports = [known for known in registry.exports if known.key != export.key] + [export]


def is_activity_event(kind: str) -> bool:
    return "." in kind


def author_label(
    programme: Programme, author: Participant | None, viewer: Membership | None
) -> str | None:
    """How a contribution's author is shown to `viewer`: "You", a name, or None (unattributed).

    Under the Chatham House rule nobody sees who wrote what (the author still sees "You" on
    their own contributions, so they can find and change them).
    """
    if author is None:
        return None
    if viewer is not None and viewer.participant is not None and viewer.participant.pk == author.pk:
        return "You"
    if programme.chatham_house:
        return None
    return author.display_name


def check_role(action: Action, membership: Membership) -> None:
    """Raise ActivityError unless `membership` may send `action`."""
    if action.role == "participant" and membership.participant is None:
        raise ActivityError("Only participants can do this; facilitators take part as hosts.")
    if action.role == "facilitator":
        if not membership.is_facilitator:
            raise ActivityError("Only the programme's facilitators can do this.")
        if not membership.can_edit:
            raise ActivityError("This programme is archived: nothing in it can change.")
    if membership.programme.is_archived:
        raise ActivityError("This programme is archived: nothing in it can change.")
