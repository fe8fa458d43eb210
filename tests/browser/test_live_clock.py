"""Countdowns stay true however long a page is open and whatever part of it is redrawn.

Every region says the server's time when it was rendered (`data-server-now`), and live.js
takes from it how far the device's clock is off. A region drawn a while ago must not be read
again as if it were fresh: after part of a page is redrawn, every countdown on it still shows
the time really left. Before, a region redrawn without a countdown (here the run sheet with
nothing running) made every other countdown run late by the age of the newest one left.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from . import flows
from .conftest import Contexts
from .live_helpers import (
    command,
    connection_status,
    join,
    now_region,
    seconds_left,
    seed_live_session,
    your_group,
)
from .support import DESKTOP, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

# Long enough for a late countdown to show, well above the test's own jitter.
AGE_S = 8
WELCOME = "Welcome and how we work together"


def truly_left(clock: Locator) -> float:
    """Seconds from now (this machine's clock, which the server shares) to the countdown's end."""
    ends_at = clock.get_attribute("data-ends-at")
    assert ends_at is not None
    return datetime.fromisoformat(ends_at).timestamp() - time.time()


def assert_true(who: str, clock: Locator) -> None:
    truth = truly_left(clock)
    shown = seconds_left(clock)
    assert abs(shown - truth) <= 2.5, (
        f"{who}'s countdown shows {shown} s left, and {truth:.1f} s are left: it runs "
        f"{shown - truth:+.0f} s off"
    )


def test_countdowns_stay_true_after_other_regions_are_redrawn(
    contexts: Contexts, server: Server
) -> None:
    seeded = seed_live_session(server, f"Clocks {secrets.token_hex(3)}", "Live clocks")
    unchecked = PageChecker(axe=False)  # the end-to-end test runs axe-core on these pages
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, unchecked)
    pages: list[Page] = []
    for person in seeded.people[:2]:
        driver = PointerDriver(contexts.new_page(person.name, DESKTOP))
        join(driver, person, seeded, unchecked)
        pages.append(driver.page)
    console = facilitator.page
    console.goto(seeded.console_path)
    expect(connection_status(console)).to_contain_text("Connected")
    command(console, "Start the next segment", f"Started “{WELCOME}”.")
    command(console, "Start the round", "Started a round: 1 group.")
    for page in pages:
        expect(your_group(page).get_by_role("heading", name="You are with")).to_be_visible()
    time.sleep(AGE_S)
    # The segment ends: its run sheet is redrawn with nothing running (no countdown), and
    # the round's countdown, drawn AGE_S ago, goes on.
    command(console, "End now", f"Ended “{WELCOME}”.")
    expect(console.get_by_role("region", name="Run-sheet")).not_to_contain_text(f"Now: {WELCOME}")
    assert_true(
        "the console's round",
        console.get_by_role("region", name="Rounds").locator("[data-ends-at]"),
    )
    for index, page in enumerate(pages):
        expect(now_region(page)).not_to_contain_text(f"Now: {WELCOME}")
        assert_true(f"participant {index + 1}'s round", your_group(page).locator("[data-ends-at]"))
    contexts.assert_no_errors()
