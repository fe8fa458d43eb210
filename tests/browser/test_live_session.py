"""A live session end to end in Chromium: a facilitator and four participants, each in their own
browser context, through a coffee-trial round and a round of breakout rooms.

The people join through their own invite links and agree to the ground rules; the facilitator
signs in and runs the session from the console. Every participant's page must update itself
(no reload) within a bounded time, the groups must agree across the four pages and the console,
a dropped connection and a closed tab must catch up, and axe-core must find nothing on the
console or a participant's page in each state. Noor uses the keyboard only; Ada's screen is a
360 x 740 phone, which must never scroll sideways.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocket, expect

from . import flows
from .conftest import Contexts
from .live_helpers import (
    Deadline,
    Person,
    SeededSession,
    SocketCutter,
    assert_countdown,
    assert_not_reloaded,
    caught_up,
    command,
    connection_status,
    console_groups,
    join,
    mark_page,
    now_region,
    partners_shown,
    seed_live_session,
    video_room,
    your_group,
)
from .support import DESKTOP, PHONE, Driver, KeyboardDriver, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

# How long a participant's page may take to show a change the facilitator made. The product's
# bar is 1 s at p99 with 1,000 people; 5 s leaves room for a busy shared 2-core machine.
LIVE_WITHIN_S = 5.0
# A page whose socket was cut retries after 1-2 s, then 2-4 s (live.js's backoff).
RECONNECT_WITHIN_S = 10.0
WELCOME_SEGMENT = "Welcome and how we work together"
COFFEE_SEGMENT = "Coffee trial: meet someone new"
COFFEE_PROMPT = "Who are you, and what brought you to this work?"
ROOM_PROMPTS = [
    "What do you face at work that nobody fully understands?",
    "Where have you seen partners agree on a purpose, and what helped?",
]
CLOSE_WARNING_S = 10
# The console's defaults for a coffee-trial round and for breakout rooms.
ROUND_MINUTES = 15
BREAKOUT_MINUTES = 20
COUNTDOWN = re.compile(r"^\d+:\d\d left$")
# The states axe-core checks (and, on the phone, that nothing scrolls sideways), in order.
PAGES_CHECKED = [
    "console before the session starts",
    "participant page (phone) before the session starts",
    "console with a coffee-trial round running",
    "participant page (phone) in a coffee-trial pair",
    "console with breakout rooms open",
    "participant page (phone) in a breakout room",
    "participant page (keyboard user) in a breakout room with notes written",
    "participant page (phone) after the rooms closed",
    "console after the rooms closed",
    "plenary notes (phone)",
    "console after the breakout round",
    "participant page (phone) after the breakout round",
]


@dataclass
class Live:
    """Everyone's open pages during the session."""

    seeded: SeededSession
    console: Page
    pages: dict[str, Page]
    check: PageChecker

    def everyone(self) -> list[tuple[str, Page]]:
        return list(self.pages.items())


def test_coffee_trial_and_breakout_rounds_end_to_end(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    seeded = seed_live_session(
        server, f"Live cohort {secrets.token_hex(3)}", "Building common purpose, live"
    )
    noor, ada, bea, sol = seeded.people
    # (person, driver, viewport): Noor by keyboard only, Ada on a phone.
    cast = [
        (noor, KeyboardDriver, DESKTOP),
        (ada, PointerDriver, PHONE),
        (bea, PointerDriver, DESKTOP),
        (sol, PointerDriver, DESKTOP),
    ]
    setup_check = PageChecker(axe=False)  # axe-core has seen these set-up pages in flows tests

    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, setup_check)
    drivers: dict[str, Driver] = {}
    sol_frames: list[dict[str, Any]] = []
    cutter: SocketCutter | None = None
    for person, make_driver, viewport in cast:
        page = contexts.new_page(person.name, viewport)
        if person is sol:
            cutter = SocketCutter(page.context)
            page.on("websocket", lambda socket: _record_frames(socket, sol_frames))
        drivers[person.name] = make_driver(page)
        join(drivers[person.name], person, seeded, setup_check)
    assert cutter is not None
    keyboard = drivers[noor.name]
    assert isinstance(keyboard, KeyboardDriver)

    live = Live(seeded, facilitator.page, {name: d.page for name, d in drivers.items()}, check_page)
    console = live.console
    console.goto(seeded.console_path)
    flows.heading(console, f"Console: {seeded.title}")
    here = console.get_by_role("region", name="Who is here")
    expect(here).to_contain_text("4 participants connected")
    for person in seeded.people:
        expect(here.get_by_role("listitem").filter(has_text=person.name)).to_have_count(1)
    check_page(console, "console before the session starts")
    check_page(live.pages[ada.name], "participant page (phone) before the session starts")

    start_coffee_segment(live)
    partners, rooms = coffee_round(live)
    connection_drop(live, sol, cutter, sol_frames, partners[sol.name])
    tab_closed_and_reopened(live, bea, partners[bea.name], rooms[bea.name])
    # The pages after a coffee-trial round look as they did before it: axe-core ran then.
    end_round(live, "coffee-trial round", check=False)

    breakout_rooms(live, keyboard)
    end_round(live, "breakout round", check=True)

    contexts.assert_no_errors()
    assert check_page.checked == PAGES_CHECKED
    # Guards the guard: Noor really went by keyboard, through the skip link and Tab stops.
    assert keyboard.presses["Tab"] and keyboard.presses["Enter"], keyboard.presses


def _record_frames(socket: WebSocket, frames: list[dict[str, Any]]) -> None:
    def received(payload: str | bytes) -> None:
        if isinstance(payload, str):
            frames.append(json.loads(payload))

    socket.on("framereceived", received)


def start_coffee_segment(live: Live) -> None:
    """Welcome, then the coffee trial: every page shows each without a reload.

    Each segment is waited for on every page before the next starts: a change arriving while a
    page is still fetching the previous one is lost today (test_live_refresh.py).
    """
    for _, page in live.everyone():
        mark_page(page)
    for segment in (WELCOME_SEGMENT, COFFEE_SEGMENT):
        command(live.console, "Start the next segment", f"Started “{segment}”.")
        deadline = Deadline(LIVE_WITHIN_S)
        for name, page in live.everyone():
            now = now_region(page)
            expect(now).to_contain_text(f"Now: {segment}", timeout=deadline.ms())
            expect(now.locator("[data-ends-at]")).to_have_text(COUNTDOWN, timeout=deadline.ms())
            assert_not_reloaded(page, name)


def coffee_round(live: Live) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Start a round: each page shows its partner, prompts, countdown and room, consistently."""
    console = live.console
    console.get_by_role("button", name="Start the round").click()
    deadline = Deadline(LIVE_WITHIN_S)
    for _, page in live.everyone():
        group = your_group(page)
        expect(group.get_by_role("heading", name="You are with")).to_be_visible(
            timeout=deadline.ms()
        )
        expect(group.get_by_text(COFFEE_PROMPT)).to_be_visible(timeout=deadline.ms())
        expect(group.locator("[data-ends-at]")).to_have_text(COUNTDOWN, timeout=deadline.ms())
    shown = deadline.elapsed()
    print(f"all four pages showed their coffee-trial pair {shown:.2f} s after the click")
    for name, page in live.everyone():
        clock = your_group(page).locator("[data-ends-at]")
        assert_countdown(name, clock, full=ROUND_MINUTES * 60, within=deadline.elapsed())
    expect(console.locator("[data-live-status]")).to_have_text("Started a round: 2 groups.")

    partners = {name: partners_shown(page) for name, page in live.everyone()}
    rooms = {name: video_room(your_group(page)) for name, page in live.everyone()}
    by_name = {person.name: person for person in live.seeded.people}
    for name, page in live.everyone():
        assert_not_reloaded(page, name)
        # Four people from four organisations: pairs, never a three.
        assert len(partners[name]) == 1, f"{name} sees {partners[name]} as partners"
        partner = partners[name][0]
        assert partners[partner] == [name], f"{name} is with {partner}, not mutual: {partners}"
        assert rooms[partner] == rooms[name], f"{name} and {partner} were sent to different rooms"
        their = your_group(page).get_by_role("listitem").filter(has_text=partner)
        expect(their).to_contain_text(by_name[partner].organisation)
        expect(their).to_contain_text(by_name[partner].sector)
        assert rooms[name].startswith("https://meet.example.org/cohort-convenor-"), rooms[name]
    assert len(set(rooms.values())) == 2, f"two pairs should have two rooms: {rooms}"

    groups = console_groups(console)
    pairs = {frozenset([name, *partners[name]]) for name in live.pages}
    assert {members for members, _ in groups.values()} == pairs, (groups, partners)
    for members, room in groups.values():
        assert {rooms[name] for name in members} == {room}, (members, room, rooms)
    live.check(console, "console with a coffee-trial round running")
    live.check(live.pages["Ada Mensah"], "participant page (phone) in a coffee-trial pair")
    return partners, rooms


def connection_drop(
    live: Live, sol: Person, cutter: SocketCutter, frames: list[dict[str, Any]], partner: list[str]
) -> None:
    """Sol's connection drops; the facilitator extends the segment; Sol's page, never reloaded,
    reconnects by itself and is sent exactly what it missed."""
    page, console = live.pages[sol.name], live.console
    here = console.get_by_role("region", name="Who is here")
    cutter.cut()
    expect(connection_status(page)).to_contain_text("Connection lost; trying again")
    expect(here).to_contain_text("3 participants connected")
    console.get_by_label("Extend by (minutes)").fill("5")
    command(console, "Extend", f"Extended “{COFFEE_SEGMENT}” by 5 min.")
    for name in ("Noor Haddad", "Ada Mensah", "Bea Kowalski"):
        expect(now_region(live.pages[name])).to_contain_text("(extended by 5 min)")
    expect(now_region(page)).not_to_contain_text("(extended by")
    frames.clear()
    cutter.restore()
    expect(now_region(page)).to_contain_text(
        f"Now: {COFFEE_SEGMENT} (extended by 5 min)", timeout=RECONNECT_WITHIN_S * 1000
    )
    expect(connection_status(page)).to_have_text(re.compile("^Connected"))
    assert_not_reloaded(page, sol.name)
    # Resumed from its last event: the missed events, not a fresh snapshot.
    replies = [frame for frame in frames if frame.get("type") in ("events", "snapshot")]
    assert replies and replies[0]["type"] == "events", replies
    missed = replies[0]["events"]
    assert "segment_extended" in [event["kind"] for event in missed], missed
    expect(here).to_contain_text("4 participants connected")
    assert partners_shown(page) == partner
    print(f"Sol's page was refused {cutter.refused} reconnection(s) while cut off")


def tab_closed_and_reopened(live: Live, bea: Person, partner: list[str], room: str) -> None:
    """Bea closes her tab and opens the live page again: she is still in her pair."""
    old = live.pages[bea.name]
    context = old.context
    old.close()
    live.console.get_by_label("Extend by (minutes)").fill("2")
    command(live.console, "Extend", f"Extended “{COFFEE_SEGMENT}” by 2 min.")
    page = context.new_page()
    with caught_up(page):
        page.goto(live.seeded.live_path)
    expect(now_region(page)).to_contain_text(f"Now: {COFFEE_SEGMENT} (extended by 7 min)")
    # Back within the grace period: still in the same pair, with the same room.
    assert partners_shown(page) == partner
    assert video_room(your_group(page)) == room
    mark_page(page)
    live.pages[bea.name] = page


def end_round(live: Live, what: str, *, check: bool) -> None:
    """The facilitator ends the round; every page says so without a reload."""
    command(live.console, "End the round", "Ended the round.")
    deadline = Deadline(LIVE_WITHIN_S)
    for name, page in live.everyone():
        expect(your_group(page)).to_contain_text("No round is running", timeout=deadline.ms())
        assert_not_reloaded(page, name)
    if check:
        live.check(live.console, f"console after the {what}")
        live.check(live.pages["Ada Mensah"], f"participant page (phone) after the {what}")


def breakout_rooms(live: Live, keyboard: KeyboardDriver) -> None:
    """Two rooms with a prompt each; notes typed in a room appear live to a room-mate and on
    the console; the rooms close after a warning and their notes reach the plenary view."""
    console = live.console
    # Rooms hold 3 to 8 people, so four people make one room of four.
    console.get_by_label("People per room (3 to 8)").fill("3")
    console.get_by_label("Or one prompt per room").fill("\n---\n".join(ROOM_PROMPTS))
    console.get_by_role("button", name="Start breakout rooms").click()
    deadline = Deadline(LIVE_WITHIN_S)
    heading = re.compile(r"^Room (\d+): you are with$")
    numbers: dict[str, int] = {}
    for _, page in live.everyone():
        expect(your_group(page).get_by_role("heading", name=heading)).to_be_visible(
            timeout=deadline.ms()
        )
    print(f"all four pages showed their breakout room {deadline.elapsed():.2f} s after the click")
    for name, page in live.everyone():
        clock = your_group(page).locator("[data-ends-at]")
        assert_countdown(name, clock, full=BREAKOUT_MINUTES * 60, within=deadline.elapsed())
    expect(console.locator("[data-live-status]")).to_have_text(
        re.compile(r"^Opened \d+ breakout rooms?\.$")
    )
    for name, page in live.everyone():
        assert_not_reloaded(page, name)
        title = your_group(page).get_by_role("heading", name=heading).inner_text()
        match = heading.match(title.strip())
        assert match, title
        numbers[name] = int(match.group(1))
        expect(your_group(page)).to_contain_text(ROOM_PROMPTS[numbers[name] - 1])
        expect(your_group(page).get_by_label(f"Notes for room {numbers[name]}")).to_be_editable()
    mates = {name: partners_shown(page) for name, page in live.everyone()}
    for name in live.pages:
        assert mates[name], f"{name} is alone in a room"
        for mate in mates[name]:
            assert numbers[mate] == numbers[name] and name in mates[mate], (numbers, mates)
    rooms = {
        number: frozenset(n for n in numbers if numbers[n] == number) for number in numbers.values()
    }
    assert all(3 <= len(members) <= 8 for members in rooms.values()), rooms
    groups = console_groups(console)
    assert {title: members for title, (members, _) in groups.items()} == {
        f"Room {number}": members for number, members in rooms.items()
    }, (groups, numbers)
    live.check(console, "console with breakout rooms open")
    live.check(live.pages["Ada Mensah"], "participant page (phone) in a breakout room")

    # Noor writes by keyboard; someone in each other room (if any) writes too.
    notes: dict[int, str] = {}
    noor = "Noor Haddad"
    writers = [noor] + [
        min(members) for number, members in sorted(rooms.items()) if number != numbers[noor]
    ]
    for writer in writers:
        number = numbers[writer]
        notes[number] = f"Room {number}: complexity means no one partner holds the answer."
        area = your_group(live.pages[writer]).get_by_label(f"Notes for room {number}")
        if writer == noor:
            keyboard.fill(area, notes[number])
        else:
            area.fill(notes[number])
        deadline = Deadline(LIVE_WITHIN_S)
        for mate in mates[writer]:
            mate_area = your_group(live.pages[mate]).get_by_label(f"Notes for room {number}")
            expect(mate_area).to_have_value(notes[number], timeout=deadline.ms())
        expect(console.get_by_role("region", name=f"Room {number}'s notes")).to_have_text(
            notes[number], timeout=deadline.ms()
        )
        status = your_group(live.pages[writer]).locator("[data-notes-status]")
        expect(status).to_have_text("All changes saved.", timeout=deadline.ms())
    live.check(
        live.pages[noor], "participant page (keyboard user) in a breakout room with notes written"
    )

    # Noor and a room-mate each add a line at the same moment, both from the same text: both
    # lines are kept, on both pages and on the console, whoever's save reached the server first.
    number = numbers[noor]
    mate = min(mates[noor])
    lines = {noor: "Noor: start from the data we already share.", mate: "Agree one question."}
    areas = {
        who: your_group(live.pages[who]).get_by_label(f"Notes for room {number}") for who in lines
    }
    for who, line in lines.items():
        areas[who].fill(f"{notes[number]}\n{line}")
    one_after_other = "|".join(
        re.escape(f"{notes[number]}\n{first}") + r"\n?" + re.escape(second)
        for first, second in (lines.values(), reversed(lines.values()))
    )
    both = re.compile(f"^({one_after_other})$")
    deadline = Deadline(LIVE_WITHIN_S)
    for who in lines:
        expect(areas[who]).to_have_value(both, timeout=deadline.ms())
    notes[number] = areas[noor].input_value()
    assert areas[mate].input_value() == notes[number]
    expect(console.get_by_role("region", name=f"Room {number}'s notes")).to_have_text(
        notes[number], timeout=deadline.ms()
    )
    print(f"two people's lines typed at once were on both pages after {deadline.elapsed():.2f} s")

    # Close with a warning: a countdown first, then the notes are read-only everywhere.
    console.get_by_label("Warning (seconds)").fill(str(CLOSE_WARNING_S))
    command(console, "Close the rooms", f"The rooms close in {CLOSE_WARNING_S} s.")
    deadline = Deadline(LIVE_WITHIN_S)
    for name, page in live.everyone():
        expect(your_group(page)).to_contain_text("The rooms close soon.", timeout=deadline.ms())
        clock = your_group(page).locator("[data-ends-at]")
        expect(clock).to_have_text(COUNTDOWN, timeout=deadline.ms())
        assert_countdown(name, clock, full=CLOSE_WARNING_S, within=deadline.elapsed())
    deadline = Deadline(CLOSE_WARNING_S + LIVE_WITHIN_S)
    for name, page in live.everyone():
        area = your_group(page).get_by_label(f"Notes for room {numbers[name]}")
        expect(your_group(page)).to_contain_text("The rooms have closed.", timeout=deadline.ms())
        expect(area).not_to_be_editable(timeout=deadline.ms())
        expect(area).to_have_value(notes[numbers[name]])
        assert_not_reloaded(page, name)
    expect(console.get_by_role("region", name="Rounds")).to_contain_text(
        "The rooms have closed", timeout=deadline.ms()
    )
    ada = live.pages["Ada Mensah"]
    live.check(ada, "participant page (phone) after the rooms closed")
    live.check(console, "console after the rooms closed")

    # The plenary view, from Ada's phone, then back to the live page.
    ada.get_by_role("link", name="the notes from every room").click()
    flows.heading(ada, "Notes from the breakout rooms")
    for number, text in notes.items():
        room = ada.get_by_role("article").filter(
            has=ada.get_by_role("heading", name=f"Room {number}", exact=True)
        )
        expect(room).to_contain_text(text)
    live.check(ada, "plenary notes (phone)")
    with caught_up(ada):
        ada.get_by_role("link", name="Back to the live session").click()
    flows.heading(ada, live.seeded.title)
    expect(your_group(ada)).to_contain_text("The rooms have closed.")
    mark_page(ada)
