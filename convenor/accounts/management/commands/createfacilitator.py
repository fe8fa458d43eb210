"""`manage.py createfacilitator EMAIL --name NAME [--password P]`: make a facilitator account.

The password comes from --password, else CONVENOR_FACILITATOR_PASSWORD, else a prompt when a
terminal is attached; without any of them the command fails rather than hang in a script.
"""

import getpass
import os
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email

from convenor.accounts.models import User, normalise_email

PASSWORD_ENV = "CONVENOR_FACILITATOR_PASSWORD"  # noqa: S105 (a variable name, not a secret)


class Command(BaseCommand):
    help = "Create a facilitator account that can sign in and create programmes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="Sign-in email address.")
        parser.add_argument("--name", required=True, help="Name shown to co-facilitators.")
        parser.add_argument(
            "--password",
            help=f"Password (else ${PASSWORD_ENV}, else asked for on a terminal).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalise_email(options["email"])
        name = options["name"].strip()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{options['email']!r} is not a valid email address.") from None
        if not name:
            raise CommandError("--name must not be empty.")
        if User.objects.filter(email=email).exists():
            raise CommandError(f"A facilitator with the email {email} already exists.")

        password = options["password"] or os.environ.get(PASSWORD_ENV) or self._prompt()
        candidate = User(email=email, name=name)
        try:
            validate_password(password, candidate)
        except ValidationError as error:
            raise CommandError("Password rejected: " + " ".join(error.messages)) from None

        User.objects.create_user(email=email, name=name, password=password)
        self.stdout.write(self.style.SUCCESS(f"Created facilitator {name} <{email}>."))

    def _prompt(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                f"No password given: use --password, set ${PASSWORD_ENV}, or run in a terminal."
            )
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
