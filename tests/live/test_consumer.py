"""The live WebSocket: who gets in, every message type, bad input, events and reconnecting."""

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async

from convenor.accounts.models import User
from convenor.live import actions
from convenor.live.commands import COMMANDS
from convenor.live.consumers import CLOSE_IDLE, CLOSE_OUTSIDER, MAX_MESSAGE_BYTES
from convenor.live.events import current_seq, events_after
from convenor.live.models import GroupMember, LivePresence, Round
from convenor.live.state import snapshot
from convenor.programmes.models import Participant
from convenor.workshops.models import Session

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

db = database_sync_to_async


async def test_outsiders_are_refused(
    session: Session, outsider: User, connect: Any, cookie_of: Callable[[Any], Any]
) -> None:
    assert await connect(session, None) == CLOSE_OUTSIDER
    assert await connect(session, await cookie_of(outsider)) == CLOSE_OUTSIDER
    assert await db(LivePresence.objects.count)() == 0


async def test_participants_who_have_not_agreed_yet_are_refused(
    session: Session, programme: Any, facilitator: User, connect: Any, cookie_of: Any
) -> None:
    from convenor.programmes import actions as programme_actions

    person = await db(programme_actions.add_participant)(
        programme, facilitator, display_name="New Nia"
    )
    assert await connect(session, await cookie_of(person)) == CLOSE_OUTSIDER


async def test_a_participant_of_another_programme_is_refused(
    session: Session, stranger: Participant, connect: Any, cookie_of: Any
) -> None:
    assert await connect(session, await cookie_of(stranger)) == CLOSE_OUTSIDER


async def test_hello_gives_a_snapshot_then_missed_events(
    session: Session, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    socket = await connect(session, await cookie_of(people[0]), hello=False)
    await socket.send_json_to({"type": "hello"})
    reply = await socket.receive_json_from(timeout=5)
    assert reply["type"] == "snapshot"
    assert reply["state"]["present"] == [str(people[0].pk)]
    assert reply["state"] == await db(snapshot)(session)
    await socket.send_json_to({"type": "hello", "last_seq": 0})
    reply = await socket.receive_json_from(timeout=5)
    assert reply["type"] == "events"
    assert [e["kind"] for e in reply["events"]] == ["presence"]
    await socket.send_json_to({"type": "hello", "last_seq": 99})
    reply = await socket.receive_json_from(timeout=5)
    assert reply["type"] == "snapshot", "an unknown seq gets a snapshot"


async def test_ping_pong_and_idle_timeout(
    session: Session, people: list[Participant], connect: Any, cookie_of: Any, settings: Any
) -> None:
    settings.LIVE_IDLE_TIMEOUT_SECONDS = 1.0
    socket = await connect(session, await cookie_of(people[0]))
    for _ in range(4):
        # Pings at a third of the timeout keep it open (however slow the machine is today).
        await asyncio.sleep(0.33)
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": CLOSE_IDLE}


BAD_MESSAGES: list[tuple[str, str]] = [
    ("not json", "not valid JSON"),
    ("[1, 2]", 'JSON object with a "type"'),
    ('{"kind": "hello"}', 'JSON object with a "type"'),
    ('{"type": 5}', 'JSON object with a "type"'),
    ('{"type": "dance"}', "Unknown message type"),
    ('{"type": "hello", "last_seq": "3"}', "last_seq must be a whole number"),
    ('{"type": "hello", "last_seq": -1}', "last_seq must be a whole number"),
    ('{"type": "hello", "last_seq": true}', "last_seq must be a whole number"),
    ('{"type": "hello", "since": 3}', "only last_seq"),
    ('{"type": "ping", "x": 1}', "no fields"),
    ('{"type": "ping", "ref": [1]}', '"ref" must be'),
    ('{"type": "extend_segment", "minutes": "5"}', "whole number"),
    ('{"type": "extend_segment"}', "required"),
    ('{"type": "extend_segment", "minutes": 5, "extra": 1}', "Unexpected field"),
    ('{"type": "extend_segment", "minutes": 5}', "No segment is running"),
    ('{"type": "start_segment", "segment": "not-a-uuid"}', "not a valid id"),
    (
        '{"type": "start_segment", "segment": "00000000-0000-0000-0000-000000000000"}',
        "no such segment",
    ),
    ('{"type": "swap", "a": 1, "b": 2}', "must be text"),
    (
        '{"type": "swap", "a": "00000000-0000-0000-0000-000000000000",'
        ' "b": "00000000-0000-0000-0000-000000000001"}',
        "no such person",
    ),
    ('{"type": "end_round"}', "No round is running"),
    ('{"type": "start_round", "size": 9}', "2 to 3"),
    ('{"type": "start_round"}', "At least two participants"),
]


async def test_bad_messages_get_an_error_and_change_nothing(
    session: Session, facilitator: User, connect: Any, cookie_of: Any
) -> None:
    socket = await connect(session, await cookie_of(facilitator))
    before = await db(snapshot)(session)
    for text, expected in BAD_MESSAGES:
        await socket.send_to(text_data=text)
        reply = await socket.receive_json_from(timeout=5)
        assert reply["type"] == "error", text
        assert expected in reply["message"], (text, reply["message"])
    await socket.send_to(bytes_data=b"\x00\x01")
    assert "not binary" in (await socket.receive_json_from(timeout=5))["message"]
    huge = json.dumps({"type": "start_round", "prompts": "x" * MAX_MESSAGE_BYTES})
    await socket.send_to(text_data=huge)
    assert "too large" in (await socket.receive_json_from(timeout=5))["message"]
    assert await db(snapshot)(session) == before
    assert await socket.receive_nothing()


async def test_participants_cannot_send_facilitator_commands(
    session: Session, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    socket = await connect(session, await cookie_of(people[0]))
    seq = await db(current_seq)(session)
    for command in sorted(COMMANDS):
        await socket.send_json_to({"type": command, "ref": command})
        reply = await socket.receive_json_from(timeout=5)
        assert reply == {
            "type": "error",
            "message": "Only the programme's facilitators can do this.",
            "ref": command,
        }
    assert await db(current_seq)(session) == seq


async def _ok(socket: Any, message: dict[str, Any]) -> dict[str, Any]:
    """Send a command; return its reply, skipping the events that arrive around it."""
    await socket.send_json_to(message)
    while True:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] != "event":
            assert reply["type"] == "ok", reply
            return reply


async def _events(socket: Any, count: int) -> list[dict[str, Any]]:
    found = []
    while len(found) < count:
        reply = await socket.receive_json_from(timeout=5)
        if reply["type"] == "event":
            found.append(reply["event"])
    return found


async def test_every_facilitator_command_runs_and_everyone_sees_its_event(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    console = await connect(session, await cookie_of(facilitator))
    tabs = [await connect(session, await cookie_of(person)) for person in people]
    await _events(console, len(people))  # their arrivals
    for tab in tabs:
        while not await tab.receive_nothing(timeout=0.05):
            await tab.receive_json_from(timeout=5)  # others' arrivals

    started = await _ok(console, {"type": "start_segment", "ref": 1})
    # A run-sheet command's answer says what runs now, and what comes next: the console's
    # buttons name the segment they act on before its run-sheet region is drawn again.
    first = started["runsheet"]["current"]
    assert first is not None and started["runsheet"]["next"] not in (None, first)
    extended = await _ok(
        console, {"type": "extend_segment", "minutes": 5, "segment": first, "extended": 0}
    )
    assert [s["extension_minutes"] for s in extended["runsheet"]["segments"][:1]] == [5]
    again = {"type": "extend_segment", "minutes": 5, "segment": first, "extended": 0}
    await console.send_json_to(again)
    refused = await console.receive_json_from(timeout=5)
    while refused["type"] == "event":  # the extension's own event may come after its answer
        refused = await console.receive_json_from(timeout=5)
    assert refused["type"] == "error" and "has just been extended" in refused["message"]
    await _ok(console, {"type": "skip_segment"})
    await _ok(console, {"type": "start_segment"})
    await _ok(console, {"type": "end_segment"})
    reply = await _ok(console, {"type": "start_round", "size": 2, "minutes": 10})
    assert "runsheet" not in reply
    assert reply["message"] == "Started a round: 2 groups."
    round_ = await db(lambda: Round.objects.get(session=session))()
    partner_of_0 = await db(
        lambda: (
            GroupMember.objects.filter(
                group=GroupMember.objects.get(round=round_, participant=people[0]).group
            )
            .exclude(participant=people[0])
            .get()
            .participant
        )
    )()
    other = next(p for p in people[1:] if p.pk != partner_of_0.pk)
    await _ok(console, {"type": "swap", "a": str(people[0].pk), "b": str(other.pk)})
    await _ok(console, {"type": "remove", "participant": str(people[0].pk)})
    await _ok(console, {"type": "end_round"})

    kinds = [
        "segment_started",
        "segment_extended",
        "segment_skipped",
        "segment_started",
        "segment_ended",
        "round_started",
        "round_changed",
        "round_changed",
        "round_ended",
    ]
    for tab in tabs:
        received = await _events(tab, len(kinds))
        assert [e["kind"] for e in received] == kinds
        seqs = [e["seq"] for e in received]
        assert seqs == list(range(seqs[0], seqs[0] + len(kinds))), "in order, no gaps"


async def test_reconnect_with_last_seq_gets_exactly_the_missed_events(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    cookie = await cookie_of(people[0])
    first = await connect(session, cookie, hello=False)
    await first.send_json_to({"type": "hello", "last_seq": None})
    last_seq = (await first.receive_json_from(timeout=5))["seq"]
    await first.disconnect()

    await db(actions.do_start_segment)(session, facilitator)
    await db(actions.do_extend_segment)(session, facilitator, 3)

    again = await connect(session, cookie, hello=False)
    await again.send_json_to({"type": "hello", "last_seq": last_seq})
    reply = await again.receive_json_from(timeout=5)
    assert reply["type"] == "events"
    missed = reply["events"]
    assert missed == await db(events_after)(session, last_seq)
    assert [(e["kind"], e["payload"].get("present")) for e in missed] == [
        ("presence", False),
        ("segment_started", None),
        ("segment_extended", None),
        ("presence", True),
    ]
    assert reply["seq"] == missed[-1]["seq"]
    # And from here on, live events follow without a gap or a repeat.
    await db(actions.do_end_segment)(session, facilitator)
    (event,) = await _events(again, 1)
    assert (event["kind"], event["seq"]) == ("segment_ended", reply["seq"] + 1)
    assert await again.receive_nothing()


async def test_latecomer_is_placed_on_arrival_and_a_leaver_is_taken_out(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    tabs = [await connect(session, await cookie_of(person)) for person in people[:3]]
    round_ = await db(actions.do_start_round)(session, facilitator, seed=1)
    placed = db(lambda who: GroupMember.objects.filter(round=round_, participant=who).exists())
    waits = db(lambda who: round_.waiting.filter(pk=who.pk).exists())
    assert not await placed(people[3])
    await connect(session, await cookie_of(people[3]))
    # The only group is a three, the most a coffee-trial group holds: the latecomer waits.
    assert await waits(people[3]) and not await placed(people[3])

    await tabs[0].disconnect()
    for _ in range(50):
        if not await placed(people[0]):
            break
        await asyncio.sleep(0.02)
    assert not await placed(people[0]), "left the round after the grace period"
    counts = await db(lambda: sorted(g.memberships.count() for g in round_.groups.all()))()
    assert counts == [3], "the remaining pair took the one waiting"
    assert await placed(people[3]) and not await waits(people[3])


async def test_a_lost_notification_is_filled_in_from_the_log(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    socket = await connect(session, await cookie_of(people[0]))
    console = await connect(session, await cookie_of(facilitator))

    def write_without_broadcast() -> None:
        from django.db import transaction

        from convenor.live.events import lock_state
        from convenor.live.models import LiveEvent
        from convenor.live.state import runsheet_state

        with transaction.atomic():
            state = lock_state(session)
            state.last_seq += 1
            state.last_shared_seq = state.last_seq
            state.save()
            LiveEvent.objects.create(
                session=session,
                seq=state.last_seq,
                kind="runsheet_edited",
                payload={"segment": None, "runsheet": runsheet_state(session)},
            )

    await db(write_without_broadcast)()
    assert await socket.receive_nothing(), "nothing was broadcast"
    assert await console.receive_nothing()
    await db(actions.do_start_segment)(session, facilitator)
    for tab in (socket, console):
        reply = await tab.receive_json_from(timeout=5)
        assert reply["type"] == "events"
        assert [e["kind"] for e in reply["events"]] == ["runsheet_edited", "segment_started"]


async def test_presence_is_sent_live_to_facilitators_only_and_replayed_to_everyone(
    session: Session, facilitator: User, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    console = await connect(session, await cookie_of(facilitator))
    tab = await connect(session, await cookie_of(people[0]))
    await _events(console, 1)  # people[0] arriving
    since = await db(current_seq)(session)
    await connect(session, await cookie_of(people[1]))
    (arrival,) = await _events(console, 1)
    assert arrival["payload"] == {"participant": str(people[1].pk), "present": True}
    assert await tab.receive_nothing(), "a participant's tab is not told who arrived"
    # The next event reaches the participant without a catch-up: the skipped number was not
    # meant for it. A replay from the log (after reconnecting) still has everything.
    await db(actions.do_start_segment)(session, facilitator)
    reply = await tab.receive_json_from(timeout=5)
    assert reply["type"] == "event"
    assert (reply["event"]["kind"], reply["event"]["seq"]) == ("segment_started", since + 2)
    (started,) = await _events(console, 1)
    assert started == reply["event"]
    await tab.send_json_to({"type": "hello", "last_seq": since})
    replay = await tab.receive_json_from(timeout=5)
    assert [e["kind"] for e in replay["events"]] == ["presence", "segment_started"]


async def test_a_flood_of_messages_is_refused_beyond_the_burst(
    session: Session, people: list[Participant], connect: Any, cookie_of: Any
) -> None:
    from convenor.live.consumers import RATE_BURST

    socket = await connect(session, await cookie_of(people[0]))
    sent = int(RATE_BURST) + 20
    for _ in range(sent):
        await socket.send_json_to({"type": "ping"})
    replies = [await socket.receive_json_from(timeout=5) for _ in range(sent)]
    pongs = sum(1 for reply in replies if reply == {"type": "pong"})
    refused = [reply for reply in replies if reply["type"] == "error"]
    assert RATE_BURST - 1 <= pongs < sent
    assert refused and "Too many messages" in refused[0]["message"]


async def test_the_database_thread_counts_the_jobs_waiting_for_it() -> None:
    """`db_jobs_waiting` tells a long job (the notes writer) whether to step aside: it counts
    jobs queued and not yet started, and forgets one cancelled before it ran."""
    import threading

    from convenor.live.consumers import db_jobs_waiting, on_db

    running, release = threading.Event(), threading.Event()

    def hold() -> bool:
        running.set()
        return release.wait(10)

    def noop() -> int:
        return 1

    first = asyncio.create_task(on_db(hold)())
    await asyncio.to_thread(running.wait, 10)
    assert db_jobs_waiting() == 0, "the running job is not waiting"
    second = asyncio.create_task(on_db(noop)())
    third = asyncio.create_task(on_db(noop)())
    await asyncio.sleep(0.05)
    assert db_jobs_waiting() == 2
    third.cancel()
    with pytest.raises(asyncio.CancelledError):
        await third
    assert db_jobs_waiting() == 1
    release.set()
    assert await first is True and await second == 1
    assert db_jobs_waiting() == 0


async def test_heartbeats_mark_every_tab_here_and_are_answered_after(
    session: Session,
    people: list[Participant],
    connect: Any,
    cookie_of: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tabs pinging together are marked alive together (convenor.live.consumers
    .PresenceToucher); each pong comes once its tab is recorded as here."""
    from datetime import timedelta

    from django.utils import timezone

    from convenor.live import consumers

    monkeypatch.setattr(consumers, "TOUCH_EVERY_SECONDS", 0.0)  # every ping refreshes
    sockets = [await connect(session, await cookie_of(person)) for person in people[:3]]
    long_ago = timezone.now() - timedelta(minutes=10)
    await database_sync_to_async(LivePresence.objects.update)(last_seen_at=long_ago)
    for socket in sockets:
        await socket.send_json_to({"type": "ping"})
    for socket in sockets:
        assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    seen = await database_sync_to_async(
        lambda: list(LivePresence.objects.values_list("last_seen_at", flat=True))
    )()
    assert len(seen) == 3 and all(when > long_ago for when in seen)


async def test_connections_of_a_process_that_died_are_forgotten_and_their_people_re_homed(
    session: Session,
    facilitator: User,
    people: list[Participant],
    connect: Any,
    cookie_of: Any,
    settings: Any,
    monkeypatch: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from convenor.live import consumers

    monkeypatch.setattr(consumers, "RECONNECT_WITHIN_SECONDS", 0.0)

    # Everyone was connected through a process that was then killed: their rows stay behind.
    for person in people:
        await db(actions.do_connect)(session, f"dead.{person.pk}", participant=person)
    round_ = await db(actions.do_start_round)(session, facilitator, seed=1)
    long_ago = timezone.now() - consumers.presence_dead_after() - timedelta(seconds=5)
    before_start = consumers.STARTED_AT - timedelta(seconds=5)
    rows = LivePresence.objects.filter
    # Ada's row was opened before this process started, and not marked alive since long ago:
    # dead by either rule. Bo's was only opened before this process started.
    await db(rows(channel_name=f"dead.{people[0].pk}").update)(
        connected_at=long_ago, last_seen_at=long_ago
    )
    await db(rows(channel_name__in=[f"dead.{p.pk}" for p in people[1:3]]).update)(
        connected_at=before_start
    )
    one_process = "InMemory" in settings.CHANNEL_LAYERS["default"]["BACKEND"]

    # Cy comes back; the first tab to connect sets the sweep off.
    await connect(session, await cookie_of(people[2]))
    console = await connect(session, await cookie_of(facilitator))
    gone = [people[0], people[1]] if one_process else [people[0]]
    placed = db(lambda who: GroupMember.objects.filter(round=round_, participant=who).exists())
    for _ in range(100):
        if not any([await placed(person) for person in gone]):
            break
        await asyncio.sleep(0.02)
    for person in gone:
        assert not await placed(person), "taken out of the round: their grace is over"
    for person in people[2:] if one_process else people[1:]:
        assert await placed(person)
    present = (await db(snapshot)(session))["present"]
    assert sorted(present) == sorted(str(p.pk) for p in people if p not in gone)
    # Cy came back before the sweep: never reported gone. Di's tab lives on (another process).
    departures = await db(
        lambda: [
            e["payload"]["participant"]
            for e in events_after(session, 0) or []
            if e["kind"] == "presence" and not e["payload"]["present"]
        ]
    )()
    assert sorted(departures) == sorted(str(p.pk) for p in gone)
    assert console is not None


async def test_the_sweep_runs_again_while_tabs_are_open(
    session: Session, people: list[Participant], connect: Any, cookie_of: Any, monkeypatch: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from convenor.live import consumers

    monkeypatch.setattr(consumers, "SWEEP_PRESENCE_SECONDS", 0.05)
    await connect(session, await cookie_of(people[0]))
    # A tab of another process, alive when the first sweep ran; then that process dies.
    await db(actions.do_connect)(session, "elsewhere", participant=people[1])
    assert await db(LivePresence.objects.filter(channel_name="elsewhere").exists)()
    long_ago = timezone.now() - consumers.presence_dead_after() - timedelta(seconds=1)
    await db(LivePresence.objects.filter(channel_name="elsewhere").update)(last_seen_at=long_ago)
    for _ in range(100):
        if not await db(LivePresence.objects.filter(channel_name="elsewhere").exists)():
            break
        await asyncio.sleep(0.02)
    assert not await db(LivePresence.objects.filter(channel_name="elsewhere").exists)()
    assert (await db(snapshot)(session))["present"] == [str(people[0].pk)]


async def test_after_a_restart_people_keep_their_place_while_their_tabs_find_the_server(
    session: Session,
    facilitator: User,
    people: list[Participant],
    connect: Any,
    cookie_of: Any,
    monkeypatch: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from convenor.live import consumers

    monkeypatch.setattr(consumers, "RECONNECT_WITHIN_SECONDS", 0.5)
    for person in people:
        await db(actions.do_connect)(session, f"dead.{person.pk}", participant=person)
    round_ = await db(actions.do_start_round)(session, facilitator, seed=1)
    long_ago = timezone.now() - consumers.presence_dead_after() - timedelta(seconds=5)
    await db(LivePresence.objects.filter(channel_name__startswith="dead.").update)(
        connected_at=long_ago, last_seen_at=long_ago
    )
    placed = db(lambda who: GroupMember.objects.filter(round=round_, participant=who).exists())
    # The first tab back sets the sweep off: the others are not here, but keep their place.
    await connect(session, await cookie_of(people[0]))
    for _ in range(100):
        if (await db(snapshot)(session))["present"] == [str(people[0].pk)]:
            break
        await asyncio.sleep(0.02)
    assert (await db(snapshot)(session))["present"] == [str(people[0].pk)]
    assert all([await placed(person) for person in people])
    # Bo's tab finds the server in time; the others do not, and their places are given up.
    await connect(session, await cookie_of(people[1]))
    await asyncio.sleep(1.0)
    await asyncio.gather(*consumers._pending)
    assert [await placed(person) for person in people] == [True, True, False, False]
