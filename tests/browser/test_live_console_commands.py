"""The console's run-sheet buttons act once per intent: a double click on "Start the next
segment", "Extend" or "Skip" (a common habit, and what two facilitators pressing at once
amounts to) does what one click does, and the console does not report the second as a
failure. Skip says which segment it would leave out (found by an exploratory run: a double
click skipped two segments for good, and started and ended the break at once)."""

from __future__ import annotations

import re
import secrets
import time

import pytest
from playwright.sync_api import Page, expect

from . import flows
from .conftest import Contexts
from .live_helpers import connection_status, seed_live_session
from .support import DESKTOP, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

FIRST = "Welcome and how we work together"


def run_sheet_row(console: Page, title: str) -> str:
    row = (
        console.get_by_role("region", name="Run-sheet")
        .get_by_role("row")
        .filter(has=console.get_by_role("rowheader", name=title, exact=True))
    )
    return row.inner_text()


def settled(console: Page, done: str) -> None:
    """The answer to the (first) click is shown, and a little later still: nothing else came."""
    status = console.locator("[data-live-status]")
    expect(status).to_have_text(done)
    time.sleep(1.0)
    expect(status).to_have_text(done)


def test_a_double_click_on_a_run_sheet_button_acts_once(contexts: Contexts, server: Server) -> None:
    seeded = seed_live_session(server, f"Double clicks {secrets.token_hex(3)}", "Live, twice")
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, PageChecker(axe=False))
    console = facilitator.page
    console.goto(seeded.console_path)
    expect(connection_status(console)).to_have_text(re.compile("^Connected"))
    rows = console.get_by_role("region", name="Run-sheet").get_by_role("row")
    second = rows.nth(2).get_by_role("rowheader").inner_text().strip()

    console.get_by_role("button", name="Start the next segment").dblclick()
    settled(console, f"Started “{FIRST}”.")
    assert "running now" in run_sheet_row(console, FIRST)
    assert "planned" in run_sheet_row(console, second)

    console.get_by_role("button", name="Extend").dblclick()
    settled(console, f"Extended “{FIRST}” by 5 min.")
    expect(console.get_by_text(f"Now: {FIRST} (extended by 5 min)")).to_be_visible()

    skip = console.get_by_role("button", name=f"Skip: {FIRST}")
    skip.dblclick()
    settled(console, f"Skipped “{FIRST}”.")
    assert "skipped after running" in run_sheet_row(console, FIRST)
    assert "planned" in run_sheet_row(console, second)
    # Skip now names what it would leave out next.
    expect(console.get_by_role("button", name=f"Skip: {second}")).to_be_visible()
    contexts.assert_no_errors()
