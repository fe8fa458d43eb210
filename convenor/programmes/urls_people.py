"""People and invite URLs, included from programmes.urls (so in the `programmes` namespace).

Facilitator pages are under p/<programme_id>/ and go through convenor.programmes.access; the
two public pages (join/, register/) are identified by their token alone.
"""

from django.urls import path

from convenor.programmes import invite_views, pairs_views, people_views

urlpatterns = [
    path("p/<uuid:programme_id>/people/", people_views.people_list, name="people"),
    path("p/<uuid:programme_id>/people/add/", people_views.person_add, name="person_add"),
    path(
        "p/<uuid:programme_id>/people/<uuid:participant_id>/edit/",
        people_views.person_edit,
        name="person_edit",
    ),
    path(
        "p/<uuid:programme_id>/people/<uuid:participant_id>/remove/",
        people_views.person_remove,
        name="person_remove",
    ),
    path(
        "p/<uuid:programme_id>/people/<uuid:participant_id>/link/",
        people_views.person_link,
        name="person_link",
    ),
    path("p/<uuid:programme_id>/people/import/", people_views.people_import, name="people_import"),
    path(
        "p/<uuid:programme_id>/people/import/confirm/",
        people_views.people_import_confirm,
        name="people_import_confirm",
    ),
    path("p/<uuid:programme_id>/people/links/", people_views.people_links, name="people_links"),
    path("p/<uuid:programme_id>/people/pairs/", pairs_views.pairs_list, name="pairs"),
    path("p/<uuid:programme_id>/people/pairs/remove/", pairs_views.pair_remove, name="pair_remove"),
    path(
        "p/<uuid:programme_id>/people/pairs/import/",
        pairs_views.pairs_import,
        name="pairs_import",
    ),
    path("p/<uuid:programme_id>/registration/", invite_views.registration, name="registration"),
    path(
        "p/<uuid:programme_id>/invites/<uuid:invite_id>/revoke/",
        invite_views.invite_revoke,
        name="invite_revoke",
    ),
    path("join/<str:token>/", invite_views.invite_redeem, name="invite_redeem"),
    path("register/<str:token>/", invite_views.register, name="register"),
]
