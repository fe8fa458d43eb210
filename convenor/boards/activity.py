"""Registrations with convenor.activities.registry (actions, panels, record sections).

Each action's `run` finds the objects its ids name within the session (an unknown id, or one
from another session, is "no such …") and calls the `do_*` function that checks the rest,
writes and emits.
"""

from typing import Any
from uuid import UUID

from convenor.activities.registry import (
    Action,
    ActivityError,
    Export,
    Panel,
    register_action,
    register_export,
    register_panel,
)
from convenor.boards import cynefin, empathy, plenary
from convenor.boards.models import CynefinItem, Domain, EmpathyNote, PlenaryPost, PlenaryReaction
from convenor.live.commands import Field
from convenor.live.models import RoomGroup
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session

Values = dict[str, Any]


def _segment(session: Session, pk: UUID) -> Segment:
    segment = Segment.objects.filter(pk=pk, session=session).first()
    if segment is None:
        raise ActivityError("There is no such segment in this session; reload the page.")
    segment.session = session  # the caller's, with its programme
    return segment


def _post(session: Session, pk: UUID) -> PlenaryPost:
    post = PlenaryPost.objects.filter(pk=pk, session=session).first()
    if post is None:
        raise ActivityError("There is no such post in this session; reload the page.")
    post.session = session  # the caller's, with its programme
    return post


def _item(session: Session, pk: UUID) -> CynefinItem:
    item = CynefinItem.objects.filter(pk=pk, session=session).first()
    if item is None:
        raise ActivityError("There is no such item on this session's board; reload the page.")
    item.session = session  # the caller's, with its programme
    return item


def _note(session: Session, pk: UUID) -> EmpathyNote:
    note = EmpathyNote.objects.filter(pk=pk, session=session).first()
    if note is None:
        raise ActivityError("There is no such note in this session; reload the page.")
    note.session = session  # the caller's, with its programme
    return note


def _group(session: Session, pk: UUID) -> RoomGroup:
    group = RoomGroup.objects.filter(pk=pk, round__session=session).first()
    if group is None:
        raise ActivityError("There is no such breakout group in this session; reload the page.")
    return group


def _me(membership: Membership) -> Participant:
    # The registry's role check lets only participants reach the actions that call this.
    assert membership.participant is not None
    return membership.participant


def _switch(values: Values, name: str) -> bool:
    if values[name] not in (0, 1):
        raise ActivityError(f"“{name}” must be 1 (on) or 0 (off).")
    return bool(values[name])


# --- Plenary stream -------------------------------------------------------------------------


def _plenary_post(session: Session, membership: Membership, values: Values) -> str:
    segment = _segment(session, values["segment"])
    plenary.do_plenary_post(segment, _me(membership), values["text"])
    return "Posted."


def _plenary_react(session: Session, membership: Membership, values: Values) -> str:
    on = _switch(values, "on")
    post = _post(session, values["post"])
    plenary.do_plenary_react(post, _me(membership), values["reaction"], on)
    label = PlenaryReaction.Kind(values["reaction"]).label
    return f"Reacted “{label}”." if on else f"Took back “{label}”."


def _plenary_moderate(verb: str) -> Any:
    def run(session: Session, membership: Membership, values: Values) -> str:
        post = _post(session, values["post"])
        if verb in ("pin", "unpin"):
            plenary.do_plenary_pin(post, verb == "pin")
            return "Pinned the post to the top." if verb == "pin" else "Unpinned the post."
        plenary.do_plenary_hide(post, verb == "hide")
        return "Hid the post from participants." if verb == "hide" else "Showed the post again."

    return run


def _plenary_prompt(session: Session, membership: Membership, values: Values) -> str:
    segment = _segment(session, values["segment"])
    prompt = plenary.do_plenary_prompt(segment, values.get("text", ""))
    return (
        "Prompt changed."
        if values.get("text", "").strip()
        else ("Prompt back to the run-sheet's." if prompt else "Prompt cleared.")
    )


# --- Cynefin board --------------------------------------------------------------------------


def _cynefin_post(session: Session, membership: Membership, values: Values) -> str:
    segment = _segment(session, values["segment"])
    item = cynefin.do_cynefin_post(
        segment, _me(membership), values["text"], values.get("domain", "unsure")
    )
    return f"Placed in {cynefin.SHORT[Domain(item.domain)]}."


def _cynefin_suggest(session: Session, membership: Membership, values: Values) -> str:
    item = _item(session, values["item"])
    suggestion = cynefin.do_cynefin_suggest(item, _me(membership), values["domain"])
    return f"Suggested moving it to {cynefin.SHORT[Domain(suggestion.domain)]}."


def _cynefin_move(session: Session, membership: Membership, values: Values) -> str:
    item = _item(session, values["item"])
    moved = cynefin.do_cynefin_move(item, membership, values["domain"])
    return f"Moved to {cynefin.SHORT[Domain(moved.domain)]}."


def _cynefin_hide(hidden: bool) -> Any:
    def run(session: Session, membership: Membership, values: Values) -> str:
        cynefin.do_cynefin_hide(_item(session, values["item"]), hidden)
        return "Hid the item from participants." if hidden else "Showed the item again."

    return run


# --- Empathy map ----------------------------------------------------------------------------


def _empathy_add(session: Session, membership: Membership, values: Values) -> str:
    segment = _segment(session, values["segment"])
    group = _group(session, values["group"])
    empathy.do_empathy_add(segment, group, _me(membership), values["area"], values["text"])
    return "Added to your group's map."


def _empathy_remove(session: Session, membership: Membership, values: Values) -> str:
    empathy.do_empathy_remove(_note(session, values["note"]), _me(membership))
    return "Removed your note."


def _empathy_hide(hidden: bool) -> Any:
    def run(session: Session, membership: Membership, values: Values) -> str:
        empathy.do_empathy_hide(_note(session, values["note"]), hidden)
        return "Hid the note from participants." if hidden else "Showed the note again."

    return run


def _empathy_persona(session: Session, membership: Membership, values: Values) -> str:
    segment = _segment(session, values["segment"])
    persona = empathy.do_empathy_persona(segment, values.get("text", ""))
    return "Persona named." if persona else "Persona cleared."


# --- Registrations --------------------------------------------------------------------------

_SEGMENT = Field("segment", "uuid", required=True)


def _text(label: str) -> Field:
    """The contribution's text, named as its form names it in the message when it is missing."""
    return Field("text", "str", required=True, label=label)


for action in (
    Action("plenary.post", (_SEGMENT, _text("your post")), _plenary_post),
    Action(
        "plenary.react",
        (
            Field("post", "uuid", required=True),
            Field("reaction", "str", required=True, max_length=20),
            Field("on", "int", required=True),
        ),
        _plenary_react,
    ),
    *(
        Action(
            f"plenary.{verb}",
            (Field("post", "uuid", required=True),),
            _plenary_moderate(verb),
            role="facilitator",
        )
        for verb in ("pin", "unpin", "hide", "unhide")
    ),
    Action("plenary.prompt", (_SEGMENT, Field("text", "str")), _plenary_prompt, "facilitator"),
    Action(
        "cynefin.post",
        (_SEGMENT, _text("the situation you face"), Field("domain", "str", max_length=20)),
        _cynefin_post,
    ),
    Action(
        "cynefin.suggest",
        (Field("item", "uuid", required=True), Field("domain", "str", True, 20)),
        _cynefin_suggest,
    ),
    Action(
        "cynefin.move",
        (Field("item", "uuid", required=True), Field("domain", "str", True, 20)),
        _cynefin_move,
        role="member",
    ),
    Action("cynefin.hide", (Field("item", "uuid", True),), _cynefin_hide(True), "facilitator"),
    Action("cynefin.unhide", (Field("item", "uuid", True),), _cynefin_hide(False), "facilitator"),
    Action(
        "empathy.add",
        (
            _SEGMENT,
            Field("group", "uuid", required=True),
            Field("area", "str", required=True, max_length=20),
            _text("your note"),
        ),
        _empathy_add,
    ),
    Action("empathy.remove", (Field("note", "uuid", True),), _empathy_remove),
    Action("empathy.hide", (Field("note", "uuid", True),), _empathy_hide(True), "facilitator"),
    Action("empathy.unhide", (Field("note", "uuid", True),), _empathy_hide(False), "facilitator"),
    Action("empathy.persona", (_SEGMENT, Field("text", "str")), _empathy_persona, "facilitator"),
):
    register_action(action)

register_panel(
    Panel(
        "plenary",
        plenary.KINDS,
        "boards/plenary.html",
        plenary.panel_context,
        "boards/plenary_console.html",
        order=20,
        for_everyone=plenary.everyone_context,
        own=plenary.own,
    )
)
register_panel(
    Panel(
        "cynefin",
        cynefin.KINDS,
        "boards/cynefin.html",
        cynefin.panel_context,
        "boards/cynefin_console.html",
        order=30,
        for_everyone=cynefin.everyone_context,
        own=cynefin.own,
    )
)
register_panel(
    Panel(
        "empathy",
        empathy.KINDS,
        "boards/empathy.html",
        empathy.panel_context,
        "boards/empathy_console.html",
        order=40,
        follows_rounds=True,
        at_round_start=empathy.round_start_context,
        for_everyone=empathy.everyone_context,
    )
)

register_export(
    Export("plenary", "Plenary stream", plenary.export, plenary.export_markdown, order=20)
)
register_export(Export("cynefin", "Cynefin board", cynefin.export, cynefin.export_markdown, 30))
register_export(Export("empathy", "Empathy maps", empathy.export, empathy.export_markdown, 40))
