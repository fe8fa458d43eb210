from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "convenor.live"
    label = "live"
    verbose_name = "Live sessions"
