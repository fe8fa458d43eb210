"""Open sockets close when access goes: a participant removed, a co-facilitator removed, the
programme archived (participants only). Everyone else's sockets stay open."""

from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.live.consumers import CLOSE_OUTSIDER
from convenor.programmes import actions
from convenor.programmes.models import Facilitation, Participant, Programme
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def closed(socket: Any) -> int:
    """The close code, once the socket is closed (messages before it are skipped)."""
    while True:
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return int(output["code"])


async def still_open(socket: Any) -> None:
    await socket.send_json_to({"type": "ping"})
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] == "pong":
            return


async def test_a_removed_participant_is_cut_off(
    session: Session,
    people: list[Participant],
    facilitator: User,
    connect: Any,
    cookie_of: Any,
) -> None:
    gone, staying = people[0], people[1]
    gone_socket = await connect(session, await cookie_of(gone))
    staying_socket = await connect(session, await cookie_of(staying))
    console = await connect(session, await cookie_of(facilitator))
    await db(actions.remove_participant)(gone, facilitator)
    assert await closed(gone_socket) == CLOSE_OUTSIDER
    await still_open(staying_socket)
    await still_open(console)
    # And it cannot come back.
    assert await connect(session, await cookie_of(gone)) == CLOSE_OUTSIDER


async def test_archiving_cuts_off_participants_not_facilitators(
    session: Session,
    programme: Programme,
    people: list[Participant],
    facilitator: User,
    connect: Any,
    cookie_of: Any,
) -> None:
    sockets = [await connect(session, await cookie_of(person)) for person in people[:2]]
    console = await connect(session, await cookie_of(facilitator))
    await db(actions.archive_programme)(programme, facilitator)
    for socket in sockets:
        assert await closed(socket) == CLOSE_OUTSIDER
    await still_open(console)


async def test_a_removed_co_facilitator_is_cut_off(
    session: Session,
    programme: Programme,
    people: list[Participant],
    facilitator: User,
    connect: Any,
    cookie_of: Any,
) -> None:
    co = await db(User.objects.create_user)(email="cy@example.org", name="Cy Co", password="x" * 12)
    facilitation = await db(actions.add_cofacilitator)(programme, facilitator, co.email)
    co_socket = await connect(session, await cookie_of(co))
    lead_socket = await connect(session, await cookie_of(facilitator))
    participant_socket = await connect(session, await cookie_of(people[0]))
    await db(actions.remove_cofacilitator)(programme, facilitator, facilitation)
    assert await closed(co_socket) == CLOSE_OUTSIDER
    await still_open(lead_socket)
    await still_open(participant_socket)
    assert not await db(Facilitation.objects.filter(user=co).exists)()
