"""Pages beyond the live region: a session's feedback results, and a person's own reflections."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from convenor.programmes.access import (
    get_programme_for_member,
    get_session_for_facilitator,
    participant_must_agree,
)
from convenor.reflections import actions
from convenor.reflections.models import Reflection


def feedback_results(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """The session's feedback for its facilitators: counts, mean and texts, never names."""
    membership, session = get_session_for_facilitator(request, programme_id, session_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    context = {
        "membership": membership,
        "programme": membership.programme,
        "session": session,
        "summary": actions.feedback_summary(session),
    }
    return render(request, "reflections/feedback_results.html", context)


@participant_must_agree
def mine(request: HttpRequest, programme_id: UUID) -> HttpResponse:
    """A participant's own reflections and commitments across the series, with how they went."""
    membership = get_programme_for_member(request, programme_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    answers: list[Reflection] = []
    if membership.participant is not None:
        answers = list(
            Reflection.objects.filter(participant=membership.participant)
            .select_related("session", "follow_up")
            .order_by("session__starts_at", "kind")
        )
    sessions: dict[UUID, tuple[object, list[Reflection]]] = {}
    for answer in answers:
        sessions.setdefault(answer.session_id, (answer.session, []))[1].append(answer)
    context = {
        "membership": membership,
        "programme": membership.programme,
        "sessions": list(sessions.values()),
    }
    return render(request, "reflections/mine.html", context)
