"""A status message a page has just said survives its region being redrawn by someone else's
change a moment later, and so does what the facilitator had put in the form.

Two facilitators share a console in the plenary after the common purpose breakouts. One adds
room 1's wording to the cohort's draft (the page says so, in a status message); seconds later
the other saves a cohort's draft, and the event redraws the first one's activity region from
the server, where that status is empty. The first facilitator must still hear and see what
their click did, and keep the wording their click put in the form.
"""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from .conftest import Contexts
from .live_helpers import open_console, run_seed, seed_live_session
from .reference_helpers import activity
from .support import PageChecker, Server

pytestmark = pytest.mark.browser

WHAT = "Get more people moving, together"
WHY = "Because we are healthier and happier together"
BENEFITS = "Fewer people inactive in our places"
ADDED = "Room 1's wording is added to the cohort's draft below."

# Runs the session up to the plenary after the common purpose breakouts, through the action
# functions: three people present (made-up channels), a room of three drafts and shares.
_PLENARY = """
import json, sys
import django
django.setup()
from convenor.accounts.models import User
from convenor.live import actions
from convenor.live.models import RoomGroup
from convenor.programmes.models import Participant
from convenor.purpose import actions as purpose
from convenor.workshops.models import Session

spec = json.loads(sys.argv[1])
user = User.objects.get(email=spec["email"])
session = Session.objects.get(title=spec["title"], programme__name=spec["programme"])
people = list(Participant.objects.filter(programme=session.programme).order_by("display_name"))[:3]
for number, person in enumerate(people):
    actions.do_connect(session, f"seed!{number}", participant=person)
while True:
    run = actions.do_start_segment(session, user)
    if run.segment.kind == "common_purpose":
        break
round_ = actions.do_start_round(session, user, kind="breakout", size=3)
room = RoomGroup.objects.get(round=round_, number=1)
writer = room.memberships.first().participant
draft = purpose.do_save_draft(
    session, writer, room.pk, spec["what"], spec["why"], spec["benefits"], 0
)
purpose.do_share_draft(session, writer, draft.pk, True)
actions.do_end_round(round_, user)
for number in range(len(people)):
    actions.do_disconnect(f"seed!{number}")
run = actions.do_start_segment(session, user)
print(json.dumps({"segment": run.segment.title}))
"""


def test_a_status_just_said_and_the_form_survive_a_redraw(
    contexts: Contexts, server: Server, check_page: PageChecker
) -> None:
    seeded = seed_live_session(server, f"Kept status {secrets.token_hex(3)}", "Live, kept")
    spec = {
        "email": server.email,
        "programme": seeded.programme,
        "title": seeded.title,
        "what": WHAT,
        "why": WHY,
        "benefits": BENEFITS,
    }
    assert run_seed(server, _PLENARY, spec)["segment"] == "Plenary: do we agree?"
    mine = open_console(contexts, server, "facilitator", seeded.console_path)
    theirs = open_console(contexts, server, "co-facilitator", seeded.console_path)
    for page in (mine, theirs):
        expect(activity(page)).to_contain_text("The facilitator has not chosen a cohort draft yet.")
    add = "Add room 1's wording to the cohort's draft below"

    # Mine: the wording goes into the form, and the page says so.
    activity(mine).get_by_role("button", name=add).click()
    form = mine.locator("form#purpose-merge-form")
    announce = form.locator("[data-purpose-announce]")
    expect(announce).to_have_text(ADDED)
    expect(form.get_by_label("What will the benefits be?")).to_have_value(BENEFITS)
    form.get_by_label("What do we want to do?").fill(f"{WHAT}, in our towns")

    # Theirs: a cohort's draft saved at once; its event redraws my activity region.
    activity(theirs).get_by_role("button", name=add).click()
    activity(theirs).get_by_role("button", name="Save the cohort's draft").click()
    expect(activity(mine)).to_contain_text("The agreement check has not started.")

    # The region is the server's new one, with my status and my unsaved wording kept.
    expect(announce).to_have_text(ADDED)
    expect(form.get_by_label("What do we want to do?")).to_have_value(f"{WHAT}, in our towns")
    expect(form.get_by_label("What will the benefits be?")).to_have_value(BENEFITS)
    check_page(mine, "console with a status and wording kept across a redraw")

    # A status is kept only while fresh: an event long after it shows the server's region.
    mine.evaluate(
        """() => document.querySelectorAll("[data-said-at]").forEach(
             (el) => el.setAttribute("data-said-at", String(Date.now() - 60000)))"""
    )
    activity(theirs).get_by_role("button", name="Open the agreement check").click()
    expect(activity(mine)).to_contain_text("The agreement check is open.")
    expect(mine.locator("form#purpose-merge-form [data-purpose-announce]")).to_have_text(
        re.compile(r"^\s*$")
    )
    contexts.assert_no_errors()
