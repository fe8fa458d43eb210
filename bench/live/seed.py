"""Seed a live session for the benchmark and the two-process test; print it as one JSON line.

`python -m bench.live.seed N [SESSIONS]` (with DATABASE_URL set) migrates the database, then
makes a facilitator, a programme with N participants who agreed to the ground rules, and one
(or SESSIONS) sessions with the reference workshop's run-sheet, all through the action
functions. Each person gets a
browser session made directly in the session store (what redeeming an invite would leave),
so the rate-limited invite endpoint is not what gets measured.
"""

from __future__ import annotations

import json
import secrets
import sys
from datetime import date, time, timedelta
from typing import Any

SECTORS = ("NHS", "Local government", "Active partnership", "Voluntary sector", "Housing")


def person_name(index: int) -> str:
    return f"Person {index:04d}"


def seed(count: int, sessions: int = 1) -> dict[str, Any]:
    """A fresh facilitator, programme, cohort and `sessions` sessions: ids, names and cookies."""
    from django.db import transaction
    from django.test import Client

    from convenor.accounts.models import User
    from convenor.programmes import actions as programme_actions
    from convenor.programmes.access import PARTICIPANT_SESSION_KEY
    from convenor.workshops import actions as workshop_actions

    SessionStore = Client().session.__class__  # the configured engine's store

    with transaction.atomic():
        user = User.objects.create_user(
            email=f"lead-{secrets.token_hex(4)}@example.org",
            name="Lena Lead",
            password=secrets.token_urlsafe(16),
        )
        programme = programme_actions.create_programme(user, name="Live benchmark cohort")
        made = []
        for number in range(sessions):
            session = workshop_actions.create_session(
                programme,
                user,
                title=f"Building common purpose, part {number + 1}",
                starts_on=date.today() + timedelta(days=1 + 7 * number),
                start_time=time(13, 0),
                time_zone="Europe/London",
                duration_minutes=180,
                format="online",
                video_url_template="https://meet.example.org/{room}",
            )
            segments = workshop_actions.apply_template(session, user, "common-purpose")
            # The first segment of each kind, for `--segment`.
            kinds: dict[str, str] = {}
            for segment in segments:
                kinds.setdefault(segment.kind, str(segment.pk))
            made.append(
                {
                    "session": str(session.pk),
                    "coffee_segment": kinds["coffee_trial"],
                    "segments": kinds,
                }
            )
        people = []
        for index in range(count):
            participant = programme_actions.add_participant(
                programme,
                user,
                display_name=person_name(index),
                # Forty organisations in five sectors, so the engine has mixing to do.
                organisation=f"Organisation {index % 40:02d}",
                sector=SECTORS[index % len(SECTORS)],
            )
            programme_actions.agree_ground_rules(participant)
            store = SessionStore()
            store[PARTICIPANT_SESSION_KEY] = {str(programme.pk): str(participant.pk)}
            store.create()
            cookie = store.session_key
            people.append(
                {"id": str(participant.pk), "name": participant.display_name, "cookie": cookie}
            )

    facilitator = Client()
    facilitator.force_login(user)
    return {
        "programme": str(programme.pk),
        "sessions": made,
        # The first session, for callers that need only one.
        **made[0],
        "facilitator": {"id": str(user.pk), "cookie": facilitator.cookies["sessionid"].value},
        "participants": people,
    }


def main(argv: list[str]) -> None:
    usage = "usage: python -m bench.live.seed N [SESSIONS]  (N: 1 to 5000, SESSIONS: 1 to 10)"
    if not 1 <= len(argv) <= 2 or not all(arg.isdigit() for arg in argv):
        raise SystemExit(usage)
    count, sessions = int(argv[0]), int(argv[1]) if len(argv) == 2 else 1
    if not (1 <= count <= 5000 and 1 <= sessions <= 10):
        raise SystemExit(usage)
    import os

    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convenor.settings")
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    print(json.dumps(seed(count, sessions)))


if __name__ == "__main__":
    main(sys.argv[1:])
