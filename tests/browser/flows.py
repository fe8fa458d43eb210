"""The flows a new user goes through, written once and run by mouse, by keyboard and on a phone.

Each step works only through what the page shows (roles, labels, link texts), and checks each
page it lands on with `check` (axe-core, and no sideways scroll at phone width).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from convenor.workshops.templates_builtin import COMMON_PURPOSE

from .support import Driver, Server

Check = Callable[[Page, str], None]

GROUND_RULES = (
    "Listen to understand, not to reply.\n"
    "Everyone's experience counts: make room for the quieter voices.\n"
    "What is said here stays here."
)
EXTRA_RULE = "Cameras on if you can, off if you need to."
PEOPLE_CSV = """name,email,organisation,sector,role
Noor Haddad,noor@example.org,Riverside Health Trust,Health,Ward manager
Tom Briggs,tom@example.org,Riverside Health Trust,Health,
Ada Mensah,ada@example.org,County Council,Local government,Public health lead
Owen Price,,County Council,Local government,
Bea Kowalski,bea@example.org,Active Shire,Active partnership,Coordinator
Sol Rivera,sol@example.org,Shire Voluntary Action,Voluntary sector,Chief officer
"""
INVITED = "Noor Haddad"
REFERENCE_SEGMENTS = len(COMMON_PURPOSE.segments)  # in the built-in reference template


@dataclass(frozen=True)
class Plan:
    """What the facilitator sets up; names are unique per run so the tests don't collide."""

    programme: str
    description: str = "Partners from health, councils and the voluntary sector, meeting monthly."


def programme_nav(page: Page, link: str) -> Locator:
    return page.get_by_role("navigation", name=re.compile("^Programme")).get_by_role(
        "link", name=link, exact=True
    )


def heading(page: Page, text: str | re.Pattern[str]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def sign_in(d: Driver, server: Server, check: Check) -> None:
    page = d.page
    page.goto("/")
    heading(page, "Sign in")
    check(page, "sign-in")
    d.fill(page.get_by_label("Email address"), server.email)
    d.fill(page.get_by_label("Password"), server.password)
    d.activate(page.get_by_role("button", name="Sign in"))
    heading(page, "Your programmes")
    check(page, "facilitator home")


def create_programme(d: Driver, plan: Plan, check: Check) -> None:
    page = d.page
    d.activate(page.get_by_role("link", name="Create a programme"))
    heading(page, "Create a programme")
    check(page, "programme create")
    # The name is forgotten at first: the error summary's link leads back to the field.
    d.fill(page.get_by_label("Description"), plan.description)
    d.fill(page.get_by_label("Ground rules"), GROUND_RULES)
    d.activate(page.get_by_role("button", name="Create programme"))
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    check(page, "programme create with an error")
    name = page.get_by_label("Name")
    d.activate(summary.get_by_role("link", name=re.compile("^Name")))
    expect(name).to_be_focused()
    expect(page.get_by_label("Ground rules")).to_have_value(GROUND_RULES)
    d.fill(name, plan.programme)
    d.activate(page.get_by_role("button", name="Create programme"))
    heading(page, plan.programme)
    expect(page.get_by_role("status").filter(has_text=f"Created {plan.programme}")).to_be_visible()
    check(page, "programme dashboard")


def edit_programme(d: Driver, plan: Plan, check: Check) -> None:
    """Open the settings from the programme navigation, change the retention period, save."""
    page = d.page
    d.activate(programme_nav(page, "Settings"))
    heading(page, "Programme settings")
    check(page, "programme edit")
    expect(page.get_by_label("Ground rules")).to_have_value(GROUND_RULES)
    # Down to the last field, then back up to an earlier one (Shift+Tab by keyboard).
    d.fill(page.get_by_label("Ground rules"), f"{GROUND_RULES}\n{EXTRA_RULE}")
    d.fill(page.get_by_label("Keep data for (days)"), "120")
    d.activate(page.get_by_role("button", name="Save settings"))
    heading(page, plan.programme)
    expect(page.get_by_text("120 days after archiving")).to_be_visible()


def import_people(d: Driver, csv_file: Path, check: Check) -> None:
    """Upload a CSV, read the preview, confirm; everyone is then on the people list."""
    page = d.page
    d.activate(programme_nav(page, "People"))
    heading(page, "People")
    check(page, "people list (empty)")
    d.activate(page.get_by_role("main").get_by_role("link", name="Import a CSV file"))
    heading(page, "Import people from a CSV file")
    check(page, "people import")
    d.upload(page.get_by_label("CSV file"), csv_file)
    d.activate(page.get_by_role("button", name="Preview"))
    heading(page, "Check the import")
    expect(page.get_by_role("status").filter(has_text="All 6 rows are ready")).to_be_visible()
    check(page, "import preview")
    d.activate(page.get_by_role("button", name="Import 6 people"))
    heading(page, "People")
    table = page.get_by_role("table")
    expect(table.get_by_role("rowheader")).to_have_count(6)
    expect(table.get_by_role("row", name=re.compile(INVITED))).to_contain_text(
        "Riverside Health Trust"
    )
    check(page, "people list")


def back_to_people(d: Driver) -> None:
    d.activate(programme_nav(d.page, "People"))
    heading(d.page, "People")


def make_invite_link(d: Driver, check: Check) -> str:
    """From the people list, make a personal link for INVITED and copy it off the page."""
    page = d.page
    d.activate(page.get_by_role("link", name=f"Link for {INVITED}"))
    heading(page, f"Invite link for {INVITED}")
    check(page, "invite link")
    d.activate(page.get_by_role("button", name="Make a link"))
    heading(page, f"New link for {INVITED}")
    shown = page.get_by_label("Copy the link now").input_value()
    assert shown.startswith("http://127.0.0.1:"), shown
    d.activate(page.get_by_role("button", name="Copy link"))
    expect(page.get_by_role("status").filter(has_text="Link copied.")).to_be_attached()
    check(page, "invite link made")
    copied = str(page.evaluate("navigator.clipboard.readText()"))
    assert copied == shown, f"the Copy link button copied {copied!r}, the page shows {shown!r}"
    return copied


def same_day_and_month(today: date) -> date:
    """A date a week or more ahead with day == month (12 December), typed alike D/M or M/D."""
    day = today + timedelta(days=7)
    while day.day != day.month:
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class SessionPlan:
    title: str = "Building common purpose"
    on: str = field(default_factory=lambda: same_day_and_month(date.today()).isoformat())
    at: str = "10:00"
    minutes: str = "180"
    rooms: str = "https://meet.example.org/cohort-{room}"
    template: str = "Common understanding and common purpose (3 hours)"


def plan_session(d: Driver, session: SessionPlan, check: Check) -> None:
    """Add a session and build its run-sheet from the built-in reference template."""
    page = d.page
    d.activate(programme_nav(page, "Sessions"))
    heading(page, "Sessions")
    check(page, "session list (empty)")
    d.activate(page.get_by_role("link", name="Add a session"))
    heading(page, "Add a session")
    check(page, "session form")
    d.fill(page.get_by_label("Title or topic"), session.title)
    d.fill(page.get_by_label("Date"), session.on)
    d.fill(page.get_by_label("Start time"), session.at)
    d.fill(page.get_by_label("Duration (minutes)"), session.minutes)
    d.check(page.get_by_role("radio", name="Online"))
    d.fill(page.get_by_label("Video-room address"), session.rooms)
    d.activate(page.get_by_role("button", name="Add session"))
    heading(page, session.title)
    expect(page.get_by_text("No segments yet.")).to_be_visible()
    check(page, "run-sheet (empty)")

    d.activate(page.get_by_role("link", name="Build from a template"))
    heading(page, "Build the run-sheet from a template")
    check(page, "template choice")
    d.check(page.get_by_role("radio", name=session.template))
    d.activate(page.get_by_role("button", name="Build the run-sheet"))
    heading(page, session.title)
    expect(segment_titles(page)).to_have_count(REFERENCE_SEGMENTS)
    expect(
        page.get_by_text(f"{session.minutes} of {session.minutes} minutes planned")
    ).to_be_visible()
    check(page, "run-sheet editor")


def segment_titles(page: Page) -> Locator:
    """The run-sheet's segment titles, in order (the text before each segment's kind tag)."""
    return page.get_by_role("table").get_by_role("rowheader")


def titles_in_order(page: Page) -> list[str]:
    titles = segment_titles(page).evaluate_all("ths => ths.map(th => th.firstChild.textContent)")
    return [str(title).strip() for title in titles]


def move_second_segment_down(d: Driver, check: Check) -> None:
    """Swap the 2nd and 3rd segments with the move buttons; the focus stays on the button."""
    page = d.page
    before = titles_in_order(page)
    moving = before[1]
    # The hidden part of the name is its own box, so Chromium reads "Move down : <title>".
    button = page.get_by_role("button", name=re.compile(rf"^Move down\s*: {re.escape(moving)}$"))
    page.evaluate("() => { window.convenorBeforeMove = true; }")
    d.activate(button)
    expected = [before[0], before[2], before[1], *before[3:]]
    expect(segment_titles(page).nth(2)).to_contain_text(moving)
    assert titles_in_order(page) == expected
    expect(
        page.get_by_role("status").filter(has_text=f"Moved “{moving}” to place 3")
    ).to_be_attached()
    # htmx swapped the table in place (no reload), and the focus stayed on the moved segment's
    # button: a keyboard user is not thrown back to the top of the page.
    assert page.evaluate("() => window.convenorBeforeMove === true"), "the page was reloaded"
    expect(button).to_be_focused()
    check(page, "run-sheet editor after a move")


def join_and_agree(
    d: Driver, invite_url: str, plan: Plan, session: SessionPlan, check: Check
) -> None:
    """A participant opens their link, confirms, agrees to the ground rules, lands at home."""
    page = d.page
    page.goto(invite_url)
    heading(page, f"Join {plan.programme} as {INVITED}?")
    check(page, "invite confirm")
    d.activate(page.get_by_role("button", name=f"Join as {INVITED}"))
    heading(page, f"Welcome to {plan.programme}")
    token = invite_url.rstrip("/").rsplit("/", 1)[-1]
    assert token not in page.url, f"the token is still in the address bar: {page.url}"
    rules = page.get_by_role("region", name="Ground rules")
    expect(rules).to_contain_text("Listen to understand, not to reply.")
    expect(rules).to_contain_text(EXTRA_RULE)
    check(page, "ground rules")
    d.activate(page.get_by_role("button", name="I agree"))
    heading(page, plan.programme)
    expect(page.get_by_text(f"Hello, {INVITED}.")).to_be_visible()
    sessions = page.get_by_role("region", name="Sessions")
    expect(sessions.get_by_role("heading", name=session.title)).to_be_visible()
    check(page, "participant home")
