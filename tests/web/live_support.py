"""Helpers shared by the live-session tests under tests/web: people connected through the real
actions, live URLs, and the events-consistency check."""

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from convenor.live import actions
from convenor.live.events import events_after
from convenor.live.state import apply_event, snapshot
from convenor.programmes import actions as programme_actions
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Session


def connect_all(session: Session, people: list[Participant]) -> None:
    for person in people:
        actions.do_connect(session, f"test.{person.pk}", participant=person)


def url(name: str, session: Session) -> str:
    return reverse(f"live:{name}", args=[session.programme_id, session.pk])


def consistent(session: Session, act: Callable[[], object]) -> list[dict[str, Any]]:
    """Run `act`; check fresh snapshot + its events == refetched snapshot, and that applying
    them again changes nothing (clients may see an event twice); return the events."""
    before = snapshot(session)
    act()
    written = events_after(session, before["seq"])
    assert written, "the action wrote no event"
    state = before
    for event in written:
        state = apply_event(state, event)
    assert state == snapshot(session)
    again = state
    for event in written:
        again = apply_event(again, event)
    assert again == state
    return written


ORGANISATIONS = ["County Council", "NHS Trust", "Food Bank", "Active Partnership", "GP Group"]


def make_people(programme: Programme, facilitator: Any, count: int) -> list[Participant]:
    """`count` people in five organisations and three sectors, ground rules agreed."""
    return [
        programme_actions.agree_ground_rules(
            programme_actions.add_participant(
                programme,
                facilitator,
                display_name=f"Person {i}",
                organisation=ORGANISATIONS[i % len(ORGANISATIONS)],
                sector=f"Sector {i % 3}",
            )
        )
        for i in range(count)
    ]
