"""Reading a people CSV for import, and checking each row before anything is saved.

The columns are those of `convenor match` (`id`, `name`, `organisation`, `sector`, `role`, ...)
plus `email`, `pronouns` and `access_needs`; `id` is optional here. A problem with the file as a
whole (not UTF-8, binary, no header, too big) raises `CsvFileError`; a problem with one row is
reported on that row, so the facilitator sees every problem at once in the preview.
"""

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.formats import date_format

from convenor.accounts.models import normalise_email
from convenor.programmes.models import Invite, Participant, Programme

MAX_UPLOAD_BYTES = 1024 * 1024
MAX_ROWS = 5000

# CSV column -> Participant field, in the order the preview shows them.
COLUMNS: dict[str, str] = {
    "name": "display_name",
    "email": "email",
    "organisation": "organisation",
    "sector": "sector",
    "role": "role",
    "pronouns": "pronouns",
    "access_needs": "access_needs",
    "id": "external_id",
}
# Spellings people's spreadsheets really use for the same columns.
ALIASES = {"organization": "organisation", "org": "organisation", "display_name": "name"}
EXAMPLE_HEADER = "id,name,email,organisation,sector,role,pronouns,access_needs"
FIELDS = tuple(COLUMNS.values())


class CsvFileError(Exception):
    """The file as a whole cannot be read; the message says why and how to fix it."""


@dataclass(frozen=True)
class Row:
    """One person's line of the file: its values by Participant field and what is wrong with it."""

    line: int
    values: dict[str, str]
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class PeopleFile:
    """A read and checked people file."""

    columns: tuple[str, ...]
    unknown_columns: tuple[str, ...]
    rows: tuple[Row, ...] = field(default_factory=tuple)

    @property
    def problem_rows(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.problems)

    @property
    def importable(self) -> bool:
        return bool(self.rows) and not self.problem_rows


def _column_name(cell: str) -> str:
    # "Access Needs", " access-needs " and "ACCESS_NEEDS" all mean access_needs.
    name = re.sub(r"[\s\-]+", "_", cell.strip().lower())
    return ALIASES.get(name, name)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export; its NUL bytes would otherwise look like a binary file.
        raise CsvFileError(
            "This file is UTF-16 text. Save it as 'CSV UTF-8' (in Excel: File, Save a copy, "
            "CSV UTF-8) and upload that."
        )
    if b"\x00" in data:
        raise CsvFileError(
            "This is not a CSV text file (it contains binary data; a spreadsheet's own format "
            "such as .xlsx cannot be read). Save it as 'CSV UTF-8' and upload that."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise CsvFileError(
            f"Line {line} is not UTF-8 text. Save the file as 'CSV UTF-8' "
            "(in Excel: File, Save a copy, CSV UTF-8) and upload it again."
        ) from None


def _blank(cells: Sequence[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def read_people_csv(data: bytes, programme: Programme) -> PeopleFile:
    """Parse an uploaded file and check every row against the file and the programme's people."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise CsvFileError(
            f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KiB. Split it into smaller files."
        )
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    entries: list[tuple[int, dict[str, str], str]] = []
    try:
        header = next((cells for cells in reader if not _blank(cells)), None)
        if header is None:
            raise CsvFileError(
                f"The file is empty. Its first line must name the columns, e.g. {EXAMPLE_HEADER}"
            )
        names = [_column_name(cell) for cell in header]
        _check_header(names, header)
        width = len(names)
        for cells in reader:
            if _blank(cells):
                continue
            if len(entries) == MAX_ROWS:
                raise CsvFileError(
                    f"The file has more than {MAX_ROWS} people. Split it into smaller files."
                )
            ragged = ""
            if len(cells) != width:
                ragged = (
                    f"This line has {len(cells)} values but the header has {width} columns "
                    "(quote any value that contains a comma)."
                )
            values = {
                COLUMNS[name]: cell.strip()
                for name, cell in zip(names, cells, strict=False)
                if name in COLUMNS
            }
            entries.append((reader.line_num, values, ragged))
    except csv.Error as error:
        raise CsvFileError(
            f"Line {reader.line_num} is not valid CSV ({error}). Check its quotes: a quote inside "
            'a value is written as two quotes ("").'
        ) from None
    if not entries:
        raise CsvFileError("The file has a header but nobody in it: add one line per person.")
    known = tuple(name for name in names if name in COLUMNS)
    unknown = tuple(
        cell.strip() or f"(column {index + 1}, no name)"
        for index, (name, cell) in enumerate(zip(names, header, strict=True))
        if name not in COLUMNS
    )
    checked = check_rows(programme, [(line, values) for line, values, _ in entries])
    rows = tuple(
        Row(row.line, row.values, ((ragged,) if ragged else ()) + row.problems)
        for row, (_, _, ragged) in zip(checked, entries, strict=True)
    )
    return PeopleFile(known, unknown, rows)


def _check_header(names: list[str], header: list[str]) -> None:
    if "name" not in names:
        found = ", ".join(cell.strip() for cell in header if cell.strip()) or "nothing"
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " The file seems to use semicolons: save it as 'CSV UTF-8 (comma delimited)'."
        raise CsvFileError(
            f"The first line must be a header naming the columns, with at least a 'name' column "
            f"(found: {found}). For example: {EXAMPLE_HEADER}.{hint}"
        )
    repeated = [name for name, count in Counter(n for n in names if n).items() if count > 1]
    if repeated:
        raise CsvFileError(
            f"The header names the column '{repeated[0]}' more than once; "
            "give each column a different name."
        )


@cache
def _limits() -> dict[str, int]:
    """Each column's maximum length, from the model (asked once: a file has thousands of rows)."""
    fields = {column: Participant._meta.get_field(name) for column, name in COLUMNS.items()}
    return {column: getattr(field, "max_length", None) or 0 for column, field in fields.items()}


def _field_problems(values: dict[str, str]) -> list[str]:
    problems = []
    if not values.get("display_name"):
        problems.append("The name is missing.")
    for column, limit in _limits().items():
        if limit and len(values.get(COLUMNS[column], "")) > limit:
            problems.append(f"The {column} is longer than {limit} characters.")
    email = values.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"'{email}' is not a valid email address.")
    return problems


def check_rows(programme: Programme, entries: Iterable[tuple[int, dict[str, str]]]) -> list[Row]:
    """Check rows against each other and the programme's existing people; report, don't raise.

    Values are cleaned the way the import saves them (stripped, email lower-cased), so the
    checks and the saved data agree.
    """
    existing_ids = set(
        programme.participants.exclude(external_id="").values_list("external_id", flat=True)
    )
    existing_emails = {
        normalise_email(email)
        for email in programme.participants.exclude(email="").values_list("email", flat=True)
    }
    first_line_of_id: dict[str, int] = {}
    first_line_of_email: dict[str, int] = {}
    rows = []
    for line, raw in entries:
        values = {name: str(raw.get(name, "")).strip() for name in FIELDS}
        values["email"] = normalise_email(values["email"])
        problems = _field_problems(values)
        person_id = values["external_id"]
        if person_id:
            if person_id in existing_ids:
                problems.append(f"Someone in this programme already has the id '{person_id}'.")
            elif person_id in first_line_of_id:
                problems.append(
                    f"The id '{person_id}' is already used on line {first_line_of_id[person_id]}."
                )
            else:
                first_line_of_id[person_id] = line
        email = values["email"]
        if email:
            if email in existing_emails:
                problems.append("Someone in this programme already has this email address.")
            elif email in first_line_of_email:
                problems.append(
                    f"This email address is already used on line {first_line_of_email[email]}."
                )
            else:
                first_line_of_email[email] = line
        rows.append(Row(line, values, tuple(problems)))
    return rows


@dataclass(frozen=True)
class InviteState:
    """How far a person has come in: `kind` is joined, none, active, expired or revoked."""

    kind: str
    latest: Invite | None
    label: str


def invite_state(person: Participant, now: datetime | None = None) -> InviteState:
    """The person's invite state from `person.invites.all()` (prefetch them for a list).

    Someone who registered with the open link has no personal link; they count as joined once
    they have agreed to the ground rules.
    """
    invites = sorted(person.invites.all(), key=lambda invite: invite.created_at, reverse=True)
    latest = invites[0] if invites else None
    if person.agreed_ground_rules_at is not None or any(i.redeemed_at for i in invites):
        return InviteState("joined", latest, "Joined")
    if latest is None:
        return InviteState("none", None, "No link yet")
    kind = latest.status(now or timezone.now())
    if kind == "active":
        until = date_format(timezone.localtime(latest.expires_at), "j M Y")
        return InviteState(kind, latest, f"Link valid until {until}")
    return InviteState(kind, latest, "Link expired" if kind == "expired" else "Link withdrawn")
