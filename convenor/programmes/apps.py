from django.apps import AppConfig


class ProgrammesConfig(AppConfig):
    name = "convenor.programmes"
    label = "programmes"
    verbose_name = "Programmes and people"
