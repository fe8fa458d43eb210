"""End to end in Chromium: a facilitator sets up a programme and a participant joins it.

Each flow runs three ways: by mouse at desktop width, by mouse on a 360 x 740 phone screen, and
by keyboard alone. Every page reached passes axe-core with no violations, and at phone width no
page scrolls sideways.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from playwright.sync_api import Page

from . import flows
from .conftest import Contexts
from .support import DESKTOP, PHONE, Driver, KeyboardDriver, PointerDriver, Server

pytestmark = pytest.mark.browser

WAYS = {
    "mouse-desktop": (PointerDriver, DESKTOP),
    "mouse-phone": (PointerDriver, PHONE),
    "keyboard-desktop": (KeyboardDriver, DESKTOP),
}


@pytest.mark.parametrize("way", list(WAYS))
def test_facilitator_sets_up_a_programme(
    way: str, contexts: Contexts, server: Server, check_page: Callable[[Page, str], None]
) -> None:
    make_driver, viewport = WAYS[way]
    d: Driver = make_driver(contexts.new_page("facilitator", viewport))
    plan = flows.Plan(programme=f"Moving more together {secrets.token_hex(3)}")

    flows.sign_in(d, server, check_page)
    flows.create_programme(d, plan, check_page)
    flows.edit_programme(d, plan, check_page)

    contexts.assert_no_errors()
