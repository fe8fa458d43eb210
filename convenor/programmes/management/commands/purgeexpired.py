"""`manage.py purgeexpired [--dry-run]`: delete programmes past their retention period.

Meant for a daily cron job or systemd timer; it prints one line per deleted programme.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from convenor.programmes.actions import purge_expired_programmes


class Command(BaseCommand):
    help = "Delete archived programmes whose retention period has passed."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        names = purge_expired_programmes(dry_run=options["dry_run"])
        verb = "Would delete" if options["dry_run"] else "Deleted"
        for name in names:
            self.stdout.write(f"{verb} {name}")
        self.stdout.write(f"{verb} {len(names)} programme(s) past their retention period.")
