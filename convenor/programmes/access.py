"""The one authorisation choke point: every view fetches programme data through these helpers.

Who is who:
- a facilitator is a signed-in user with a Facilitation row for the programme;
- a participant is a browser session that redeemed an invite: the session maps programme ids to
  participant ids (`participant_login`), so one browser can be in several programmes and a
  participant never needs a password.

Outsiders (including signed-in facilitators of other programmes) get 404, so the existence of a
programme is not revealed; participants asking for facilitator pages get 403.

Archived programmes are read-only for their facilitators (`for_write=True` lookups raise 403)
and closed to participants (they are treated as outsiders, 404), until the retention period
deletes them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Literal
from urllib.parse import urlencode
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from convenor.programmes.models import Facilitation, Invite, Participant, Programme
from convenor.workshops.models import Segment, Session

PARTICIPANT_SESSION_KEY = "convenor_participants"

ProgrammeId = UUID | str


@dataclass(frozen=True)
class Membership:
    """What the current request is allowed to be in one programme."""

    programme: Programme
    role: Literal["facilitator", "participant"]
    facilitation: Facilitation | None = None
    participant: Participant | None = None

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"

    @property
    def is_participant(self) -> bool:
        return self.role == "participant"

    @property
    def is_lead(self) -> bool:
        return self.facilitation is not None and self.facilitation.role == Facilitation.Role.LEAD

    @property
    def can_edit(self) -> bool:
        return self.is_facilitator and not self.programme.is_archived


def _participant_entries(request: HttpRequest) -> dict[str, str]:
    entries = request.session.get(PARTICIPANT_SESSION_KEY, {})
    return entries if isinstance(entries, dict) else {}


def participant_login(request: HttpRequest, participant: Participant) -> None:
    """Make this browser session `participant` within their programme (and only that one)."""
    # A fresh session key on every change of identity defeats session fixation.
    request.session.cycle_key()
    entries = dict(_participant_entries(request))
    entries[str(participant.programme_id)] = str(participant.pk)
    request.session[PARTICIPANT_SESSION_KEY] = entries


def participant_logout(request: HttpRequest, programme_id: ProgrammeId) -> None:
    """Forget this browser's participant identity in one programme."""
    entries = dict(_participant_entries(request))
    if entries.pop(str(programme_id), None) is not None:
        request.session[PARTICIPANT_SESSION_KEY] = entries
        request.session.cycle_key()


def session_participant(request: HttpRequest, programme_id: ProgrammeId) -> Participant | None:
    """The participant this browser is in an open (not archived) programme, if any."""
    participant_id = _participant_entries(request).get(str(programme_id))
    if participant_id is None:
        return None
    try:
        return (
            Participant.objects.select_related("programme")
            .filter(
                pk=participant_id,
                programme_id=programme_id,
                programme__archived_at__isnull=True,
            )
            .first()
        )
    except (ValueError, TypeError, ValidationError):
        # A corrupted session entry is the same as none.
        return None


def get_programme_for_member(request: HttpRequest, programme_id: ProgrammeId) -> Membership:
    """The programme if this request is its facilitator or participant; otherwise 404.

    Remembered for the rest of the request, per identity (a page's decorator and the view
    itself both ask; a login or logout in between changes the identity, so it asks again).
    """
    user = request.user
    key = (
        str(programme_id),
        user.pk if user.is_authenticated else None,
        _participant_entries(request).get(str(programme_id)),
    )
    memo: dict[tuple[str, object, str | None], Membership | None]
    memo = request.__dict__.setdefault("_convenor_memberships", {})
    if key not in memo:
        try:
            memo[key] = _find_membership(request, programme_id)
        except Http404:
            memo[key] = None
    found = memo[key]
    if found is None:
        raise Http404("No such programme.")
    return found


def _find_membership(request: HttpRequest, programme_id: ProgrammeId) -> Membership:
    user = request.user
    if user.is_authenticated:
        facilitation = (
            Facilitation.objects.select_related("programme")
            .filter(programme_id=programme_id, user=user)
            .first()
        )
        if facilitation is not None:
            return Membership(
                programme=facilitation.programme, role="facilitator", facilitation=facilitation
            )
    participant = session_participant(request, programme_id)
    if participant is not None:
        return Membership(
            programme=participant.programme, role="participant", participant=participant
        )
    raise Http404("No such programme.")


def get_programme_for_facilitator(
    request: HttpRequest, programme_id: ProgrammeId, *, for_write: bool = False
) -> Membership:
    """The programme for its facilitators: participants get 403, outsiders 404.

    With for_write=True an archived programme also gives 403 (archived means read-only).
    """
    membership = get_programme_for_member(request, programme_id)
    if not membership.is_facilitator:
        raise PermissionDenied("Only the programme's facilitators can do this.")
    if for_write and membership.programme.is_archived:
        raise PermissionDenied("This programme is archived and can no longer be changed.")
    return membership


def get_programme_for_lead(
    request: HttpRequest, programme_id: ProgrammeId, *, for_write: bool = False
) -> Membership:
    """As get_programme_for_facilitator, but co-facilitators get 403 too."""
    membership = get_programme_for_facilitator(request, programme_id, for_write=for_write)
    if not membership.is_lead:
        raise PermissionDenied("Only the lead facilitator can do this.")
    return membership


def get_session_for_member(
    request: HttpRequest, programme_id: ProgrammeId, session_id: UUID | str
) -> tuple[Membership, Session]:
    membership = get_programme_for_member(request, programme_id)
    session = Session.objects.filter(pk=session_id, programme=membership.programme).first()
    if session is None:
        raise Http404("No such session.")
    return membership, session


def get_session_for_facilitator(
    request: HttpRequest,
    programme_id: ProgrammeId,
    session_id: UUID | str,
    *,
    for_write: bool = False,
) -> tuple[Membership, Session]:
    membership = get_programme_for_facilitator(request, programme_id, for_write=for_write)
    session = Session.objects.filter(pk=session_id, programme=membership.programme).first()
    if session is None:
        raise Http404("No such session.")
    return membership, session


def get_segment_for_facilitator(
    request: HttpRequest,
    programme_id: ProgrammeId,
    session_id: UUID | str,
    segment_id: UUID | str,
    *,
    for_write: bool = False,
) -> tuple[Membership, Segment]:
    membership, session = get_session_for_facilitator(
        request, programme_id, session_id, for_write=for_write
    )
    segment = (
        Segment.objects.select_related("session").filter(pk=segment_id, session=session).first()
    )
    if segment is None:
        raise Http404("No such segment.")
    return membership, segment


def get_participant_for_facilitator(
    request: HttpRequest,
    programme_id: ProgrammeId,
    participant_id: UUID | str,
    *,
    for_write: bool = False,
) -> tuple[Membership, Participant]:
    membership = get_programme_for_facilitator(request, programme_id, for_write=for_write)
    participant = Participant.objects.filter(
        pk=participant_id, programme=membership.programme
    ).first()
    if participant is None:
        raise Http404("No such person.")
    return membership, participant


def get_invite_for_facilitator(
    request: HttpRequest,
    programme_id: ProgrammeId,
    invite_id: UUID | str,
    *,
    for_write: bool = False,
) -> tuple[Membership, Invite]:
    membership = get_programme_for_facilitator(request, programme_id, for_write=for_write)
    invite = (
        Invite.objects.select_related("participant")
        .filter(pk=invite_id, programme=membership.programme)
        .first()
    )
    if invite is None:
        raise Http404("No such invite.")
    return membership, invite


def get_facilitation_for_facilitator(
    request: HttpRequest,
    programme_id: ProgrammeId,
    facilitation_id: UUID | str,
    *,
    for_write: bool = False,
) -> tuple[Membership, Facilitation]:
    membership = get_programme_for_facilitator(request, programme_id, for_write=for_write)
    facilitation = (
        Facilitation.objects.select_related("user")
        .filter(pk=facilitation_id, programme=membership.programme)
        .first()
    )
    if facilitation is None:
        raise Http404("No such facilitator.")
    return membership, facilitation


ViewFunc = Callable[..., HttpResponse]


def participant_must_agree(view: ViewFunc) -> ViewFunc:
    """Send a participant who has not yet agreed to the ground rules to agree first.

    Wraps views taking a `programme_id` keyword; facilitators pass straight through and
    outsiders get 404 here already. The view still does its own access lookup.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        programme_id = kwargs["programme_id"]
        assert isinstance(programme_id, UUID | str)
        membership = get_programme_for_member(request, programme_id)
        participant = membership.participant
        if participant is not None and participant.agreed_ground_rules_at is None:
            target = reverse("programmes:ground_rules", args=[membership.programme.pk])
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return view(request, *args, **kwargs)

    return wrapper
