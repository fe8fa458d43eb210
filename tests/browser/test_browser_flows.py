"""End to end in Chromium: a facilitator sets up a programme and a participant joins it.

The same flow runs three ways: by mouse at desktop width, by mouse on a 360 x 740 phone screen,
and by keyboard alone. Every page reached passes axe-core with no violations (in the mouse runs,
at both widths), at phone width no page scrolls sideways, and the browser reports no errors (a
script or style blocked by the CSP, a failed request, a script error).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from . import flows
from .conftest import Contexts
from .support import DESKTOP, PHONE, Driver, KeyboardDriver, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

# (driver, viewport, run axe-core). The keyboard run reaches the same pages in the same states
# as the mouse run at the same width, so axe-core runs once per page and width (it is about
# half of the suite's time on a busy 2-core machine). A keyboard run at phone width passes too
# but is left out to keep the browser suite, shared with the live tests, near three minutes.
WAYS: dict[str, tuple[Callable[[Page], Driver], dict[str, int], bool]] = {
    "mouse-desktop": (PointerDriver, DESKTOP, True),
    "mouse-phone": (PointerDriver, PHONE, True),
    "keyboard-desktop": (KeyboardDriver, DESKTOP, False),
}

# Every page of the flow, in order, each checked on arrival.
PAGES_CHECKED = [
    "sign-in",
    "facilitator home",
    "programme create",
    "programme create with an error",
    "programme dashboard",
    "programme edit",
    "people list (empty)",
    "people import",
    "import preview",
    "people list",
    "session list (empty)",
    "session form",
    "run-sheet (empty)",
    "template choice",
    "run-sheet editor",
    "run-sheet editor after a move",
    "invite link",
    "invite link made",
    "invite confirm",
    "ground rules",
    "participant home",
]


@pytest.mark.parametrize("way", list(WAYS))
def test_facilitator_sets_up_and_participant_joins(
    way: str, contexts: Contexts, server: Server, check_page: PageChecker, tmp_path: Path
) -> None:
    make_driver, viewport, check_page.axe = WAYS[way]
    plan = flows.Plan(programme=f"Moving more together {secrets.token_hex(3)}")
    session = flows.SessionPlan()
    people_csv = tmp_path / "cohort.csv"
    people_csv.write_text(flows.PEOPLE_CSV, encoding="utf-8")

    facilitator = make_driver(contexts.new_page("facilitator", viewport))
    flows.sign_in(facilitator, server, check_page)
    flows.create_programme(facilitator, plan, check_page)
    flows.edit_programme(facilitator, plan, check_page)
    flows.import_people(facilitator, people_csv, check_page)
    flows.plan_session(facilitator, session, check_page)
    flows.move_second_segment_down(facilitator, check_page)
    flows.back_to_people(facilitator)
    invite_url = flows.make_invite_link(facilitator, check_page)

    participant = make_driver(contexts.new_page("participant", viewport))
    flows.join_and_agree(participant, invite_url, plan, session, check_page)

    contexts.assert_no_errors()
    assert check_page.checked == PAGES_CHECKED
    if isinstance(facilitator, KeyboardDriver) and isinstance(participant, KeyboardDriver):
        # Guards the guard: the keyboard run really went forwards and backwards by key.
        assert facilitator.presses["Shift+Tab"], facilitator.presses
        assert participant.presses["Tab"] and participant.presses["Enter"], participant.presses
