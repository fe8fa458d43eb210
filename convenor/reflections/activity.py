"""Registrations with convenor.activities.registry (actions, panels, record sections).

- `reflection` segments ask "where might you try this out?"; `close` segments ask for one
  practical thing each person will do before next time, and for the session's feedback;
- `welcome` segments of a later session show each person their last commitment to say how it
  went.
"""

from typing import Any

from django.urls import reverse

from convenor.activities.registry import (
    Action,
    ActivityError,
    Export,
    Panel,
    author_label,
    register_action,
    register_export,
    register_panel,
)
from convenor.live.commands import Field
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant
from convenor.reflections import actions
from convenor.reflections.models import (
    FEEDBACK_TEXT_MAX,
    TEXT_MAX,
    Feedback,
    FollowUp,
    Reflection,
)
from convenor.workshops.models import Segment, Session

Kind = Segment.Kind
CONSOLE_TITLES: dict[str, str] = {
    Reflection.Kind.TRY: "Where people might try this out",
    Reflection.Kind.COMMITMENT: "Commitments: one practical thing before next time",
}
# The message's fields only bound what reaches the actions, which check the real limits
# (after trimming spaces) and say them with the length sent: a text a little too long is told
# "at most 600 characters (this one has 700)", not a bound of the transport's own.
_SLACK = 20_000


def _participant(membership: Membership) -> Participant:
    if membership.participant is None:  # the role check has already refused facilitators
        raise ActivityError("Only participants can do this.")
    return membership.participant


# --- Actions ----------------------------------------------------------------------------------


def _save(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    segment = actions.started_segment(
        session, values["segment"], {Kind.REFLECTION, Kind.CLOSE}, "a reflection"
    )
    shared = actions.flag(values.get("shared"), "shared")
    actions.do_save_reflection(session, _participant(membership), segment, values["text"], shared)
    if shared:
        return "Saved and shared with everyone in the session."
    return "Saved. Only you can see it."


def _hide(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    hidden = actions.flag(values.get("hidden", 1), "hidden")
    actions.do_hide(session, values["item"], hidden)
    return "Hidden from the shared list." if hidden else "Back on the shared list."


def _follow_up(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.started_segment(session, values["segment"], {Kind.WELCOME}, "looking back")
    actions.do_follow_up(
        session,
        _participant(membership),
        values["commitment"],
        values["status"],
        values.get("note", ""),
        actions.flag(values.get("shared"), "shared"),
    )
    return "Thank you: saved how it went."


def _feedback(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.started_segment(session, values["segment"], {Kind.CLOSE}, "feedback")
    actions.do_save_feedback(
        session,
        _participant(membership),
        values["rating"],
        values.get("worked", ""),
        values.get("change", ""),
    )
    return "Thank you for your feedback. You can change it here if you think again."


register_action(
    Action(
        "reflection.save",
        (
            Field("segment", "uuid", required=True),
            Field("text", "str", required=True, max_length=TEXT_MAX + _SLACK, label="your answer"),
            Field("shared", "int"),
        ),
        _save,
    )
)
register_action(
    Action(
        "reflection.hide",
        (Field("item", "uuid", required=True), Field("hidden", "int")),
        _hide,
        role="facilitator",
    )
)
register_action(
    Action(
        "reflection.follow_up",
        (
            Field("segment", "uuid", required=True),
            Field("commitment", "uuid", required=True),
            Field("status", "str", required=True, max_length=20),
            Field("note", "str", max_length=TEXT_MAX + _SLACK),
            Field("shared", "int"),
        ),
        _follow_up,
    )
)
register_action(
    Action(
        "feedback.save",
        (
            Field("segment", "uuid", required=True),
            Field("rating", "int", required=True),
            Field("worked", "str", max_length=FEEDBACK_TEXT_MAX + _SLACK),
            Field("change", "str", max_length=FEEDBACK_TEXT_MAX + _SLACK),
        ),
        _feedback,
    )
)


# --- Panels -----------------------------------------------------------------------------------


def _question_base(session: Session, kind: str, viewer: Membership | None) -> dict[str, Any]:
    items = actions.shared_reflections(session, kind)
    return {
        "question": Reflection.Kind(kind).label,
        "console_title": CONSOLE_TITLES[kind],
        "kind": kind,
        "text_max": TEXT_MAX,
        "counts": actions.counts(session, kind),
        "shared": [
            (item, author_label(session.programme, item.participant, viewer)) for item in items
        ],
        "mine_url": reverse("reflections:mine", args=[session.programme_id]),
    }


def _question_everyone(session: Session, segment: Segment) -> dict[str, Any]:
    """A participant's panel before they have answered: nothing of theirs in the form, and
    the shared answers as the record names them (see Panel.for_everyone)."""
    return _question_base(session, actions.QUESTION_OF[segment.kind], None)


def _question_own(session: Session, segment: Segment) -> Any:
    """Those who have answered: the form holds their answer."""
    kind = actions.QUESTION_OF[segment.kind]
    return Reflection.objects.filter(session=session, kind=kind).values_list(
        "participant_id", flat=True
    )


def _question_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    kind = actions.QUESTION_OF[segment.kind]
    context = _question_base(session, kind, membership)
    if membership.participant is not None:
        context["mine"] = Reflection.objects.filter(
            session=session, participant=membership.participant, kind=kind
        ).first()
    else:
        everything = Reflection.objects.filter(session=session, kind=kind, shared=True)
        context["shared_all"] = [
            (item, author_label(membership.programme, item.participant, membership), item.text)
            for item in everything.select_related("participant").order_by("created_at")
        ]
    return context


def _feedback_everyone(session: Session, segment: Segment) -> dict[str, Any]:
    """A participant's feedback form before they have given any (see Panel.for_everyone)."""
    return {"rating_labels": actions.RATING_LABELS, "text_max": FEEDBACK_TEXT_MAX}


def _feedback_own(session: Session, segment: Segment) -> Any:
    return Feedback.objects.filter(session=session).values_list("participant_id", flat=True)


def _feedback_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    context = _feedback_everyone(session, segment)
    if membership.participant is not None:
        context["mine"] = Feedback.objects.filter(
            session=session, participant=membership.participant
        ).first()
    else:
        context["summary"] = actions.feedback_summary(session)
    return context


def _welcome_base(session: Session, viewer: Membership | None) -> dict[str, Any]:
    notes = [
        (item, author_label(session.programme, item.commitment.participant, viewer))
        for item in actions.shared_follow_ups(session)
    ]
    return {
        "statuses": FollowUp.Status.choices,
        "text_max": TEXT_MAX,
        "notes": notes,
        "mine_url": reverse("reflections:mine", args=[session.programme_id]),
    }


def _welcome_everyone(session: Session, segment: Segment) -> dict[str, Any]:
    """A participant's panel with no commitment to look back on (see Panel.for_everyone)."""
    return {**_welcome_base(session, None), "to_review": []}


def _welcome_own(session: Session, segment: Segment) -> Any:
    """Those with a commitment from an earlier session of the series to look back on."""
    return actions.commitments_before(session).values_list("participant_id", flat=True)


def _welcome_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    context = _welcome_base(session, membership)
    if membership.participant is not None:
        context["to_review"] = actions.commitments_to_review(session, membership.participant)
    else:
        context["expected"] = actions.people_with_commitments_before(session)
        context["follow_ups"] = actions.follow_up_counts(session)
        context["answered"] = sum(context["follow_ups"].values())
        everything = FollowUp.objects.filter(session=session, shared=True).exclude(note="")
        context["notes_all"] = [
            (
                item,
                author_label(membership.programme, item.commitment.participant, membership),
                f"{item.get_status_display()}: {item.note}",
            )
            for item in everything.select_related("commitment__participant").order_by("created_at")
        ]
    return context


register_panel(
    Panel(
        "reflections.question",
        frozenset({Kind.REFLECTION, Kind.CLOSE}),
        "reflections/_question.html",
        _question_context,
        "reflections/_question_console.html",
        order=60,
        for_everyone=_question_everyone,
        own=_question_own,
    )
)
register_panel(
    Panel(
        "reflections.feedback",
        frozenset({Kind.CLOSE}),
        "reflections/_feedback.html",
        _feedback_context,
        "reflections/_feedback_console.html",
        order=70,
        for_everyone=_feedback_everyone,
        own=_feedback_own,
    )
)
register_panel(
    Panel(
        "reflections.follow_up",
        frozenset({Kind.WELCOME}),
        "reflections/_follow_up.html",
        _welcome_context,
        "reflections/_follow_up_console.html",
        order=60,
        for_everyone=_welcome_everyone,
        own=_welcome_own,
    )
)


# --- The session's record ---------------------------------------------------------------------


def _question_section(session: Session, kind: str) -> dict[str, Any]:
    now = actions.counts(session, kind)
    programme = session.programme
    items = actions.shared_reflections(session, kind)
    return {
        "written": now.written,
        "shared": now.shared,
        "private": now.private,
        # Shared, but taken off the shared list by a facilitator: left out of the items.
        "hidden": now.shared - len(items),
        "items": [
            {"text": item.text, "author": author_label(programme, item.participant, None)}
            for item in items
        ],
    }


def _build(session: Session) -> dict[str, Any]:
    programme = session.programme
    follow_ups = actions.follow_up_counts(session)
    return {
        "where_to_try": _question_section(session, Reflection.Kind.TRY),
        "commitments": _question_section(session, Reflection.Kind.COMMITMENT),
        "follow_ups": {
            "answered": sum(follow_ups.values()),
            **follow_ups,
            "shared_notes": [
                {
                    "status": item.status,
                    "note": item.note,
                    "author": author_label(programme, item.commitment.participant, None),
                }
                for item in actions.shared_follow_ups(session)
            ],
        },
        "feedback": actions.feedback_summary(session).as_json(),
    }


def _md(text: str) -> str:
    """User text on one Markdown line, inert: HTML and Markdown's own marks are escaped."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for mark in "\\`*_[]#|":  # the backslash first, so the others' escapes stay single
        text = text.replace(mark, "\\" + mark)
    return text


def _items_markdown(items: list[dict[str, Any]]) -> list[str]:
    lines = []
    for item in items:
        author = f" ({_md(item['author'])})" if item["author"] else ""
        lines.append(f"- {_md(item['text'])}{author}")
    return lines


def _markdown(session: Session) -> list[str]:
    data = _build(session)
    lines: list[str] = []
    for key, title in (
        ("where_to_try", CONSOLE_TITLES[Reflection.Kind.TRY]),
        ("commitments", CONSOLE_TITLES[Reflection.Kind.COMMITMENT]),
    ):
        section = data[key]
        if not section["written"]:
            continue
        lines += [
            f"### {title}",
            "",
            f"{section['written']} written, {section['shared']} shared "
            f"({section['private']} kept private"
            + (f"; {section['hidden']} hidden by a facilitator" if section["hidden"] else "")
            + ").",
            "",
            *_items_markdown(section["items"]),
            "",
        ]
    follow_ups = data["follow_ups"]
    if follow_ups["answered"]:
        lines += [
            "### How last time's commitments went",
            "",
            f"{follow_ups['answered']} answered: {follow_ups['done']} done, "
            f"{follow_ups['partly']} partly, {follow_ups['not_yet']} not yet.",
            "",
        ]
        for note in follow_ups["shared_notes"]:
            label = FollowUp.Status(note["status"]).label
            author = f" ({_md(note['author'])})" if note["author"] else ""
            lines.append(f"- {label}: {_md(note['note'])}{author}")
        lines.append("")
    feedback = data["feedback"]
    if feedback["answers"]:
        spread = ", ".join(f"{n} × {rating}" for rating, n in feedback["ratings"].items())
        lines += [
            "### Feedback (anonymous)",
            "",
            f"{feedback['answers']} answered; mean rating {feedback['mean']} out of 5 ({spread}).",
            "",
        ]
        for key, title in (("worked", "What worked"), ("change", "What to change")):
            if feedback[key]:
                lines += [f"{title}:", ""]
                lines += [f"- {_md(text)}" for text in feedback[key]]
                lines.append("")
    return lines


register_export(
    Export("reflections", "Reflections, commitments and feedback", _build, _markdown, order=80)
)
