"""Close live sockets whose access has gone: a participant removed (or erased), a
co-facilitator removed, a programme archived (participants only: facilitators keep watching).

The consumer checks access when a socket opens; these signals tell open sockets, after the
change commits, to close with the outsiders' code (4404), so events stop flowing to them.
"""

import logging
from typing import Any
from uuid import UUID

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from convenor.live.events import group_name
from convenor.programmes.models import Facilitation, Participant, Programme
from convenor.workshops.models import Session

logger = logging.getLogger(__name__)


def close_sockets(programme_id: UUID, **who: Any) -> None:
    """After commit, tell every open socket of the programme's sessions that matches `who`
    (participant=<id>, user=<id> or participants=True) to close."""
    sessions = list(Session.objects.filter(programme_id=programme_id).values_list("pk", flat=True))
    notice = {"type": "live.revoke", **{key: str(value) for key, value in who.items()}}

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for session_id in sessions:
            try:
                async_to_sync(layer.group_send)(group_name(session_id), notice)
            except Exception:
                # Best effort: the sockets' own commands are refused by the access checks.
                logger.exception("Could not close the sockets of session %s", session_id)

    transaction.on_commit(send)


@receiver(post_delete, sender=Participant)
def _participant_gone(sender: Any, instance: Participant, **kwargs: Any) -> None:
    close_sockets(instance.programme_id, participant=instance.pk)


@receiver(post_delete, sender=Facilitation)
def _facilitator_gone(sender: Any, instance: Facilitation, **kwargs: Any) -> None:
    close_sockets(instance.programme_id, user=instance.user_id)


@receiver(post_save, sender=Programme)
def _programme_archived(sender: Any, instance: Programme, **kwargs: Any) -> None:
    if instance.archived_at is not None:
        close_sockets(instance.pk, participants=True)
