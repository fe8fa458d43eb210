from django.apps import AppConfig


class PurposeConfig(AppConfig):
    name = "convenor.purpose"

    def ready(self) -> None:
        # Registers this app's activity actions, panels and record sections.
        from convenor.purpose import activity  # noqa: F401
