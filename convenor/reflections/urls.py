"""Pages of this activity beyond the live region (under the session they belong to)."""

from django.urls import URLPattern, URLResolver, path

from convenor.reflections import views

app_name = "reflections"

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        "p/<uuid:programme_id>/sessions/<uuid:session_id>/feedback/",
        views.feedback_results,
        name="feedback_results",
    ),
    path("p/<uuid:programme_id>/reflections/", views.mine, name="mine"),
]

# Routes participants may use (the rest are facilitators'); tests/web/test_foundation_urls.py
# checks that every other route of this app refuses participants.
PARTICIPANT_ROUTES: set[str] = {"mine"}
