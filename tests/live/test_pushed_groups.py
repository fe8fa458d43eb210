"""A round's groups are pushed over the socket: each participant's tab gets its own group's
region, rendered and escaped on the server, with the event; nobody has to fetch it."""

import re
from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.live import actions
from convenor.live.models import GroupMember, Round
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session
from tests.live.conftest import add_person

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def next_event(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] == "event" and reply["event"]["kind"] == kind:
            return dict(reply)


async def drain(socket: Any) -> None:
    while not await socket.receive_nothing(timeout=0.1):
        await socket.receive_json_from(timeout=5)


def partners(round_: Round, person: Participant) -> list[Participant]:
    group = GroupMember.objects.get(round=round_, participant=person).group
    return [m.participant for m in group.memberships.select_related("participant")]


def listed(html: str) -> set[str]:
    return set(re.findall(r'data-person="([0-9a-f-]{36})"', html))


async def test_each_participant_gets_its_own_group_rendered_with_the_round(
    session: Session,
    programme: Programme,
    facilitator: User,
    people: list[Participant],
    connect: Any,
    cookie_of: Any,
) -> None:
    def add_marked() -> Participant:
        person = programme_actions.add_participant(
            programme, facilitator, display_name='<b onclick="x()">Eve</b>', organisation="Org & Co"
        )
        return programme_actions.agree_ground_rules(person)

    marked = await db(add_marked)()
    everyone = [*people, marked]
    console = await connect(session, await cookie_of(facilitator))
    tabs = {person.pk: await connect(session, await cookie_of(person)) for person in everyone}
    await drain(console)
    await console.send_json_to({"type": "start_round", "size": 2, "minutes": 10, "ref": 1})
    whole = await next_event(console, "round_started")
    assert "html" not in whole, "the console fetches its own view"
    assert len(whole["event"]["payload"]["round"]["groups"]) == 2
    round_ = await db(Round.objects.get)(session=session)

    for person in everyone:
        reply = await next_event(tabs[person.pk], "round_started")
        assert reply["event"]["seq"] == whole["event"]["seq"]
        mine = await db(partners)(round_, person)
        ids = {str(m.pk) for m in mine}
        # Its own view of the event: its group only (or itself waiting, for the odd one out).
        view = reply["event"]["payload"]["round"]
        assert [set(g["members"]) for g in view["groups"]] == [ids]
        html = reply["html"]["round"]
        # The whole group is listed (the page takes out the reader's own entry) and nobody else.
        assert listed(html) == ids
        for member in mine:
            assert member.organisation.replace("&", "&amp;") in html
        assert "Join your video room" in html
        assert "What to talk about" in html
        assert "data-ends-at" in html
        assert "<b onclick" not in html, "names are escaped"
        if marked in mine:
            assert "&lt;b onclick=&quot;x()&quot;&gt;Eve&lt;/b&gt;" in html
        assert len(mine) in (2, 3)


async def test_a_latecomer_and_their_new_partners_get_the_changed_group(
    session: Session,
    programme: Programme,
    facilitator: User,
    people: list[Participant],
    connect: Any,
    cookie_of: Any,
) -> None:
    tabs = {person.pk: await connect(session, await cookie_of(person)) for person in people}
    round_ = await db(actions.do_start_round)(session, facilitator, seed=1)
    for tab in tabs.values():
        await next_event(tab, "round_started")
    # Two pairs; the latecomer joins one (a coffee-trial group holds at most three). It is
    # placed while connecting, before its hello: its snapshot has the group (and live.js
    # fetches the region after a snapshot).
    late = await db(add_person)(programme, facilitator, "Ed", "Library")
    await connect(session, await cookie_of(late))
    group = await db(partners)(round_, late)
    assert len(group) == 3
    for person in people:
        reply = await next_event(tabs[person.pk], "round_changed")
        if person in group:
            assert listed(reply["html"]["round"]) == {str(m.pk) for m in group}
        else:
            assert "html" not in reply, "a group that did not change is not sent again"


async def test_a_breakout_room_is_pushed_with_its_notes_form(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    tab = await connect(session, await cookie_of(people[0]))
    for person in people[1:]:
        await connect(session, await cookie_of(person))
    round_ = await db(actions.do_start_round)(session, facilitator, kind="breakout", size=4)
    reply = await next_event(tab, "round_started")
    html = reply["html"]["round"]
    room = await db(lambda: GroupMember.objects.get(round=round_, participant=people[0]).group)()
    assert f'data-notes="{room.pk}"' in html
    assert 'name="rev" value="0"' in html
    # Rendered once for the room, so without anyone's CSRF token: the page puts its own in.
    assert 'name="csrfmiddlewaretoken" value=""' in html
    assert listed(html) == {str(p.pk) for p in people}


async def test_the_end_of_a_round_comes_with_the_region_everyone_now_sees(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    tabs = [await connect(session, await cookie_of(person)) for person in people]
    console = await connect(session, await cookie_of(facilitator))
    round_ = await db(actions.do_start_round)(session, facilitator, seed=1)
    await db(actions.do_end_round)(round_, facilitator)
    for tab in tabs:
        reply = await next_event(tab, "round_ended")
        assert "No round is running" in reply["html"]["round"]
        assert "data-person" not in reply["html"]["round"]
    assert (await next_event(console, "round_ended"))["event"]["payload"] == {
        "round_id": str(round_.pk)
    }


async def test_run_sheet_events_come_with_the_now_region_participants_see(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    tab = await connect(session, await cookie_of(people[0]))
    console = await connect(session, await cookie_of(facilitator))
    await db(actions.do_start_segment)(session, facilitator)
    await db(actions.do_extend_segment)(session, facilitator, 5)
    started = await next_event(tab, "segment_started")
    assert "Welcome" in started["html"]["runsheet"]
    assert "Next:" in started["html"]["runsheet"]
    assert "data-ends-at" in started["html"]["runsheet"]
    assert "live-sheet" not in started["html"]["runsheet"], "the participants' view, no table"
    extended = await next_event(tab, "segment_extended")
    assert "extended by 5 min" in extended["html"]["runsheet"]
    assert (await next_event(console, "segment_started"))["event"] == started["event"]


async def test_a_segment_without_an_activity_brings_the_activity_region_along(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    """The welcome's panels are alike for everyone in a first session (nobody has a
    commitment to look back on yet), and the coffee trial has none: each event carries the
    activity region, the same for everyone (the panels' own cases: test_pushed_panels)."""
    tabs = [await connect(session, await cookie_of(person)) for person in people[:2]]
    await db(actions.do_start_segment)(session, facilitator)
    for tab in tabs:
        welcome = await next_event(tab, "segment_started")
        assert "Your reflections and commitments across the series" in welcome["html"]["activity"]
    await db(actions.do_start_segment)(session, facilitator)
    for tab in tabs:
        coffee = await next_event(tab, "segment_started")
        assert "Nothing to add on this page during “Coffee trial”" in coffee["html"]["activity"]
        assert "Coffee trial" in coffee["html"]["runsheet"]
