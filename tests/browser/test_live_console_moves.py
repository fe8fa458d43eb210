"""The console's group forms, driven in Chromium as a facilitator would: move someone to
another breakout room, swap two people between rooms, take someone out and put them back; and
the console's mark on someone whose tab has closed while they keep their place.

The rooms are started through the action functions with six people present (made-up
channels); a seventh opens the live page in a browser and arrives as a latecomer. The console
sends its commands over its WebSocket; a room's number comes from a <select>, which must reach
the server as a number (it once went as text and every move was refused with "“room” must be
a whole number").
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import Contexts
from .live_helpers import command, join, open_console, run_seed, seed_live_session, your_group
from .support import DESKTOP, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

# Three more people join the four of the seeded programme; all but one ("absent", who opens
# the live page in the test and arrives as a latecomer) are present, six in two rooms of three.
_ROOMS = """
import json, sys
import django
django.setup()
from convenor.accounts.models import User
from convenor.live import actions
from convenor.live.models import GroupMember
from convenor.programmes import actions as programmes
from convenor.programmes.models import Participant
from convenor.workshops.models import Session

spec = json.loads(sys.argv[1])
user = User.objects.get(email=spec["email"])
session = Session.objects.get(title=spec["title"], programme__name=spec["programme"])
for name, organisation in spec["more"]:
    person = programmes.add_participant(
        session.programme, user, display_name=name, organisation=organisation, sector="Sport"
    )
    programmes.agree_ground_rules(person)
people = Participant.objects.filter(programme=session.programme).exclude(
    display_name=spec["absent"]
)
for number, person in enumerate(people):
    actions.do_connect(session, f"seed!{number}", participant=person)
round_ = actions.do_start_round(session, user, kind="breakout", rooms=2)
rooms = {}
for row in GroupMember.objects.filter(round=round_).select_related("group", "participant"):
    rooms.setdefault(str(row.group.number), []).append(row.participant.display_name)
print(json.dumps({"rooms": rooms}))
"""
TAKEN_OUT = "The facilitator has taken you out of this round."
ROOM_HEADING = re.compile(r"^Room (\d+): you are with$")
MORE = [
    ["Ines Varga", "Riverside Leisure Trust"],
    ["Tomas Berg", "Northfield Sports Club"],
    ["Wen Li", "Eastgate Community Health"],
]


def room_card(console: Page, number: int) -> Locator:
    rounds = console.get_by_role("region", name="Rounds")
    return rounds.get_by_role("listitem").filter(
        has=console.get_by_role("heading", name=f"Room {number}", exact=True)
    )


def test_the_console_moves_and_swaps_people_between_rooms(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    seeded = seed_live_session(server, f"Moves {secrets.token_hex(3)}", "Live, moves")
    spec = {
        "email": server.email,
        "programme": seeded.programme,
        "title": seeded.title,
        "more": MORE,
        "absent": seeded.people[0].name,
    }
    rooms = run_seed(server, _ROOMS, spec)["rooms"]
    assert sorted(len(names) for names in rooms.values()) == [3, 3], rooms

    console = open_console(contexts, server, "facilitator", seeded.console_path)
    for number, names in rooms.items():
        for name in names:
            expect(room_card(console, int(number))).to_contain_text(name)
    check_page(console, "console with two breakout rooms")

    # The absent person opens the live page: placed in a room as a latecomer, then moved.
    mover = seeded.people[0].name
    participant = PointerDriver(contexts.new_page(mover, DESKTOP))
    join(participant, seeded.people[0], seeded, PageChecker(axe=False))
    heading = your_group(participant.page).get_by_role("heading", name=ROOM_HEADING)
    expect(heading).to_be_visible()
    match = ROOM_HEADING.match(heading.inner_text().strip())
    assert match, heading.inner_text()
    start = match.group(1)
    target = "2" if start == "1" else "1"
    expect(room_card(console, int(start))).to_contain_text(mover)
    console.get_by_label("Person", exact=True).last.select_option(label=mover)
    console.get_by_label("to room").select_option(label=f"Room {target}")
    command(console, "Move", f"Moved {mover} to room {target}.")
    expect(room_card(console, int(target))).to_contain_text(mover)
    expect(room_card(console, int(start))).not_to_contain_text(mover)
    # Their page shows the new room without a reload, and says so to a screen reader.
    expect(your_group(participant.page)).to_contain_text(f"Room {target}: you are with")
    expect(participant.page.locator("[data-live-announce]")).to_have_text(
        "Your group has changed: see who you are with now."
    )

    # Swap someone of the room they left with someone of the room they joined.
    a, b = sorted(rooms[start])[0], sorted(rooms[target])[0]
    console.get_by_label("Swap", exact=True).select_option(label=a)
    console.get_by_label("with", exact=True).select_option(label=b)
    command(console, "Swap", f"Swapped {a} and {b}.")
    expect(room_card(console, int(start))).to_contain_text(b)
    expect(room_card(console, int(target))).to_contain_text(a)
    expect(room_card(console, int(start))).not_to_contain_text(a)

    # Take the mover out: their page says so at once, and a reload does not put them back.
    page = participant.page
    announced = page.locator("[data-live-announce]")
    console.get_by_label("Person", exact=True).first.select_option(label=mover)
    command(console, "Take out", f"Took {mover} out of the round.")
    expect(your_group(page)).to_contain_text(TAKEN_OUT)
    expect(announced).to_have_text(TAKEN_OUT)
    page.reload()
    expect(your_group(page)).to_contain_text(TAKEN_OUT)
    put_back = console.get_by_role("button", name=f"Put back in this round: {mover}")
    put_back.click()
    expect(console.locator("[data-live-status]")).to_have_text(f"Put {mover} back in the round.")
    expect(your_group(page)).to_contain_text(re.compile(r"Room \d+: you are with"))
    expect(announced).to_have_text("Your group has changed: see who you are with now.")
    check_page(console, "console after a take-out and a put-back")

    # Their tab closes: for the minute they keep their place, the console marks them in
    # their room as not connected; back, the mark goes.
    away = console.locator("[data-member]").filter(has_text=mover).locator("[data-away]")
    expect(away).to_be_hidden()
    context = page.context
    page.close()
    expect(away).to_be_visible(timeout=10_000)
    expect(away).to_have_text("not connected")
    check_page(console, "console with someone not connected")
    page = context.new_page()
    page.goto(seeded.live_path)
    expect(your_group(page)).to_contain_text(re.compile(r"Room \d+: you are with"))
    expect(away).to_be_hidden(timeout=10_000)
    contexts.assert_no_errors()
