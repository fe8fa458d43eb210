"""Fixed-window failure counters in Django's cache, for sign-in and invite redemption.

The cache is locmem for a single SQLite process and Redis when REDIS_URL is set, so the counts
hold across every ASGI process of a deployment. A fixed window (counted from the first failure)
is coarse but cannot be gamed by pacing attempts inside it, and needs one key per client.
"""

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer address; behind a proxy, run uvicorn with --proxy-headers so this is the client."""
    return str(request.META.get("REMOTE_ADDR") or "unknown")


@dataclass(frozen=True)
class Throttle:
    """At most `limit` hits per key in `window_seconds`."""

    scope: str
    limit: int
    window_seconds: int

    def _key(self, parts: tuple[str, ...]) -> str:
        # Hashing keeps user-typed text (emails) out of cache keys and their length bounded.
        digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
        return f"throttle:{self.scope}:{digest}"

    def is_blocked(self, *parts: str) -> bool:
        return int(cache.get(self._key(parts), 0)) >= self.limit

    def hit(self, *parts: str) -> int:
        """Count one attempt and return the count so far in this window."""
        key = self._key(parts)
        # add() only sets the expiry when the window starts; incr() keeps it.
        cache.add(key, 0, timeout=self.window_seconds)
        try:
            return cache.incr(key)
        except ValueError:
            # The key expired between add() and incr(): this hit starts a new window.
            cache.set(key, 1, timeout=self.window_seconds)
            return 1

    def reset(self, *parts: str) -> None:
        cache.delete(self._key(parts))
