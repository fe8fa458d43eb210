"""Settings come from the environment: strict parsing, production hardening, service switches.

Each case starts a fresh Python process, because settings are read once at import.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "CONVENOR_PRODUCTION": "1",
    "CONVENOR_SECRET_KEY": "a-production-secret-key-that-is-long-enough-for-django-0123456789",
    "CONVENOR_ALLOWED_HOSTS": "convenor.example.org",
    "EMAIL_HOST": "smtp.example.org",
}


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONVENOR_", "DJANGO_", "EMAIL_"))
        and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    clean |= {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", **env}
    return subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def read_settings(env: dict[str, str], tmp_path: Path, *names: str) -> dict[str, object]:
    code = (
        "import json, convenor.settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {list(names)!r}}}, default=str))"
    )
    result = run(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_check_deploy_has_no_warnings_in_production(tmp_path: Path) -> None:
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_development_defaults_need_no_environment(tmp_path: Path) -> None:
    values = read_settings(
        {}, tmp_path, "DEBUG", "CHANNEL_LAYERS", "CACHES", "MAILERS", "SESSION_COOKIE_SECURE"
    )
    assert values["DEBUG"] is True
    assert "InMemoryChannelLayer" in json.dumps(values["CHANNEL_LAYERS"])
    assert "LocMemCache" in json.dumps(values["CACHES"])
    assert "console.EmailBackend" in json.dumps(values["MAILERS"])
    assert values["SESSION_COOKIE_SECURE"] is None  # Django's default (False) applies


def test_redis_url_switches_channel_layer_and_cache(tmp_path: Path) -> None:
    values = read_settings(
        {"REDIS_URL": "redis://127.0.0.1:6379/3"}, tmp_path, "CHANNEL_LAYERS", "CACHES"
    )
    layer = json.dumps(values["CHANNEL_LAYERS"])
    assert "channels_redis.core.RedisChannelLayer" in layer
    assert "redis://127.0.0.1:6379/3" in layer
    assert "RedisCache" in json.dumps(values["CACHES"])


def test_database_url_selects_postgresql(tmp_path: Path) -> None:
    values = read_settings(
        {"DATABASE_URL": "postgres://convenor:pw@db.internal:5433/convenor"}, tmp_path, "DATABASES"
    )
    database = values["DATABASES"]
    assert isinstance(database, dict)
    assert database["default"]["ENGINE"] == "django.db.backends.postgresql"
    assert database["default"]["HOST"] == "db.internal"
    assert database["default"]["PORT"] == 5433


def test_production_hardening(tmp_path: Path) -> None:
    values = read_settings(
        PRODUCTION_ENV,
        tmp_path,
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    )
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CONVENOR_DEBUG": "maybe"}, "CONVENOR_DEBUG='maybe' is not a yes/no value"),
        ({"CONVENOR_DEBUG": "0"}, "CONVENOR_SECRET_KEY is required when DEBUG is off"),
        ({"CONVENOR_SECRET_KEY": "short"}, "at least 50 characters"),
        ({**PRODUCTION_ENV, "CONVENOR_DEBUG": "1"}, "CONVENOR_DEBUG must be off"),
        (
            {**PRODUCTION_ENV, "CONVENOR_ALLOWED_HOSTS": "a.example.org,,b"},
            "has an empty item",
        ),
        (
            {k: v for k, v in PRODUCTION_ENV.items() if k != "CONVENOR_SECRET_KEY"},
            "CONVENOR_SECRET_KEY is required",
        ),
        ({"CONVENOR_LOGIN_FAILURE_LIMIT": "ten"}, "is not a whole number"),
        ({"CONVENOR_LOGIN_FAILURE_LIMIT": "0"}, "is outside 1..1000"),
        ({"REDIS_URL": "localhost:6379"}, "must start with redis://"),
        ({"DATABASE_URL": "nosuchdb://x"}, "DATABASE_URL is not a usable database URL"),
        ({"EMAIL_HOST": "smtp.example.org", "EMAIL_PORT": "99999"}, "outside 1..65535"),
        (
            {k: v for k, v in PRODUCTION_ENV.items() if k != "EMAIL_HOST"},
            "EMAIL_HOST is required when CONVENOR_PRODUCTION=1",
        ),
    ],
)
def test_bad_values_stop_the_start_with_a_clear_message(
    env: dict[str, str], message: str, tmp_path: Path
) -> None:
    result = run(["manage.py", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


# Signs in through the real pages over "https" and prints the cookies and headers it got back.
COOKIE_PROBE = """
import json
from django.core.management import call_command
from django.test import Client
from convenor.accounts.models import User
call_command("migrate", verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
User.objects.create_user("probe@example.org", "Probe", "a long enough password 1")
client = Client(enforce_csrf_checks=True, HTTP_HOST="convenor.example.org")
page = client.get("/accounts/login/", secure=True)
token = client.cookies["csrftoken"].value
signed_in = client.post(
    "/accounts/login/",
    {"username": "probe@example.org", "password": "a long enough password 1",
     "csrfmiddlewaretoken": token},
    secure=True,
    HTTP_REFERER="https://convenor.example.org/accounts/login/",
)
insecure = Client(HTTP_HOST="convenor.example.org").get("/accounts/login/")
def cookie(name):
    morsel = client.cookies[name]
    return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"]}
print(json.dumps({
    "login_status": signed_in.status_code,
    "csrftoken": cookie("csrftoken"),
    "sessionid": cookie("sessionid"),
    "hsts": page.headers.get("Strict-Transport-Security"),
    "http_redirect": [insecure.status_code, insecure.headers.get("Location")],
}))
"""


def test_cookies_and_transport_security_in_production(tmp_path: Path) -> None:
    env = {
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": "convenor.settings",
        "CONVENOR_STATIC_ROOT": str(tmp_path / "static"),
    }
    code = "import django; django.setup()\n" + COOKIE_PROBE
    result = run(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["login_status"] == 302
    assert seen["csrftoken"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["sessionid"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["http_redirect"] == [301, "https://convenor.example.org/accounts/login/"]
