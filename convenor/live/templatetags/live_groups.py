"""A group's people and meeting place, as HTML built in Python.

A round's start renders one region per group (500 of them for 1,000 people), on the path
between the facilitator's click and everyone's screen. Built with `format_html` (every value
escaped) these lists cost a fraction of the same markup as included templates with loops.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


class Slot(str):
    """Stands for a value filled in after rendering (see convenor.live.parts): given one in
    place of a group's members or its meeting place, a tag returns the slot itself and keeps
    the other arguments it was given, for the filling."""

    options: dict[str, Any]


@register.simple_tag
def group_people(group: Any, nobody: str) -> SafeString:
    """One `<li>` per member of `group` (a GroupView): name, pronouns, organisation and
    sector; and `nobody` when the group has nobody else in it yet.

    Rendered for a page it lists the reader's partners; pushed over the socket
    (convenor.live.parts) it lists everyone in the group, once for all of them, and live.js
    takes out the reader's own entry (`data-person`)."""
    if isinstance(group.members, Slot):
        group.members.options = {"nobody": nobody}
        return SafeString(group.members)
    items = format_html_join(
        "\n",
        '<li data-person="{}"><strong>{}</strong>{}<br>{}{}</li>',
        (
            (
                person.pk,
                person.display_name,
                format_html(" ({})", person.pronouns) if person.pronouns else "",
                person.organisation or "No organisation given",
                format_html(" · {}", person.sector) if person.sector else "",
            )
            for person in group.members
        ),
    )
    if group.alone:
        items = format_html("{}\n<li>{}</li>", items, nobody)
    return items


@register.simple_tag
def meeting_place(place: Any, facilitator: bool = False) -> SafeString:
    """Where a group meets (a Place): the video room's link, the table, or both; without a
    video room for those online, that their facilitator will tell them where to meet (or, on
    the `facilitator`'s console, that they should)."""
    if isinstance(place, Slot):
        place.options = {"facilitator": facilitator}
        return SafeString(place)
    parts = []
    if place.video_url:
        # The console lists every group's room: the facilitator visits them, it is not theirs.
        whose = "this group’s" if facilitator else "your"
        parts.append(
            format_html(
                '<a class="button" href="{}" target="_blank" rel="noopener noreferrer">'
                'Join {} video room<span class="visually-hidden"> (opens in a new tab)</span>'
                "</a>",
                place.video_url,
                whose,
            )
        )
    if place.table:
        parts.append(format_html('<span class="live-table">Table {}</span>', place.table))
    if place.ask_facilitator:
        parts.append(
            format_html(
                '{}<span class="live-place-note">{}</span>',
                mark_safe("<br>") if parts else "",
                _ask_facilitator(bool(place.table), facilitator),
            )
        )
    return format_html_join("\n", "{}", ((part,) for part in parts))


def _ask_facilitator(table: bool, facilitator: bool) -> str:
    if facilitator:
        if table:
            return "No video-room link is set: tell anyone joining online where to meet."
        return "No video-room link is set: tell this group where to meet."
    if table:
        return "If you are joining online, your facilitator will tell you where to meet."
    return "Your facilitator will tell you where to meet."
