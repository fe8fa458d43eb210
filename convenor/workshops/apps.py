from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "convenor.workshops"
    label = "workshops"
    verbose_name = "Sessions and run-sheets"
