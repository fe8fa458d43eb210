"""The facilitator's "take out" sticks for the rest of the round, until they put the person back.

Everything goes through the real actions: the facilitator's take-out is do_remove_participant
with the facilitator as actor (what the console's "remove" command calls), someone leaving is
the presence sweep's removal (their last tab closes, then remove_if_gone), a reconnect is
do_connect. Event-writing steps are checked with the events-consistency pattern (fresh
snapshot + the events written == refetched snapshot), which covers the round's `taken_out`.
"""

import json
import random
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.live import actions, parts
from convenor.live.events import current_seq, events_after
from convenor.live.models import GroupMember, LivePresence, Round
from convenor.live.state import apply_event, snapshot
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session
from tests.web.conftest import login_participant
from tests.web.live_support import connect_all, consistent, make_people

TAKEN_OUT_TEXT = "The facilitator has taken you out of this round."
IN_A_MOMENT = "you will be placed in a group in a moment"


@pytest.fixture
def crowd(programme: Programme, facilitator: User) -> list[Participant]:
    return make_people(programme, facilitator, 7)


@pytest.fixture
def round_(session: Session, facilitator: User, crowd: list[Participant]) -> Round:
    connect_all(session, crowd[:6])
    return actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=5)


def placed(round_: Round) -> set[str]:
    rows = GroupMember.objects.filter(round=round_).values_list("participant_id", flat=True)
    return {str(pk) for pk in rows} | waiting(round_)


def waiting(round_: Round) -> set[str]:
    return {str(pk) for pk in Round.objects.get(pk=round_.pk).waiting.values_list("pk", flat=True)}


def taken_out(round_: Round) -> set[str]:
    return {
        str(pk) for pk in Round.objects.get(pk=round_.pk).taken_out.values_list("pk", flat=True)
    }


def sizes(round_: Round) -> list[int]:
    counts: dict[int, int] = {}
    for number in GroupMember.objects.filter(round=round_).values_list("group__number", flat=True):
        counts[number] = counts.get(number, 0) + 1
    return sorted(counts.values())


def url(name: str, session: Session) -> str:
    return reverse(f"live:{name}", args=[session.programme_id, session.pk])


def page_of(person: Participant, session: Session, name: str = "round_part") -> str:
    response = login_participant(Client(), person).get(url(name, session))
    assert response.status_code == 200
    return response.content.decode()


def console_region(user: User, session: Session) -> str:
    client = Client()
    client.force_login(user)
    return client.get(url("round_part", session)).content.decode()


# --- Taken out stays out --------------------------------------------------------------------


def test_taken_out_is_not_placed_again_when_they_reconnect(
    session: Session, facilitator: User, crowd: list[Participant], round_: Round
) -> None:
    ben = crowd[0]
    consistent(session, lambda: actions.do_remove_participant(round_, ben, facilitator))
    assert taken_out(round_) == {str(ben.pk)}
    assert str(ben.pk) not in placed(round_)
    # Another tab, then a reload: closing the tab and opening it again.
    actions.do_connect(session, "test.ben.2", participant=ben)
    actions.do_disconnect("test.ben.2")
    consistent(session, lambda: actions.do_disconnect(f"test.{ben.pk}"))
    assert not actions.remove_if_gone(session, ben), "not in the round: nothing to remove"
    events = consistent(
        session, lambda: actions.do_connect(session, f"test.{ben.pk}", participant=ben)
    )
    assert [event["kind"] for event in events] == ["presence"], "no round change"
    assert str(ben.pk) not in placed(round_)
    assert not actions.do_add_latecomer(round_, ben)
    assert str(ben.pk) not in placed(round_) and taken_out(round_) == {str(ben.pk)}
    assert all(2 <= size <= 3 for size in sizes(round_))


def test_the_taken_out_persons_page_says_so_and_the_pushed_region_too(
    session: Session, facilitator: User, crowd: list[Participant], round_: Round
) -> None:
    ben = crowd[0]
    seq = current_seq(session)
    actions.do_remove_participant(round_, ben, facilitator)
    for name in ("round_part", "session"):
        page = page_of(ben, session, name)
        assert TAKEN_OUT_TEXT in page and "stay on this page" in page
        assert "you will be in the next round" in page
        assert IN_A_MOMENT not in page
    # What Ben's open tab is sent with the round event (no reload needed).
    (event,) = [e for e in events_after(session, seq) or [] if e["kind"] == "round_changed"]
    assert event["payload"]["taken_out"] == [str(ben.pk)]
    sent = parts.round_parts(session.pk)(event)
    html = json.loads(sent[f"test.{ben.pk}"])["html"]["round"]
    assert TAKEN_OUT_TEXT in html and IN_A_MOMENT not in html
    # Everyone else in the session is not told they are taken out.
    for person in crowd[1:6]:
        assert TAKEN_OUT_TEXT not in page_of(person, session)
        if f"test.{person.pk}" in sent:
            assert TAKEN_OUT_TEXT not in json.loads(sent[f"test.{person.pk}"])["html"]["round"]


def test_someone_waiting_is_told_every_group_is_full_not_in_a_moment(
    session: Session, facilitator: User, programme: Programme
) -> None:
    people = make_people(programme, facilitator, 4)
    connect_all(session, people[:3])
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=1)
    assert sizes(round_) == [3]
    actions.do_connect(session, f"test.{people[3].pk}", participant=people[3])
    assert waiting(round_) == {str(people[3].pk)}
    page = page_of(people[3], session)
    assert "Every group is full just now" in page
    assert "as soon as a place opens" in page
    assert IN_A_MOMENT not in page and TAKEN_OUT_TEXT not in page


def test_the_presence_sweep_removal_does_not_mark_them(
    session: Session, crowd: list[Participant], round_: Round
) -> None:
    ann = crowd[1]
    consistent(session, lambda: actions.do_disconnect(f"test.{ann.pk}"))
    consistent(session, lambda: actions.remove_if_gone(session, ann))
    assert str(ann.pk) not in placed(round_)
    assert not taken_out(round_), "they left; nobody took them out"
    consistent(session, lambda: actions.do_connect(session, f"test.{ann.pk}", participant=ann))
    assert str(ann.pk) in placed(round_), "back, and placed again"
    assert TAKEN_OUT_TEXT not in page_of(ann, session)


# --- Put back -------------------------------------------------------------------------------


def test_put_back_places_them_within_the_cap_and_clears_the_mark(
    session: Session, facilitator: User, crowd: list[Participant], round_: Round
) -> None:
    ben = crowd[0]
    actions.do_remove_participant(round_, ben, facilitator)
    events = consistent(session, lambda: actions.do_put_back(round_, ben, facilitator))
    assert [event["kind"] for event in events] == ["round_changed"]
    assert events[0]["payload"]["taken_out"] == []
    assert not taken_out(round_)
    assert str(ben.pk) in placed(round_)
    assert all(2 <= size <= 3 for size in sizes(round_))
    assert len(waiting(round_)) <= 1
    page = page_of(ben, session)
    assert TAKEN_OUT_TEXT not in page and IN_A_MOMENT not in page
    # Taken out again, they stay out again.
    actions.do_remove_participant(round_, ben, facilitator)
    assert taken_out(round_) == {str(ben.pk)}


def test_put_back_of_someone_not_here_clears_the_mark_and_they_are_placed_on_arrival(
    session: Session, facilitator: User, crowd: list[Participant], round_: Round
) -> None:
    ben = crowd[0]
    actions.do_remove_participant(round_, ben, facilitator)
    actions.do_disconnect(f"test.{ben.pk}")
    result: list[bool] = []
    consistent(session, lambda: result.append(actions.do_put_back(round_, ben, facilitator)))
    assert result == [False], "not here: not placed now"
    assert not taken_out(round_) and str(ben.pk) not in placed(round_)
    actions.do_connect(session, f"test.{ben.pk}", participant=ben)
    assert str(ben.pk) in placed(round_)


def test_put_back_refuses_someone_not_taken_out_and_an_ended_round(
    session: Session,
    facilitator: User,
    outsider: User,
    crowd: list[Participant],
    round_: Round,
) -> None:
    ann, ben, cat = crowd[0], crowd[1], crowd[6]

    def unchanged(act: Any, message: str) -> None:
        before, seq = snapshot(session), current_seq(session)
        with pytest.raises(ValidationError, match=message):
            act()
        assert current_seq(session) == seq and snapshot(session) == before

    # In the round, not taken out; and someone who was never here.
    unchanged(lambda: actions.do_put_back(round_, ann, facilitator), "has not been taken out")
    unchanged(lambda: actions.do_put_back(round_, cat, facilitator), "has not been taken out")
    # Someone who left (the sweep's removal) was not taken out either.
    actions.do_disconnect(f"test.{ann.pk}")
    actions.remove_if_gone(session, ann)
    unchanged(lambda: actions.do_put_back(round_, ann, facilitator), "has not been taken out")
    # Someone of another programme.
    other = programme_actions.create_programme(outsider, name="Elsewhere")
    stranger = programme_actions.add_participant(other, outsider, display_name="Stranger")
    unchanged(lambda: actions.do_put_back(round_, stranger, facilitator), "not in this programme")
    # The round has ended: the mark stays with it, and nobody is placed.
    actions.do_remove_participant(round_, ben, facilitator)
    actions.do_end_round(round_, facilitator)
    unchanged(lambda: actions.do_put_back(round_, ben, facilitator), "This round has ended")
    assert taken_out(round_) == {str(ben.pk)}
    # The next round places them as anyone else here.
    fresh = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=2)
    assert str(ben.pk) in placed(fresh) and not taken_out(fresh)


# --- The console ----------------------------------------------------------------------------


def test_console_lists_the_taken_out_with_a_put_back_form_and_escapes_names(
    session: Session,
    facilitator: User,
    programme: Programme,
    crowd: list[Participant],
    round_: Round,
) -> None:
    assert "Taken out of this round" not in console_region(facilitator, session)
    tricky = programme_actions.add_participant(
        programme, facilitator, display_name="<b>Ben</b> & co"
    )
    actions.do_connect(session, "test.tricky", participant=tricky)
    actions.do_remove_participant(round_, tricky, facilitator)
    actions.do_remove_participant(round_, crowd[0], facilitator)
    region = console_region(facilitator, session)
    assert "Taken out of this round" in region
    assert "<b>Ben</b>" not in region and "&lt;b&gt;Ben&lt;/b&gt; &amp; co" in region
    forms = region.split('value="put_back"')[1:]
    assert len(forms) == 2, "one put-back form per person taken out"
    posted = {f.split('name="participant" value="')[1].split('"')[0] for f in forms}
    assert posted == {str(tricky.pk), str(crowd[0].pk)}
    assert region.count(">Put back in this round</button>") == 2
    assert 'aria-label="Put back in this round: &lt;b&gt;Ben&lt;/b&gt; &amp; co"' in region
    # The take-out form still lists only the people in the round.
    remove_form = region.split('value="remove"')[1].split("</form>")[0]
    assert str(tricky.pk) not in remove_form and str(crowd[0].pk) not in remove_form


def test_archived_programme_console_lists_the_taken_out_without_the_form(
    session: Session,
    facilitator: User,
    programme: Programme,
    crowd: list[Participant],
    round_: Round,
) -> None:
    actions.do_remove_participant(round_, crowd[0], facilitator)
    programme_actions.archive_programme(programme, facilitator)
    region = console_region(facilitator, session)
    assert "Taken out of this round" in region and "Person 0" in region
    assert 'value="put_back"' not in region


def test_no_url_lets_an_outsider_or_a_participant_put_someone_back(
    session: Session,
    facilitator: User,
    crowd: list[Participant],
    round_: Round,
    outsider_client: Client,
) -> None:
    """do_put_back is reached only through the facilitators' command (the live command
    view and the socket both refuse anyone else before a command runs)."""
    ben = crowd[0]
    actions.do_remove_participant(round_, ben, facilitator)
    seq = current_seq(session)
    data = {"command": "put_back", "participant": str(ben.pk)}
    participant_client = login_participant(Client(), crowd[1])
    assert participant_client.post(url("command", session), data).status_code == 403
    assert login_participant(Client(), ben).post(url("command", session), data).status_code == 403
    assert outsider_client.post(url("command", session), data).status_code == 404
    assert current_seq(session) == seq and taken_out(round_) == {str(ben.pk)}


def test_the_facilitators_command_puts_them_back(
    session: Session,
    facilitator: User,
    crowd: list[Participant],
    round_: Round,
    facilitator_client: Client,
) -> None:
    """The console's form (and the socket: the same `execute`) reaches do_put_back."""
    ben = crowd[0]
    taken = {"command": "remove", "participant": str(ben.pk)}
    response = facilitator_client.post(url("command", session), taken, follow=True)
    assert "Took Person 0 out of the round." in response.content.decode()
    assert taken_out(round_) == {str(ben.pk)}
    back = {"command": "put_back", "participant": str(ben.pk)}
    response = facilitator_client.post(url("command", session), back, follow=True)
    assert "Put Person 0 back in the round." in response.content.decode()
    assert taken_out(round_) == set() and str(ben.pk) in placed(round_)
    # Again: nothing to put back, said plainly, nothing changed.
    seq = current_seq(session)
    response = facilitator_client.post(url("command", session), back, follow=True)
    assert "has not been taken out of this round" in response.content.decode()
    assert current_seq(session) == seq


# --- Events and state -----------------------------------------------------------------------


def test_round_changed_events_from_before_taken_out_keep_the_list() -> None:
    state = {
        "seq": 1,
        "runsheet": {},
        "present": [],
        "round": {"id": "r", "groups": [], "waiting": [], "taken_out": ["b"]},
    }
    old = {"seq": 2, "kind": "round_changed", "payload": {"round_id": "r", "groups": []}}
    old["payload"]["waiting"] = ["a"]
    after = apply_event(state, old)
    assert after["round"]["taken_out"] == ["b"] and after["round"]["waiting"] == ["a"]


def test_snapshot_and_round_start_carry_taken_out(
    session: Session, facilitator: User, crowd: list[Participant], round_: Round
) -> None:
    assert snapshot(session)["round"]["taken_out"] == []
    actions.do_remove_participant(round_, crowd[0], facilitator)
    assert snapshot(session)["round"]["taken_out"] == [str(crowd[0].pk)]
    actions.do_end_round(round_, facilitator)
    events = consistent(
        session,
        lambda: actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=3),
    )
    assert events[-1]["payload"]["round"]["taken_out"] == []


def test_any_mix_of_take_outs_put_backs_leaves_and_arrivals_keeps_the_rules(
    session: Session, facilitator: User, programme: Programme
) -> None:
    """A seeded random walk: coffee groups stay 2 or 3, at most one person waits, nobody
    taken out is placed, everyone else here is placed exactly once, and the events written
    always rebuild the state."""
    people = make_people(programme, facilitator, 9)
    rng = random.Random(20260607)
    connect_all(session, people[:6])
    present = set(people[:6])
    round_ = actions.do_start_round(session, facilitator, kind="coffee", size=2, seed=7)
    out: set[Participant] = set()
    for _ in range(120):
        person = rng.choice(people)
        placed_now = person in present and person not in out
        move = rng.choice(["take_out", "put_back", "leave", "arrive"])
        if move == "take_out" and placed_now:
            consistent(
                session, lambda who=person: actions.do_remove_participant(round_, who, facilitator)
            )
            out.add(person)
        elif move == "put_back" and person in out:
            consistent(session, lambda who=person: actions.do_put_back(round_, who, facilitator))
            out.discard(person)
        elif move == "leave" and person in present:
            consistent(session, lambda who=person: actions.do_disconnect(f"test.{who.pk}"))
            actions.remove_if_gone(session, person)
            present.discard(person)
        elif move == "arrive" and person not in present:
            consistent(
                session,
                lambda who=person: actions.do_connect(session, f"test.{who.pk}", participant=who),
            )
            present.add(person)
        here = {
            str(pk)
            for pk in LivePresence.objects.filter(session=session).values_list(
                "participant_id", flat=True
            )
        }
        assert taken_out(round_) == {str(p.pk) for p in out}
        assert placed(round_) == here - taken_out(round_)
        assert all(2 <= size <= 3 for size in sizes(round_)), sizes(round_)
        assert len(waiting(round_)) <= 1
        members = list(GroupMember.objects.filter(round=round_).values_list("participant_id"))
        assert len(members) == len(set(members))


def test_the_console_shows_a_coffee_rounds_prompts_and_its_forms_choose_nobody_first(
    session: Session, facilitator: User, round_: Round
) -> None:
    """Pressing Swap, Take out or Move without choosing must not act on whoever is listed
    first: each list starts empty and must be chosen."""
    Round.objects.filter(pk=round_.pk).update(prompts="What <b>surprised</b> you?")
    region = console_region(facilitator, session)
    assert "The round's prompts" in region
    assert "What &lt;b&gt;surprised&lt;/b&gt; you?" in region
    for select in ('id="swap-a"', 'id="swap-b"', 'id="remove-who"'):
        tag = region.split(select)[1].split("</select>")[0]
        assert " required" in tag.split("<option")[0], tag
        assert '<option value="">Choose someone</option>' in tag
        assert " selected" not in tag
    assert "A partner left alone joins another group." in region
