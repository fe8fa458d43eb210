"""A run-sheet edited on the session's run-sheet page reaches the pages already open over their
sockets: participants' tabs get the event with "now and next" as it is after the edit, the
console the event (it fetches its own view), and a tab that missed it gets it replayed."""

from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.live import actions as live_actions
from convenor.live.events import current_seq
from convenor.programmes.models import Participant
from convenor.workshops import actions
from convenor.workshops.models import Session
from tests.live.test_pushed_groups import next_event

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def test_a_segment_shortened_on_the_run_sheet_page_reaches_open_tabs(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    await db(live_actions.do_start_segment)(session, facilitator)
    tab = await connect(session, await cookie_of(people[0]))
    console = await connect(session, await cookie_of(facilitator))
    coffee = await db(lambda: session.segments.get(title="Coffee trial"))()
    since = await db(current_seq)(session)

    await db(actions.update_segment)(coffee, facilitator, duration_minutes=1)

    told = await next_event(tab, "runsheet_edited")
    item = told["event"]["payload"]["runsheet"]["segments"][1]
    assert (item["title"], item["duration_minutes"]) == ("Coffee trial", 1)
    region = told["html"]["runsheet"]
    assert "Coffee trial, from about" in region
    assert "(1 min)" in region and "(30 min)" not in region
    assert (await next_event(console, "runsheet_edited"))["event"] == told["event"]

    # A tab that was away asks for what it missed and gets the edit from the log.
    await tab.send_json_to({"type": "hello", "last_seq": since})
    reply = await tab.receive_json_from(timeout=5)
    assert reply["type"] == "events"
    assert [event["kind"] for event in reply["events"]] == ["runsheet_edited"]
