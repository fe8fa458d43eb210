"""The flows a new user goes through, written once and run by mouse, by keyboard and on a phone.

Each step works only through what the page shows (roles, labels, link texts), and checks each
page it lands on with `check` (axe-core, and no sideways scroll at phone width).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import Page, expect

from .support import Driver, Server

Check = Callable[[Page, str], None]

GROUND_RULES = (
    "Listen to understand, not to reply.\n"
    "Everyone's experience counts: make room for the quieter voices.\n"
    "What is said here stays here."
)


@dataclass(frozen=True)
class Plan:
    """What the facilitator sets up; names are unique per run so the tests don't collide."""

    programme: str
    description: str = "Partners from health, councils and the voluntary sector, meeting monthly."


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
    d.fill(page.get_by_label("Name"), plan.programme)
    d.fill(page.get_by_label("Description"), plan.description)
    d.fill(page.get_by_label("Ground rules"), GROUND_RULES)
    d.activate(page.get_by_role("button", name="Create programme"))
    heading(page, plan.programme)
    expect(page.get_by_role("status").filter(has_text=f"Created {plan.programme}")).to_be_visible()
    check(page, "programme dashboard")


def edit_programme(d: Driver, plan: Plan, check: Check) -> None:
    """Open the settings from the programme navigation, change the retention period, save."""
    page = d.page
    d.activate(
        page.get_by_role("navigation", name=re.compile("^Programme")).get_by_role(
            "link", name="Settings"
        )
    )
    heading(page, "Programme settings")
    check(page, "programme edit")
    expect(page.get_by_label("Ground rules")).to_have_value(GROUND_RULES)
    d.fill(page.get_by_label("Keep data for (days)"), "120")
    d.activate(page.get_by_role("button", name="Save settings"))
    heading(page, plan.programme)
    expect(page.get_by_text("120 days after archiving")).to_be_visible()
