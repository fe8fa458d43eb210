"""Breakout notes are never lost, and countdowns announce only what is true.

In Chromium against the real server: text typed while the server cannot be reached is saved
once the connection is back, without typing again (and only once); text typed in the last
moments before the rooms close is saved; a countdown that appears with less time left than a
threshold does not announce that threshold (a 3-minute round is not "Five minutes left", a
short closing warning is not "One minute left").
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from . import flows
from .conftest import Contexts
from .live_helpers import (
    SocketCutter,
    command,
    connection_status,
    join,
    run_seed,
    seed_live_session,
)
from .support import DESKTOP, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

# A page whose socket was cut retries after 1-2 s, then 2-4 s, then 4-8 s (live.js's backoff).
RECONNECT_WITHIN_MS = 20_000
NOTES = re.compile(r"^Notes for room \d+$")
# The shortest warning the console accepts (convenor.live.actions.MIN_CLOSE_SECONDS).
MIN_WARNING_S = 10


RECORD_ANNOUNCEMENTS = """() => {
  window.__said = [];
  const region = document.querySelector("[data-live-announce]");
  new MutationObserver(() => {
    const text = region.textContent.trim();
    if (text) { window.__said.push(text); }
  }).observe(region, { childList: true, characterData: true, subtree: true });
}"""


def said(page: Page) -> list[str]:
    found: Any = page.evaluate("() => window.__said")
    return list(found)


@dataclass
class Room:
    console: Page
    pages: list[Page]
    cutter: SocketCutter | None

    def area(self, index: int = 0) -> Locator:
        return self.pages[index].get_by_label(NOTES)

    def status(self, index: int = 0) -> Locator:
        return self.pages[index].locator("[data-notes-status]")

    def console_notes(self) -> Locator:
        return self.console.get_by_role("region", name=re.compile(r"^Room \d+'s notes$"))


def open_room(
    contexts: Contexts, server: Server, name: str, *, minutes: int = 20, cut: bool = False
) -> Room:
    """Two people in one breakout room, and the console; `cut`: the first person's sockets can
    be cut (see SocketCutter)."""
    seeded = seed_live_session(server, f"{name} {secrets.token_hex(3)}", name)
    unchecked = PageChecker(axe=False)  # axe-core runs in test_live_session.py
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, unchecked)
    pages: list[Page] = []
    cutter = None
    for person in seeded.people[:2]:
        page = contexts.new_page(person.name, DESKTOP)
        if cut and not pages:
            cutter = SocketCutter(page.context)
        join(PointerDriver(page), person, seeded, unchecked)
        page.evaluate(RECORD_ANNOUNCEMENTS)
        pages.append(page)
    console = facilitator.page
    console.goto(seeded.console_path)
    flows.heading(console, f"Console: {seeded.title}")
    expect(connection_status(console)).to_have_text(re.compile("^Connected"))
    expect(console.get_by_role("region", name="Who is here")).to_contain_text(
        "2 participants connected"
    )
    console.get_by_label("Or number of rooms").fill("1")
    console.locator("#breakout-minutes").fill(str(minutes))
    command(console, "Start breakout rooms", "Opened 1 breakout room.")
    room = Room(console, pages, cutter)
    for index in range(len(pages)):
        expect(room.area(index)).to_be_editable()
    return room


def saved_text(page: Page) -> str:
    """The room's notes as the server has them, read by the page's own session."""
    found: Any = page.evaluate(
        """async () => {
          const live = document.getElementById("live");
          const group = document.querySelector("form[data-notes]").getAttribute("data-notes");
          const url = live.getAttribute("data-notes-url") + "?group=" + group;
          const answer = await fetch(url, { headers: { "Accept": "application/json" } });
          return (await answer.json()).text;
        }"""
    )
    assert isinstance(found, str)
    return found


def unexpected_errors(contexts: Contexts) -> list[str]:
    # The saves the test made fail on purpose show up as failed requests.
    return [error for error in contexts.errors if "net::ERR_FAILED" not in error]


def test_notes_typed_while_the_server_cannot_be_reached_are_saved_on_reconnecting(
    contexts: Contexts, server: Server
) -> None:
    room = open_room(contexts, server, "Notes offline", cut=True)
    assert room.cutter is not None
    page, area = room.pages[0], room.area()
    area.fill("Before the drop.")
    expect(room.status()).to_have_text("All changes saved.")

    # The network goes: the socket is cut, and each save over HTTP reaches the server but its
    # answer is lost on the way back (the page cannot tell whether it went in).
    def answer_lost(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fetch()
        route.abort()

    page.route("**/notes/", answer_lost)
    room.cutter.cut()
    expect(connection_status(page)).to_contain_text("Connection lost")
    typed = "Before the drop.\nTyped while the connection was down."
    area.fill(typed)
    expect(room.status()).to_have_text(re.compile("^Not saved: no connection"))

    # The network comes back; nobody types.
    page.unroute("**/notes/")
    room.cutter.restore()
    expect(connection_status(page)).to_have_text(
        re.compile("^Connected"), timeout=RECONNECT_WITHIN_MS
    )
    expect(room.status()).to_have_text("All changes saved.")
    expect(area).to_have_value(typed)
    expect(room.area(1)).to_have_value(typed)
    expect(room.console_notes()).to_have_text(typed)
    assert saved_text(page) == typed, "saved once: the save sent again was not applied twice"

    # And the same with the save never reaching the server at all.
    page.route("**/notes/", lambda route: route.abort())
    room.cutter.cut()
    expect(connection_status(page)).to_contain_text("Connection lost")
    typed += "\nAnd more, never sent."
    area.fill(typed)
    expect(room.status()).to_have_text(re.compile("^Not saved: no connection"))
    page.unroute("**/notes/")
    room.cutter.restore()
    expect(room.status()).to_have_text("All changes saved.", timeout=RECONNECT_WITHIN_MS)
    expect(room.console_notes()).to_have_text(typed)
    assert saved_text(page) == typed
    assert not unexpected_errors(contexts), unexpected_errors(contexts)


def test_notes_typed_as_the_rooms_close_are_saved(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    room = open_room(contexts, server, "Notes at closing")
    page, area = room.pages[0], room.area()
    area.fill("Our summary.")
    expect(room.status()).to_have_text("All changes saved.")
    room.console.get_by_label("Warning (seconds)").fill(str(MIN_WARNING_S))
    command(room.console, "Close the rooms", f"The rooms close in {MIN_WARNING_S} s.")
    expect(page.get_by_text("The rooms close soon.")).to_be_visible()
    check_page(page, "participant page with the rooms' closing countdown")
    # Typing up to the closing time: too late for the save a moment before it, and the last
    # keys land after the deadline (the server and the browser share this machine's clock).
    page.wait_for_function(
        """() => {
          const clock = document.querySelector("[data-ends-at]");
          return clock && Date.parse(clock.getAttribute("data-ends-at")) - Date.now() < 200;
        }""",
        polling=10,
    )
    area.press_sequentially(" Final.", delay=40)
    expected = "Our summary. Final."
    expect(page.get_by_text("The rooms have closed. Your room's notes are kept")).to_be_visible()
    expect(area).not_to_be_editable()
    expect(area).to_have_value(expected)
    # Saved at the closing time, or (when its answer came after the notes were redrawn
    # read-only) said so.
    expect(room.status()).to_have_text(
        re.compile(r"^Read-only: the rooms have closed\.( Your last changes were saved\.)?$")
    )
    expect(room.area(1)).to_have_value(expected)
    expect(room.console_notes()).to_have_text(expected)
    assert saved_text(page) == expected
    check_page(page, "participant page with the rooms closed (notes read-only)")
    check_page(room.console, "console with the rooms closed")
    plenary = page.context.new_page()
    plenary.goto(page.get_by_role("link", name="the notes from every room").get_attribute("href"))
    expect(plenary.get_by_role("article")).to_contain_text(expected)
    contexts.assert_no_errors()


def test_a_countdown_shorter_than_a_threshold_does_not_announce_it(
    contexts: Contexts, server: Server
) -> None:
    room = open_room(contexts, server, "Announcements", minutes=3)
    page = room.pages[0]
    region = page.locator("[data-live-announce]")
    assert region.get_attribute("aria-live") == "polite"
    # The round's 3-minute countdown appeared with the room (announcements are recorded from
    # the page's load on), and is redrawn with the rooms' region (a message to them).
    clock = page.locator("[data-ends-at][data-announce='this round']")
    expect(clock).to_have_text(re.compile(r"^[23]:\d\d left$"))
    room.console.get_by_label("Message", exact=True).fill("Half way there.")
    command(room.console, "Send to every room", "Sent the message to every room.")
    expect(page.get_by_text("Half way there.", exact=True)).to_be_visible()
    # Sent: the field is empty, not ready to send the same again by mistake.
    expect(room.console.get_by_label("Message", exact=True)).to_have_value("")
    expect(clock).to_have_text(re.compile(r"^[23]:\d\d left$"))
    page.wait_for_timeout(2500)  # ticks once a second
    assert not [text for text in said(page) if "Five minutes left" in text], said(page)

    # A closing warning of 12 s is not "One minute left for the rooms closing".
    room.console.get_by_label("Warning (seconds)").fill("12")
    command(room.console, "Close the rooms", "The rooms close in 12 s.")
    closing = page.locator("[data-ends-at][data-announce='the rooms closing']")
    expect(closing).to_have_text(re.compile(r"^0:\d\d left$"))
    page.wait_for_timeout(2500)
    assert "The rooms close in 12 seconds." in said(page) or any(
        re.fullmatch(r"The rooms close in 1[01] seconds\.", text) for text in said(page)
    ), said(page)
    assert not [text for text in said(page) if "minute" in text], said(page)
    contexts.assert_no_errors()


def test_notes_typed_while_a_save_is_on_its_way_are_sent_as_the_page_goes(
    contexts: Contexts, server: Server
) -> None:
    room = open_room(contexts, server, "Notes on reload", cut=True)
    assert room.cutter is not None
    page, area = room.pages[0], room.area()
    area.fill("Start.")
    expect(room.status()).to_have_text("All changes saved.")
    # Offline, a save over HTTP hangs (held here, never answered); more is typed meanwhile,
    # and the page is reloaded before that save is answered.
    held: list[Route] = []

    def hang_first(route: Route) -> None:
        if route.request.method == "POST" and not held:
            held.append(route)
            return
        route.continue_()

    page.route("**/notes/", hang_first)
    room.cutter.cut()
    expect(connection_status(page)).to_contain_text("Connection lost")
    area.fill("Start. Typed offline.")
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the save over HTTP was not sent"
    area.fill("Start. Typed offline. And more.")
    room.cutter.restore()
    page.reload()
    expect(connection_status(page)).to_have_text(re.compile("^Connected"))
    # Both parts, each once (the two beacons may reach the server in either order).
    expect(room.console_notes()).to_contain_text("And more.")
    text = saved_text(page)
    assert text.count("Typed offline.") == 1 and text.count("And more.") == 1, text
    assert text.startswith("Start. "), text
    expect(area).to_have_value(text)
    held[0].abort()


class LateRedraws:
    """Holds back the answers to the pages' requests for the round region made from `after`
    (time.monotonic()) on: each is rendered by the server when asked for, and shown only on
    `release`."""

    def __init__(self, pages: list[Page], after: float) -> None:
        self.after = after
        self.held: list[tuple[Route, Any]] = []
        for page in pages:
            page.route("**/round/", self._hold)

    def _hold(self, route: Route) -> None:
        if time.monotonic() < self.after:
            route.continue_()
            return
        self.held.append((route, route.fetch()))

    def wait_for(self, count: int, page: Page, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        while len(self.held) < count:
            assert time.monotonic() < deadline, f"{len(self.held)} of {count} redraws asked for"
            page.wait_for_timeout(50)

    def release(self) -> None:
        for route, response in self.held:
            route.fulfill(response=response)
        self.held.clear()


def test_a_redraw_rendered_before_the_last_save_does_not_bring_back_older_notes(
    contexts: Contexts, server: Server
) -> None:
    room = open_room(contexts, server, "Notes redrawn late")
    page, other = room.pages
    room.area().fill("First lines.")
    expect(room.area(1)).to_have_value("First lines.")
    expect(room.console_notes()).to_have_text("First lines.")
    room.console.get_by_label("Warning (seconds)").fill(str(MIN_WARNING_S))
    command(room.console, "Close the rooms", f"The rooms close in {MIN_WARNING_S} s.")
    # Half a second after the closing time every page asks for its read-only view; the server
    # renders each at once, and the answers reach the pages only after one more save (the
    # server takes saves for a few seconds after the closing time).
    late = LateRedraws([page, other, room.console], time.monotonic() + MIN_WARNING_S / 2)
    late.wait_for(3, page, within_s=MIN_WARNING_S + 10)
    final = "First lines.\nLast words, saved after the closing time."
    room.area().fill(final)
    expect(room.area(1)).to_have_value(final)
    expect(room.console_notes()).to_have_text(final)
    assert saved_text(page) == final
    late.release()
    for index in (0, 1):
        expect(room.area(index)).not_to_be_editable()
        expect(room.area(index)).to_have_value(final)
    expect(room.console.get_by_text("The rooms have closed")).to_be_visible()
    expect(room.console_notes()).to_have_text(final)
    contexts.assert_no_errors()


HOLD_SAVES = """() => {
  const send = WebSocket.prototype.send;
  window.__held = [];
  window.__hold = true;
  WebSocket.prototype.send = function (data) {
    if (window.__hold && String(data).includes('"notes.save"')) {
      window.__held.push([this, data]);
      return;
    }
    return send.call(this, data);
  };
  window.__release = () => {
    window.__hold = false;
    window.__held.splice(0).forEach(([socket, data]) => send.call(socket, data));
  };
}"""


def test_a_save_merged_with_someone_elses_shows_the_merged_text_to_its_writer(
    contexts: Contexts, server: Server
) -> None:
    """Two people save at once: the second save to arrive is merged on the server, and its
    writer's page (which is sent the answer, not the room's event) shows both changes, so its
    next save keeps the other person's words."""
    room = open_room(contexts, server, "Notes merged")
    page, other = room.pages
    room.area().fill("Start.")
    expect(room.area(1)).to_have_value("Start.")
    page.evaluate(HOLD_SAVES)
    # This page's save is on its way (held back) while the other person's goes through.
    room.area().fill("Start. Alpha.")
    page.wait_for_function("() => window.__held.length === 1")
    room.area(1).fill("Beta. Start.")
    expect(room.area(1)).to_have_value("Beta. Start.")
    expect(room.status(1)).to_have_text("All changes saved.")
    page.evaluate("() => window.__release()")
    expect(room.area()).to_have_value("Beta. Start. Alpha.")
    expect(room.area(1)).to_have_value("Beta. Start. Alpha.")
    # The next change on this page is based on the merged text: nothing of the other's goes.
    room.area().press("End")
    room.area().press_sequentially(" Gamma.")
    expect(room.area(1)).to_have_value("Beta. Start. Alpha. Gamma.")
    expect(room.status()).to_have_text("All changes saved.")
    assert saved_text(page) == "Beta. Start. Alpha. Gamma."
    expect(room.console_notes()).to_have_text("Beta. Start. Alpha. Gamma.")
    contexts.assert_no_errors()


# Two more people of the programme, present through made-up channels, so that two people in
# browsers and these two make two rooms of two.
_TWO_MORE = """
import json, sys
import django
django.setup()
from convenor.accounts.models import User
from convenor.live import actions
from convenor.programmes import actions as programmes
from convenor.workshops.models import Session

spec = json.loads(sys.argv[1])
user = User.objects.get(email=spec["email"])
session = Session.objects.get(title=spec["title"], programme__name=spec["programme"])
for number, (name, organisation) in enumerate(spec["more"]):
    person = programmes.add_participant(
        session.programme, user, display_name=name, organisation=organisation, sector="Arts"
    )
    programmes.agree_ground_rules(person)
    actions.do_connect(session, f"seed!{number}", participant=person)
print(json.dumps({"ok": True}))
"""
ROOM_HEADING = re.compile(r"^Room (\d+): you are with$")


@dataclass
class Rooms:
    console: Page
    page: Page  # the person who types, in a browser (another is in one too)
    name: str  # theirs
    room: str  # their room's number
    other: str  # the other room's number
    group: str  # their room's id

    def notes_of(self, group: str) -> str:
        """Room `group`'s notes as the server has them, asked by this person's page."""
        found: Any = self.page.evaluate(
            """async (group) => {
              const live = document.getElementById("live");
              const url = live.getAttribute("data-notes-url") + "?group=" + group;
              const answer = await fetch(url, { headers: { "Accept": "application/json" } });
              return (await answer.json()).text;
            }""",
            self.group,
        )
        assert isinstance(found, str)
        return found


def open_two_rooms(contexts: Contexts, server: Server, name: str) -> Rooms:
    seeded = seed_live_session(server, f"{name} {secrets.token_hex(3)}", name)
    more = [["Ines Varga", "Riverside Leisure Trust"], ["Tomas Berg", "Northfield Sports Club"]]
    spec = {"email": server.email, "programme": seeded.programme, "title": seeded.title}
    run_seed(server, _TWO_MORE, {**spec, "more": more})
    unchecked = PageChecker(axe=False)  # axe-core runs in test_live_session.py
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, unchecked)
    pages = []
    for person in seeded.people[:2]:
        page = contexts.new_page(person.name, DESKTOP)
        join(PointerDriver(page), person, seeded, unchecked)
        pages.append(page)
    console = facilitator.page
    console.goto(seeded.console_path)
    expect(connection_status(console)).to_have_text(re.compile("^Connected"))
    console.get_by_label("Or number of rooms").fill("2")
    command(console, "Start breakout rooms", "Opened 2 breakout rooms.")
    page = pages[0]
    heading = page.get_by_role("heading", name=ROOM_HEADING)
    expect(heading).to_be_visible()
    match = ROOM_HEADING.match(heading.inner_text().strip())
    assert match
    room = match.group(1)
    group = page.locator("form[data-notes]").get_attribute("data-notes")
    assert group
    return Rooms(console, page, seeded.people[0].name, room, "2" if room == "1" else "1", group)


def type_and_hold(rooms: Rooms, text: str) -> None:
    """Type `text` into the room's notes; its save is held back on its way to the server."""
    page = rooms.page
    page.evaluate(HOLD_SAVES)
    page.get_by_label(NOTES).fill(text)
    page.wait_for_function("() => window.__held.length === 1")


@pytest.mark.parametrize("how", ["moved", "round ended"])
def test_notes_on_their_way_as_the_room_goes_are_saved_where_they_were_typed(
    contexts: Contexts, server: Server, how: str
) -> None:
    """The facilitator moves someone to another room, or ends the round, just as their save is
    on its way: it still goes into the room it was typed in, and the page says so."""
    rooms = open_two_rooms(contexts, server, f"Notes as the room goes, {how}")
    page = rooms.page
    typed = "A thought from the first room."
    type_and_hold(rooms, typed)
    if how == "moved":
        rooms.console.get_by_label("Person", exact=True).last.select_option(label=rooms.name)
        rooms.console.get_by_label("to room").select_option(label=f"Room {rooms.other}")
        command(rooms.console, "Move", f"Moved {rooms.name} to room {rooms.other}.")
        expect(page.get_by_role("heading", name=ROOM_HEADING)).to_have_text(
            f"Room {rooms.other}: you are with"
        )
        expect(page.get_by_label(NOTES)).to_have_value("")
    else:
        command(rooms.console, "End the round", "Ended the round.")
        expect(page.get_by_label(NOTES)).to_have_count(0)
    page.evaluate("() => window.__release()")
    expect(connection_status(page)).to_have_text(
        f"What you typed last in room {rooms.room}'s notes was saved there."
    )
    if how == "moved":  # no longer theirs to read: the console shows it
        expect(rooms.console.get_by_role("region", name=f"Room {rooms.room}'s notes")).to_have_text(
            typed
        )
    else:
        assert rooms.notes_of(rooms.group) == typed
    expect(page.locator(".notes-left")).to_have_count(0)
    contexts.assert_no_errors()


def test_notes_that_arrive_too_late_for_a_room_left_behind_are_offered_to_copy(
    contexts: Contexts, server: Server
) -> None:
    rooms = open_two_rooms(contexts, server, "Notes left too late")
    page = rooms.page
    typed = "Words that came too late."
    type_and_hold(rooms, typed)
    command(rooms.console, "End the round", "Ended the round.")
    expect(page.get_by_label(NOTES)).to_have_count(0)
    # Longer than the server's grace after the round's end (convenor.live.notes.CLOSING_GRACE).
    time.sleep(11)
    page.evaluate("() => window.__release()")
    left = page.get_by_role("group", name=re.compile("^Not saved: This round has ended"))
    expect(left).to_be_visible()
    expect(left.get_by_role("textbox")).to_have_value(typed)
    assert rooms.notes_of(rooms.group) == ""
    left.get_by_role("button", name="Dismiss").click()
    expect(left).to_have_count(0)
    contexts.assert_no_errors()


PASTE = """(area, text) => {
  const data = new DataTransfer();
  data.setData("text/plain", text);
  area.dispatchEvent(
    new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true })
  );
}"""


def test_saving_is_not_read_out_but_what_needs_attention_is(
    contexts: Contexts, server: Server
) -> None:
    """While people type, the notes' status goes between "Unsaved changes…" and "All changes
    saved." every few seconds: shown, not announced (a screen reader would read it out each
    time). A paste that does not fit the notes' limit is cut short by the browser: the page
    says so, on screen and to a screen reader."""
    room = open_room(contexts, server, "Quiet saves")
    page, area = room.pages[0], room.area()
    assert room.status().get_attribute("role") is None
    area.press_sequentially("One line, then a pause.", delay=20)
    expect(room.status()).to_have_text("All changes saved.")
    area.press("End")
    area.press_sequentially(" And another.", delay=20)
    expect(room.status()).to_have_text("All changes saved.")
    typed = "One line, then a pause. And another."
    expect(area).to_have_value(typed)
    routine = ("Unsaved changes…", "All changes saved.")
    assert not [text for text in said(page) if text in routine], said(page)

    area.evaluate(PASTE, "x" * 25_000)
    fits = 20_000 - len(typed)
    told = (
        f"Only the first {fits:,} of the 25,000 characters pasted fit: the notes can be at "
        "most 20,000 characters long."
    )
    expect(room.status()).to_have_text(told)
    expect(page.locator("[data-live-announce]")).to_have_text(told)
    # Said, then taken away: nobody reading the page later comes upon an old message.
    expect(page.locator("[data-live-announce]")).to_have_text("", timeout=20_000)
    expect(room.status()).to_have_text(told)
    contexts.assert_no_errors()
