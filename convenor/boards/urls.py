"""Pages of this activity beyond the live region (under the session they belong to)."""

from django.urls import URLPattern, URLResolver, path

from convenor.boards import views

app_name = "boards"

_session = "p/<uuid:programme_id>/sessions/<uuid:session_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_session + "empathy-maps/", views.empathy_plenary, name="empathy_plenary"),
]

# Routes participants may use (the rest are facilitators'); tests/web/test_foundation_urls.py
# checks that every other route of this app refuses participants.
PARTICIPANT_ROUTES: set[str] = {"empathy_plenary"}
