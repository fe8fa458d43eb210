"""What the reference-session browser test needs besides live_helpers.py: the cast's pages in
one place, a keyboard-or-pointer way to pick from a select, the segment-by-segment waits and
the session's record read off the console's download links.

Everything works through what the pages show (roles, labels, link targets); the session is
seeded by `live_helpers.seed_live_session` from the built-in reference template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Locator, Page, expect

from convenor.workshops.templates_builtin import COMMON_PURPOSE

from .live_helpers import (
    Deadline,
    SeededSession,
    assert_not_reloaded,
    command,
    now_region,
)
from .support import Driver, KeyboardDriver, PageChecker

# The reference template's segments, in order, as the run-sheet names them.
SEGMENTS = [segment.title for segment in COMMON_PURPOSE.segments]
# How long a page may take to show what someone else did. The product's bar is far lower;
# this leaves room for a busy shared 2-core machine running five browsers.
LIVE_WITHIN_S = 10.0


def take_part(page: Page) -> Locator:
    """A participant's "Take part" region, where the current activity's panels are."""
    return page.get_by_role("region", name="Take part")


def activity(console: Page) -> Locator:
    """The console's "Activity" region (the same panels, from the facilitator's side)."""
    return console.get_by_role("region", name="Activity", exact=True)


def choose(d: Driver, select: Locator, label: str) -> None:
    """Pick an option of a select: by arrow keys for a keyboard user, else by the pointer."""
    if not isinstance(d, KeyboardDriver):
        select.select_option(label=label)
        return
    d.focus_on(select)
    options = [text.strip() for text in select.locator("option").all_inner_texts()]
    assert label in options, f"{select} has no option {label!r}: {options}"
    target = options.index(label)
    for _ in range(len(options)):
        at = int(select.evaluate("s => s.selectedIndex"))
        if at == target:
            break
        # A closed select moves its choice with the arrow keys, without opening.
        d.press("ArrowDown" if at < target else "ArrowUp")
    chosen = int(select.evaluate("s => s.selectedIndex"))
    assert chosen == target, f"the arrow keys left {select} on {options[chosen]!r}, not {label!r}"


def resume(d: KeyboardDriver) -> None:
    """A keyboard user's next key after the control they were on went away with its segment.

    A new segment replaces the "Take part" panels, so the button last pressed there is gone and
    the focus falls back to the page. Chromium keeps the place in the page where it was, so the
    person's next Tab continues from there (not from the top, which is what KeyboardDriver
    assumes of a page with nothing focused); this presses that Tab, and checks that it lands
    inside the main content, near where they were."""
    if d.page.evaluate("() => document.activeElement !== document.body"):
        return
    d.press("Tab")
    landed = d.page.evaluate(
        """() => { const el = document.activeElement;
            return {inMain: !!el.closest('main'), at: el.outerHTML.slice(0, 80)}; }"""
    )
    assert landed["inMain"], (
        f"after losing the focus, Tab went to {landed['at']}, not the main part"
    )


def pick_radio(d: Driver, radio: Locator) -> None:
    """Select a radio button. A keyboard user reaches a radio group with Tab (which stops once
    in a group: at its checked radio, or its first) and moves within it with the arrow keys;
    Tab would leave the group. The focus may already be in the group (a Tab after `resume`
    can land there)."""
    if not isinstance(d, KeyboardDriver):
        d.check(radio)
        return
    in_group = radio.evaluate(
        """(r) => { const el = document.activeElement;
            return el.type === 'radio' && el.name === r.name && el.form === r.form; }"""
    )
    if not in_group:
        name = radio.get_attribute("name")
        group = radio.locator("xpath=ancestor::form[1]").locator(
            f'input[type="radio"][name="{name}"]'
        )
        checked = group.and_(radio.page.locator(":checked"))
        d.focus_on(checked if checked.count() else group.first)
    if radio.evaluate("r => document.activeElement === r"):
        d.press("Space")
    size = int(radio.evaluate("r => r.form.querySelectorAll(`[name='${r.name}']`).length"))
    for _ in range(size):
        if radio.is_checked():
            break
        d.press("ArrowDown")
    assert radio.is_checked(), f"the arrow keys did not reach {radio}"


@dataclass
class Run:
    """Everyone's pages during the reference session, and what was checked where."""

    seeded: SeededSession
    console: Page
    drivers: dict[str, Driver]
    check: PageChecker
    phone: str
    keyboard: str
    # Every page state axe-core checked, in order (also on check.checked).
    checked: list[str] = field(default_factory=list)

    @property
    def pages(self) -> dict[str, Page]:
        return {name: d.page for name, d in self.drivers.items()}

    def names(self) -> list[str]:
        return [person.name for person in self.seeded.people]

    def start(self, title: str) -> None:
        """Start the next segment from the console; every page shows it without a reload."""
        assert title in SEGMENTS, title
        command(self.console, "Start the next segment", f"Started “{title}”.")
        deadline = Deadline(LIVE_WITHIN_S)
        for name, page in self.pages.items():
            expect(now_region(page)).to_contain_text(f"Now: {title}", timeout=deadline.ms())
            assert_not_reloaded(page, name)

    def everyone_sees(self, text: str | re.Pattern[str], *, console: bool = True) -> None:
        """Each participant's "Take part" region (and the console's "Activity") shows `text`."""
        deadline = Deadline(LIVE_WITHIN_S)
        for page in self.pages.values():
            expect(take_part(page)).to_contain_text(text, timeout=deadline.ms())
        if console:
            expect(activity(self.console)).to_contain_text(text, timeout=deadline.ms())

    def nobody_named(self) -> None:
        """Chatham House: no participant's name in any activity panel, the console's included.

        (The "Your group" region names one's partners on purpose; it is not checked here.)"""
        for name in self.names():
            expect(activity(self.console)).not_to_contain_text(name)
            for page in self.pages.values():
                expect(take_part(page)).not_to_contain_text(name)

    def check_segment(self, what: str, *, keyboard: bool = False) -> None:
        """axe-core on the console and the phone user's page (and the keyboard user's)."""
        states = [(self.console, f"console: {what}"), (self.pages[self.phone], f"phone: {what}")]
        if keyboard:
            states.append((self.pages[self.keyboard], f"keyboard user: {what}"))
        for page, name in states:
            self.check(page, name)
            self.checked.append(name)


def record(console: Page) -> tuple[str, dict[str, Any]]:
    """The session's record through the console's own links: the Markdown and the JSON."""
    markdown_link = console.get_by_role("link", name="Download the session's record (Markdown)")
    json_link = console.get_by_role("link", name="(JSON)", exact=True)
    texts: list[str] = []
    for link in (markdown_link, json_link):
        href = link.get_attribute("href")
        assert href, f"{link} has no address"
        # The console's own browser context: the facilitator's cookies, as a click would send.
        response = console.request.get(href)
        assert response.ok, f"{href} answered {response.status}"
        texts.append(response.text())
    return texts[0], json.loads(texts[1])
