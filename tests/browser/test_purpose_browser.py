"""The common purpose builder in Chromium: a breakout room drafts by keyboard with the live word
count, a room-mate's unsaved edit gives way to a newer saved version, the facilitator picks the
shared draft and runs the agreement check, and axe-core finds nothing at 1280 and 360 px.

Noor uses the keyboard only; Ada's screen is a 360 x 740 phone; Bea uses a mouse.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import Locator, Page, expect

from convenor.workshops.templates_builtin import COMMON_PURPOSE

from . import flows
from .conftest import Contexts
from .live_helpers import command, join, seed_live_session
from .support import DESKTOP, PHONE, KeyboardDriver, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

# The reference template's segments up to (and including) the common purpose breakouts.
_KINDS = [segment.kind for segment in COMMON_PURPOSE.segments]
SEGMENTS = [
    segment.title for segment in COMMON_PURPOSE.segments[: _KINDS.index("common_purpose") + 1]
]
WHAT = "Get more people moving together"
WHY = "Because we are healthier and happier together"
BETTER_WHAT = "Get more people in our places moving, together"


def take_part(page: Page) -> Locator:
    return page.get_by_role("region", name="Take part")


def test_drafting_by_keyboard_and_the_agreement_check(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    seeded = seed_live_session(server, f"Purpose cohort {secrets.token_hex(3)}", "Our purpose")
    noor, ada, bea, _ = seeded.people
    setup_check = PageChecker(axe=False)  # the set-up pages have their own browser tests
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, setup_check)
    keyboard = KeyboardDriver(contexts.new_page(noor.name, DESKTOP))
    phone = PointerDriver(contexts.new_page(ada.name, PHONE))
    mouse = PointerDriver(contexts.new_page(bea.name, DESKTOP))
    for driver, person in ((keyboard, noor), (phone, ada), (mouse, bea)):
        join(driver, person, seeded, setup_check)

    console = facilitator.page
    console.goto(seeded.console_path)
    expect(console.get_by_role("region", name="Who is here")).to_contain_text(
        "3 participants connected"
    )
    for title in SEGMENTS:
        command(console, "Start the next segment", f"Started “{title}”.")
    console.get_by_label("People per room (3 to 8)").fill("3")
    console.get_by_role("button", name="Start breakout rooms").click()
    expect(console.locator("[data-live-status]")).to_have_text("Opened 1 breakout room.")

    noor_page, ada_page, bea_page = keyboard.page, phone.page, mouse.page
    for page in (noor_page, ada_page, bea_page):
        expect(take_part(page)).to_contain_text("Room 1: what do we want to do")
    check_page(ada_page, "participant page (phone) before drafting")

    # Noor drafts by keyboard: the count follows every key, the limit is announced once.
    part = take_part(noor_page)
    count = part.locator("[data-purpose-count]")
    announce = part.locator("[data-purpose-announce]")
    keyboard.fill(part.get_by_label("What do we want to do?"), WHAT)
    expect(count).to_have_text("5 of 40 words")
    expect(announce).to_have_text("")
    keyboard.fill(part.get_by_label("Why do we want to do it?"), " ".join(["more"] * 36))
    expect(count).to_have_text("41 of 40 words: 1 over the limit")
    expect(announce).to_have_text("Over the 40-word limit: 41 words.")
    keyboard.activate(part.get_by_role("button", name="Save our draft"))
    feedback = part.locator("form#purpose-draft-form [data-activity-feedback]")
    expect(feedback).to_contain_text("Not done: This draft has 41 words")
    keyboard.fill(part.get_by_label("Why do we want to do it?"), WHY)
    expect(count).to_have_text("12 of 40 words")
    expect(announce).to_have_text("Back within the 40-word limit.")
    keyboard.activate(part.get_by_role("button", name="Save our draft"))
    # The form's own answer may be replaced by the re-rendered panel; the panel says it too.
    expect(part).to_contain_text("Saved as version 1.")
    check_page(noor_page, "participant page (keyboard user) after saving a draft")

    # Room-mates see the saved draft without a reload.
    for page in (ada_page, bea_page):
        expect(take_part(page).get_by_label("What do we want to do?")).to_have_value(WHAT)
    check_page(ada_page, "participant page (phone) with the group's draft")

    # Bea starts an edit of one field; Noor saves a change to another first: Bea is shown
    # Noor's, and keeps what she typed.
    bea = take_part(bea_page)
    bea_what = bea.get_by_label("What do we want to do?")
    bea_why = bea.get_by_label("Why do we want to do it?")
    bea_feedback = bea.locator("form#purpose-draft-form [data-activity-feedback]")
    mouse.fill(bea_why, "Bea's unsaved reason")
    keyboard.fill(part.get_by_label("What do we want to do?"), BETTER_WHAT)
    keyboard.activate(part.get_by_role("button", name="Save our draft"))
    expect(part).to_contain_text("Saved as version 2.")
    expect(bea_what).to_have_value(BETTER_WHAT)
    expect(bea_why).to_have_value("Bea's unsaved reason")
    expect(bea_feedback).to_contain_text("with your unsaved change kept")
    # Once: a screen reader reads each status line that changes.
    expect(bea.locator("form#purpose-draft-form [data-purpose-announce]")).not_to_contain_text(
        "saved a new version"
    )
    # Noor changes the field Bea is changing: Bea keeps hers, and is told what Noor's is.
    keyboard.fill(part.get_by_label("Why do we want to do it?"), WHY + " and safer")
    keyboard.activate(part.get_by_role("button", name="Save our draft"))
    expect(part).to_contain_text("Saved as version 3.")
    expect(bea_feedback).to_contain_text(f"(theirs: “{WHY} and safer”)")
    expect(bea_why).to_have_value("Bea's unsaved reason")
    # Bea thinks again: she takes Noor's version (and nothing of hers is saved).
    mouse.fill(bea_why, WHY + " and safer")

    keyboard.activate(part.get_by_role("button", name="Share with the plenary"))
    expect(part).to_contain_text("Shared with the plenary.")

    # The facilitator picks it as the cohort's draft and opens the agreement check.
    activity = console.get_by_role("region", name="Activity")
    activity.get_by_role("button", name="Use room 1's draft as the cohort's draft").click()
    expect(activity.get_by_role("button", name="Open the agreement check")).to_be_visible()
    activity.get_by_role("button", name="Open the agreement check").click()
    expect(activity).to_contain_text("The agreement check is open.")
    check_page(console, "console with the agreement check open")

    # Noor objects by keyboard: first without a reason (refused), then with one.
    keyboard.check(part.get_by_role("radio", name="Object"))
    keyboard.activate(part.get_by_role("button", name="Send my answer"))
    answer_feedback = part.locator("form.purpose-answer [data-activity-feedback]")
    expect(answer_feedback).to_contain_text("Not done: An objection needs a reason")
    keyboard.fill(part.get_by_label("Your reason (needed if you object)"), "Say who it is for")
    keyboard.activate(part.get_by_role("button", name="Send my answer"))
    expect(part).to_contain_text("Object: 1")
    ada_part = take_part(ada_page)
    phone.check(ada_part.get_by_role("radio", name="Agree"))
    phone.activate(ada_part.get_by_role("button", name="Send my answer"))
    expect(activity).to_contain_text("Agree: 1")
    expect(activity).to_contain_text("Object: 1")
    expect(activity).to_contain_text("Say who it is for")
    # The programme keeps the Chatham House rule (the default): counts, no names.
    for name in (noor.name, ada.name):
        expect(activity.locator(".purpose-counts")).not_to_contain_text(name)
    check_page(ada_page, "participant page (phone) with the agreement check open")

    activity.get_by_role("button", name="Close: we agree").click()
    for page in (noor_page, ada_page, bea_page):
        expect(take_part(page)).to_contain_text(re.compile(r"Agreed on \d+ \w+ \d{4}"))
    check_page(console, "console after the statement is agreed")
    check_page(ada_page, "participant page (phone) after the statement is agreed")

    contexts.assert_no_errors()
    assert keyboard.presses["Tab"] and keyboard.presses["Enter"], keyboard.presses


def test_a_new_round_s_draft_takes_what_was_typed_and_saves_it(
    contexts: Contexts, server: Server
) -> None:
    """Unsaved words in one round's draft stay on screen when the next breakout round brings
    a new room's draft (pushed with the groups): counted, and saved as that draft's first
    version, not refused as if a room-mate had saved meanwhile."""
    seeded = seed_live_session(server, f"Rounds cohort {secrets.token_hex(3)}", "Two rounds")
    noor, ada, _, _ = seeded.people
    quiet = PageChecker(axe=False)  # the test above runs axe-core on these pages
    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, quiet)
    writer = PointerDriver(contexts.new_page(noor.name, DESKTOP))
    mate = PointerDriver(contexts.new_page(ada.name, DESKTOP))
    for driver, person in ((writer, noor), (mate, ada)):
        join(driver, person, seeded, quiet)
    console = facilitator.page
    console.goto(seeded.console_path)
    expect(console.get_by_role("region", name="Who is here")).to_contain_text(
        "2 participants connected"
    )
    for title in SEGMENTS:
        command(console, "Start the next segment", f"Started “{title}”.")

    def open_rooms() -> None:
        console.get_by_label("Or number of rooms").fill("1")
        command(console, "Start breakout rooms", "Opened 1 breakout room.")

    open_rooms()
    part = take_part(writer.page)
    writer.fill(part.get_by_label("What do we want to do?"), WHAT)
    writer.activate(part.get_by_role("button", name="Save our draft"))
    expect(part).to_contain_text("Saved as version 1.")
    why = part.get_by_label("Why do we want to do it?")
    writer.fill(why, "Because nobody should walk alone")
    command(console, "End the round", "Ended the round.")
    open_rooms()
    expect(part.locator("form#purpose-draft-form")).to_contain_text("Not saved yet.")
    expect(why).to_have_value("Because nobody should walk alone")
    expect(part.locator("[data-purpose-count]")).to_have_text("5 of 40 words")
    writer.activate(part.get_by_role("button", name="Save our draft"))
    expect(part).to_contain_text("Saved as version 1.")
    expect(take_part(mate.page).get_by_label("Why do we want to do it?")).to_have_value(
        "Because nobody should walk alone"
    )
    contexts.assert_no_errors()
