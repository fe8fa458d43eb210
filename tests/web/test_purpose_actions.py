"""The common purpose builder's actions: drafting with the 40-word limit, versions, sharing,
the cohort's draft, the agreement check and the measures; every refusal changes nothing, and
event payloads carry ids and numbers only. Helpers here are shared with the other
test_purpose_* modules."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from activity_helpers import membership_of as member
from django.utils import timezone

from convenor.accounts.models import User
from convenor.activities.dispatch import perform
from convenor.activities.registry import ActivityError
from convenor.live import actions as live_actions
from convenor.live.models import LiveEvent, RoomGroup, Round
from convenor.live.notes import CLOSING_GRACE
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.purpose import actions
from convenor.purpose.actions import count_words
from convenor.purpose.models import Answer, CohortPurpose, DraftVersion, GroupDraft, Measure
from convenor.workshops.models import Segment, Session

FORTY = " ".join(f"w{i}" for i in range(40))


def add_person(programme: Programme, facilitator: User, name: str, org: str) -> Participant:
    person = programme_actions.add_participant(
        programme, facilitator, display_name=name, organisation=org, sector=f"{org} sector"
    )
    return programme_actions.agree_ground_rules(person)


@dataclass
class Rooms:
    round: Round
    mine: RoomGroup
    mate: Participant
    other: RoomGroup
    others: list[Participant]


def breakout(session: Session, facilitator: User, participant: Participant) -> Rooms:
    """Six people present, two breakout rooms of three: `participant` and others in one."""
    programme = session.programme
    people = [participant] + [
        add_person(programme, facilitator, name, org)
        for name, org in [
            ("Ben Baker", "NHS"),
            ("Cara Cole", "Charity"),
            ("Dev Dale", "Sport"),
            ("Eve Earl", "Council"),
            ("Fin Ford", "NHS"),
        ]
    ]
    for person in people:
        live_actions.do_connect(session, f"test.{person.pk}", participant=person)
    round_ = live_actions.do_start_round(session, facilitator, kind="breakout", rooms=2, seed=3)
    groups = list(round_.groups.all())
    mine = next(g for g in groups if g.members.filter(pk=participant.pk).exists())
    other = next(g for g in groups if g.pk != mine.pk)
    mate = mine.members.exclude(pk=participant.pk).order_by("display_name").first()
    assert mate is not None
    return Rooms(round_, mine, mate, other, list(other.members.all()))


def state() -> dict[str, Any]:
    """Everything the purpose builder stores, to assert that a refusal changed nothing."""
    return {
        "drafts": list(GroupDraft.objects.order_by("pk").values()),
        "versions": list(DraftVersion.objects.order_by("pk").values()),
        "purposes": list(CohortPurpose.objects.order_by("pk").values()),
        "answers": list(Answer.objects.order_by("pk").values()),
        "measures": list(Measure.objects.order_by("pk").values()),
        "events": LiveEvent.objects.count(),
    }


def purpose_events() -> list[LiveEvent]:
    return list(LiveEvent.objects.filter(kind__startswith="purpose.").order_by("seq"))


@pytest.fixture
def rooms(session: Session, facilitator: User, participant: Participant) -> Rooms:
    return breakout(session, facilitator, participant)


def save(session: Session, who: Participant, group: RoomGroup, rev: int = 0, **texts: str) -> Any:
    return actions.do_save_draft(
        session,
        who,
        group.pk,
        texts.get("what", ""),
        texts.get("why", ""),
        texts.get("benefits", ""),
        rev,
    )


def shared_draft(session: Session, rooms: Rooms, participant: Participant) -> GroupDraft:
    draft = save(session, participant, rooms.mine, what="Walk more", why="Health", benefits="Joy")
    return actions.do_share_draft(session, participant, draft.pk, True)


# --- Words ------------------------------------------------------------------------------------


def test_a_word_is_what_whitespace_separates() -> None:
    assert count_words("") == 0
    assert count_words("   \n\t ") == 0
    assert count_words("well-being, for all!") == 3
    assert count_words(" two\u00a0words ") == 2  # a no-break space separates too, as in JS \s
    assert count_words("a\nb\tc  d") == 4


# --- Drafting ---------------------------------------------------------------------------------


def test_saving_makes_versions_and_events(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    draft = save(session, participant, rooms.mine, what="Work together", why="Because")
    assert (draft.rev, draft.what, draft.why, draft.benefits) == (1, "Work together", "Because", "")
    again = save(session, rooms.mate, rooms.mine, rev=1, what="Work together", why="It matters")
    assert again.pk == draft.pk and again.rev == 2
    versions = list(DraftVersion.objects.filter(draft=draft).order_by("rev"))
    assert [(v.rev, v.author, v.changed) for v in versions] == [
        (1, participant, ["what", "why"]),
        (2, rooms.mate, ["why"]),
    ]
    # The same text again writes nothing.
    before = state()
    assert save(session, participant, rooms.mine, rev=2, what="Work together", why="It matters")
    assert state() == before
    events = purpose_events()
    assert [e.kind for e in events] == ["purpose.saved", "purpose.saved"]
    # Not shared: the event names the group, whose members alone see the draft.
    assert events[-1].payload == {
        "draft": str(draft.pk),
        "number": rooms.mine.number,
        "rev": 2,
        "changed": ["why"],
        "words": 4,
        "round": str(rooms.mine.round_id),
        "group": rooms.mine.number,
    }
    # Shared: everyone's plenary panel shows it, so the event names no group.
    actions.do_share_draft(session, participant, draft.pk, True)
    assert save(session, participant, rooms.mine, rev=2, what="Work together", why="Now")
    assert "group" not in purpose_events()[-1].payload


def test_forty_words_pass_and_forty_one_are_refused(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    words = FORTY.split()
    draft = save(
        session,
        participant,
        rooms.mine,
        what=" ".join(words[:20]),
        why=" ".join(words[20:30]),
        benefits=" ".join(words[30:]),
    )
    assert draft.rev == 1 and count_words(f"{draft.what} {draft.why} {draft.benefits}") == 40
    before = state()
    with pytest.raises(ActivityError, match="41 words; the limit is 40.*Take out 1 word"):
        save(session, participant, rooms.mine, rev=1, what=FORTY, benefits="more")
    assert state() == before


def test_bad_input_changes_nothing(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    save(session, participant, rooms.mine, what="Ours")
    before = state()
    refusals: list[tuple[Any, str]] = [
        (lambda: save(session, participant, rooms.mine, rev=1, why="x" * 401), "at most 400"),
        (lambda: save(session, participant, rooms.other, what="Theirs"), "your own group"),
        (
            lambda: actions.do_save_draft(session, participant, session.pk, "a", "", "", 1),
            "no such breakout group",
        ),
        (lambda: save(session, participant, rooms.mine, rev=0, what="Stale"), "version 1"),
        (lambda: save(session, participant, rooms.mine, rev=-1, what="x"), "whole number"),
    ]
    for attempt, message in refusals:
        with pytest.raises(ActivityError, match=message):
            attempt()
        assert state() == before


def test_stale_rev_is_a_conflict_carrying_the_latest(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    save(session, participant, rooms.mine, what="First")
    save(session, rooms.mate, rooms.mine, rev=1, what="Second")
    before = state()
    with pytest.raises(actions.DraftConflict) as conflict:
        save(session, participant, rooms.mine, rev=1, what="Mine over theirs")
    assert conflict.value.draft.what == "Second" and conflict.value.draft.rev == 2
    assert state() == before


def test_another_sessions_group_is_unknown(
    session: Session, rooms: Rooms, participant: Participant, facilitator: User
) -> None:
    elsewhere = Session.objects.create(
        programme=session.programme,
        title="Another",
        starts_at=session.starts_at,
        duration_minutes=60,
    )
    before = state()
    with pytest.raises(ActivityError, match="no such breakout group"):
        save(elsewhere, participant, rooms.mine, what="Wrong session")
    draft = save(session, participant, rooms.mine, what="Right session")
    before = state()
    with pytest.raises(ActivityError, match="no such group draft"):
        actions.do_share_draft(elsewhere, participant, draft.pk, True)
    with pytest.raises(ActivityError, match="no such group draft"):
        actions.do_pick_draft(elsewhere, draft.pk)
    assert state() == before


def test_the_most_recent_round_keeps_drafting_after_it_ends(
    session: Session, rooms: Rooms, participant: Participant, facilitator: User
) -> None:
    save(session, participant, rooms.mine, what="During")
    live_actions.do_end_round(rooms.round, facilitator)
    assert save(session, participant, rooms.mine, rev=1, what="After").rev == 2


def test_an_earlier_segments_breakout_groups_do_not_draft(
    session: Session, participant: Participant, facilitator: User
) -> None:
    """The empathy map's rooms, ended before the common purpose segment starts, are not the
    drafting rooms: drafting waits for the purpose segment's own breakout groups."""
    empathy, purpose = (
        Segment.objects.create(
            session=session, position=n, title=title, kind=kind, duration_minutes=15
        )
        for n, (title, kind) in enumerate(
            [("Empathy map", Segment.Kind.EMPATHY_MAP), ("Purpose", Segment.Kind.COMMON_PURPOSE)]
        )
    )
    live_actions.do_start_segment(session, facilitator, empathy)
    earlier = breakout(session, facilitator, participant)
    assert actions.drafting_round(session) is None
    live_actions.do_end_round(earlier.round, facilitator)
    live_actions.do_start_segment(session, facilitator, purpose)
    assert actions.drafting_round(session) is None
    before = state()
    with pytest.raises(ActivityError, match="no such breakout group"):
        save(session, participant, earlier.mine, what="Lost when the purpose rooms open")
    assert state() == before

    drafting = live_actions.do_start_round(session, facilitator, kind="breakout", rooms=2, seed=3)
    assert actions.drafting_round(session) == drafting
    mine = drafting.groups.get(members=participant)
    assert save(session, participant, mine, what="Kept").round == drafting


def test_sharing_is_for_the_groups_members(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    draft = save(session, participant, rooms.mine, what="Ours")
    before = state()
    with pytest.raises(ActivityError, match="Only the group's members"):
        actions.do_share_draft(session, rooms.others[0], draft.pk, True)
    assert state() == before
    shared = actions.do_share_draft(session, rooms.mate, draft.pk, True)
    assert shared.shared
    assert actions.do_share_draft(session, participant, draft.pk, False).shared is False
    assert [e.payload for e in purpose_events() if e.kind == "purpose.shared"] == [
        {"draft": str(draft.pk), "number": rooms.mine.number, "shared": True},
        {"draft": str(draft.pk), "number": rooms.mine.number, "shared": False},
    ]


def test_an_empty_draft_cannot_be_shared(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    draft = save(session, participant, rooms.mine, what="x")
    # Saving every field empty is refused: it would wipe the group's draft for everyone.
    before = state()
    with pytest.raises(ActivityError, match="cannot be saved empty"):
        save(session, participant, rooms.mine, rev=1)
    assert state() == before
    # A draft left empty (as saves could leave one before that rule) is not shared.
    GroupDraft.objects.filter(pk=draft.pk).update(what="")
    before = state()
    with pytest.raises(ActivityError, match="Write and save"):
        actions.do_share_draft(session, participant, draft.pk, True)
    assert state() == before


@pytest.mark.parametrize("how", ["round ended", "rooms closed"])
def test_a_groups_draft_cannot_change_once_its_room_has_closed(
    session: Session, rooms: Rooms, participant: Participant, facilitator: User, how: str
) -> None:
    """A stale page (or the form without JavaScript) cannot change a group's draft after the
    breakout: the plenary picks from what the rooms wrote. A save sent as the rooms close
    still counts (CLOSING_GRACE, as for the notes)."""
    draft = save(session, participant, rooms.mine, what="Walk more")
    if how == "round ended":
        live_actions.do_end_round(rooms.round, facilitator)
    else:
        live_actions.do_close_rooms(rooms.round, facilitator, 10)
        Round.objects.filter(pk=rooms.round.pk).update(closes_at=timezone.now())
    draft = save(session, participant, rooms.mine, rev=1, what="Walk more together")
    assert draft.rev == 2
    late = timezone.now() - CLOSING_GRACE - timedelta(seconds=1)
    field = "ended_at" if how == "round ended" else "closes_at"
    Round.objects.filter(pk=rooms.round.pk).update(**{field: late})
    before = state()
    with pytest.raises(ActivityError, match="breakout room has closed"):
        save(session, participant, rooms.mine, rev=2, what="late edit")
    assert state() == before


# --- The cohort's draft and the check ---------------------------------------------------------


def test_pick_merge_check_and_answers(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    draft = shared_draft(session, rooms, participant)
    purpose = actions.do_pick_draft(session, draft.pk)
    assert (purpose.what, purpose.why, purpose.benefits) == ("Walk more", "Health", "Joy")
    assert list(purpose.sources.all()) == [draft]
    merged = actions.do_merge(session, "Walk and talk", "Health", "Joy for all")
    assert merged.pk == purpose.pk and merged.what == "Walk and talk"
    assert CohortPurpose.objects.filter(session=session).count() == 1
    actions.do_open_check(session)
    actions.do_answer(session, participant, "object", "Too vague")
    actions.do_answer(session, rooms.mate, "agree")
    actions.do_answer(session, participant, "live_with")  # changed their mind
    assert actions.answer_counts(purpose) == {"agree": 1, "live_with": 1, "object": 0}
    closed = actions.do_close_check(session, agreed=True)
    assert closed.agreed_at is not None and closed.check_state == "closed"
    before = state()
    for attempt, message in [
        (lambda: actions.do_merge(session, "Other", "", ""), "reopen the check"),
        (lambda: actions.do_pick_draft(session, draft.pk), "reopen the check"),
        (lambda: actions.do_answer(session, participant, "agree"), "no agreement check open"),
        (lambda: actions.do_open_check(session), "reopen it"),
        (lambda: actions.do_close_check(session, True), "not open"),
    ]:
        with pytest.raises(ActivityError, match=message):
            attempt()
        assert state() == before
    reopened = actions.do_reopen_check(session)
    assert reopened.agreed_at is None and reopened.check_state == "open"
    kinds = [e.kind for e in purpose_events()]
    assert kinds[-7:] == [
        "purpose.merged",
        "purpose.check",
        "purpose.answered",
        "purpose.answered",
        "purpose.answered",
        "purpose.check",
        "purpose.check",
    ]
    answered = [e.payload for e in purpose_events() if e.kind == "purpose.answered"][-1]
    assert answered == {
        "purpose": str(purpose.pk),
        "counts": {"agree": 1, "live_with": 1, "object": 0},
    }


def test_replacing_the_draft_while_the_check_is_open_clears_the_answers(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    draft = shared_draft(session, rooms, participant)
    actions.do_pick_draft(session, draft.pk)
    actions.do_open_check(session)
    actions.do_answer(session, participant, "agree")
    actions.do_merge(session, "A new wording", "", "")
    assert Answer.objects.count() == 0
    assert purpose_events()[-1].payload["answers_cleared"] == 1


def test_check_refusals_change_nothing(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    draft = save(session, participant, rooms.mine, what="Not shared")
    before = state()
    for attempt, message in [
        (lambda: actions.do_open_check(session), "Pick or merge"),
        (lambda: actions.do_answer(session, participant, "agree"), "no agreement check open"),
        (lambda: actions.do_pick_draft(session, draft.pk), "has shared"),
        (lambda: actions.do_pick_draft(session, rooms.mine.pk), "no such group draft"),
        (lambda: actions.do_merge(session, FORTY, "more", ""), "41 words"),
        (lambda: actions.do_merge(session, " ", "", ""), "at least one"),
        (lambda: actions.do_merge(session, "x", "", "", [draft.pk]), "shared can be merged"),
    ]:
        with pytest.raises(ActivityError, match=message):
            attempt()
        assert state() == before
    actions.do_share_draft(session, participant, draft.pk, True)
    actions.do_pick_draft(session, draft.pk)
    actions.do_open_check(session)
    before = state()
    for attempt, message in [
        (lambda: actions.do_answer(session, participant, "object"), "needs a reason"),
        (lambda: actions.do_answer(session, participant, "object", "   "), "needs a reason"),
        (lambda: actions.do_answer(session, participant, "maybe"), "Choose agree"),
        (lambda: actions.do_answer(session, participant, "object", "x" * 501), "at most 500"),
        (lambda: actions.do_open_check(session), "already open"),
        (lambda: actions.do_reopen_check(session), "Only a closed"),
    ]:
        with pytest.raises(ActivityError, match=message):
            attempt()
        assert state() == before


def test_roles_through_perform(session: Session, rooms: Rooms, participant: Participant) -> None:
    """Participants cannot pick, merge or run the check; facilitators cannot answer or draft."""
    draft = shared_draft(session, rooms, participant)
    as_participant = member(session.programme, participant)
    as_facilitator = member(session.programme)
    before = state()
    for name, data in [
        ("purpose.pick", {"draft": str(draft.pk)}),
        ("purpose.merge", {"what": "Mine"}),
        ("purpose.open_check", {}),
        ("purpose.close_check", {"agreed": 1}),
        ("purpose.reopen_check", {}),
        ("purpose.hide_measure", {"measure": str(draft.pk)}),
    ]:
        with pytest.raises(ActivityError, match="Only the programme's facilitators"):
            perform(session, as_participant, name, data)
        assert state() == before
    perform(session, as_facilitator, "purpose.pick", {"draft": str(draft.pk)})
    perform(session, as_facilitator, "purpose.open_check", {})
    before = state()
    with pytest.raises(ActivityError, match="must be 1 \\(yes\\) or 0"):
        perform(session, as_facilitator, "purpose.close_check", {"agreed": 2})
    assert state() == before
    for name, data in [
        ("purpose.answer", {"choice": "agree"}),
        ("purpose.save", {"group": str(rooms.mine.pk), "what": "x", "rev": 1}),
        ("purpose.measure", {"text": "Count walkers"}),
        ("purpose.share", {"draft": str(draft.pk)}),
    ]:
        with pytest.raises(ActivityError, match="Only participants"):
            perform(session, as_facilitator, name, data)
        assert state() == before
    for data, message in [
        ({"group": "nope", "rev": 1}, "not a valid id"),
        ({"group": str(rooms.mine.pk)}, "“rev” is required"),
        ({"group": str(rooms.mine.pk), "rev": "1"}, "whole number"),
        ({"group": str(rooms.mine.pk), "rev": 1, "what": "x" * 2001}, "too long"),
    ]:
        with pytest.raises(ActivityError, match=message):
            perform(session, as_participant, "purpose.save", data)
        assert state() == before


# --- Measures ---------------------------------------------------------------------------------


def test_measures_and_hiding(session: Session, rooms: Rooms, participant: Participant) -> None:
    measure = actions.do_add_measure(session, participant, "  Count   the walkers ")
    assert measure.text == "Count the walkers" and measure.author == participant
    before = state()
    for attempt, message in [
        (lambda: actions.do_add_measure(session, participant, "   "), "Write how"),
        (lambda: actions.do_add_measure(session, participant, "x" * 201), "at most 200"),
        (lambda: actions.do_hide_measure(session, rooms.mine.pk), "no such measure"),
    ]:
        with pytest.raises(ActivityError, match=message):
            attempt()
        assert state() == before
    assert actions.do_hide_measure(session, measure.pk).hidden
    assert not actions.do_hide_measure(session, measure.pk, hidden=False).hidden
    payloads = [e.payload for e in purpose_events() if e.kind.startswith("purpose.measure")]
    assert payloads == [
        {"measure": str(measure.pk), "count": 1},
        {"measure": str(measure.pk), "hidden": True},
        {"measure": str(measure.pk), "hidden": False},
    ]


def test_event_payloads_never_carry_names_or_text(
    session: Session, rooms: Rooms, participant: Participant
) -> None:
    session.programme.chatham_house = False
    session.programme.save()
    draft = shared_draft(session, rooms, participant)
    actions.do_pick_draft(session, draft.pk)
    actions.do_open_check(session)
    actions.do_answer(session, participant, "object", "Secret reason")
    actions.do_add_measure(session, participant, "Secret measure")
    actions.do_close_check(session, agreed=False)
    text = str([e.payload for e in purpose_events()])
    for secret in ["Walk more", "Health", "Joy", "Secret", participant.display_name, "Ben"]:
        assert secret not in text
