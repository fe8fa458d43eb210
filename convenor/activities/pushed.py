"""A breakout round's activity panels, pushed with its groups.

When a breakout round starts during a segment whose activity is built on the groups (the empathy
map, the common purpose), every member's panel changes at once. Rather than every tab asking for
its panel (a thousand requests, about 15 s of server time, at 1,000 people), each group's panel
travels with the group's region in the one message its members are sent
(convenor.live.parts). A round just started has nothing written in it, so a group's panel is the
same for each of its members: each panel is rendered once for the round, with stand-ins for the
group's number and id, and each group's values are put in their place. Anything the stand-ins
cannot express (a panel without `at_round_start`, one whose context declines, a template that
transforms a stand-in) means nothing is pushed, and the tabs ask for their panels as before.

The same goes for a run-sheet change (a segment started, extended or ended) and for an
activity's event (a post, a reaction, a note on the board): the region as a participant with
nothing of their own in it sees it is rendered once and sent with the event
(`region_for_everyone`). The participants who do have something of their own in it (their post
says "You", their reaction is pressed: `Panel.own`) are sent the event without it, and their
tabs ask for theirs. While every panel says so (`Panel.for_everyone`), a plenary of a thousand
people costs one rendering per post, plus one request per person who has posted or reacted,
instead of a thousand requests.
"""

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from convenor.activities.dispatch import current_segment
from convenor.activities.registry import Panel, registry
from convenor.activities.views import wrap_panel
from convenor.live.events import per_participant
from convenor.live.models import Round
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session

# The name a panel's HTML has among the regions sent with an event (live.js: data-follows-round).
PREFIX = "panel:"
# Letters and digits only, so escaping leaves them as they are; new in every process.
_MARK = f"convenorpanel{secrets.token_hex(8)}"
_NUMBER, _PK, _CSRF = (f"{_MARK}{name}" for name in ("number", "pk", "csrf"))
_PIECES = re.compile(f"({_NUMBER}|{_PK}|{_CSRF})")
# How a region travels: up to GROUP_CHARS in the one message to the session's group (with
# channels-redis such a message is stored once per tab); longer, in one message per server
# process, which hands each of its tabs the same text (convenor.live.events.per_participant).
# A plenary stream is about 3.5 KB a post. A region longer than MAX_PUSHED_CHARS is not pushed
# at all (each tab asks for it), so no channel-layer message grows without bound.
GROUP_CHARS = 16 * 1024
MAX_PUSHED_CHARS = 1024 * 1024


@dataclass(frozen=True)
class _StandIn:
    """A group as the panels' templates see it, its fields replaced by markers."""

    number: str
    pk: str

    @property
    def id(self) -> str:
        return self.pk


Fill = Callable[[int, UUID], dict[str, str]]


@dataclass(frozen=True)
class Alike:
    """The activity region as every participant sees it but those in `but` (participant ids),
    whose panels have something of their own: their tabs fetch theirs."""

    html: str
    but: frozenset[UUID] = frozenset()

    def emit_arguments(self, session_id: UUID, regions: Mapping[str, str] = {}) -> dict[str, Any]:
        """`emit`'s `html`, `personal` and `everyone` for an event that brings this region
        and `regions` (alike for every participant, such as "now and next")."""
        html = {**regions, "activity": self.html}
        if not self.but and sum(map(len, html.values())) <= GROUP_CHARS:
            return {"html": html, "personal": None, "everyone": True}
        # The facilitators' tabs are sent the event alone: they fetch their own regions.
        personal = per_participant(session_id, html, self.but, dict(regions))
        return {"html": None, "personal": personal, "everyone": False}


def bystander(session: Session) -> Membership:
    """Any participant with nothing of their own in a panel, as its template sees them: a
    participant (so the forms are shown) who is nobody in particular (unsaved, so nothing is
    theirs)."""
    return Membership(session.programme, "participant", participant=Participant())


def _render(panel: Panel, found: Mapping[str, Any], session: Session, segment: Segment) -> str:
    """A participant's panel rendered for many people: as seen by a participant with nothing
    of their own in it, and the form's token left as a marker (live.js puts the page's token
    in, as for the groups)."""
    context = {
        **found,
        "membership": bystander(session),
        "programme": session.programme,
        "session": session,
        "segment": segment,
        "panel_key": panel.key,
        "csrf_token": _CSRF,
    }
    return render_to_string(panel.template, context)


def region_for_everyone(session: Session, segment: Segment | None) -> Alike | None:
    """The activity region participants see during `segment`, rendered once, when each of its
    panels can say what it is for those with nothing of their own in it
    (`Panel.for_everyone`), and who they are not (`Panel.own`); a segment without panels, or
    none at all, only says so. Else None, as when the region is too long to push.

    `session` must be as it is now, not a consumer's copy from when its tab connected: the
    programme's settings (the Chatham House rule) are read from it, as a fetch reads them."""
    rendered = []
    but: set[UUID] = set()
    if segment is None:
        return Alike(render_to_string("activities/_panels.html", {"activity_segment": None}))
    for panel in registry.panels_for(segment.kind):
        found = panel.for_everyone(session, segment) if panel.for_everyone else None
        if found is None:
            return None
        html = SafeString(_render(panel, found, session, segment).replace(_CSRF, ""))
        rendered.append(wrap_panel(panel, html) if panel.follows_rounds else html)
        # Asked after rendering: whoever owns anything the panel shows is among them, even
        # if it was written meanwhile (their next event brings the rest).
        if panel.own is not None:
            but.update(panel.own(session, segment))
    context = {"activity_segment": segment, "activity_panels": rendered}
    html = render_to_string("activities/_panels.html", context)
    return Alike(html, frozenset(but)) if len(html) <= MAX_PUSHED_CHARS else None


def round_start_panels(round_: Round) -> Fill | None:
    """For a breakout round just started: a function giving a group's panels (by number and
    id) as the names and HTML to send with its region, or None when they cannot be pushed."""
    if round_.kind != Round.Kind.BREAKOUT:
        return None
    session = round_.session
    segment = current_segment(session)
    if segment is None or round_.segment_id != segment.pk:
        return None
    panels = [panel for panel in registry.panels_for(segment.kind) if panel.follows_rounds]
    if not panels:
        return None
    frames: dict[str, list[str]] = {}
    group = _StandIn(_NUMBER, _PK)
    for panel in panels:
        if panel.at_round_start is None:
            return None
        found = panel.at_round_start(session, segment, round_, group)
        if found is None:
            return None
        pieces = _PIECES.split(_render(panel, found, session, segment))
        if any(_MARK in piece for piece in pieces[::2]):
            return None  # a stand-in the template changed: it cannot be filled in
        frames[PREFIX + panel.key] = pieces

    def fill(number: int, pk: UUID) -> dict[str, str]:
        values = {_NUMBER: str(number), _PK: str(pk), _CSRF: ""}
        return {
            name: "".join([values.get(piece, piece) for piece in pieces])
            for name, pieces in frames.items()
        }

    return fill
