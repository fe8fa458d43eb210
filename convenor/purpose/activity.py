"""Registrations with convenor.activities.registry (actions, panels, record sections)."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

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
from convenor.programmes.models import Programme
from convenor.purpose import actions
from convenor.purpose.actions import FIELDS, MAX_WORDS, Texts
from convenor.purpose.models import Answer, CohortPurpose, DraftVersion, GroupDraft, Measure
from convenor.workshops.models import Segment, Session

# Generous on the wire so the actions can say precisely what is too long.
TEXT = 2000


def _participant(membership: Membership) -> Any:
    assert membership.participant is not None  # The registry's role check guarantees it.
    return membership.participant


def _texts(values: Mapping[str, Any]) -> tuple[str, str, str]:
    return values.get("what", ""), values.get("why", ""), values.get("benefits", "")


def _run_save(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    draft = actions.do_save_draft(
        session, _participant(membership), values["group"], *_texts(values), values["rev"]
    )
    return f"Draft saved (version {draft.rev})."


def _run_share(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.do_share_draft(session, _participant(membership), values["draft"], True)
    return "Your group's draft is shared with the plenary."


def _run_unshare(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.do_share_draft(session, _participant(membership), values["draft"], False)
    return "Your group's draft is no longer shared."


def _run_pick(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.do_pick_draft(session, values["draft"])
    return "That draft is now the cohort's draft."


def _source_ids(text: str) -> list[UUID]:
    """The drafts a merge started from: their ids, separated by spaces (purpose.js adds them)."""
    try:
        return list(dict.fromkeys(UUID(part) for part in text.split()))
    except ValueError:
        raise ActivityError("“sources” must be draft ids separated by spaces.") from None


def _run_merge(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    sources = _source_ids(values.get("sources", ""))
    actions.do_merge(session, *_texts(values), sources or None)
    return "The cohort's draft is saved."


def _run_open(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.do_open_check(session)
    return "The agreement check is open."


def _yes_no(values: Mapping[str, Any], name: str, default: int) -> bool:
    value = values.get(name, default)
    if value not in (0, 1):
        raise ActivityError(f"“{name}” must be 1 (yes) or 0 (no).")
    return bool(value)


def _run_close(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    agreed = _yes_no(values, "agreed", 1)
    actions.do_close_check(session, agreed)
    return "Closed: the statement is agreed." if agreed else "Closed, not marked agreed."


def _run_reopen(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.do_reopen_check(session)
    return "The agreement check is open again."


def _run_answer(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.do_answer(session, _participant(membership), values["choice"], values.get("reason", ""))
    return "Your answer is in; you can change it while the check is open."


def _run_measure(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    actions.do_add_measure(session, _participant(membership), values["text"])
    return "Added."


def _run_hide(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    hidden = _yes_no(values, "hidden", 1)
    actions.do_hide_measure(session, values["measure"], hidden)
    return "Hidden from the list." if hidden else "Shown again."


_TEXT_FIELDS = (
    Field("what", "str", max_length=TEXT),
    Field("why", "str", max_length=TEXT),
    Field("benefits", "str", max_length=TEXT),
)

for _action in (
    Action(
        "purpose.save",
        (Field("group", "uuid", required=True), *_TEXT_FIELDS, Field("rev", "int", required=True)),
        _run_save,
    ),
    Action("purpose.share", (Field("draft", "uuid", required=True),), _run_share),
    Action("purpose.unshare", (Field("draft", "uuid", required=True),), _run_unshare),
    Action("purpose.pick", (Field("draft", "uuid", required=True),), _run_pick, role="facilitator"),
    Action(
        "purpose.merge",
        (*_TEXT_FIELDS, Field("sources", "str", max_length=TEXT)),
        _run_merge,
        role="facilitator",
    ),
    Action("purpose.open_check", (), _run_open, role="facilitator"),
    Action(
        "purpose.close_check",
        (Field("agreed", "int", required=True),),
        _run_close,
        role="facilitator",
    ),
    Action("purpose.reopen_check", (), _run_reopen, role="facilitator"),
    Action(
        "purpose.answer",
        (
            Field("choice", "str", required=True, max_length=20),
            Field("reason", "str", max_length=TEXT),
        ),
        _run_answer,
    ),
    Action(
        "purpose.measure",
        (Field("text", "str", required=True, max_length=TEXT, label="the measure"),),
        _run_measure,
    ),
    Action(
        "purpose.hide_measure",
        (Field("measure", "uuid", required=True), Field("hidden", "int")),
        _run_hide,
        role="facilitator",
    ),
):
    register_action(_action)


# --- Panels -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    rev: int
    at: Any
    by: str | None
    changed: list[str]
    texts: Texts


def _versions(draft: GroupDraft | None, programme: Programme, viewer: Membership) -> list[Any]:
    if draft is None:
        return []
    rows = DraftVersion.objects.filter(draft=draft).select_related("author").order_by("-rev")
    return [
        VersionView(
            version.rev,
            version.created_at,
            author_label(programme, version.author, viewer),
            [actions.FIELD_LABELS[name] for name in version.changed if name in FIELDS],
            Texts(version.what, version.why, version.benefits),
        )
        for version in rows
    ]


@dataclass(frozen=True)
class RoomView:
    number: int
    draft: GroupDraft | None
    words: int
    versions: list[VersionView]


def _words(draft: GroupDraft | None) -> int:
    return Texts(draft.what, draft.why, draft.benefits).words() if draft is not None else 0


def drafting_at_round_start(session: Session, segment: Segment, round_: Any, group: Any) -> Any:
    """A participant's panel in `group` of a breakout round just started: no draft yet (see
    convenor.activities.registry.Panel.at_round_start)."""
    return {
        "round": round_,
        "limit": MAX_WORDS,
        "group": group,
        "draft": None,
        "words": 0,
        "versions": [],
    }


def drafting_for_everyone(session: Session, segment: Segment) -> Any:
    """Before the drafting groups, every participant's panel is alike (see
    convenor.activities.registry.Panel.for_everyone)."""
    if actions.drafting_round(session) is not None:
        return None
    return {"round": None, "limit": MAX_WORDS}


def drafting_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    round_ = actions.drafting_round(session)
    context: dict[str, Any] = {"round": round_, "limit": MAX_WORDS}
    if round_ is None:
        return context
    programme = membership.programme
    if membership.participant is not None:
        # Only this room's draft: every page asks for its panel when a round starts.
        group = actions.room_of(round_, membership.participant)
        draft = (
            GroupDraft.objects.filter(round=round_, number=group.number).first()
            if group is not None
            else None
        )
        context.update(
            group=group,
            draft=draft,
            words=_words(draft),
            versions=_versions(draft, programme, membership),
        )
    else:
        drafts = {draft.number: draft for draft in GroupDraft.objects.filter(round=round_)}
        numbers = sorted(set(round_.groups.values_list("number", flat=True)) | set(drafts))
        context["rooms"] = [
            RoomView(
                number,
                drafts.get(number),
                _words(drafts.get(number)),
                _versions(drafts.get(number), programme, membership),
            )
            for number in numbers
        ]
    return context


@dataclass(frozen=True)
class Labelled:
    id: Any
    text: str
    by: str | None
    hidden: bool = False


def _check_results(purpose: CohortPurpose, membership: Membership | None) -> dict[str, Any]:
    """Counts for everyone; names beside the answers only when Chatham House is off."""
    programme = purpose.programme
    answers = list(purpose.answers.select_related("participant").order_by("updated_at"))
    counts = actions.answer_counts(purpose)
    named = not programme.chatham_house
    choices = []
    for value, label in Answer.Choice.choices:
        names = sorted(a.participant.display_name for a in answers if a.choice == value)
        choices.append({"value": value, "label": label, "count": counts[value], "names": names})
    objections = [
        Labelled(answer.pk, answer.reason, author_label(programme, answer.participant, membership))
        for answer in answers
        if answer.choice == Answer.Choice.OBJECT
    ]
    return {
        "choices": choices,
        "named": named,
        "objections": objections,
        "answered": len(answers),
    }


def plenary_for_everyone(session: Session, segment: Segment) -> Any:
    """A participant's panel when they have not answered the check and have added no measure
    (see convenor.activities.registry.Panel.for_everyone): the record's names."""
    return _plenary(session, None)


def plenary_own(session: Session, segment: Segment) -> set[Any]:
    """Those whose panel differs: their answer to the check is theirs to change, and their
    objection or measure says "You"."""
    answered = Answer.objects.filter(purpose__session=session).values_list(
        "participant_id", flat=True
    )
    measures = Measure.objects.filter(session=session, hidden=False).values_list(
        "author_id", flat=True
    )
    return {*answered, *measures}


def plenary_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    return _plenary(session, membership)


def _plenary(session: Session, viewer: Membership | None) -> dict[str, Any]:
    programme = session.programme
    shared = list(
        GroupDraft.objects.filter(session=session, shared_at__isnull=False).order_by(
            "round__started_at", "number"
        )
    )
    purpose = CohortPurpose.objects.filter(session=session).first()
    context: dict[str, Any] = {
        "show": bool(shared) or purpose is not None,
        "shared": shared,
        "purpose": purpose,
        "limit": MAX_WORDS,
        "answer_choices": Answer.Choice.choices,
    }
    if purpose is not None:
        context["results"] = _check_results(purpose, viewer)
        context["purpose_words"] = Texts(purpose.what, purpose.why, purpose.benefits).words()
        if viewer is not None and viewer.participant is not None:
            context["my_answer"] = purpose.answers.filter(participant=viewer.participant).first()
    measures = Measure.objects.filter(session=session).select_related("author")
    if viewer is None or not viewer.is_facilitator:
        measures = measures.filter(hidden=False)
    context["measures"] = [
        Labelled(m.pk, m.text, author_label(programme, m.author, viewer), m.hidden)
        for m in measures
    ]
    return context


def agreed_so_far(programme: Programme, before: Session | None = None) -> CohortPurpose | None:
    """The programme's most recently agreed statement (from a session before `before`)."""
    found = CohortPurpose.objects.filter(programme=programme, agreed_at__isnull=False)
    if before is not None:
        found = found.filter(session__starts_at__lt=before.starts_at).exclude(session=before)
    return found.select_related("session").order_by("-session__starts_at", "-agreed_at").first()


def welcome_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    return welcome_for_everyone(session, segment)


def welcome_for_everyone(session: Session, segment: Segment) -> dict[str, Any]:
    """What the cohort has agreed so far: the same for everyone (see Panel.for_everyone)."""
    agreed = agreed_so_far(session.programme, session)
    measures = (
        Measure.objects.filter(session=agreed.session, hidden=False) if agreed is not None else []
    )
    return {"agreed": agreed, "agreed_measures": measures}


register_panel(
    Panel(
        "purpose.drafting",
        frozenset({Segment.Kind.COMMON_PURPOSE.value}),
        "purpose/drafting.html",
        drafting_context,
        "purpose/drafting_console.html",
        order=10,
        follows_rounds=True,
        at_round_start=drafting_at_round_start,
        for_everyone=drafting_for_everyone,
    )
)
register_panel(
    Panel(
        "purpose.plenary",
        frozenset({Segment.Kind.COMMON_PURPOSE.value, Segment.Kind.PLENARY.value}),
        "purpose/plenary.html",
        plenary_context,
        "purpose/plenary_console.html",
        order=10,
        for_everyone=plenary_for_everyone,
        own=plenary_own,
    )
)
register_panel(
    Panel(
        "purpose.so_far",
        frozenset({Segment.Kind.WELCOME.value}),
        "purpose/so_far.html",
        welcome_context,
        order=20,
        for_everyone=welcome_for_everyone,
    )
)


# --- The session's record ---------------------------------------------------------------------


def _texts_json(item: GroupDraft | CohortPurpose) -> dict[str, str]:
    return {"what": item.what, "why": item.why, "benefits": item.benefits}


def build_record(session: Session) -> dict[str, Any]:
    """Shared drafts, the cohort's draft with its check, and the measures (unattributed under
    the Chatham House rule; with it off, answers and measures carry names)."""
    programme = session.programme
    shared = GroupDraft.objects.filter(session=session, shared_at__isnull=False).order_by(
        "round__started_at", "number"
    )
    record: dict[str, Any] = {
        "shared_drafts": [
            {"group": draft.number, **_texts_json(draft), "versions": draft.rev} for draft in shared
        ],
        "cohort_draft": None,
        "measures": [],
    }
    purpose = CohortPurpose.objects.filter(session=session).first()
    if purpose is not None:
        answers = purpose.answers.select_related("participant").order_by("updated_at")
        cohort: dict[str, Any] = {
            **_texts_json(purpose),
            "check": purpose.check_state,
            "agreed_at": purpose.agreed_at.isoformat() if purpose.agreed_at else None,
            "counts": actions.answer_counts(purpose),
            "objections": [
                _attributed(programme, a.participant.display_name, {"reason": a.reason})
                for a in answers
                if a.choice == Answer.Choice.OBJECT
            ],
        }
        if not programme.chatham_house:
            cohort["answers"] = [
                {"name": a.participant.display_name, "answer": a.choice} for a in answers
            ]
        record["cohort_draft"] = cohort
    for measure in Measure.objects.filter(session=session, hidden=False).select_related("author"):
        name = measure.author.display_name if measure.author is not None else None
        record["measures"].append(_attributed(programme, name, {"text": measure.text}))
    return record


def _attributed(programme: Programme, name: str | None, item: dict[str, Any]) -> dict[str, Any]:
    if programme.chatham_house or name is None:
        return item
    return {"name": name, **item}


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(empty)"


def _md_texts(texts: Mapping[str, Any]) -> list[str]:
    return [
        f"- **What we want to do:** {_one_line(texts['what'])}",
        f"- **Why:** {_one_line(texts['why'])}",
        f"- **The benefits:** {_one_line(texts['benefits'])}",
    ]


def _md_line(item: Mapping[str, Any], key: str) -> str:
    text = _one_line(str(item[key]))
    return f"- {text} ({item['name']})" if "name" in item else f"- {text}"


def build_markdown(session: Session) -> list[str]:
    record = build_record(session)
    lines: list[str] = []
    for draft in record["shared_drafts"]:
        lines += [f"### Shared draft of room {draft['group']}", "", *_md_texts(draft), ""]
    cohort = record["cohort_draft"]
    if cohort is not None:
        status = "agreed" if cohort["agreed_at"] else cohort["check"].replace("_", " ")
        lines += ["### The cohort's draft", "", *_md_texts(cohort), ""]
        counts = cohort["counts"]
        lines += [
            f"Agreement check ({status}): {counts['agree']} agree, {counts['live_with']} can "
            f"live with it, {counts['object']} object.",
            "",
        ]
        if cohort["objections"]:
            lines += ["Objections:", "", *(_md_line(o, "reason") for o in cohort["objections"])]
            lines.append("")
    if record["measures"]:
        lines += ["### How we would measure progress", ""]
        lines += [_md_line(m, "text") for m in record["measures"]]
    return lines


register_export(Export("purpose", "Common purpose", build_record, build_markdown, order=40))
