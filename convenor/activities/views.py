"""The activity region of the live page, the actions' form path, and the session's record."""

import json
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import slugify

from convenor.activities.dispatch import current_segment, perform, segment_of
from convenor.activities.registry import ActivityError, Panel, registry
from convenor.programmes.access import (
    Membership,
    get_session_for_facilitator,
    get_session_for_member,
    participant_must_agree,
)
from convenor.workshops.models import Segment, Session


def render_panels(
    request: HttpRequest, membership: Membership, session: Session, segment: Segment | None
) -> list[SafeString]:
    """Each registered panel for the segment's kind, rendered (Django escapes user text)."""
    if segment is None:
        return []
    rendered = []
    for panel in registry.panels_for(segment.kind):
        context = dict(panel.context(membership, session, segment))
        context.update(
            membership=membership,
            programme=membership.programme,
            session=session,
            segment=segment,
            panel_key=panel.key,
        )
        template = panel.template
        if membership.is_facilitator and panel.console_template:
            template = panel.console_template
        html = render_to_string(template, context, request=request)
        rendered.append(wrap_panel(panel, html) if panel.follows_rounds else SafeString(html))
    return rendered


def wrap_panel(panel: Panel, html: str) -> SafeString:
    """A panel built on the breakout groups, marked so that live.js shows it anew with the
    groups (and can take its HTML pushed with them, see convenor.activities.pushed)."""
    return format_html('<div data-follows-round="{}">{}</div>', panel.key, SafeString(html))


def activity_context(
    request: HttpRequest, membership: Membership, session: Session
) -> dict[str, Any]:
    """What the live page and the console need to show the current segment's activity."""
    segment = current_segment(session)
    return {
        "activity_segment": segment,
        "activity_panels": render_panels(request, membership, session, segment),
    }


@participant_must_agree
def activity_part(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """The activity region (fetched by live.js after an event); ?segment= shows another one."""
    membership, session = get_session_for_member(request, programme_id, session_id)
    if "segment" in request.GET:
        segment = segment_of(session, request.GET["segment"])
        if segment is None:
            raise Http404("No such segment in this session.")
    else:
        segment = current_segment(session)
    context = {
        "membership": membership,
        "programme": membership.programme,
        "session": session,
        "activity_segment": segment,
        "activity_panels": render_panels(request, membership, session, segment),
    }
    return render(request, "activities/_panels.html", context)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@participant_must_agree
def act(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """An activity action posted by a form: the no-JavaScript (and socket-down) path."""
    membership, session = get_session_for_member(request, programme_id, session_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    name = request.POST.get("action", "")
    try:
        done = perform(session, membership, name, request.POST, from_form=True)
    except ActivityError as error:
        if _wants_json(request):
            return JsonResponse({"error": str(error)}, status=400)
        messages.error(request, str(error))
    else:
        if _wants_json(request):
            return JsonResponse({"message": done})
        messages.success(request, done)
    page = "live:console" if membership.is_facilitator else "live:session"
    return redirect(page, membership.programme.pk, session.pk)


def record(session: Session) -> dict[str, Any]:
    """The session's activities as JSON-able data (anonymised by each section's builder)."""
    programme = session.programme
    sections = sorted(registry.exports, key=lambda export: (export.order, export.key))
    return {
        "programme": programme.name,
        "session": session.title,
        "starts_at": session.starts_at.isoformat(),
        "chatham_house": programme.chatham_house,
        "sections": {export.key: export.build(session) for export in sections},
    }


def record_markdown(session: Session) -> str:
    programme = session.programme
    lines = [f"# {session.title}", "", f"{programme.name}, {session.starts_at:%d %B %Y}", ""]
    if programme.chatham_house:
        lines += ["Held under the Chatham House rule: nothing here says who said what.", ""]
    for export in sorted(registry.exports, key=lambda export: (export.order, export.key)):
        if export.markdown is None:
            continue
        body = export.markdown(session)
        if body:
            lines += [f"## {export.title}", "", *body, ""]
    return "\n".join(lines).rstrip() + "\n"


def export(request: HttpRequest, programme_id: UUID, session_id: UUID) -> HttpResponse:
    """The session's record for the facilitators: ?format=json (default) or ?format=md."""
    membership, session = get_session_for_facilitator(request, programme_id, session_id)
    fmt = request.GET.get("format", "json")
    name = slugify(session.title) or "session"
    if fmt == "md":
        response = HttpResponse(
            record_markdown(session), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.md"'
        return response
    if fmt != "json":
        return JsonResponse({"error": "format must be json or md."}, status=400)
    body = json.dumps(record(session), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response
