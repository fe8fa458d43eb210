"""A live session end to end in Chromium: a facilitator and four participants, each in their own
browser context, through a coffee-trial round.

The people join through their own invite links and agree to the ground rules; the facilitator
signs in and runs the session from the console. Every participant's page must update itself
(no reload) within a bounded time, the groups must agree across the four pages and the console,
and axe-core must find nothing on the console or a participant's page in each state. Noor uses
the keyboard only; Ada's screen is a 360 x 740 phone, which must never scroll sideways.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Page, expect

from . import flows
from .conftest import Contexts
from .live_helpers import (
    GROUND_RULE,
    Deadline,
    Person,
    SeededSession,
    assert_not_reloaded,
    console_groups,
    mark_page,
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
COFFEE_SEGMENT = "Coffee trial: meet someone new"
COFFEE_PROMPT = "Who are you, and what brought you to this work?"
COUNTDOWN = re.compile(r"^\d+:\d\d left$")
# The states axe-core checks (and, on the phone, that nothing scrolls sideways), in order.
PAGES_CHECKED = [
    "console before the session starts",
    "participant page (phone) before the session starts",
    "participant page (phone) with a segment running",
    "console with a coffee-trial round running",
    "participant page (phone) in a coffee-trial pair",
    "participant page (desktop) in a coffee-trial pair",
    "console after the round",
    "participant page (phone) after the round",
]


def join(d: Driver, person: Person, seeded: SeededSession, check: PageChecker) -> None:
    """Open one's invite link, join, agree to the ground rules, then open the live page."""
    page = d.page
    page.goto(person.invite_path)
    flows.heading(page, f"Join {seeded.programme} as {person.name}?")
    d.activate(page.get_by_role("button", name=f"Join as {person.name}"))
    flows.heading(page, f"Welcome to {seeded.programme}")
    expect(page.get_by_role("region", name="Ground rules")).to_contain_text(GROUND_RULE)
    d.activate(page.get_by_role("button", name="I agree"))
    flows.heading(page, seeded.programme)
    # Nothing on the participant's home links to the live page yet: they open the address.
    page.goto(seeded.live_path)
    flows.heading(page, seeded.title)
    expect(page.get_by_role("status").filter(has_text="Connected")).to_be_visible()
    check(page, f"live page for {person.name} before the session starts")


def command(console: Page, button: str, done: str | re.Pattern[str]) -> None:
    """Press a console button and wait for the server's confirmation in the status line."""
    console.get_by_role("button", name=button, exact=True).click()
    expect(console.locator("[data-live-status]")).to_have_text(done)


def now_showing(page: Page) -> str:
    return page.get_by_role("region", name=re.compile("^(Now and next|Run-sheet)$")).inner_text()


def test_coffee_trial_round_end_to_end(
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
    for person, make_driver, viewport in cast:
        drivers[person.name] = make_driver(contexts.new_page(person.name, viewport))
        join(drivers[person.name], person, seeded, setup_check)
    pages = {name: d.page for name, d in drivers.items()}

    console = facilitator.page
    console.goto(seeded.console_path)
    flows.heading(console, f"Console: {seeded.title}")
    here = console.get_by_role("region", name="Who is here")
    expect(here).to_contain_text("4 participants connected")
    for person in seeded.people:
        expect(here.get_by_role("listitem").filter(has_text=person.name)).to_have_count(1)
    check_page(console, "console before the session starts")
    check_page(pages[ada.name], "participant page (phone) before the session starts")

    # --- The run-sheet: welcome, then the coffee trial, shown everywhere without a reload.
    for page in pages.values():
        mark_page(page)
    command(console, "Start the next segment", "Started “Welcome and how we work together”.")
    command(console, "Start the next segment", f"Started “{COFFEE_SEGMENT}”.")
    deadline = Deadline(LIVE_WITHIN_S)
    for name, page in pages.items():
        now = page.get_by_role("region", name="Now and next")
        expect(now).to_contain_text(f"Now: {COFFEE_SEGMENT}", timeout=deadline.ms())
        expect(now.locator("[data-ends-at]")).to_have_text(COUNTDOWN, timeout=deadline.ms())
        assert_not_reloaded(page, name)
    check_page(pages[ada.name], "participant page (phone) with a segment running")

    # --- A coffee-trial round: everyone sees their partners, prompts, countdown and room.
    console.get_by_role("button", name="Start the round").click()
    deadline = Deadline(LIVE_WITHIN_S)
    for page in pages.values():
        group = your_group(page)
        expect(group.get_by_role("heading", name="You are with")).to_be_visible(
            timeout=deadline.ms()
        )
        expect(group.get_by_text(COFFEE_PROMPT)).to_be_visible(timeout=deadline.ms())
        expect(group.locator("[data-ends-at]")).to_have_text(COUNTDOWN, timeout=deadline.ms())
    shown_after = deadline.elapsed()
    expect(console.locator("[data-live-status]")).to_have_text("Started a round: 2 groups.")

    partners = {name: partners_shown(page) for name, page in pages.items()}
    rooms = {name: video_room(your_group(page)) for name, page in pages.items()}
    by_name = {person.name: person for person in seeded.people}
    for name, page in pages.items():
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
    pairs = {frozenset([name, *partners[name]]) for name in pages}
    assert {members for members, _ in groups.values()} == pairs, (groups, partners)
    for members, room in groups.values():
        assert {rooms[name] for name in members} == {room}, (members, room, rooms)
    check_page(console, "console with a coffee-trial round running")
    check_page(pages[ada.name], "participant page (phone) in a coffee-trial pair")
    check_page(pages[noor.name], "participant page (desktop) in a coffee-trial pair")

    # --- Bea's page closes; the facilitator extends the segment; Bea comes back and catches up.
    bea_context = pages[bea.name].context
    pages[bea.name].close()
    console.get_by_label("Extend by (minutes)").fill("5")
    command(console, "Extend", f"Extended “{COFFEE_SEGMENT}” by 5 min.")
    for name in (noor.name, ada.name, sol.name):
        expect(pages[name].get_by_role("region", name="Now and next")).to_contain_text(
            "(extended by 5 min)"
        )
    bea_page = bea_context.new_page()
    bea_page.goto(seeded.live_path)
    expect(bea_page.get_by_role("region", name="Now and next")).to_contain_text(
        f"Now: {COFFEE_SEGMENT} (extended by 5 min)"
    )
    # Back within the grace period: still in the same pair, with the same room.
    assert partners_shown(bea_page) == partners[bea.name]
    assert video_room(your_group(bea_page)) == rooms[bea.name]
    pages[bea.name] = bea_page

    # --- The facilitator ends the round; every page says so, still without a reload.
    command(console, "End the round", "Ended the round.")
    deadline = Deadline(LIVE_WITHIN_S)
    for name, page in pages.items():
        expect(your_group(page)).to_contain_text("No round is running", timeout=deadline.ms())
        if name != bea.name:
            assert_not_reloaded(page, name)
    check_page(console, "console after the round")
    check_page(pages[ada.name], "participant page (phone) after the round")

    contexts.assert_no_errors()
    assert check_page.checked == PAGES_CHECKED
    print(f"all four pages showed their coffee-trial partners {shown_after:.2f} s after the click")
