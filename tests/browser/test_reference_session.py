"""The reference session in Chromium, from welcome to close, with every activity used for real.

A facilitator signs in and runs the built-in reference template ("Common understanding and
common purpose") from the console, segment by segment: a coffee-trial round, the plenary stream
(posts, a reaction, a pin), a talk, the Cynefin board (place, suggest, move), the empathy map in
breakout groups (with the combined view), a second plenary, a break, the common purpose in
breakout groups (live word count, the 40-word limit, versions, sharing), the agreement check in
plenary (pick, answers with one objection and its reason, a measure, closed as agreed), the
reflection and the close (commitments, one shared and one private, and session feedback).

Four participants join by their invite links: Noor uses the keyboard only, Ada's screen is a
360 x 740 phone (never scrolling sideways), Bea and Sol use a mouse. Each page updates itself
(never reloaded); the programme keeps the Chatham House rule (the default), so no name shows in
any activity, on the console or in the session's record. axe-core checks the console and Ada's
page in every segment, and Noor's page wherever she acts.
"""

from __future__ import annotations

import json
import re
import secrets

import pytest
from playwright.sync_api import expect

from . import flows
from .conftest import Contexts
from .live_helpers import (
    Deadline,
    assert_not_reloaded,
    command,
    join,
    mark_page,
    seed_live_session,
    your_group,
)
from .reference_helpers import (
    LIVE_WITHIN_S,
    SEGMENTS,
    Run,
    activity,
    choose,
    pick_radio,
    record,
    resume,
    take_part,
)
from .support import DESKTOP, PHONE, Driver, KeyboardDriver, PageChecker, PointerDriver, Server

pytestmark = pytest.mark.browser

(
    WELCOME,
    COFFEE,
    NOTICED,
    TALK,
    CYNEFIN,
    EMPATHY,
    FOUND,
    BREAK,
    PURPOSE,
    AGREE,
    REFLECTION,
    CLOSE,
) = SEGMENTS
NOOR, ADA, BEA, SOL = "Noor Haddad", "Ada Mensah", "Bea Kowalski", "Sol Rivera"

NOOR_POST = "My partner's team hits the same wall at hospital discharge as we do."
BEA_POST = "I would like a longer chat with my pair about volunteers."
SOL_POST = "Every group saw the same worry about being judged."
NOOR_ITEM = "Joining up our data across partners"
SOL_ITEM = "Rising demand for support with loneliness"
PERSONA = "a parent in one of our priority neighbourhoods"
NOTES = {
    NOOR: ("Sees", "Closed play areas on the estate"),
    ADA: ("Thinks and feels", "Worried about being judged by services"),
    BEA: ("Does and expects", "Expects to repeat their story to every service"),
}
WHAT = "Get more people in our places moving, together"
WHY = "Because we are healthier and happier when we move together"
BENEFITS = "Fewer lonely people and stronger local groups"
COHORT_WHAT = f"{WHAT}, in every town we serve"
MEASURE = "More people active in the three priority neighbourhoods"
OBJECTION = "Say who it is for first"
NOOR_TRY = "At our ward's weekly discharge planning meeting."
ADA_TRY = "In the council's next budget round, quietly."
BEA_COMMIT = "Invite a voluntary sector partner to our next planning day."
SOL_COMMIT = "Read today's empathy maps with my trustees."
WORKED = "Hearing from people outside health."


def test_reference_session_from_welcome_to_close(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    seeded = seed_live_session(
        server, f"Reference cohort {secrets.token_hex(3)}", "Common purpose, from start to end"
    )
    assert [person.name for person in seeded.people] == [NOOR, ADA, BEA, SOL]
    # (driver, screen) for Noor, Ada, Bea and Sol.
    cast = [
        (KeyboardDriver, DESKTOP),
        (PointerDriver, PHONE),
        (PointerDriver, DESKTOP),
        (PointerDriver, DESKTOP),
    ]
    setup_check = PageChecker(axe=False)  # the sign-in and join pages have their own tests

    facilitator = PointerDriver(contexts.new_page("facilitator", DESKTOP))
    flows.sign_in(facilitator, server, setup_check)
    drivers: dict[str, Driver] = {}
    for person, (make_driver, viewport) in zip(seeded.people, cast, strict=True):
        drivers[person.name] = make_driver(contexts.new_page(person.name, viewport))
        join(drivers[person.name], person, seeded, setup_check)
    keyboard = drivers[NOOR]
    assert isinstance(keyboard, KeyboardDriver)

    console = facilitator.page
    console.goto(seeded.console_path)
    flows.heading(console, f"Console: {seeded.title}")
    expect(console.get_by_role("region", name="Who is here")).to_contain_text(
        "4 participants connected"
    )
    run = Run(seeded, console, drivers, check_page, phone=ADA, keyboard=NOOR)
    for page in run.pages.values():
        mark_page(page)
    mark_page(console)

    welcome(run)
    coffee_trial(run)
    plenary_stream(run)
    talk(run)
    cynefin_board(run, keyboard)
    empathy_map(run, keyboard)
    groups_found(run)
    a_break(run)
    common_purpose(run, keyboard)
    agreement_check(run, keyboard)
    reflection(run, keyboard)
    close(run, keyboard)
    session_record(run)

    for name, page in [*run.pages.items(), ("the facilitator", console)]:
        assert_not_reloaded(page, name)
    contexts.assert_no_errors()
    # axe-core ran on the console and the phone in all twelve segments (the phone also on the
    # empathy maps' plenary view and once the statement was agreed), and on Noor's page in the
    # seven where she acted; nothing was skipped on the way.
    assert check_page.checked == run.checked
    assert sum(name.startswith("console: ") for name in run.checked) == len(SEGMENTS) == 12
    assert sum(name.startswith("phone: ") for name in run.checked) == len(SEGMENTS) + 2
    assert sum(name.startswith("keyboard user: ") for name in run.checked) == 7
    # Guards the guard: Noor really went by keyboard (skip link, Tab stops, arrows, Space).
    for key in ("Tab", "Enter", "Space", "ArrowDown"):
        assert keyboard.presses[key], keyboard.presses


def end_round(run: Run) -> None:
    command(run.console, "End the round", "Ended the round.")
    deadline = Deadline(LIVE_WITHIN_S)
    for page in run.pages.values():
        expect(your_group(page)).to_contain_text("No round is running", timeout=deadline.ms())


def breakout_room_of_four(run: Run) -> None:
    """Rooms hold 3 to 8 people, so the four participants make one room."""
    console = run.console
    console.get_by_label("People per room (3 to 8)").fill("3")
    console.get_by_role("button", name="Start breakout rooms").click()
    expect(console.locator("[data-live-status]")).to_have_text("Opened 1 breakout room.")
    deadline = Deadline(LIVE_WITHIN_S)
    for page in run.pages.values():
        expect(your_group(page).get_by_role("heading", name="Room 1: you are with")).to_be_visible(
            timeout=deadline.ms()
        )


def nothing_to_do(run: Run, title: str) -> None:
    expect(take_part(run.pages[ADA])).to_have_text(
        re.compile(rf"Nothing to add on this page during “{re.escape(title)}”\.")
    )


def welcome(run: Run) -> None:
    """The welcome: a first session, so nobody has a commitment from last time to look back on."""
    run.start(WELCOME)
    run.everyone_sees("Your commitment from last time", console=False)
    expect(take_part(run.pages[ADA])).to_contain_text(
        "When you make a commitment at the end of a session, it comes back here"
    )
    expect(activity(run.console)).to_contain_text(
        "Nobody has a commitment from an earlier session of this series"
    )
    run.check_segment("welcome")


def coffee_trial(run: Run) -> None:
    """A coffee-trial round in pairs, then the round ends."""
    run.start(COFFEE)
    run.console.get_by_role("button", name="Start the round").click()
    expect(run.console.locator("[data-live-status]")).to_have_text("Started a round: 2 groups.")
    deadline = Deadline(LIVE_WITHIN_S)
    for page in run.pages.values():
        expect(your_group(page).get_by_role("heading", name="You are with")).to_be_visible(
            timeout=deadline.ms()
        )
    nothing_to_do(run, COFFEE)
    run.check_segment("coffee-trial round running")
    end_round(run)


def plenary_stream(run: Run) -> None:
    """Noor posts by keyboard, Ada reacts from her phone, Bea posts, the facilitator pins Bea's."""
    run.start(NOTICED)
    run.everyone_sees("Speak up or put it in the chat", console=False)
    noor = run.drivers[NOOR]
    part = take_part(noor.page)
    noor.fill(part.get_by_label("Your post"), NOOR_POST)
    noor.activate(part.get_by_role("button", name="Post", exact=True))
    run.everyone_sees(NOOR_POST)
    # Under the Chatham House rule the author's own post says "You", nobody else's has a name.
    expect(part.get_by_role("listitem").filter(has_text=NOOR_POST)).to_contain_text("You")

    ada = run.drivers[ADA]
    post = take_part(ada.page).get_by_role("listitem").filter(has_text=NOOR_POST)
    agree = post.get_by_role("button", name=re.compile(r"^Agree \d+$"))
    expect(agree).to_have_attribute("aria-pressed", "false")
    ada.activate(agree)
    expect(agree).to_have_attribute("aria-pressed", "true")
    expect(agree).to_have_accessible_name("Agree 1")
    on_console = activity(run.console).get_by_role("listitem").filter(has_text=NOOR_POST)
    expect(on_console).to_contain_text("Agree 1")

    bea = run.drivers[BEA]
    bea.fill(take_part(bea.page).get_by_label("Your post"), BEA_POST)
    bea.activate(take_part(bea.page).get_by_role("button", name="Post", exact=True))
    run.everyone_sees(BEA_POST)
    # Noor thanks Bea by keyboard: the reaction keeps its name and the focus when pressed.
    thanks = (
        part.get_by_role("listitem")
        .filter(has_text=BEA_POST)
        .get_by_role("button", name=re.compile(r"^Thanks \d+$"))
    )
    noor.activate(thanks)
    expect(thanks).to_have_attribute("aria-pressed", "true")
    expect(thanks).to_have_accessible_name("Thanks 1")
    expect(thanks).to_be_focused()
    # Pinned posts come first; Bea's is the newer, so the pin is what moves it to the top.
    activity(run.console).get_by_role("listitem").filter(has_text=BEA_POST).get_by_role(
        "button", name="Pin to the top"
    ).click()
    deadline = Deadline(LIVE_WITHIN_S)
    for page in [*run.pages.values(), run.console]:
        region = take_part(page) if page is not run.console else activity(page)
        first = region.get_by_role("listitem").first
        expect(first).to_contain_text(BEA_POST, timeout=deadline.ms())
        expect(first).to_contain_text("Pinned", timeout=deadline.ms())
    expect(take_part(run.pages[SOL])).to_contain_text("2 posts")
    run.nobody_named()
    run.check_segment("plenary stream with posts, a reaction and a pin", keyboard=True)


def talk(run: Run) -> None:
    """A talk has its own stream for questions: empty, under the talk's prompt."""
    run.start(TALK)
    run.everyone_sees("As you listen, think of one challenge from your own work.")
    expect(take_part(run.pages[ADA])).to_contain_text("0 posts")
    expect(take_part(run.pages[ADA])).not_to_contain_text(BEA_POST)
    run.check_segment("talk")


def cynefin_board(run: Run, noor: KeyboardDriver) -> None:
    """Noor places a situation by keyboard; Sol places one in the centre; Ada suggests moving
    Noor's; Noor, its author, moves it."""
    run.start(CYNEFIN)
    run.everyone_sees("Cynefin board")
    resume(noor)
    part = take_part(noor.page)
    noor.fill(part.get_by_label("A situation you face"), NOOR_ITEM)
    choose(noor, part.get_by_label("Where it sits"), "Complicated")
    noor.activate(part.get_by_role("button", name="Place it"))
    run.everyone_sees(NOOR_ITEM)

    sol = run.drivers[SOL]
    sol.fill(take_part(sol.page).get_by_label("A situation you face"), SOL_ITEM)
    sol.activate(take_part(sol.page).get_by_role("button", name="Place it"))
    run.everyone_sees("2 items on the board: 0 clear, 1 complicated, 0 complex, 0 chaotic, 1 not")
    centre = take_part(run.pages[BEA]).get_by_role("region", name=re.compile(r"^Not sure yet"))
    expect(centre).to_contain_text(SOL_ITEM)

    ada = run.drivers[ADA]
    item = take_part(ada.page).get_by_role("listitem").filter(has_text=NOOR_ITEM)
    choose(ada, item.get_by_label("Suggest moving it to"), "Complex")
    ada.activate(item.get_by_role("button", name="Suggest"))
    expect(item).to_contain_text("You suggested moving it to Complex.")
    own = part.get_by_role("listitem").filter(has_text=NOOR_ITEM)
    expect(own).to_contain_text("Suggested moves: 1 to Complex")

    choose(noor, own.get_by_label("Move it to"), "Complex")
    noor.activate(own.get_by_role("button", name="Move"))
    run.everyone_sees("2 items on the board: 0 clear, 0 complicated, 1 complex, 0 chaotic, 1 not")
    for page in run.pages.values():
        complex_list = take_part(page).get_by_role("region", name=re.compile(r"^Complex"))
        expect(complex_list).to_contain_text(NOOR_ITEM)
    run.nobody_named()
    run.check_segment("Cynefin board with two items, one moved", keyboard=True)


def empathy_map(run: Run, noor: KeyboardDriver) -> None:
    """The facilitator names the persona and opens a breakout room; three people add notes to
    their group's map (Noor by keyboard); Ada reads every group's map combined."""
    run.start(EMPATHY)
    run.everyone_sees("start breakout groups first")
    console = run.console
    activity(console).get_by_label("The persona every group maps").fill(PERSONA)
    activity(console).get_by_role("button", name="Name the persona").click()
    run.everyone_sees(f"Empathy map: {PERSONA}", console=False)
    breakout_room_of_four(run)
    mine = re.compile(r"^Your group's map \(group 1\)$")
    for page in run.pages.values():
        expect(take_part(page).get_by_role("heading", name=mine)).to_be_visible()

    resume(noor)
    for name, (area, text) in NOTES.items():
        d = run.drivers[name]
        part = take_part(d.page)
        choose(d, part.get_by_label("Which part of the map"), area)
        d.fill(part.get_by_label("Your note"), text)
        d.activate(part.get_by_role("button", name="Add the note"))
        run.everyone_sees(text)
    sol_part = take_part(run.pages[SOL])
    for area, text in NOTES.values():
        in_area = sol_part.locator(".empathy-area").filter(
            has=run.pages[SOL].get_by_role("heading", name=re.compile(rf"^{area} \(1\)"))
        )
        expect(in_area).to_contain_text(text)
    expect(activity(console)).to_contain_text("Group 1 (3 notes, 4 people)")
    run.nobody_named()
    run.check_segment("empathy map with notes from three people", keyboard=True)

    # Ada opens every group's map, combined, in a second tab of her phone's browser.
    link = take_part(run.pages[ADA]).get_by_role(
        "link", name=re.compile(r"^Every group's map side by side")
    )
    href = link.get_attribute("href")
    assert href
    view = run.pages[ADA].context.new_page()
    view.goto(href)
    flows.heading(view, f"Empathy maps: {PERSONA}")
    combined = view.get_by_role("region", name="Every group together")
    for _, text in NOTES.values():
        expect(combined).to_contain_text(text)
    for name in run.names():
        expect(view.get_by_role("main")).not_to_contain_text(name)
    run.check(view, "phone: the empathy maps' plenary view")
    run.checked.append("phone: the empathy maps' plenary view")
    view.close()
    end_round(run)


def groups_found(run: Run) -> None:
    """The second plenary: a fresh stream, linked to the empathy maps."""
    run.start(FOUND)
    expect(
        take_part(run.pages[ADA]).get_by_role(
            "link", name="This session's empathy maps, side by side and combined"
        )
    ).to_be_visible()
    expect(take_part(run.pages[ADA])).to_contain_text("0 posts")
    sol = run.drivers[SOL]
    sol.fill(take_part(sol.page).get_by_label("Your post"), SOL_POST)
    sol.activate(take_part(sol.page).get_by_role("button", name="Post", exact=True))
    run.everyone_sees(SOL_POST)
    expect(take_part(run.pages[ADA])).not_to_contain_text(NOOR_POST)
    run.check_segment("second plenary stream")


def a_break(run: Run) -> None:
    run.start(BREAK)
    nothing_to_do(run, BREAK)
    run.check_segment("break")


def common_purpose(run: Run, noor: KeyboardDriver) -> None:
    """A breakout room drafts: Noor by keyboard against the live count and the 40-word limit,
    Ada adds the benefits from her phone; Noor shares the draft with the plenary."""
    run.start(PURPOSE)
    run.everyone_sees(
        "Drafting starts when the facilitator opens the breakout groups.", console=False
    )
    breakout_room_of_four(run)
    run.everyone_sees("Room 1: what do we want to do", console=False)
    resume(noor)

    part = take_part(noor.page)
    count = part.locator("[data-purpose-count]")
    announce = part.locator("[data-purpose-announce]")
    noor.fill(part.get_by_label("What do we want to do?"), WHAT)
    expect(count).to_have_text("8 of 40 words")
    noor.fill(part.get_by_label("Why do we want to do it?"), " ".join(["together"] * 33))
    expect(count).to_have_text("41 of 40 words: 1 over the limit")
    expect(announce).to_have_text("Over the 40-word limit: 41 words.")
    noor.activate(part.get_by_role("button", name="Save our draft"))
    feedback = part.locator("form#purpose-draft-form [data-activity-feedback]")
    expect(feedback).to_contain_text("Not done: This draft has 41 words")
    noor.fill(part.get_by_label("Why do we want to do it?"), WHY)
    expect(count).to_have_text("18 of 40 words")
    expect(announce).to_have_text("Back within the 40-word limit.")
    noor.activate(part.get_by_role("button", name="Save our draft"))
    expect(part).to_contain_text("Saved as version 1.")

    ada = run.drivers[ADA]
    ada_part = take_part(ada.page)
    expect(ada_part.get_by_label("What do we want to do?")).to_have_value(WHAT)
    ada.fill(ada_part.get_by_label("What will the benefits be?"), BENEFITS)
    expect(ada_part.locator("[data-purpose-count]")).to_have_text("25 of 40 words")
    ada.activate(ada_part.get_by_role("button", name="Save our draft"))
    expect(ada_part).to_contain_text("Saved as version 2.")
    expect(part.get_by_label("What will the benefits be?")).to_have_value(BENEFITS)
    expect(part).to_contain_text("Saved as version 2.")

    noor.activate(part.get_by_role("button", name="Share with the plenary"))
    expect(part).to_contain_text("Shared with the plenary.")
    room = (
        activity(run.console)
        .get_by_role("listitem")
        .filter(has=run.console.get_by_role("heading", name="Room 1"))
        .filter(has_text="of 40 words")
    )
    # Once shared, the plenary panel beside it shows the draft too.
    expect(activity(run.console).locator(".purpose-drafts")).to_have_count(2)
    expect(room).to_contain_text("25 of 40 words · version 2 · shared")
    expect(room).to_contain_text(BENEFITS)
    run.nobody_named()
    run.check_segment("common purpose drafted and shared", keyboard=True)
    end_round(run)


def agreement_check(run: Run, noor: KeyboardDriver) -> None:
    """The facilitator writes the cohort's draft from the shared one (its wording copied into
    the editor, then changed) and opens the check; everyone answers (Noor objects by keyboard,
    with a reason); Sol adds a measure; the facilitator closes it as agreed."""
    run.start(AGREE)
    run.everyone_sees("Shared drafts")
    run.everyone_sees(WHAT)
    run.everyone_sees("The facilitator has not chosen a cohort draft yet.")
    console_part = activity(run.console)
    console_part.get_by_role(
        "button", name="Add room 1's wording to the cohort's draft below"
    ).click()
    merge = console_part.locator("form#purpose-merge-form")
    expect(merge.get_by_label("What will the benefits be?")).to_have_value(BENEFITS)
    expect(merge.locator("[data-purpose-announce]")).to_have_text(
        "Room 1's wording is added to the cohort's draft below."
    )
    merge.get_by_label("What do we want to do?").fill(COHORT_WHAT)
    expect(merge.locator("[data-purpose-count]")).to_have_text("30 of 40 words")
    merge.get_by_role("button", name="Save the cohort's draft").click()
    run.everyone_sees(COHORT_WHAT)
    run.everyone_sees("The agreement check has not started.")
    console_part.get_by_role("button", name="Open the agreement check").click()
    run.everyone_sees("The agreement check is open.")

    resume(noor)
    part = take_part(noor.page)
    pick_radio(noor, part.get_by_role("radio", name="Object"))
    noor.fill(part.get_by_label("Your reason (needed if you object)"), OBJECTION)
    noor.activate(part.get_by_role("button", name="Send my answer"))
    expect(part).to_contain_text("Your answer: Object.")
    for name, choice in ((ADA, "Agree"), (BEA, "Can live with it"), (SOL, "Agree")):
        d = run.drivers[name]
        d.check(take_part(d.page).get_by_role("radio", name=choice, exact=True))
        d.activate(take_part(d.page).get_by_role("button", name="Send my answer"))
        expect(take_part(d.page)).to_contain_text(f"Your answer: {choice}.")
    sol = run.drivers[SOL]
    sol_part = take_part(sol.page)
    sol.fill(sol_part.get_by_label("How could we tell we are making progress?"), MEASURE)
    sol.activate(sol_part.get_by_role("button", name="Add", exact=True))
    run.everyone_sees(MEASURE)

    counts = console_part.locator(".purpose-counts")
    for line in ("Agree: 2", "Can live with it: 1", "Object: 1"):
        expect(counts).to_contain_text(line)
    run.everyone_sees("Answers so far (4)")
    run.everyone_sees(OBJECTION)
    run.nobody_named()
    run.check_segment("agreement check answered", keyboard=True)

    console_part.get_by_role("button", name="Close: we agree").click()
    run.everyone_sees(re.compile(r"Agreed on \d+ \w+ \d{4}"))
    for page in run.pages.values():
        expect(take_part(page).get_by_role("radio")).to_have_count(0)
    run.check(run.pages[ADA], "phone: the statement agreed")
    run.checked.append("phone: the statement agreed")


def reflection(run: Run, noor: KeyboardDriver) -> None:
    """Noor shares where she might try this (keyboard); Ada keeps hers private."""
    run.start(REFLECTION)
    run.everyone_sees("Where I might try this out", console=False)
    resume(noor)
    part = take_part(noor.page)
    noor.fill(part.get_by_label("Your answer"), NOOR_TRY)
    noor.check(part.get_by_role("checkbox", name=re.compile(r"^Share it with everyone")))
    noor.activate(part.get_by_role("button", name="Save", exact=True))
    expect(part).to_contain_text("Saved and shared.")

    ada = run.drivers[ADA]
    ada.fill(take_part(ada.page).get_by_label("Your answer"), ADA_TRY)
    ada.activate(take_part(ada.page).get_by_role("button", name="Save", exact=True))
    expect(take_part(ada.page)).to_contain_text("Saved: only you can see it.")

    console_part = activity(run.console)
    expect(console_part).to_contain_text("2 written, 1 shared.")
    expect(console_part).to_contain_text(NOOR_TRY)
    expect(console_part).not_to_contain_text(ADA_TRY)
    shared = take_part(run.pages[BEA]).get_by_role("list").filter(has_text=NOOR_TRY)
    expect(shared).to_have_count(1)
    expect(take_part(run.pages[BEA])).not_to_contain_text(ADA_TRY)
    run.nobody_named()
    run.check_segment("reflections, one shared and one private", keyboard=True)


def close(run: Run, noor: KeyboardDriver) -> None:
    """Commitments (Bea shares hers, Sol keeps his private) and feedback with a rating (Noor by
    keyboard, Ada from her phone); the console sees counts and only what was shared."""
    run.start(CLOSE)
    run.everyone_sees("One practical thing I will do before next time", console=False)
    run.everyone_sees("Your feedback on this session", console=False)
    bea = run.drivers[BEA]
    bea_part = take_part(bea.page)
    bea.fill(bea_part.get_by_label("Your answer"), BEA_COMMIT)
    bea.check(bea_part.get_by_role("checkbox", name=re.compile(r"^Share it with everyone")))
    bea.activate(bea_part.get_by_role("button", name="Save", exact=True))
    expect(bea_part).to_contain_text("Saved and shared.")
    sol = run.drivers[SOL]
    sol.fill(take_part(sol.page).get_by_label("Your answer"), SOL_COMMIT)
    sol.activate(take_part(sol.page).get_by_role("button", name="Save", exact=True))
    expect(take_part(sol.page)).to_contain_text("Saved: only you can see it.")

    resume(noor)
    part = take_part(noor.page)
    pick_radio(noor, part.get_by_role("radio", name="4: good"))
    noor.fill(part.get_by_label("What worked for you?"), WORKED)
    noor.activate(part.get_by_role("button", name="Send feedback"))
    expect(part).to_contain_text("Your feedback is in")
    ada = run.drivers[ADA]
    ada.check(take_part(ada.page).get_by_role("radio", name="5: excellent"))
    ada.activate(take_part(ada.page).get_by_role("button", name="Send feedback"))
    expect(take_part(ada.page)).to_contain_text("Your feedback is in")

    console_part = activity(run.console)
    expect(console_part).to_contain_text("2 written, 1 shared.")
    expect(console_part).to_contain_text(BEA_COMMIT)
    expect(console_part).not_to_contain_text(SOL_COMMIT)
    expect(console_part).to_contain_text("2 people have answered; the mean rating is 4.5 out of 5")
    expect(console_part).to_contain_text(WORKED)
    run.nobody_named()
    run.check_segment("commitments and feedback", keyboard=True)


def session_record(run: Run) -> None:
    """The record from the console's links: every activity's shared work, nothing private,
    and no names (Chatham House)."""
    markdown, data = record(run.console)
    as_json = json.dumps(data, ensure_ascii=False)
    for text in (
        NOOR_POST,
        BEA_POST,
        NOOR_ITEM,
        SOL_ITEM,
        PERSONA,
        *(text for _, text in NOTES.values()),
        WHAT,
        COHORT_WHAT,
        WHY,
        BENEFITS,
        OBJECTION,
        MEASURE,
        NOOR_TRY,
        BEA_COMMIT,
        WORKED,
    ):
        assert text in markdown, f"the Markdown record lacks {text!r}:\n{markdown}"
        assert text in as_json, f"the JSON record lacks {text!r}"
    for private in (ADA_TRY, SOL_COMMIT):
        assert private not in markdown, f"the Markdown record shows private {private!r}"
        assert private not in as_json, f"the JSON record shows private {private!r}"
    for name in run.names():
        assert name not in markdown, f"the Markdown record names {name}"
        assert name not in as_json, f"the JSON record names {name}"
