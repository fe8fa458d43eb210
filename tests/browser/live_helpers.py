"""What the live-session browser test needs besides the shared harness.

`seed_live_session` writes the programme, the four people, their invite links and the session
straight into the running server's database through the real action functions (the UI for all
that is covered by test_browser_flows.py); everything after it happens in the browser. The
steps and readers below work only through what the pages show (roles, names, link targets).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.sync_api import (
    BrowserContext,
    Locator,
    Page,
    WebSocketRoute,
    expect,
)

from . import flows
from .support import DESKTOP, Driver, PageChecker, PointerDriver, Server

if TYPE_CHECKING:
    from .conftest import Contexts

REPO = Path(__file__).resolve().parents[2]
VIDEO_ROOMS = "https://meet.example.org/cohort-{room}"
GROUND_RULE = "What is said here stays here."
# Four people from four organisations in four sectors, so any grouping mixes them.
PEOPLE = [
    ("Noor Haddad", "Riverside Health Trust", "Health"),
    ("Ada Mensah", "County Council", "Local government"),
    ("Bea Kowalski", "Active Shire", "Active partnership"),
    ("Sol Rivera", "Shire Voluntary Action", "Voluntary sector"),
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
from convenor.workshops.models import Session

spec = json.loads(sys.argv[1])
user = User.objects.get(email=spec["email"])
programme = programmes.create_programme(
    user, name=spec["programme"], ground_rules=spec["ground_rule"]
)
session = workshops.create_session(
    programme, user, title=spec["title"], starts_on=date.today() + timedelta(days=1),
    start_time=time(10, 0), time_zone="Europe/London", duration_minutes=180,
    format=Session.Format.ONLINE, video_url_template=spec["rooms"],
)
workshops.apply_template(session, user, "common-purpose")
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


@dataclass(frozen=True)
class Person:
    name: str
    organisation: str
    sector: str
    invite_path: str


@dataclass(frozen=True)
class SeededSession:
    programme: str
    title: str
    people: list[Person]
    live_path: str
    console_path: str


def run_seed(server: Server, script: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run `script` (Python, given `spec` as JSON in argv[1]) against the running server's own
    database in a child process; its last line of output, as JSON.

    Caveat: the server fixture keeps its SQLite file next to its log, which is how it is found.
    """
    database = server.log.parent / "browser.sqlite3"
    assert database.exists(), f"the browser server's database is not at {database}"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CONVENOR_", "REDIS_", "DATABASE_", "EMAIL_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="convenor.settings", DATABASE_URL=f"sqlite:///{database}")
    done = subprocess.run(  # noqa: S603 (our own interpreter, fixed script)
        [sys.executable, "-c", script, json.dumps(spec)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"seeding failed:\n{done.stdout}{done.stderr}"
    made: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return made


def seed_live_session(server: Server, programme: str, title: str) -> SeededSession:
    """A programme with ground rules, four invited people and a session from the reference
    template, written into the server's own database (see run_seed)."""
    spec = {
        "email": server.email,
        "programme": programme,
        "title": title,
        "ground_rule": GROUND_RULE,
        "rooms": VIDEO_ROOMS,
        "people": PEOPLE,
    }
    made = run_seed(server, _SEED, spec)
    people = [
        Person(name, organisation, sector, entry["invite"])
        for (name, organisation, sector), entry in zip(PEOPLE, made["people"], strict=True)
    ]
    return SeededSession(programme, title, people, made["live"], made["console"])


class Deadline:
    """One time budget shared by several waits, so 'all four within 5 s' means what it says."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = time.monotonic()
        self.ends = self.started + seconds

    def ms(self) -> float:
        # Playwright treats 0 as "no timeout"; an overrun budget still fails at once.
        return max(1.0, (self.ends - time.monotonic()) * 1000)

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def mark_page(page: Page) -> None:
    """Leave a mark in the page's JavaScript world: a reload or navigation would wipe it."""
    page.evaluate("() => { window.__convenorLiveMark = true; }")


def assert_not_reloaded(page: Page, who: str) -> None:
    kept = page.evaluate("() => window.__convenorLiveMark === true")
    assert kept, f"{who}'s page was reloaded or navigated; it should have updated itself"


def your_group(page: Page) -> Locator:
    return page.get_by_role("region", name="Your group")


def partners_shown(page: Page) -> list[str]:
    """The names under 'You are with' on a participant's page."""
    names = your_group(page).get_by_role("listitem").locator("strong").all_inner_texts()
    return sorted(name.strip() for name in names)


def video_room(scope: Locator) -> str:
    link = scope.get_by_role("link", name=re.compile(r"^Join (your|this group’s) video room"))
    expect(link).to_have_count(1)
    href = link.get_attribute("href")
    assert href is not None
    return href


def console_groups(page: Page) -> dict[str, tuple[frozenset[str], str]]:
    """Each group card on the console: its heading → (member names, video-room link)."""
    rounds = page.get_by_role("region", name="Rounds")
    cards = rounds.get_by_role("listitem").filter(has=page.get_by_role("heading", level=3))
    # Participants' pages get their groups with the event; the console fetches its own view,
    # which can come a moment later.
    expect(cards).not_to_have_count(0)
    groups: dict[str, tuple[frozenset[str], str]] = {}
    for card in cards.all():
        title = card.get_by_role("heading", level=3).inner_text().strip()
        text = card.inner_text()
        members = frozenset(name for name, _, _ in PEOPLE if name in text)
        groups[title] = (members, video_room(card))
    return groups


class SocketCutter:
    """Cuts a context's live WebSockets as a dropped network would, without touching the page.

    Playwright's offline mode leaves WebSockets open (microsoft/playwright#4910), so the
    sockets are routed through Playwright instead: `cut` closes both ends of every open one and
    refuses new ones until `restore`. The page keeps its JavaScript state throughout.
    """

    def __init__(self, context: BrowserContext) -> None:
        self.refusing = False
        self.refused = 0
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        context.route_web_socket(re.compile(r"/ws/live/"), self._route)

    def _route(self, page_side: WebSocketRoute) -> None:
        if self.refusing:
            self.refused += 1
            page_side.close()
            return
        self.open.append((page_side, page_side.connect_to_server()))

    def cut(self) -> None:
        self.refusing = True
        for page_side, server_side in self.open:
            server_side.close()
            page_side.close()
        self.open.clear()

    def restore(self) -> None:
        self.refusing = False


def seconds_left(clock: Locator) -> int:
    """What a countdown shows ("12:34 left"), in seconds."""
    text = clock.inner_text().strip()
    shown = re.fullmatch(r"(\d+):(\d\d) left", text)
    assert shown, f"the countdown shows {text!r}"
    return int(shown.group(1)) * 60 + int(shown.group(2))


def assert_countdown(who: str, clock: Locator, *, full: int, within: float) -> None:
    """The countdown started `within` seconds ago from `full` seconds: it shows no more than
    `full`, and no less than what `within` seconds of delay could leave."""
    left = seconds_left(clock)
    assert full - within - 1 <= left <= full, (
        f"{who}'s countdown shows {left} s left; it started at most {within:.1f} s ago "
        f"from {full} s (is the page's clock offset taken from an older part of the page?)"
    )


@contextmanager
def caught_up(page: Page) -> Iterator[None]:
    """Wait, around opening a live page, until its socket is open.

    The page says which event it was rendered after and its first hello asks for what came
    since; from the moment the socket is accepted every new event reaches it too, so once it
    says it is connected, nothing the facilitator does next can pass it by.
    """
    yield
    expect(connection_status(page)).to_have_text(re.compile("^Connected"))


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
    # Nothing on the participant's home links to the live page yet: they open its address.
    page.goto(seeded.live_path)
    flows.heading(page, seeded.title)
    expect(connection_status(page)).to_have_text(re.compile("^Connected"))
    check(page, f"live page for {person.name} before the session starts")


def connection_status(page: Page) -> Locator:
    return page.locator("[data-live-status]")


def command(console: Page, button: str, done: str | re.Pattern[str]) -> None:
    """Press a console button and wait for the server's confirmation in the status line."""
    console.get_by_role("button", name=button, exact=True).click()
    expect(console.locator("[data-live-status]")).to_have_text(done)


def now_region(page: Page) -> Locator:
    return page.get_by_role("region", name="Now and next")


def open_console(contexts: Contexts, server: Server, who: str, path: str) -> Page:
    """A facilitator (`who` names their browser context) signed in, on the console at `path`,
    connected."""
    driver = PointerDriver(contexts.new_page(who, DESKTOP))
    flows.sign_in(driver, server, PageChecker(axe=False))
    driver.page.goto(path)
    expect(driver.page.locator("[data-live-status]")).to_contain_text("Connected")
    return driver.page
