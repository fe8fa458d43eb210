from django.apps import AppConfig


class ReflectionsConfig(AppConfig):
    name = "convenor.reflections"

    def ready(self) -> None:
        # Registers this app's activity actions, panels and record sections.
        from convenor.reflections import activity  # noqa: F401
