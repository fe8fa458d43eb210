from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "convenor.live"
    label = "live"
    verbose_name = "Live sessions"

    def ready(self) -> None:
        # Open sockets close when their access goes (see convenor.live.revoke).
        from convenor.live import revoke  # noqa: F401
