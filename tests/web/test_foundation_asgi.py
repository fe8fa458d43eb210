"""The ASGI application really serves under uvicorn: pages, the CSP, and self-hosted htmx."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONVENOR_", "DJANGO_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env.pop("REDIS_URL", None)
    command = [sys.executable, "-m", "uvicorn", "convenor.asgi:application"]
    process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [*command, "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/accounts/login/", timeout=10)  # noqa: S310
                break
            # OSError covers refused connections and a first request that is slow under load.
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = process.stderr.read().decode() if process.stderr else ""
                    raise AssertionError(f"uvicorn did not start: {output}") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_uvicorn_serves_pages_and_static_files(server: str) -> None:
    with urllib.request.urlopen(server + "/accounts/login/", timeout=5) as page:  # noqa: S310
        assert page.status == 200
        assert "script-src 'self' 'nonce-" in page.headers["Content-Security-Policy"]
        html = page.read().decode()
    assert "<h1>Sign in</h1>" in html
    htmx = server + "/static/vendor/htmx-2.0.11.min.js"
    with urllib.request.urlopen(htmx, timeout=5) as script:  # noqa: S310
        assert script.status == 200
        assert script.read(200).startswith(b"/*! htmx.org 2.0.11")
