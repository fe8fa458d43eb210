"""What the workshop-activity tests share (imported as `activity_helpers`, like test modules)."""

from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme


def membership_of(programme: Programme, participant: Participant | None = None) -> Membership:
    """The participant's membership, or (without one) the lead facilitator's."""
    if participant is not None:
        return Membership(programme, "participant", participant=participant)
    return Membership(programme, "facilitator", facilitation=programme.facilitations.first())
