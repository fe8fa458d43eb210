"""An archived programme is read-only over the live socket too: every facilitator command and
every activity action gets an error and changes nothing, whether the programme was archived
before the tab connected or while it was open."""

from collections.abc import Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.activities import registry as reg
from convenor.live import actions, revoke
from convenor.live.commands import COMMANDS, Field
from convenor.live.models import LiveEvent, Round, SegmentRun
from convenor.live.notes import ARCHIVED
from convenor.live.state import snapshot
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async

ran: list[str] = []


@pytest.fixture(autouse=True)
def probe() -> Iterator[None]:
    """Two activity actions that would record that they ran."""
    saved = dict(reg.registry.actions)
    ran.clear()

    def record(name: str) -> Any:
        return lambda session, membership, values: ran.append(name) or "Done."

    reg.register_action(reg.Action("probe.say", (Field("text", "str"),), record("say")))
    reg.register_action(reg.Action("probe.hush", (), record("hush"), role="facilitator"))
    yield
    reg.registry.actions = saved


def every_command(people: list[Participant]) -> dict[str, dict[str, Any]]:
    """Each command with fields that would be accepted on an open programme."""
    a, b = str(people[0].pk), str(people[1].pk)
    fields: dict[str, dict[str, Any]] = {
        "start_segment": {},
        "extend_segment": {"minutes": 5},
        "skip_segment": {},
        "end_segment": {},
        "start_round": {"kind": "breakout", "size": 3},
        "swap": {"a": a, "b": b},
        "remove": {"participant": a},
        "put_back": {"participant": a},
        "end_round": {},
        "message_rooms": {"message": "Five more minutes."},
        "move": {"participant": a, "room": 1},
        "close_rooms": {"seconds": 0},
    }
    assert set(fields) == set(COMMANDS), "a new command needs a case here"
    return fields


async def until(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        message = await socket.receive_json_from(timeout=5)
        if message["type"] == kind:
            return message


def state_of(session: Session) -> tuple[Any, ...]:
    """Everything the commands could change."""
    return (
        snapshot(session),
        LiveEvent.objects.filter(session=session).count(),
        list(SegmentRun.objects.filter(session=session).values()),
        list(Round.objects.filter(session=session).values()),
    )


def archive(programme: Programme, facilitator: User) -> None:
    programme_actions.archive_programme(programme, facilitator)


async def refused_everything(
    socket: Any, session: Session, people: list[Participant], commands: dict[str, Any]
) -> None:
    before = await db(state_of)(session)
    for name, fields in commands.items():
        await socket.send_json_to({"type": name, **fields, "ref": name})
        reply = await until(socket, "error")
        assert reply == {"type": "error", "message": ARCHIVED, "ref": name}
    # Checked before the fields: a malformed command gets the same answer.
    await socket.send_json_to({"type": "swap", "a": 1, "ref": 7})
    assert await until(socket, "error") == {"type": "error", "message": ARCHIVED, "ref": 7}
    await socket.send_json_to({"type": "probe.hush", "ref": "hush"})
    assert await until(socket, "error") == {"type": "error", "message": ARCHIVED, "ref": "hush"}
    assert ran == []
    assert await db(state_of)(session) == before


async def test_archiving_while_connected_stops_every_command(
    session: Session,
    programme: Programme,
    people: list[Participant],
    facilitator: User,
    connect: Any,
    cookie_of: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Archiving tells participants' tabs to close, at best effort: here that notice is lost,
    # so a participant's tab stays open and must be refused by the check itself.
    monkeypatch.setattr(revoke, "close_sockets", lambda *args, **kwargs: None)
    tabs = [await connect(session, await cookie_of(person)) for person in people]
    console = await connect(session, await cookie_of(facilitator))
    # Open: the commands work (a running segment and a breakout round to change).
    for name, fields in (("start_segment", {}), ("start_round", {"kind": "breakout", "size": 3})):
        await console.send_json_to({"type": name, **fields, "ref": name})
        assert (await until(console, "ok"))["ref"] == name
    await db(archive)(programme, facilitator)
    await refused_everything(console, session, people, every_command(people))
    # A participant's tab still open: its activity actions are refused too.
    await tabs[0].send_json_to({"type": "probe.say", "text": "hi", "ref": "say"})
    assert await until(tabs[0], "error") == {"type": "error", "message": ARCHIVED, "ref": "say"}
    assert ran == []
    # Restored, the same tab may change things again (the check reads the programme afresh).
    await db(programme_actions.restore_programme)(programme, facilitator)
    await console.send_json_to({"type": "end_round", "ref": "end"})
    assert (await until(console, "ok"))["ref"] == "end"
    assert await db(Round.objects.filter(session=session, ended_at__isnull=True).count)() == 0


async def test_a_tab_opened_after_archiving_can_change_nothing(
    session: Session,
    programme: Programme,
    people: list[Participant],
    facilitator: User,
    connect: Any,
    cookie_of: Any,
) -> None:
    for person in people:
        await db(actions.do_connect)(session, f"gone.{person.pk}", participant=person)
    await db(actions.do_start_segment)(session, facilitator)
    await db(actions.do_start_round)(session, facilitator, seed=1)
    await db(archive)(programme, facilitator)
    console = await connect(session, await cookie_of(facilitator))
    await refused_everything(console, session, people, every_command(people))
