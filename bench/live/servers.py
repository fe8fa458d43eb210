"""Servers for the live-session benchmark and the two-process test: uvicorn processes on
loopback ports, a fresh PostgreSQL database and a claimed Redis database number.

Nothing here imports Django: the processes it starts read DATABASE_URL and REDIS_URL from the
environment it gives them.
"""

from __future__ import annotations

import os
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Database numbers tried for a private Redis database, high so the suite's /0 is left alone.
REDIS_DBS = range(8, 16)
CLAIM_KEY = "convenor-bench-claim"


def postgres_server_url() -> str:
    """Where PostgreSQL is (the database part of the URL is ignored)."""
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


def redis_server_url() -> str:
    """Where Redis is (the database number of the URL is ignored)."""
    return os.environ.get("TEST_REDIS_URL") or DEFAULT_REDIS_URL


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


@contextmanager
def fresh_postgres(prefix: str = "convenor_bench") -> Iterator[str]:
    """A new, empty PostgreSQL database for the block; dropped afterwards. Yields its URL."""
    admin = _with_path(postgres_server_url(), "/postgres")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _with_path(admin, f"/{name}")
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def private_redis() -> Iterator[str]:
    """An empty Redis database number nobody else is using, flushed afterwards."""
    base = redis_server_url()
    for number in REDIS_DBS:
        url = _with_path(base, f"/{number}")
        client = redis.Redis.from_url(url, socket_timeout=5)
        try:
            # The claim is atomic, so two runs at once never share a database; it expires in
            # case a run is killed before it can flush.
            if client.dbsize() == 0 and client.set(CLAIM_KEY, "1", nx=True, ex=3600):
                try:
                    yield url
                finally:
                    client.flushdb()
                return
        finally:
            client.close()
    raise RuntimeError(f"No free Redis database among {REDIS_DBS} at {base}.")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def raise_open_files(wanted: int) -> int:
    """Raise this process's open-file limit (children inherit it) towards `wanted`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def django_env(
    database_url: str, redis_url: str | None = None, settings: str = "convenor.settings"
) -> dict[str, str]:
    """Environment for a server (or a seeding process): DEBUG off, as in a deployment."""
    env = {key: value for key, value in os.environ.items() if key not in {"REDIS_URL"}}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE=settings,
        # DEBUG would keep every query in memory and slow every request.
        CONVENOR_DEBUG="0",
        CONVENOR_SECRET_KEY=env.get("CONVENOR_SECRET_KEY") or secrets.token_urlsafe(50),
        CONVENOR_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


@dataclass
class Server:
    """One uvicorn process serving convenor.asgi on a loopback port."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes] = field(repr=False)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 3000) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


def start_server(
    env: Mapping[str, str], log_dir: Path, *, ready_timeout: float = 60, port: int | None = None
) -> Server:
    """Start uvicorn (on `port`, default a free one) and wait until it answers HTTP; raises
    with its log if it does not."""
    port = port or free_port()
    log_path = log_dir / f"uvicorn-{port}.log"
    log = log_path.open("ab")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "convenor.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        # One line per request would cost the server more than some requests do.
        "--no-access-log",
        # Django's ASGI handler does not speak the lifespan protocol.
        "--lifespan",
        "off",
        # As in production (see the README): compressing each tab's copy of a round's groups
        # cost the event loop three times what sending them did.
        "--ws-per-message-deflate",
        "false",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT
    )
    server = Server(port=port, process=process, log_path=log_path, log=log)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise RuntimeError(f"uvicorn on port {port} exited at start:\n{tail}")
        try:
            with urllib.request.urlopen(f"{server.origin}/accounts/login/", timeout=2):
                return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    tail = server.log_tail()
    server.stop()
    raise RuntimeError(f"uvicorn on port {port} did not answer within {ready_timeout} s:\n{tail}")


@contextmanager
def servers(
    env: Mapping[str, str], count: int, log_dir: Path | None = None
) -> Iterator[list[Server]]:
    """`count` uvicorn processes on the same settings; all stopped when the block ends."""
    started: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="convenor-live-") as scratch:
        folder = log_dir or Path(scratch)
        try:
            for _ in range(count):
                started.append(start_server(env, folder))
            yield started
        finally:
            for server in started:
                server.stop()


def run_django(env: Mapping[str, str], *args: str, timeout: float = 300) -> str:
    """Run `python -m <args>` with the Django environment; its stdout, or an error with stderr."""
    done = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`python -m {' '.join(args)}` failed:\n{done.stderr[-3000:]}")
    return done.stdout
