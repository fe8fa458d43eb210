"""Session and run-sheet URLs (owned by the sessions work); included from convenor.urls."""

from django.urls import URLPattern, URLResolver

app_name = "workshops"

urlpatterns: list[URLPattern | URLResolver] = []
