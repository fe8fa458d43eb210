"""A change that arrives while a live page is still fetching the region it touches is not lost.

A live page says which event it was rendered after, so a freshly loaded page fetches nothing
once its socket is open. A page that does not say (here the attribute is taken away before
live.js reads it) is answered with a snapshot, as one older than the server's log would be,
and fetches every region. A slow network decides the order: the page fetches its run-sheet
region, the server answers at once, but the answer reaches the page only after two changes'
events, which come with the region rendered. The stale answer must not be the last word: the
page must end up showing both changes, without a reload. The order is made certain by holding
the server's answer in Playwright until the second event has arrived.
"""

from __future__ import annotations

import json
import re
import secrets
import time

import pytest
from playwright.sync_api import APIResponse, Route, WebSocket, expect

from . import flows
from .conftest import Contexts
from .live_helpers import (
    assert_not_reloaded,
    command,
    connection_status,
    join,
    mark_page,
    now_region,
    seed_live_session,
)
from .support import DESKTOP, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

LIVE_WITHIN_S = 5.0
FORGET_SEQ = """document.addEventListener("readystatechange", function () {
  var live = document.getElementById("live");
  if (document.readyState === "interactive" && live) { live.removeAttribute("data-seq"); }
});"""
PARTIAL = re.compile(r"/live/(now|round|activity|here)/")
WELCOME = "Welcome and how we work together"


def test_event_during_a_region_fetch_is_not_lost(contexts: Contexts, server: Server) -> None:
    seeded = seed_live_session(server, f"Slow network {secrets.token_hex(3)}", "Live, slowly")
    person = seeded.people[0]
    unchecked = PageChecker(axe=False)  # the end-to-end test runs axe-core on these pages
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, unchecked)
    participant = PointerDriver(contexts.new_page(person.name, DESKTOP))
    join(participant, person, seeded, unchecked)
    page, console = participant.page, facilitator.page
    console.goto(seeded.console_path)
    flows.heading(console, f"Console: {seeded.title}")

    kinds: list[str] = []

    def on_socket(socket: WebSocket) -> None:
        def received(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") == "event":
                kinds.append(message["event"]["kind"])

        socket.on("framereceived", received)

    page.on("websocket", on_socket)
    held: list[tuple[Route, APIResponse]] = []

    def hold(route: Route) -> None:
        if held:
            route.continue_()
            return
        # Ask the server now; hand its answer to the page later.
        held.append((route, route.fetch()))

    fetched: list[str] = []
    page.on(
        "request",
        lambda request: fetched.append(request.url) if PARTIAL.search(request.url) else None,
    )
    page.reload()
    expect(page.locator("[data-live-status]")).to_contain_text("Connected")
    page.wait_for_timeout(1000)  # live.js spreads its fetches over 50-300 ms
    assert fetched == [], f"a freshly loaded page fetched regions it already had: {fetched}"

    # Parsed, before the deferred live.js runs: the page no longer says what it is at.
    page.add_init_script(FORGET_SEQ)
    page.route(re.compile(r"/live/now/(\?[^/]*)?$"), hold)
    page.reload()
    expect(page.locator("[data-live-status]")).to_contain_text("Connected")
    mark_page(page)
    deadline = time.monotonic() + LIVE_WITHIN_S
    while not held and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert held, "the page did not fetch its run-sheet region after its first snapshot"

    command(console, "Start the next segment", f"Started “{WELCOME}”.")
    while "segment_started" not in kinds and time.monotonic() < deadline + LIVE_WITHIN_S:
        page.wait_for_timeout(50)
    assert "segment_started" in kinds, f"the segment's event never reached the page: {kinds}"

    console.get_by_label("Extend by (minutes)").fill("5")
    command(console, "Extend", f"Extended “{WELCOME}” by 5 min.")
    while "segment_extended" not in kinds and time.monotonic() < deadline + LIVE_WITHIN_S:
        page.wait_for_timeout(50)
    assert "segment_extended" in kinds, f"the extension's event never reached the page: {kinds}"

    route, answer = held[0]
    route.fulfill(response=answer)
    now = now_region(page)
    expect(now).to_contain_text(f"Now: {WELCOME}")
    expect(now).to_contain_text("(extended by 5 min)", timeout=LIVE_WITHIN_S * 1000)
    assert_not_reloaded(page, person.name)
    contexts.assert_no_errors()


def test_the_focus_stays_on_a_control_without_an_id_when_its_region_is_redrawn(
    contexts: Contexts, server: Server
) -> None:
    """A facilitator scrolling the run-sheet table by keyboard keeps it when a co-facilitator's
    change redraws the region (before, the focus went to the region's heading)."""
    seeded = seed_live_session(server, f"Keep focus {secrets.token_hex(3)}", "Live, focused")
    unchecked = PageChecker(axe=False)
    mine = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(mine, server, unchecked)
    co = PointerDriver(contexts.new_page("co-facilitator", DESKTOP))
    flows.sign_in(co, server, unchecked)
    other = co.page
    mine.page.goto(seeded.console_path)
    other.goto(seeded.console_path)
    for page in (mine.page, other):
        expect(page.locator("[data-live-status]")).to_contain_text("Connected")
    command(other, "Start the next segment", f"Started “{WELCOME}”.")
    sheet = mine.page.get_by_role("region", name="Run-sheet")
    table = sheet.get_by_role("table", name=re.compile("Run-sheet as run"))
    expect(table).to_contain_text("running now")
    table.focus()
    expect(table).to_be_focused()
    other.get_by_label("Extend by (minutes)").fill("5")
    command(other, "Extend", f"Extended “{WELCOME}” by 5 min.")
    expect(sheet).to_contain_text("(extended by 5 min)", timeout=LIVE_WITHIN_S * 1000)
    expect(table).to_be_focused()
    contexts.assert_no_errors()


def test_an_overrun_re_times_what_follows_as_the_clock_passes(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    """Nobody acts while a segment runs over: each page moves the times of what follows on by
    itself, minute by minute, and says how far over it is (its clock is run forward here)."""
    seeded = seed_live_session(server, f"Overrun {secrets.token_hex(3)}", "Live, running over")
    person = seeded.people[0]
    unchecked = PageChecker(axe=False)
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, unchecked)
    participant = PointerDriver(contexts.new_page(person.name, DESKTOP))
    join(participant, person, seeded, unchecked)
    console, page = facilitator.page, participant.page
    console.goto(seeded.console_path)
    command(console, "Start the next segment", f"Started “{WELCOME}”.")
    page.clock.install()
    page.reload()
    expect(connection_status(page)).to_have_text(re.compile("^Connected"))
    now = now_region(page)
    expect(now).to_contain_text(f"Now: {WELCOME}")
    over = now.locator(".live-over")
    expect(over).to_be_hidden()
    next_time = now.locator(".live-next time")
    planned = next_time.inner_text()
    mark_page(page)
    page.clock.fast_forward("45:00")
    expect(over).to_be_visible(timeout=LIVE_WITHIN_S * 1000)
    said = re.search(r"Running (\d+) min over", over.inner_text())
    assert said is not None, over.inner_text()
    late = int(said.group(1))
    assert late > 0
    hours, mins = map(int, planned.split(":"))
    expected = (hours * 60 + mins + late) % (24 * 60)
    shown_h, shown_m = map(int, next_time.inner_text().split(":"))
    # The next segment now starts about as late as this one is running over (to the minute).
    assert abs((shown_h * 60 + shown_m) - expected) <= 1, (planned, late, next_time.inner_text())
    check_page(page, "participant page running over time")
    assert_not_reloaded(page, person.name)
    contexts.assert_no_errors()
