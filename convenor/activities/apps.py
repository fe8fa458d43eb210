from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "convenor.activities"
    verbose_name = "Workshop activities"
