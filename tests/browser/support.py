"""What the browser tests share: the server handle, page checks and the two ways of driving a page.

`PointerDriver` uses Playwright's actions (click, fill); `KeyboardDriver` reaches every control
with Tab / Shift+Tab and operates it with Enter, Space, arrows and typing, checking at every stop
that the focus is visible, on screen and moving in document order. Flows are written once
against `Driver` and run both ways.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ElementHandle, Locator, Page

PHONE_WIDTH = 360
PHONE = {"width": PHONE_WIDTH, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


@dataclass(frozen=True)
class Server:
    """The uvicorn process under test and the facilitator account made for it."""

    url: str
    email: str
    password: str
    log: Path


_AXE = Axe()


# axe-core's default rules (WCAG 2.0-2.2 A/AA and best practices) leave out target size, which
# WCAG 2.2 AA asks for (2.5.8: 24 x 24 px); the product's bar is WCAG 2.2 AA.
_AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"target-size": {"enabled": True}}}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now; every violation, whatever its impact."""
    return list(_AXE.run(page, options=_AXE_OPTIONS).response["violations"])


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            # The summary's first line says "Fix any of the following:"; the next is the reason.
            reasons = node.get("failureSummary", "").splitlines()[1:2]
            lines.append(f"    at {target} {node['html'][:120]}: {' '.join(reasons).strip()}")
    return "\n".join(lines)


@dataclass
class PageChecker:
    """Checks each page a flow reaches: axe-core, and no sideways scrolling at phone width.

    `axe` off is for a second run through pages axe-core has already seen in the same state.
    """

    axe: bool = True
    checked: list[str] = field(default_factory=list)

    def __call__(self, page: Page, name: str) -> None:
        page.wait_for_load_state("load")
        violations = axe_violations(page) if self.axe else []
        assert not violations, (
            f"axe-core found {len(violations)} violation(s) on the {name} page ({page.url}):\n"
            + describe_violations(violations)
        )
        width = page.viewport_size["width"] if page.viewport_size else None
        if width is not None and width <= PHONE_WIDTH:
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width, (
                f"the {name} page ({page.url}) scrolls sideways at {width} px: "
                f"its content is {scroll_width} px wide; widest elements: "
                + json.dumps(widest_elements(page, width))
            )
        self.checked.append(name)


def widest_elements(page: Page, width: int) -> list[str]:
    """Name the innermost elements that stick out past `width`, to say what to fix."""
    script = """(width) => {
      // An element sticks out if its box or its own overflowing content passes the edge.
      const edge = (el) => {
        const r = el.getBoundingClientRect();
        const spills = getComputedStyle(el).overflowX === 'visible';
        return r.left + (spills ? Math.max(r.width, el.scrollWidth) : r.width);
      };
      const out = [];
      for (const el of document.body.querySelectorAll('*')) {
        if (edge(el) > width + 0.5 && ![...el.children].some(c => edge(c) > width + 0.5)) {
          const cls = typeof el.className === 'string' && el.className.trim()
            ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
          out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} to ${edge(el)}px`);
        }
      }
      return out.slice(0, 5);
    }"""
    return list(page.evaluate(script, width))


class Driver(Protocol):
    """Operates controls the way one kind of user does."""

    page: Page

    def fill(self, field: Locator, text: str) -> None: ...
    def activate(self, control: Locator) -> None: ...
    def check(self, box: Locator) -> None: ...
    def upload(self, field: Locator, path: Path) -> None: ...


@dataclass
class PointerDriver:
    """Mouse and Playwright's form filling: the quickest way through a flow."""

    page: Page

    def fill(self, field: Locator, text: str) -> None:
        field.fill(text)

    def activate(self, control: Locator) -> None:
        control.click()

    def check(self, box: Locator) -> None:
        box.check()

    def upload(self, field: Locator, path: Path) -> None:
        field.set_input_files(path)


# One round trip per key press: where the focus is, whether it is visible, and whether it moved
# the way the key should move it (document order) from where it was.
_FOCUS_STOP = """(target, backwards) => {
  const el = document.activeElement;
  const prev = window.__convenorPrevFocus || null;
  window.__convenorPrevFocus = el;
  if (!el || el === document.body) return {at: 'nothing (body)', reached: false, ok: false,
    problem: 'focus fell back to the page itself'};
  const label = (el.getAttribute('aria-label') || el.labels?.[0]?.textContent
    || el.textContent || el.value || el.name || '').trim().replace(/\\s+/g, ' ').slice(0, 50);
  const at = `<${el.tagName.toLowerCase()}${el.type ? ' type=' + el.type : ''}> "${label}"`;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  const r = el.getBoundingClientRect();
  const onScreen = r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight
    && r.right > 0 && r.left < innerWidth;
  let order = true;
  if (prev && prev !== el && prev.isConnected) {
    const pos = prev.compareDocumentPosition(el);
    const following = (pos & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    order = backwards ? !following : following;
  }
  // Tab also steps through a native date field's own parts (day, month, year, picker button);
  // the browser draws the ring on the picker button itself, where no page style can be read.
  const withinNative = el === prev && /^(date|time|datetime-local)$/.test(el.type);
  let problem = '';
  if (!withinNative && !(el.matches(':focus-visible') && (outline || ring))) {
    problem = 'no visible focus indicator';
  } else if (!onScreen) problem = 'focused element is off screen';
  else if (!order) problem = backwards ? 'Shift+Tab moved focus forwards'
                                       : 'Tab moved focus backwards';
  // Tab enters a radio group once, at its checked (or first) button; arrows move within it.
  const reached = el === target || (target.type === 'radio' && el.type === 'radio'
    && el.name === target.name && el.form === target.form);
  return {at, reached, ok: problem === '', problem};
}"""


@dataclass
class KeyboardDriver:
    """Keyboard only: no clicks, no programmatic focus, only keys through page.keyboard."""

    page: Page
    max_presses: int = 60
    presses: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        # Playwright asks the browser to hand file dialogs over only once a "filechooser"
        # listener exists, and does not wait for that to take effect; subscribing here, long
        # before any upload, keeps a quick Space from opening (and losing) the real dialog.
        self.page.on("filechooser", lambda chooser: None)

    def _handle(self, locator: Locator) -> ElementHandle:
        locator.wait_for(state="visible")
        handle = locator.element_handle()
        assert handle is not None
        return handle

    def focus_on(self, locator: Locator) -> None:
        """Tab (or Shift+Tab when it lies behind the focus) until `locator` has the focus."""
        target = self._handle(locator)
        where = target.evaluate(
            """(t) => {
              const el = document.activeElement;
              if (el === t) return 'here';
              if (!el || el === document.body) return 'start';
              return (el.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_PRECEDING)
                ? 'behind' : 'ahead';
            }"""
        )
        if where == "here":
            return
        if where == "start" and target.evaluate("t => !!t.closest('main')"):
            self._skip_to_main()
        backwards = where == "behind"
        key = "Shift+Tab" if backwards else "Tab"
        self.page.evaluate("() => { window.__convenorPrevFocus = document.activeElement; }")
        path: list[str] = []
        for _ in range(self.max_presses):
            self.press(key)
            if not target.evaluate("t => t.isConnected"):
                # The region was drawn again (an event for everyone) while this user moved
                # through it; live.js keeps the focused control by id. Aim at the new element.
                target = self._handle(locator)
            stop = target.evaluate(_FOCUS_STOP, backwards)
            path.append(stop["at"])
            assert stop["ok"], f"{key} to {locator}: {stop['problem']} at {stop['at']}; path {path}"
            if stop["reached"]:
                return
        raise AssertionError(f"{key} x{self.max_presses} never reached {locator}; path {path}")

    def _skip_to_main(self) -> None:
        """A fresh page: the first Tab must land on the skip link, and Enter must use it."""
        self.press("Tab")
        first = self.page.evaluate(
            """() => { const el = document.activeElement; const r = el.getBoundingClientRect();
                return {text: el.textContent.trim(), href: el.getAttribute('href'),
                        visible: r.top >= 0 && r.bottom <= innerHeight && r.width > 0}; }"""
        )
        assert first["text"] == "Skip to main content" and first["visible"], (
            f"the first Tab stop on {self.page.url} is not a visible skip link: {first}"
        )
        self.press("Enter")
        focused = self.page.evaluate("() => document.activeElement.id")
        assert focused == "main", f"the skip link left the focus on #{focused}, not on #main"

    def press(self, key: str) -> None:
        self.presses[key] += 1
        self.page.keyboard.press(key)

    def fill(self, field: Locator, text: str) -> None:
        self.focus_on(field)
        kind = field.get_attribute("type")
        if kind in ("date", "time"):
            self._type_segments(field, kind, text)
            return
        self.press("ControlOrMeta+A")
        if text:
            self.page.keyboard.type(text)
        else:
            self.press("Delete")

    def _type_segments(self, field: Locator, kind: str, value: str) -> None:
        """Type an ISO date or time into Chromium's segmented field, as a person would."""
        if kind == "date":
            year, month, day = value.split("-")
            # Headless Chromium lays the field out month first whatever the locale; a date whose
            # day and month are equal types the same either way (see flows.same_day_and_month).
            assert day == month, f"{value}: use a date whose day and month are equal"
            digits = day + month + year
        else:
            # The 12-hour layout also wants AM or PM; "A" is ignored by a 24-hour one.
            assert int(value[:2]) < 12, f"{value}: use a morning time"
            digits = value.replace(":", "") + "A"
        self.page.keyboard.type(digits)
        typed = field.input_value()
        assert typed == value, f"typing {digits} into the {kind} field gave {typed!r}, not {value}"

    def activate(self, control: Locator) -> None:
        self.focus_on(control)
        self.press("Enter")

    def check(self, box: Locator) -> None:
        self.focus_on(box)
        if box.get_attribute("type") == "radio":
            group_size = box.evaluate("b => b.form.querySelectorAll(`[name='${b.name}']`).length")
            for _ in range(group_size + 1):
                if box.is_checked():
                    break
                on_it = box.evaluate("b => b === document.activeElement")
                self.press("Space" if on_it else "ArrowDown")
        elif not box.is_checked():
            self.press("Space")
        assert box.is_checked(), f"the keyboard did not select {box}"

    def upload(self, field: Locator, path: Path) -> None:
        # A file input opens the system's file dialog on Space; Playwright stands in for the
        # dialog, which is outside the page.
        self.focus_on(field)
        with self.page.expect_file_chooser() as chooser:
            self.press("Space")
        chooser.value.set_files(path)
