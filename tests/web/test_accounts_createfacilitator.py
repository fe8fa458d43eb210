"""`manage.py createfacilitator`: scriptable, with clear errors and nothing half-made."""

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from convenor.accounts.models import User


def create(*args: str, **options: Any) -> str:
    out = io.StringIO()
    call_command("createfacilitator", *args, stdout=out, **options)
    return out.getvalue()


def test_creates_a_facilitator_who_can_sign_in(db: None) -> None:
    output = create("Ada@Example.ORG", "--name", "Ada Admin", "--password", "a long passphrase 7")
    assert "Created facilitator Ada Admin <ada@example.org>." in output
    user = User.objects.get(email="ada@example.org")
    assert user.name == "Ada Admin"
    assert user.check_password("a long passphrase 7")


def test_password_from_the_environment(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVENOR_FACILITATOR_PASSWORD", "an env passphrase 9")
    create("env@example.org", "--name", "Env")
    assert User.objects.get(email="env@example.org").check_password("an env passphrase 9")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-an-email", "--name", "X", "--password", "a long passphrase 7"], "not a valid email"),
        (["x@example.org", "--name", "  ", "--password", "a long passphrase 7"], "--name must"),
        (["x@example.org", "--name", "X", "--password", "short"], "Password rejected"),
        (["x@example.org", "--name", "X", "--password", "1234567890123"], "entirely numeric"),
        (["x@example.org", "--name", "X"], "No password given"),
    ],
)
def test_bad_input_is_refused_and_creates_nothing(
    args: list[str], message: str, db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONVENOR_FACILITATOR_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO())  # not a terminal: no prompt
    with pytest.raises(CommandError, match=message):
        create(*args)
    assert not User.objects.exists()


def test_existing_email_is_refused(facilitator: User) -> None:
    with pytest.raises(CommandError, match="already exists"):
        create("LENA.LEAD@example.org", "--name", "Twin", "--password", "a long passphrase 7")
    assert User.objects.count() == 1
