"""WebSocket routes."""

from django.urls import URLPattern, URLResolver, path

from convenor.live.consumers import SessionConsumer

websocket_urlpatterns: list[URLPattern | URLResolver] = [
    path("ws/live/<uuid:session_id>/", SessionConsumer.as_asgi()),
]
