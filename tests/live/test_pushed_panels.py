"""A breakout round's start brings each group its activity panels built on the groups (the
empathy map, the common purpose drafting), rendered once per group: what each member would
have fetched, so that no tab has to ask for it (convenor.activities.pushed)."""

import re
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.boards.models import EmpathyPersona
from convenor.live import actions
from convenor.live.models import GroupMember, Round
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session
from tests.live.conftest import add_person, participant_cookie
from tests.live.test_pushed_groups import next_event

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def start_segment(session: Session, kind: str, title: str, prompts: str = "") -> Segment:
    segment = Segment.objects.create(
        session=session, position=10, title=title, kind=kind, duration_minutes=20, prompts=prompts
    )
    actions.do_start_segment(session, None, segment)
    return segment


def fetched_region(session: Session, person: Participant) -> str:
    """The activity region as the person's page fetches it, with its CSRF token left out."""
    client = Client()
    client.cookies["sessionid"] = participant_cookie(person)
    response = client.get(reverse("live:activity_part", args=[session.programme_id, session.pk]))
    assert response.status_code == 200
    return TOKEN.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())


def group_number(round_: Round, person: Participant) -> int:
    return GroupMember.objects.get(round=round_, participant=person).group.number


@pytest.fixture
def six(programme: Programme, facilitator: User, people: list[Participant]) -> list[Participant]:
    return [
        *people,
        add_person(programme, facilitator, "Ed", "Library"),
        add_person(programme, facilitator, "Flo", "Police"),
    ]


async def pushed_panels(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> tuple[Round, dict[Any, dict[str, Any]]]:
    tabs = {person.pk: await connect(session, await cookie_of(person)) for person in people}
    round_ = await db(actions.do_start_round)(session, facilitator, kind="breakout", rooms=2)
    replies = {pk: await next_event(tab, "round_started") for pk, tab in tabs.items()}
    return round_, replies


@pytest.mark.parametrize(
    ("kind", "key"), [("empathy_map", "empathy"), ("common_purpose", "purpose.drafting")]
)
async def test_each_member_is_sent_the_panel_its_page_would_fetch(
    session: Session,
    facilitator: User,
    six: list[Participant],
    connect: Any,
    cookie_of: Any,
    kind: str,
    key: str,
) -> None:
    await db(start_segment)(session, kind, "Together", "Persona: <b>Sam</b> & co")
    round_, replies = await pushed_panels(session, facilitator, six, connect, cookie_of)
    seen: dict[int, str] = {}
    for person in six:
        html = replies[person.pk]["html"]
        panel = html[f"panel:{key}"]
        region = await db(fetched_region)(session, person)
        assert f'<div data-follows-round="{key}">{panel}</div>' in region
        assert 'name="csrfmiddlewaretoken" value=""' in panel, "the page puts its token in"
        assert "<b>Sam</b>" not in panel
        number = await db(group_number)(round_, person)
        seen.setdefault(number, panel)
        assert seen[number] == panel, "the same for every member of a group"
    assert sorted(seen) == [1, 2]
    assert seen[1] != seen[2], "each group its own (number and id)"


async def test_the_empathy_panel_is_pushed_with_the_facilitator_s_persona(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    segment = await db(start_segment)(session, "empathy_map", "Mapping")
    await db(EmpathyPersona.objects.create)(segment=segment, text='A nurse "on nights" <i>')
    round_, replies = await pushed_panels(session, facilitator, six, connect, cookie_of)
    panel = replies[six[0].pk]["html"]["panel:empathy"]
    assert "Empathy map: A nurse &quot;on nights&quot; &lt;i&gt;" in panel
    number = await db(group_number)(round_, six[0])
    assert f"Your group's map (group {number})" in panel
    assert panel in await db(fetched_region)(session, six[0])


async def test_nothing_is_pushed_when_the_round_does_not_change_the_panels(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    """A coffee round in an empathy map segment, and breakout rooms in a segment whose panels
    are not built on the groups: the events bring the groups only."""
    await db(start_segment)(session, "empathy_map", "Mapping")
    tabs = [await connect(session, await cookie_of(person)) for person in six]
    coffee = await db(actions.do_start_round)(session, facilitator)
    for tab in tabs:
        assert set((await next_event(tab, "round_started"))["html"]) == {"round"}
    await db(actions.do_end_round)(coffee, facilitator)
    await db(start_segment)(session, "reflection", "Reflect")
    await db(actions.do_start_round)(session, facilitator, kind="breakout", rooms=2)
    for tab in tabs:
        assert set((await next_event(tab, "round_started"))["html"]) == {"round"}


async def next_started(socket: Any) -> dict[str, Any]:
    return await next_event(socket, "segment_started")


@pytest.mark.parametrize(
    ("kind", "says"),
    [("empathy_map", "no breakout groups yet"), ("common_purpose", "Drafting starts when")],
)
async def test_a_segment_whose_panels_are_alike_for_everyone_brings_them(
    session: Session,
    facilitator: User,
    six: list[Participant],
    connect: Any,
    cookie_of: Any,
    kind: str,
    says: str,
) -> None:
    """Before any breakout groups (and before anything is shared) every participant's panels
    are the same: the run-sheet event brings the region, rendered once."""
    tabs = {person.pk: await connect(session, await cookie_of(person)) for person in six}
    await db(start_segment)(session, kind, "Together")
    for person in six:
        region = (await next_started(tabs[person.pk]))["html"]["activity"]
        assert says in region
        assert region == await db(fetched_region)(session, person)


async def test_panels_that_differ_from_person_to_person_are_fetched(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    """Once the session has had breakout groups, each person's empathy panel is their group's
    map: the event leaves the region for each tab to fetch."""
    tabs = [await connect(session, await cookie_of(person)) for person in six]
    round_ = await db(actions.do_start_round)(session, facilitator, kind="breakout", rooms=2)
    await db(actions.do_end_round)(round_, facilitator)
    await db(start_segment)(session, "empathy_map", "Mapping")
    for tab in tabs:
        assert "activity" not in (await next_started(tab))["html"]
