"""Session and run-sheet URLs; included from convenor.urls.

Everything about a programme is under p/<programme_id>/ and looked up through
convenor.programmes.access. The one exception is the subscribed calendar feed, whose secret
token is its own credential (calendar apps carry no browser session).
"""

from django.urls import URLPattern, URLResolver, path

from convenor.workshops import views

app_name = "workshops"

_session = "p/<uuid:programme_id>/sessions/<uuid:session_id>/"
_segment = _session + "segments/<uuid:segment_id>/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("p/<uuid:programme_id>/sessions/", views.session_list, name="sessions"),
    path("p/<uuid:programme_id>/sessions/new/", views.session_create, name="session_create"),
    path(_session, views.runsheet, name="runsheet"),
    path(_session + "edit/", views.session_edit, name="session_edit"),
    path(_session + "delete/", views.session_delete, name="session_delete"),
    path(_session + "calendar.ics", views.session_ics, name="session_ics"),
    path(_session + "segments/new/", views.segment_add, name="segment_add"),
    path(_session + "template/", views.template_apply, name="template_apply"),
    path(_session + "duplicate/", views.runsheet_duplicate, name="runsheet_duplicate"),
    path(_segment + "edit/", views.segment_edit, name="segment_edit"),
    path(_segment + "delete/", views.segment_delete, name="segment_delete"),
    path(_segment + "move/", views.segment_move, name="segment_move"),
    path("p/<uuid:programme_id>/calendar.ics", views.programme_ics, name="programme_ics"),
    path("p/<uuid:programme_id>/calendar/", views.calendar_feed, name="calendar_feed"),
    path("calendar/<str:token>.ics", views.calendar_subscribe, name="calendar_subscribe"),
]
