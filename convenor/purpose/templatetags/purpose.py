"""`{% purpose_so_far programme %}`: the programme's most recently agreed common purpose, for
pages outside the live session (e.g. a participant's programme home page); an optional second
argument is the heading level (2 by default)."""

from typing import Any

from django import template

from convenor.programmes.models import Programme
from convenor.purpose.activity import agreed_so_far
from convenor.purpose.models import Measure

register = template.Library()


@register.inclusion_tag("purpose/so_far.html")
def purpose_so_far(programme: Programme, level: int = 2) -> dict[str, Any]:
    agreed = agreed_so_far(programme)
    measures = (
        list(Measure.objects.filter(session=agreed.session, hidden=False))
        if agreed is not None
        else []
    )
    return {"agreed": agreed, "agreed_measures": measures, "level": level}
