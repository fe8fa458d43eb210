"""Live-session pages, partials and commands, under the session they belong to."""

from django.urls import URLPattern, URLResolver, path

from convenor.activities import views as activity_views
from convenor.live import views

app_name = "live"

_live = "p/<uuid:programme_id>/sessions/<uuid:session_id>/live/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_live, views.live_session, name="session"),
    path(_live + "console/", views.console, name="console"),
    path(_live + "now/", views.now_part, name="now_part"),
    path(_live + "round/", views.round_part, name="round_part"),
    path(_live + "here/", views.here_part, name="here_part"),
    path(_live + "command/", views.command, name="command"),
    path(_live + "notes/", views.room_notes, name="notes"),
    path(_live + "plenary/", views.plenary, name="plenary"),
    path(_live + "activity/", activity_views.activity_part, name="activity_part"),
    path(_live + "act/", activity_views.act, name="act"),
    path(_live + "record/", activity_views.export, name="export"),
]
