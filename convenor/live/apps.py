from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "convenor.live"
    label = "live"
    verbose_name = "Live sessions"

    def ready(self) -> None:
        # Open sockets close when their access goes (see convenor.live.revoke).
        # The breakout rooms' notes in the session's record.
        from convenor.live import (
            record,  # noqa: F401
            revoke,  # noqa: F401
        )
