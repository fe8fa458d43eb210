"""ASGI entry point: `uvicorn convenor.asgi:application`."""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "convenor.settings")
# The event loop and the live consumers' database thread take turns holding the GIL. At
# Python's default switch interval (5 ms) the database thread, when it wants the GIL back
# after each query, waits up to 5 ms for a busy loop to let go: a batch of 450 notes saves
# took 211 ms to write under a burst of messages, and 128 ms at 0.5 ms (bench.live, N = 500).
sys.setswitchinterval(0.0005)
# Django must be set up before anything imports models (the auth middleware stack does).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from convenor.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
