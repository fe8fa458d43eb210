"""Access to live sessions from a WebSocket scope, through the programmes' choke point."""

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest

from convenor.programmes.access import Membership, get_session_for_member
from convenor.workshops.models import Session


def request_for_scope(scope: dict[str, Any]) -> HttpRequest:
    """An HttpRequest carrying the scope's user and browser session, for the access helpers."""
    request = HttpRequest()
    request.user = scope["user"]
    request.session = scope["session"]
    return request


def get_live_session_for_member(
    scope: dict[str, Any], session_id: UUID
) -> tuple[Membership, Session] | None:
    """The membership and session for a WebSocket, or None for outsiders (and unknown ids).

    A participant who has not agreed to the ground rules yet is turned away too, as the pages
    send them to agree first.
    """
    programme_id = (
        Session.objects.filter(pk=session_id).values_list("programme_id", flat=True).first()
    )
    if programme_id is None:
        return None
    try:
        membership, session = get_session_for_member(
            request_for_scope(scope), programme_id, session_id
        )
    except Http404:
        return None
    participant = membership.participant
    if participant is not None and participant.agreed_ground_rules_at is None:
        return None
    return membership, session
