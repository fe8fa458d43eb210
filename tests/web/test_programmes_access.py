"""The access choke point itself: who is whom, and what each lookup refuses."""

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.test import RequestFactory

from convenor.accounts.models import User
from convenor.programmes import access, actions
from convenor.programmes.models import Facilitation, Participant, Programme
from convenor.workshops.models import Segment, Session


def request_as(user: User | None = None) -> HttpRequest:
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    request.session = SessionStore()
    request.session.create()
    return request


def test_facilitator_membership(programme: Programme, facilitator: User) -> None:
    membership = access.get_programme_for_member(request_as(facilitator), programme.pk)
    assert membership.is_facilitator and membership.is_lead and membership.can_edit
    assert membership.participant is None


def test_participant_login_and_logout(programme: Programme, participant: Participant) -> None:
    request = request_as()
    before = request.session.session_key
    access.participant_login(request, participant)
    assert request.session.session_key != before  # no session fixation
    membership = access.get_programme_for_member(request, programme.pk)
    assert membership.is_participant and membership.participant == participant
    assert not membership.can_edit
    with pytest.raises(PermissionDenied):
        access.get_programme_for_facilitator(request, programme.pk)

    access.participant_logout(request, programme.pk)
    with pytest.raises(Http404):
        access.get_programme_for_member(request, programme.pk)


def test_one_browser_in_two_programmes(
    programme: Programme, participant: Participant, facilitator: User
) -> None:
    other = actions.create_programme(facilitator, name="Second")
    elsewhere = actions.add_participant(other, facilitator, display_name="Same person")
    request = request_as()
    access.participant_login(request, participant)
    access.participant_login(request, elsewhere)
    assert access.get_programme_for_member(request, programme.pk).participant == participant
    assert access.get_programme_for_member(request, other.pk).participant == elsewhere
    access.participant_logout(request, other.pk)
    assert access.get_programme_for_member(request, programme.pk).participant == participant


def test_forged_session_entries_grant_nothing(
    programme: Programme, participant: Participant, outsider: User
) -> None:
    other = Programme.objects.get(facilitations__user=outsider)
    request = request_as()
    # A participant id paired with the wrong programme, and garbage.
    request.session[access.PARTICIPANT_SESSION_KEY] = {
        str(other.pk): str(participant.pk),
        str(programme.pk): "not-a-uuid",
    }
    for programme_id in (other.pk, programme.pk):
        with pytest.raises(Http404):
            access.get_programme_for_member(request, programme_id)
    request.session[access.PARTICIPANT_SESSION_KEY] = ["not", "a", "dict"]
    with pytest.raises(Http404):
        access.get_programme_for_member(request, programme.pk)


def test_co_facilitator_is_not_lead(programme: Programme, co_facilitator: User) -> None:
    request = request_as(co_facilitator)
    assert access.get_programme_for_facilitator(request, programme.pk).can_edit
    with pytest.raises(PermissionDenied):
        access.get_programme_for_lead(request, programme.pk)


def test_archived_programme_is_read_only_and_closed(
    programme: Programme, facilitator: User, participant: Participant
) -> None:
    actions.archive_programme(programme, facilitator)
    request = request_as(facilitator)
    assert not access.get_programme_for_facilitator(request, programme.pk).can_edit
    with pytest.raises(PermissionDenied):
        access.get_programme_for_facilitator(request, programme.pk, for_write=True)
    as_participant = request_as()
    access.participant_login(as_participant, participant)
    with pytest.raises(Http404):
        access.get_programme_for_member(as_participant, programme.pk)


def test_child_objects_must_belong_to_the_programme(
    programme: Programme,
    facilitator: User,
    outsider: User,
    session: Session,
    segment: Segment,
    participant: Participant,
) -> None:
    other = Programme.objects.get(facilitations__user=outsider)
    mine = request_as(facilitator)
    theirs = request_as(outsider)
    lead = Facilitation.objects.get(programme=programme, user=facilitator)

    assert access.get_session_for_member(mine, programme.pk, session.pk)[1] == session
    assert access.get_segment_for_facilitator(mine, programme.pk, session.pk, segment.pk)[1] == (
        segment
    )
    assert access.get_participant_for_facilitator(mine, programme.pk, participant.pk)[1] == (
        participant
    )
    lookups = [
        lambda r, p: access.get_session_for_member(r, p, session.pk),
        lambda r, p: access.get_session_for_facilitator(r, p, session.pk),
        lambda r, p: access.get_segment_for_facilitator(r, p, session.pk, segment.pk),
        lambda r, p: access.get_participant_for_facilitator(r, p, participant.pk),
        lambda r, p: access.get_invite_for_facilitator(r, p, participant.invites.get().pk),
        lambda r, p: access.get_facilitation_for_facilitator(r, p, lead.pk),
    ]
    for lookup in lookups:
        # The outsider asking through their own programme's id still cannot reach our objects.
        with pytest.raises(Http404):
            lookup(theirs, other.pk)
        with pytest.raises(Http404):
            lookup(theirs, programme.pk)


def test_a_requests_membership_is_looked_up_once_per_identity(
    programme: Programme, participant: Participant, django_assert_num_queries: Any
) -> None:
    """A page's decorator and its view both ask: the second answer costs no query, and a
    change of identity within the request (a login) is asked afresh."""
    request = request_as()
    with pytest.raises(Http404):
        access.get_programme_for_member(request, programme.pk)
    with django_assert_num_queries(0), pytest.raises(Http404):
        access.get_programme_for_member(request, programme.pk)
    access.participant_login(request, participant)
    first = access.get_programme_for_member(request, programme.pk)
    with django_assert_num_queries(0):
        assert access.get_programme_for_member(request, programme.pk) is first
    assert first.participant == participant
