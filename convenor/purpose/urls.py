"""Pages of this activity beyond the live region (under the session they belong to)."""

from django.urls import URLPattern, URLResolver

app_name = "purpose"

urlpatterns: list[URLPattern | URLResolver] = []

# Routes participants may use (the rest are facilitators'); tests/web/test_foundation_urls.py
# checks that every other route of this app refuses participants.
PARTICIPANT_ROUTES: set[str] = set()
