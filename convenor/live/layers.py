"""The in-memory channel layer (one process, the default deployment), without its quadratic
housekeeping.

Channels' InMemoryChannelLayer looks through every channel and every group membership for
expired entries on every receive: with a thousand tabs connected, one event (a thousand
receives) meant millions of checks. Here that sweep runs at most once a second; expiry (60 s
for a message, a day for a group membership) is unchanged to within that second.
"""

import time

from channels.layers import InMemoryChannelLayer

SWEEP_EVERY_SECONDS = 1.0


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):  # type: ignore[misc]
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < SWEEP_EVERY_SECONDS:
            return
        self._swept_at = now
        super()._clean_expired()
