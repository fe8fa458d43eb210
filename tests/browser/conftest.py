"""The browser suite's harness: a real uvicorn server, Debian's Chromium, and per-test contexts.

Run with `pytest -m browser` in its own process: Playwright's sync API runs its own event loop,
which must not meet the async Channels tests. The server is the real ASGI application (not
Django's live_server) so WebSocket tests can use the same harness; it gets a fresh SQLite file,
migrations and one facilitator made with `createfacilitator`. When a test fails, every page its
contexts visited is screenshotted again at 360 px into test-artifacts/, with the server log.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

from .support import PHONE, PageChecker, Server

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
FACILITATOR_EMAIL = "fran.facilitator@example.org"
FACILITATOR_NAME = "Fran Facilitator"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
# Waits for a page (actions, and the assertions' 5 s default) are generous because the machine is
# often shared: a sign-in hashes its password slowly on purpose.
WAIT_MS = 15_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare_database(env: dict[str, str], password: str) -> None:
    """`migrate`, then `createfacilitator`, in one child process (Django starts up once)."""
    script = (
        "import django, sys; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', interactive=False, verbosity=0)\n"
        "call_command('createfacilitator', sys.argv[1], name=sys.argv[2], password=sys.argv[3])\n"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter, fixed script)
        [sys.executable, "-c", script, FACILITATOR_EMAIL, FACILITATOR_NAME, password],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"migrate/createfacilitator failed:\n{done.stdout}{done.stderr}"


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"uvicorn did not answer {url} within 30 s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop uvicorn and anything it started (its own process group), bounded in time."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A migrated, empty Convenor on 127.0.0.1 with one facilitator account."""
    workdir = tmp_path_factory.mktemp("server")
    password = secrets.token_urlsafe(16)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CONVENOR_", "REDIS_", "DATABASE_", "EMAIL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="convenor.settings",
        DATABASE_URL=f"sqlite:///{workdir / 'browser.sqlite3'}",
        # DEBUG off, as deployed: real error pages, no debug toolbar-style leaks into axe runs.
        CONVENOR_DEBUG="0",
        CONVENOR_SECRET_KEY=secrets.token_urlsafe(50),
        CONVENOR_STATIC_ROOT=str(workdir / "static"),
        PYTHONUNBUFFERED="1",
    )
    (workdir / "static").mkdir()
    _prepare_database(env, password)

    # Copied into test-artifacts/ only when a test fails (see `contexts`).
    log = workdir / "server.log"
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [
                sys.executable,
                "-m",
                "uvicorn",
                "convenor.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-server-header",
                # As deployed (README, "Running it for real").
                "--ws-per-message-deflate",
                "false",
            ],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(f"{url}/accounts/login/", process, log)
        yield Server(url=url, email=FACILITATOR_EMAIL, password=password, log=log)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Chromium is missing: run `bash scripts/setup.sh --browser`"
    launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


class Contexts:
    """Makes browser contexts (one per person) and remembers what they saw and what broke."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.server = server
        self.opened: list[tuple[str, BrowserContext]] = []
        self.visited: dict[str, list[str]] = {}
        self.errors: list[str] = []

    def new_page(self, who: str, viewport: dict[str, int]) -> Page:
        context = self.browser.new_context(
            base_url=self.server.url,
            viewport=viewport,  # type: ignore[arg-type]
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(WAIT_MS)
        # What "Copy link" buttons write, the test reads back (as a person would paste it).
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        self.opened.append((who, context))
        visited = self.visited.setdefault(who, [])
        page = context.new_page()
        page.on(
            "framenavigated",
            lambda frame: visited.append(frame.url) if frame == page.main_frame else None,
        )
        # A strict CSP shows its teeth only in a browser: a blocked script or style is a
        # console error, a broken script a page error.
        page.on("console", lambda message: self._console(who, page, message))
        page.on("pageerror", lambda error: self.errors.append(f"{who}: {error} at {page.url}"))
        return page

    def _console(self, who: str, page: Page, message: ConsoleMessage) -> None:
        # Every page names its icon, so Chromium asks for no /favicon.ico (a 404 would show).
        if message.type == "error":
            self.errors.append(f"{who}: console {message.text} at {page.url}")

    def screenshot_everything(self, folder: Path) -> None:
        """Each page each context visited, reloaded at 360 px; GETs only, so nothing changes."""
        folder.mkdir(parents=True, exist_ok=True)
        for who, context in self.opened:
            for number, page in enumerate(context.pages):
                with suppress(PlaywrightError):
                    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
                    page.screenshot(path=folder / f"{who}-open-{number}.png", full_page=True)
            visited = (url.split("#")[0] for url in self.visited.get(who, []))
            urls = list(dict.fromkeys(url for url in visited if url.startswith("http")))
            if not urls:
                continue
            page = context.new_page()
            page.set_viewport_size(PHONE)  # type: ignore[arg-type]
            for number, url in enumerate(urls[:30]):
                slug = re.sub(r"[^a-z0-9]+", "-", url.split("//", 1)[-1].split("/", 1)[-1].lower())
                with suppress(PlaywrightError):
                    page.goto(url, timeout=5_000)
                    shot = folder / f"{who}-{number:02d}-{slug[:60]}.png"
                    page.screenshot(path=shot, full_page=True)

    def assert_no_errors(self) -> None:
        assert not self.errors, "the browser reported errors:\n" + "\n".join(self.errors)

    def close(self) -> None:
        for _, context in self.opened:
            context.close()


@pytest.fixture
def contexts(
    request: pytest.FixtureRequest, browser: Browser, server: Server
) -> Generator[Contexts]:
    made = Contexts(browser, server)
    yield made
    reports = request.node.stash.get(_REPORTS, {})
    if "call" in reports and reports["call"].failed:
        folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        shutil.rmtree(folder, ignore_errors=True)
        print(f"Screenshots at 360 px of every page visited, and the server log: {folder}")
        try:
            made.screenshot_everything(folder)
        finally:
            shutil.copy(server.log, folder / "server.log")
            made.close()
    else:
        made.close()


@pytest.fixture
def check_page() -> PageChecker:
    return PageChecker()
