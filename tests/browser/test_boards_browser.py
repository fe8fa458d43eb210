"""The boards in Chromium: the plenary stream, the Cynefin board and the empathy map, used by
three participants (one on a 360 px phone) while a facilitator runs them from the console.

Contributions go through the panels' own forms (over the socket) and must appear on the other
pages without a reload; axe-core checks every panel at 1280 px and at 360 px (where nothing may
scroll sideways), for participants and for the console, and the empathy maps' plenary view.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from . import flows
from .conftest import Contexts
from .live_helpers import (
    GROUND_RULE,
    Person,
    SeededSession,
    assert_not_reloaded,
    command,
    join,
    mark_page,
    now_region,
    run_seed,
)
from .support import DESKTOP, PHONE, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
PERSONA = "a parent in one of our priority neighbourhoods"
PEOPLE = [
    ("Rhea Adeyemi", "Northfield Council", "Local government"),
    ("Tomas Lindqvist", "Valley Health Trust", "Health"),
    ("Kemi Osei", "Shire Food Network", "Voluntary sector"),
]

_SEED = """
import json, sys
from datetime import date, time, timedelta
import django
django.setup()
from django.urls import reverse
from convenor.accounts.models import User
from convenor.programmes import actions as programmes
from convenor.workshops import actions as workshops
from convenor.workshops.models import Segment, Session

spec = json.loads(sys.argv[1])
user = User.objects.get(email=spec["email"])
programme = programmes.create_programme(
    user, name=spec["programme"], ground_rules=spec["ground_rule"]
)
session = workshops.create_session(
    programme, user, title=spec["title"], starts_on=date.today() + timedelta(days=1),
    start_time=time(10, 0), time_zone="Europe/London", duration_minutes=90,
    format=Session.Format.ONLINE, video_url_template="https://meet.example.org/{room}",
)
for position, (title, kind, prompts) in enumerate(spec["segments"]):
    Segment.objects.create(
        session=session, position=position, title=title, kind=kind, duration_minutes=15,
        prompts=prompts,
    )
people = []
for name, organisation, sector in spec["people"]:
    person = programmes.add_participant(
        programme, user, display_name=name, organisation=organisation, sector=sector
    )
    token = programmes.issue_personal_invite(person, user).token
    people.append({"name": name, "invite": reverse("programmes:invite_redeem", args=[token])})
print(json.dumps({
    "people": people,
    "live": reverse("live:session", args=[programme.pk, session.pk]),
    "console": reverse("live:console", args=[programme.pk, session.pk]),
}))
"""

SEGMENTS = [
    ("Plenary: what is resonating?", "plenary", "Speak up or add your thoughts to the chat."),
    ("Where do our challenges sit?", "cynefin_board", "Place a challenge you face."),
    ("Empathy map", "empathy_map", f"Persona: {PERSONA}\nWhat do they see and hear?"),
]


def seed(
    server: Server,
    programme: str,
    title: str,
    segments: list[tuple[str, str, str]] = SEGMENTS,
    invited: list[tuple[str, str, str]] = PEOPLE,
) -> SeededSession:
    """The programme, the invited people (three) and a session of the segments (the three
    board segments), written into the server's database (see live_helpers.run_seed)."""
    spec = {
        "email": server.email,
        "programme": programme,
        "title": title,
        "ground_rule": GROUND_RULE,
        "segments": segments,
        "people": invited,
    }
    made = run_seed(server, _SEED, spec)
    people = [
        Person(name, organisation, sector, entry["invite"])
        for (name, organisation, sector), entry in zip(invited, made["people"], strict=True)
    ]
    return SeededSession(programme, title, people, made["live"], made["console"])


def take_part(page: Page) -> Locator:
    return page.get_by_role("region", name="Take part")


def activity(console: Page) -> Locator:
    return console.get_by_role("region", name="Activity", exact=True)


def check_both_widths(
    check: PageChecker, page: Page, name: str, failures: list[str] | None = None
) -> None:
    """axe-core at the page's own width and at the other one (phone or desktop).

    With `failures`, what the checks find is collected there instead of stopping the test, so
    one finding outside the boards (the console's run-sheet table, see below) does not hide the
    boards' own checks that come after it; the test still fails at its end.
    """
    size = page.viewport_size
    assert size is not None
    first, second = (PHONE, DESKTOP) if size["width"] <= PHONE["width"] else (DESKTOP, PHONE)
    try:
        for viewport in (first, second):
            page.set_viewport_size(viewport)  # type: ignore[arg-type]
            try:
                check(page, f"{name} at {viewport['width']} px")
            except AssertionError as found:
                if failures is None:
                    raise
                failures.append(str(found))
    finally:
        page.set_viewport_size(first)  # type: ignore[arg-type]


def test_the_three_boards_live_and_accessible(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    seeded = seed(server, f"Boards cohort {secrets.token_hex(3)}", "Making sense together")
    rhea, tomas, kemi = seeded.people
    quiet = PageChecker(axe=False)  # the join pages are checked by the flows tests

    host = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(host, server, quiet)
    desk = PointerDriver(contexts.new_page(rhea.name, DESKTOP))
    phone = PointerDriver(contexts.new_page(tomas.name, PHONE))
    third = PointerDriver(contexts.new_page(kemi.name, DESKTOP))
    for driver, person in ((desk, rhea), (phone, tomas), (third, kemi)):
        join(driver, person, seeded, quiet)
    console = host.page
    console.goto(seeded.console_path)
    flows.heading(console, f"Console: {seeded.title}")
    pages = {rhea.name: desk.page, tomas.name: phone.page, kemi.name: third.page}
    # The console at 360 px: its run-sheet table (convenor/live, not the boards) scrolls inside
    # itself with nothing focusable in it, which axe-core reports; collected, asserted last.
    console_found: list[str] = []
    for page in pages.values():
        mark_page(page)

    # --- Plenary stream ---------------------------------------------------------------------
    command(console, "Start the next segment", f"Started “{SEGMENTS[0][0]}”.")
    for page in pages.values():
        expect(take_part(page)).to_contain_text("Speak up or put it in the chat")
    desk.fill(take_part(desk.page).get_by_label("Your post"), "We keep treating complex as simple.")
    desk.activate(take_part(desk.page).get_by_role("button", name="Post", exact=True))
    # The form's own status line may be replaced by the region's refresh: the post is the proof.
    posted = take_part(desk.page).get_by_role("listitem").filter(has_text="complex as simple")
    expect(posted).to_have_count(1)
    mine = take_part(phone.page).get_by_role("listitem").filter(has_text="complex as simple")
    expect(mine).to_have_count(1)
    agree = mine.get_by_role("button", name=re.compile(r"^Agree"))
    expect(agree).to_have_attribute("aria-pressed", "false")
    # A page with nothing of its own in the stream is sent it with the event: no request.
    bystander: list[str] = []
    third.page.on("request", lambda request: bystander.append(request.url))
    phone.activate(agree)

    def agree_on(page: Page) -> Locator:
        post = take_part(page).get_by_role("listitem").filter(has_text="complex as simple")
        return post.get_by_role("button", name=re.compile(r"^Agree"))

    expect(agree_on(phone.page)).to_have_attribute("aria-pressed", "true")
    expect(activity(console)).to_contain_text("Agree 1")
    expect(agree_on(third.page)).to_have_text("Agree 1")
    expect(agree_on(third.page)).to_have_attribute("aria-pressed", "false")
    third.page.wait_for_timeout(1_000)  # live.js fetches a region within 300 ms of its event
    assert not [url for url in bystander if "/activity/" in url], bystander
    # The pushed stream's forms work: Kemi's own reaction (now Kemi's page asks for its own).
    third.activate(agree_on(third.page))
    expect(agree_on(third.page)).to_have_attribute("aria-pressed", "true")
    expect(agree_on(third.page)).to_have_text("Agree 2")
    expect(activity(console)).to_contain_text("Agree 2")
    assert [url for url in bystander if "/activity/" in url], "its own view is fetched"
    activity(console).get_by_role("button", name="Pin to the top").click()
    expect(take_part(desk.page)).to_contain_text("Pinned")
    # Under the Chatham House rule nobody's name is on a post, the author's own says "You".
    expect(take_part(desk.page).get_by_role("listitem").first).to_contain_text("You")
    expect(take_part(phone.page)).not_to_contain_text(rhea.name)
    expect(activity(console)).not_to_contain_text(rhea.name)
    # "See what participants see": the facilitator's own view of the page, which takes no
    # region sent to the participants (it fetches, as the console does) and so keeps the
    # facilitator's controls when someone posts.
    preview = console.context.new_page()
    preview.goto(seeded.live_path)
    expect(activity(preview).get_by_role("button", name="Unpin")).to_have_count(1)
    third.fill(take_part(third.page).get_by_label("Your post"), "A second thought")
    third.activate(take_part(third.page).get_by_role("button", name="Post", exact=True))
    expect(activity(preview)).to_contain_text("A second thought")
    expect(activity(preview).get_by_role("button", name="Pin to the top")).to_have_count(1)
    expect(activity(preview).get_by_label("Your post")).to_have_count(0)
    preview.close()
    check_both_widths(check_page, console, "console with the plenary stream", console_found)
    check_both_widths(check_page, phone.page, "participant page with the plenary stream")

    # --- Cynefin board ----------------------------------------------------------------------
    command(console, "Start the next segment", f"Started “{SEGMENTS[1][0]}”.")
    expect(take_part(desk.page)).to_contain_text("Cynefin board")
    part = take_part(desk.page)
    desk.fill(part.get_by_label("A situation you face"), "Joining up data across partners")
    part.get_by_label("Where it sits").select_option("complicated")
    desk.activate(part.get_by_role("button", name="Place it"))
    board = take_part(phone.page)
    expect(board).to_contain_text("1 item on the board: 0 clear, 1 complicated")
    item = board.get_by_role("listitem").filter(has_text="Joining up data")
    item.get_by_label("Suggest moving it to").select_option("complex")
    phone.activate(item.get_by_role("button", name="Suggest"))
    expect(take_part(desk.page)).to_contain_text("Suggested moves: 1 to Complex")
    own = take_part(desk.page).get_by_role("listitem").filter(has_text="Joining up data")
    own.get_by_label("Move it to").select_option("complex")
    desk.activate(own.get_by_role("button", name="Move"))
    expect(take_part(phone.page)).to_contain_text(
        "1 item on the board: 0 clear, 0 complicated, 1 complex"
    )
    complex_list = take_part(phone.page).get_by_role("region", name=re.compile(r"^Complex"))
    expect(complex_list).to_contain_text("Joining up data")
    check_both_widths(check_page, console, "console with the Cynefin board", console_found)
    check_both_widths(check_page, desk.page, "participant page with the Cynefin board")

    # --- Empathy map ------------------------------------------------------------------------
    command(console, "Start the next segment", f"Started “{SEGMENTS[2][0]}”.")
    for page in pages.values():
        expect(take_part(page)).to_contain_text("start breakout groups first")
    console.get_by_label("People per room (3 to 8)").fill("3")
    # Each group's map comes with the group (convenor.activities.pushed): no page asks for it.
    asked: list[str] = []
    for page in pages.values():
        page.on("request", lambda request: asked.append(request.url))
    console.get_by_role("button", name="Start breakout rooms").click()
    mine_heading = re.compile(r"^Your group's map \(group \d+\)$")
    for page in pages.values():
        expect(take_part(page).get_by_role("heading", name=mine_heading)).to_be_visible()
    desk.page.wait_for_timeout(1_000)  # live.js fetches a region within 300 ms of its event
    assert not [url for url in asked if "/activity/" in url], asked
    # An extension changes the segment's times, not the maps: nobody asks for them either.
    console.get_by_label("Extend by (minutes)").fill("5")
    command(console, "Extend", f"Extended “{SEGMENTS[2][0]}” by 5 min.")
    for page in pages.values():
        expect(now_region(page)).to_contain_text("extended by 5 min")
    desk.page.wait_for_timeout(1_000)
    assert not [url for url in asked if "/activity/" in url], asked
    part = take_part(phone.page)
    part.get_by_label("Which part of the map").select_option("thinks_feels")
    phone.fill(part.get_by_label("Your note"), "Worried about being judged")
    phone.activate(part.get_by_role("button", name="Add the note"))
    feels = (
        take_part(desk.page)
        .locator(".empathy-area")
        .filter(has=desk.page.get_by_role("heading", name=re.compile(r"^Thinks and feels")))
    )
    expect(feels).to_contain_text("Worried about being judged")
    expect(activity(console)).to_contain_text("Worried about being judged")
    expect(take_part(desk.page)).to_contain_text(f"Empathy map: {PERSONA}")
    check_both_widths(check_page, console, "console with the empathy maps", console_found)
    check_both_widths(check_page, phone.page, "participant page with the empathy map")
    view = take_part(phone.page).get_by_role("link", name=re.compile("^Every group's map"))
    phone.activate(view)
    flows.heading(phone.page, f"Empathy maps: {PERSONA}")
    combined = phone.page.get_by_role("region", name="Every group together")
    expect(combined).to_contain_text("Worried about being judged")
    check_both_widths(check_page, phone.page, "empathy maps' plenary view")

    for name in (rhea.name, kemi.name):
        assert_not_reloaded(pages[name], name)
    contexts.assert_no_errors()
    assert not console_found, "\n".join(console_found)
    assert len(check_page.checked) == 14, check_page.checked


def test_a_note_on_one_group_s_map_is_fetched_by_that_group_only(
    contexts: Contexts, server: Server
) -> None:
    """Two rooms on one empathy map segment: each room's pages show its own map, pushed with
    the groups; a note added in one room (by a double click: once) reaches that room and the
    console, and the other room's pages do not ask for anything."""
    four = [*PEOPLE, ("Ana Costa", "Riverside Housing", "Housing")]
    seeded = seed(server, f"Maps cohort {secrets.token_hex(3)}", "Two maps", SEGMENTS[2:], four)
    quiet = PageChecker(axe=False)  # test_the_three_boards_live_and_accessible runs axe-core
    host = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(host, server, quiet)
    drivers = {}
    for person in seeded.people:
        drivers[person.name] = PointerDriver(contexts.new_page(person.name, DESKTOP))
        join(drivers[person.name], person, seeded, quiet)
    console = host.page
    console.goto(seeded.console_path)
    flows.heading(console, f"Console: {seeded.title}")
    command(console, "Start the next segment", f"Started “{SEGMENTS[2][0]}”.")
    for driver in drivers.values():
        expect(take_part(driver.page)).to_contain_text("start breakout groups first")
    console.get_by_label("Or number of rooms").fill("2")
    command(console, "Start breakout rooms", "Opened 2 breakout rooms.")
    rooms: dict[str, list[PointerDriver]] = {}
    for driver in drivers.values():
        heading = take_part(driver.page).get_by_role(
            "heading", name=re.compile(r"^Your group's map \(group \d+\)$")
        )
        expect(heading).to_be_visible()
        rooms.setdefault(heading.inner_text(), []).append(driver)
    assert sorted(len(members) for members in rooms.values()) == [2, 2], rooms
    (writer, partner), others = rooms.values()
    asked: list[str] = []
    for driver in others:
        driver.page.on("request", lambda request: asked.append(request.url))
    part = take_part(writer.page)
    part.get_by_label("Which part of the map").select_option("does")
    writer.fill(part.get_by_label("Your note"), "Asks the same question three times")
    # A double click adds the note once.
    part.get_by_role("button", name="Add the note").dblclick()
    expect(take_part(partner.page)).to_contain_text("Asks the same question three times")
    expect(activity(console)).to_contain_text("Asks the same question three times")
    others[0].page.wait_for_timeout(1_000)  # live.js fetches a region within 300 ms of its event
    assert not [url for url in asked if "/activity/" in url], asked
    for page in (writer.page, partner.page, console):
        expect(page.get_by_text("Asks the same question three times")).to_have_count(1)
    for driver in others:
        expect(take_part(driver.page)).not_to_contain_text("Asks the same question")
    contexts.assert_no_errors()
