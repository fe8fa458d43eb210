from django.apps import AppConfig


class BoardsConfig(AppConfig):
    name = "convenor.boards"

    def ready(self) -> None:
        # Registers this app's activity actions, panels and record sections.
        from convenor.boards import activity  # noqa: F401
