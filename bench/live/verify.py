"""Which of the benchmark's writes are in the database: prints the writers found, as JSON.

`python -m bench.live.verify SPEC` (with DATABASE_URL set), SPEC being the JSON the run wrote:
the session, the moment the writes started and the participants whose write was acknowledged.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime


def stored_heartbeats(session_id: str, since: datetime, participants: list[str]) -> list[str]:
    """Participants with a connection to the session whose heartbeat landed after `since`."""
    from convenor.live.models import LivePresence

    rows = LivePresence.objects.filter(
        session_id=session_id, participant_id__in=participants, last_seen_at__gte=since
    ).values_list("participant_id", flat=True)
    return sorted({str(pk) for pk in rows})


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m bench.live.verify SPEC_JSON")
    spec = json.loads(argv[0])
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convenor.settings")
    django.setup()
    since = datetime.fromisoformat(spec["since"])
    print(json.dumps(stored_heartbeats(spec["session"], since, spec["acked"])))


if __name__ == "__main__":
    main(sys.argv[1:])
