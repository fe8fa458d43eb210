"""Top-level URLs. Every programme page lives under /p/<programme_id>/ (see programmes.urls)."""

from django.urls import include, path

from convenor import views

urlpatterns = [
    path("", views.root, name="root"),
    path("accounts/", include("convenor.accounts.urls")),
    path("", include("convenor.programmes.urls")),
    path("", include("convenor.workshops.urls")),
    path("", include("convenor.live.urls")),
    path("", include("convenor.boards.urls")),
    path("", include("convenor.purpose.urls")),
    path("", include("convenor.reflections.urls")),
]
