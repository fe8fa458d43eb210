"""An activity's event (a post, a reaction, a situation on the board, an answer) and a run-sheet
change bring the activity region to every participant with nothing of their own in it, rendered
once: exactly what their page would fetch. Those with something of their own (their post says
"You", their reaction is pressed, the form holds their answer) are sent the event without it,
and their tabs fetch theirs (convenor.activities.pushed, Panel.own)."""

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from convenor.accounts.models import User
from convenor.activities import pushed
from convenor.boards import cynefin, plenary
from convenor.boards.models import PlenaryPost
from convenor.live import actions
from convenor.live.events import _batches
from convenor.live.models import Round
from convenor.programmes.models import Participant, Programme
from convenor.reflections import actions as reflections
from convenor.workshops.models import Segment, Session
from tests.live.conftest import add_person, facilitator_cookie
from tests.live.test_pushed_groups import next_event
from tests.live.test_pushed_panels import fetched_region, start_segment

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


@pytest.fixture
def six(programme: Programme, facilitator: User, people: list[Participant]) -> list[Participant]:
    return [
        *people,
        add_person(programme, facilitator, "Ed", "Library"),
        add_person(programme, facilitator, "Flo", "Police"),
    ]


async def tabs_of(people: list[Participant], session: Session, connect: Any, cookie_of: Any) -> Any:
    return {person.pk: await connect(session, await cookie_of(person)) for person in people}


async def check_pushed(
    session: Session,
    tabs: dict[Any, Any],
    people: list[Participant],
    kind: str,
    own: set[Any],
) -> dict[Any, dict[str, Any]]:
    """Each tab's message for the next `kind` event: those in `own` without the region, the
    others with the region their page would fetch."""
    got = {}
    for person in people:
        message = await next_event(tabs[person.pk], kind)
        region = message.get("html", {}).get("activity")
        if person.pk in own:
            assert region is None, f"{person.display_name} has their own panel: fetched"
        else:
            assert region is not None, f"{person.display_name} is sent the region"
            assert region == await db(fetched_region)(session, person)
        got[person.pk] = message
    return got


async def test_a_plenary_post_brings_the_stream_to_all_but_those_with_their_own_in_it(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    segment = await db(start_segment)(session, "plenary", "Plenary")
    tabs = await tabs_of(six, session, connect, cookie_of)
    console = await connect(session, await db(facilitator_cookie)(facilitator))
    ada, bo, cy = six[:3]

    post = await db(plenary.do_plenary_post)(segment, ada, "Ours <b>first</b> & best")
    got = await check_pushed(session, tabs, six, "plenary.posted", {ada.pk})
    region = got[bo.pk]["html"]["activity"]
    assert "Ours &lt;b&gt;first&lt;/b&gt; &amp; best" in region, "user text escaped"
    assert "<b>first</b>" not in region
    assert 'aria-pressed="false"' in region, "the reactions are buttons, as for a participant"
    assert 'name="csrfmiddlewaretoken" value=""' in region, "the page puts its token in"
    assert (await next_event(console, "plenary.posted"))["event"] == got[bo.pk]["event"]

    await db(plenary.do_plenary_react)(post, cy, "agree", True)
    got = await check_pushed(session, tabs, six, "plenary.reacted", {ada.pk, cy.pk})
    assert 'Agree <span class="board-count">1</span>' in got[bo.pk]["html"]["activity"]

    # Taking the reaction back leaves nothing of Cy's in the stream.
    await db(plenary.do_plenary_react)(post, cy, "agree", False)
    await check_pushed(session, tabs, six, "plenary.reacted", {ada.pk})


async def test_under_the_chatham_house_rule_the_pushed_stream_names_nobody(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    await db(Programme.objects.filter(pk=session.programme_id).update)(chatham_house=True)
    segment = await db(start_segment)(session, "plenary", "Plenary")
    tabs = await tabs_of(six, session, connect, cookie_of)
    await db(plenary.do_plenary_post)(segment, six[0], "Said without a name")
    got = await check_pushed(session, tabs, six, "plenary.posted", {six[0].pk})
    region = got[six[1].pk]["html"]["activity"]
    assert "Said without a name" in region
    assert "board-author" not in region and six[0].display_name not in region


async def test_a_run_sheet_change_brings_the_board_to_all_but_those_with_items_on_it(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    """The Cynefin board is the session's: a second segment with it starts with the items
    already there. Their authors and those who suggested a move fetch theirs."""
    first = await db(start_segment)(session, "cynefin_board", "Cynefin")
    item = await db(cynefin.do_cynefin_post)(first, six[0], "Rota gaps", "complex")
    await db(cynefin.do_cynefin_suggest)(item, six[1], "chaotic")
    tabs = await tabs_of(six, session, connect, cookie_of)

    await db(start_segment)(session, "cynefin_board", "Cynefin again")
    got = await check_pushed(session, tabs, six, "segment_started", {six[0].pk, six[1].pk})
    for person in six:
        assert "Cynefin again" in got[person.pk]["html"]["runsheet"], "now and next: everyone"
    region = got[six[2].pk]["html"]["activity"]
    assert "Rota gaps" in region and "Suggest moving it to" in region

    await db(cynefin.do_cynefin_post)(first, six[2], "Budget", "clear")
    await check_pushed(session, tabs, six, "board.posted", {six[0].pk, six[1].pk, six[2].pk})


async def test_answers_and_feedback_make_their_authors_fetch_and_nobody_else(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    tabs = await tabs_of(six, session, connect, cookie_of)
    close = await db(session.segments.get)(kind="close")
    await db(actions.do_start_segment)(session, facilitator, close)
    await check_pushed(session, tabs, six, "segment_started", set())

    await db(reflections.do_save_reflection)(session, six[0], close, "Ring the library", True)
    got = await check_pushed(session, tabs, six, "reflection.saved", {six[0].pk})
    assert "Ring the library" in got[six[1].pk]["html"]["activity"], "shared: shown to all"

    await db(reflections.do_save_feedback)(session, six[1], 4, "Pairs", "")
    got = await check_pushed(session, tabs, six, "feedback.saved", {six[0].pk, six[1].pk})
    assert "Pairs" not in got[six[2].pk]["html"]["activity"]


async def test_a_later_welcome_is_fetched_by_those_with_a_commitment_to_look_back_on(
    programme: Programme,
    session: Session,
    facilitator: User,
    six: list[Participant],
    connect: Any,
    cookie_of: Any,
) -> None:
    def earlier_commitment() -> None:
        earlier = Session.objects.create(
            programme=programme,
            title="First",
            starts_at=timezone.now() - timedelta(days=7),
            duration_minutes=120,
        )
        close = Segment.objects.create(
            session=earlier, position=0, title="Close", kind="close", duration_minutes=5
        )
        actions.do_start_segment(earlier, None, close)
        reflections.do_save_reflection(earlier, six[3], close, "Call the police team", False)

    await db(earlier_commitment)()
    tabs = await tabs_of(six, session, connect, cookie_of)
    await db(actions.do_start_segment)(session, facilitator)  # the welcome
    got = await check_pushed(session, tabs, six, "segment_started", {six[3].pk})
    assert "Call the police team" not in got[six[0].pk]["html"]["activity"]


async def test_a_stream_too_long_to_push_is_fetched_by_every_tab(
    session: Session,
    facilitator: User,
    six: list[Participant],
    connect: Any,
    cookie_of: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    segment = await db(start_segment)(session, "plenary", "Plenary")
    tabs = await tabs_of(six, session, connect, cookie_of)
    await db(plenary.do_plenary_post)(segment, six[0], "Short")
    short = await check_pushed(session, tabs, six, "plenary.posted", {six[0].pk})
    monkeypatch.setattr(pushed, "MAX_PUSHED_CHARS", len(short[six[1].pk]["html"]["activity"]))
    await db(plenary.do_plenary_post)(segment, six[1], "One more makes it too long")
    await check_pushed(session, tabs, six, "plenary.posted", {person.pk for person in six})


async def test_an_event_for_one_group_brings_no_region(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    """A note on one group's empathy map: only that group's pages change, and they fetch."""
    segment = await db(start_segment)(session, "empathy_map", "Mapping")
    tabs = await tabs_of(six, session, connect, cookie_of)
    round_ = await db(actions.do_start_round)(session, facilitator, kind="breakout", rooms=2)
    for tab in tabs.values():
        await next_event(tab, "round_started")

    def add_note() -> None:
        from convenor.boards.empathy import do_empathy_add
        from convenor.live.models import GroupMember

        group = GroupMember.objects.get(round=round_, participant=six[0]).group
        do_empathy_add(segment, group, six[0], "hears", "We need more time")

    await db(add_note)()
    for tab in tabs.values():
        message = await next_event(tab, "empathy.added")
        assert "html" not in message
    assert await db(Round.objects.filter(pk=round_.pk, ended_at__isnull=True).exists)()


async def test_a_hidden_post_is_in_nobody_s_pushed_stream(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    segment = await db(start_segment)(session, "plenary", "Plenary")
    post = await db(plenary.do_plenary_post)(segment, six[0], "Take this down")
    tabs = await tabs_of(six, session, connect, cookie_of)
    await db(plenary.do_plenary_hide)(await db(PlenaryPost.objects.get)(pk=post.pk), True)
    # Its author has nothing of theirs left on show: they are sent the stream too.
    got = await check_pushed(session, tabs, six, "plenary.hidden", set())
    assert "Take this down" not in got[six[0].pk]["html"]["activity"]


async def test_a_text_sent_to_many_tabs_travels_once_per_process() -> None:
    notice = {"type": "live.event", "seq": 3, "kind": "x", "after": 2}
    text = "x" * 1000
    batches = dict(
        _batches([(notice, {"p1!a": text, "p1!b": text, "p1!c": "other", "p2!d": text})])
    )
    one, two = batches["p1!live-dispatch"], batches["p2!live-dispatch"]
    assert one["texts"] == [text, "other"]
    assert one["items"] == [[notice, {"p1!a": 0, "p1!b": 0, "p1!c": 1}]]
    assert two["texts"] == [text] and two["items"] == [[notice, {"p2!d": 0}]]


async def test_the_purpose_check_makes_only_those_who_answered_or_added_a_measure_fetch(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    from convenor.purpose import actions as purpose

    await db(start_segment)(session, "common_purpose", "Common purpose")
    await db(purpose.do_merge)(session, "Move more, together", "Because <we> can", "Health")
    await db(purpose.do_open_check)(session)
    tabs = await tabs_of(six, session, connect, cookie_of)

    await db(purpose.do_answer)(session, six[0], "object", "Too vague <for> us")
    got = await check_pushed(session, tabs, six, "purpose.answered", {six[0].pk})
    region = got[six[1].pk]["html"]["activity"]
    assert "Too vague &lt;for&gt; us" in region and "Because &lt;we&gt; can" in region
    await db(purpose.do_add_measure)(session, six[1], "Steps walked each week")
    got = await check_pushed(session, tabs, six, "purpose.measure_added", {six[0].pk, six[1].pk})
    assert "Steps walked each week" in got[six[2].pk]["html"]["activity"]


@pytest.mark.parametrize("before", [False, True])
@pytest.mark.parametrize("kind", ["plenary", "cynefin_board"])
async def test_the_chatham_house_rule_changed_while_pages_are_open_holds_in_the_pushed_region(
    session: Session,
    facilitator: User,
    six: list[Participant],
    connect: Any,
    cookie_of: Any,
    kind: str,
    before: bool,
) -> None:
    """The author's connection holds the programme as it was when it first read it; the
    region its action sends must follow the rule as it is now, as each page's fetch does
    (check_pushed compares them; found by an exploratory test)."""
    rule = Programme.objects.filter(pk=session.programme_id)
    await db(rule.update)(chatham_house=before)
    segment = await db(start_segment)(session, kind, "Together")
    tabs = await tabs_of(six, session, connect, cookie_of)
    action = "plenary.post" if kind == "plenary" else "cynefin.post"
    event = "plenary.posted" if kind == "plenary" else "board.posted"

    async def post(text: str) -> str:
        await tabs[six[0].pk].send_json_to(
            {"type": action, "segment": str(segment.pk), "text": text, "ref": "act-1"}
        )
        got = await check_pushed(session, tabs, six, event, {six[0].pk})
        return str(got[six[1].pk]["html"]["activity"])

    assert (six[0].display_name in await post("First")) is not before
    await db(rule.update)(chatham_house=not before)
    assert (six[0].display_name in await post("Second")) is before


async def test_a_long_region_travels_once_per_process_and_not_to_the_facilitators(
    session: Session,
    facilitator: User,
    six: list[Participant],
    connect: Any,
    cookie_of: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Over GROUP_CHARS a region goes in one message per server process, not in the message
    to the session's group (stored once per tab with channels-redis); the facilitators'
    tabs, which fetch their own regions, are sent the event alone."""
    monkeypatch.setattr(pushed, "GROUP_CHARS", 100)
    tabs = await tabs_of(six, session, connect, cookie_of)
    console = await connect(session, await db(facilitator_cookie)(facilitator))
    await db(start_segment)(session, "plenary", "Plenary")
    got = await check_pushed(session, tabs, six, "segment_started", set())
    for message in got.values():
        assert "Plenary" in message["html"]["runsheet"]
    told = await next_event(console, "segment_started")
    assert told["event"] == got[six[0].pk]["event"]
    assert "html" not in told


async def test_now_and_next_sent_with_a_console_command_shows_the_session_as_it_is_now(
    session: Session, facilitator: User, six: list[Participant], connect: Any, cookie_of: Any
) -> None:
    """The console's connection holds the session as it was when it opened; a change to the
    session's time zone made since shows in the region its command sends."""
    from django.test import Client
    from django.urls import reverse

    from tests.live.conftest import participant_cookie

    console = await connect(session, await db(facilitator_cookie)(facilitator))
    tabs = await tabs_of(six[:2], session, connect, cookie_of)
    await db(Session.objects.filter(pk=session.pk).update)(time_zone="America/New_York")
    await console.send_json_to({"type": "start_segment", "ref": "c1"})
    region = (await next_event(tabs[six[0].pk], "segment_started"))["html"]["runsheet"]
    assert 'data-replan-tz="America/New_York"' in region

    def fetched() -> str:
        client = Client()
        client.cookies["sessionid"] = participant_cookie(six[0])
        url = reverse("live:now_part", args=[session.programme_id, session.pk])
        return client.get(url).content.decode()

    assert 'data-replan-tz="America/New_York"' in await db(fetched)()
