"""Pages of the boards beyond the live region: the empathy maps' plenary view."""

from uuid import UUID

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render

from convenor.boards import empathy
from convenor.programmes.access import get_session_for_member, participant_must_agree


@participant_must_agree
def empathy_plenary(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """Every group's empathy map side by side and all of them combined, for everyone in the
    session (hidden notes left out for all: this page is often on a shared screen). The page
    follows the session's events; `?part=1` is the maps alone, for live.js to re-fetch."""
    membership, session = get_session_for_member(request, programme_id, session_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    segment = empathy.plenary_segment(session, request.GET.get("segment"))
    maps = empathy.maps_for(segment, membership) if segment is not None else []
    context = {
        "membership": membership,
        "programme": membership.programme,
        "session": session,
        "segment": segment,
        "asked_for": "segment" in request.GET,
        "persona": empathy.persona_for(segment) if segment is not None else "",
        "maps": maps,
        "several_rounds": empathy.several_rounds(maps),
        "combined": empathy.combined(maps),
        "no_groups": empathy.NO_GROUPS if empathy.map_round(session) is None else "",
    }
    if request.GET.get("part"):
        # The maps alone, re-fetched by live.js whenever an activity event arrives.
        return render(request, "boards/_empathy_plenary_body.html", context)
    query = request.GET.copy()
    query["part"] = "1"
    context["part_url"] = f"{request.path}?{query.urlencode()}"
    return render(request, "boards/empathy_plenary.html", context)
