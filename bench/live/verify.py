"""Which of the benchmark's notes lines are in the database: prints their tokens, as JSON.

`python -m bench.live.verify SPEC` (with DATABASE_URL set), SPEC being JSON
`{"lines": {token: room group id}}` for every save the server acknowledged.
"""

from __future__ import annotations

import json
import os
import sys


def stored_lines(lines: dict[str, str]) -> list[str]:
    """The tokens found in their room's stored notes."""
    from convenor.live.models import RoomNotes

    texts = dict(
        RoomNotes.objects.filter(group_id__in=set(lines.values())).values_list("group_id", "text")
    )
    by_room = {str(group): text for group, text in texts.items()}
    return sorted(token for token, room in lines.items() if token in by_room.get(room, ""))


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m bench.live.verify SPEC_JSON")
    spec = json.loads(argv[0])
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convenor.settings")
    django.setup()
    print(json.dumps(stored_lines(spec["lines"])))


if __name__ == "__main__":
    main(sys.argv[1:])
