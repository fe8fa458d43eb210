"""`make demo`'s script, run for real: it migrates, seeds and serves; we fetch the login page."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 180


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_demo_script_serves_the_login_page(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "CONVENOR_DEMO_DB": str(tmp_path / "demo.sqlite3"),
        # Whatever the test run uses, the demo must pick its own database.
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        process = subprocess.Popen(  # noqa: S603 (our own script, fixed arguments)
            [shutil.which("bash") or "/bin/bash", str(ROOT / "scripts" / "demo.sh")],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        page = b""
        while time.monotonic() < deadline and not page:
            assert process.poll() is None, log.read_text()
            try:
                url = f"http://127.0.0.1:{port}/accounts/login/"
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                    assert response.status == 200
                    page = response.read()
            except OSError:
                time.sleep(0.5)
        output = log.read_text()
        assert page, f"the demo did not serve within {STARTUP_SECONDS} s:\n{output}"
        assert b"<form" in page and b"password" in page.lower()
        assert f"http://127.0.0.1:{port}/accounts/login/" in output
        assert "password: " in output
        assert len(re.findall(rf"http://127\.0\.0\.1:{port}/join/[\w-]+/", output)) == 3
        assert (tmp_path / "demo.sqlite3").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
