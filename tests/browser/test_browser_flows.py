"""End to end in Chromium: a facilitator sets up a programme and a participant joins it.

The flow runs three ways: by mouse at desktop width, by mouse on a 360 x 740 phone screen, and
by keyboard alone. Every page reached passes axe-core with no violations, at phone width no page
scrolls sideways, and the browser reports no errors (a script or style blocked by the CSP, a
failed request, a script error).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from . import flows
from .conftest import Contexts
from .support import DESKTOP, PHONE, Driver, KeyboardDriver, PointerDriver, Server

pytestmark = pytest.mark.browser

WAYS: dict[str, tuple[Callable[[Page], Driver], dict[str, int]]] = {
    "mouse-desktop": (PointerDriver, DESKTOP),
    "mouse-phone": (PointerDriver, PHONE),
    "keyboard-desktop": (KeyboardDriver, DESKTOP),
    "keyboard-phone": (KeyboardDriver, PHONE),
}


@pytest.mark.parametrize("way", list(WAYS))
def test_facilitator_sets_up_and_participant_joins(
    way: str,
    contexts: Contexts,
    server: Server,
    check_page: Callable[[Page, str], None],
    tmp_path: Path,
) -> None:
    make_driver, viewport = WAYS[way]
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
    for driver in (facilitator, participant):
        if isinstance(driver, KeyboardDriver):
            # Guards the guard: the keyboard run really went both ways through the pages.
            assert driver.presses["Tab"] and driver.presses["Enter"], driver.presses
    if isinstance(facilitator, KeyboardDriver):
        assert facilitator.presses["Shift+Tab"], facilitator.presses
