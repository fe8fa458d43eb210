"""Programme URLs. Everything about one programme is under p/<programme_id>/ and is looked up
through convenor.programmes.access; the URL-walking test enforces that for new routes."""

from django.urls import include, path

from convenor.programmes import views

app_name = "programmes"

urlpatterns = [
    path("programmes/", views.home, name="home"),
    path("programmes/new/", views.create, name="create"),
    path("p/<uuid:programme_id>/", views.dashboard, name="dashboard"),
    path("p/<uuid:programme_id>/edit/", views.edit, name="edit"),
    path("p/<uuid:programme_id>/archive/", views.archive, name="archive"),
    path("p/<uuid:programme_id>/restore/", views.restore, name="restore"),
    path("p/<uuid:programme_id>/facilitators/", views.facilitators, name="facilitators"),
    path(
        "p/<uuid:programme_id>/facilitators/<uuid:facilitation_id>/remove/",
        views.facilitator_remove,
        name="facilitator_remove",
    ),
    path("p/<uuid:programme_id>/ground-rules/", views.ground_rules, name="ground_rules"),
    path("p/<uuid:programme_id>/home/", views.participant_home, name="participant_home"),
    path("p/<uuid:programme_id>/leave/", views.leave, name="leave"),
    path("", include("convenor.programmes.urls_people")),
]
