"""Pairing preferences: "please don't pair us" (avoid) and "we'd like to meet" (want).

Writes follow actions.py: validate, write, raise ValidationError and write nothing when
anything is wrong. Live rounds read them through `pair_preferences`.
"""

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.models import PairPreference, Participant, Programme

Pair = tuple[str, str]

MAX_UPLOAD_BYTES = 256 * 1024
MAX_ROWS = 2000


def _ordered(a: Participant, b: Participant) -> tuple[Participant, Participant]:
    # UUIDs compare as the database compares them (uuid on PostgreSQL, hex text on SQLite).
    return (a, b) if a.pk < b.pk else (b, a)


def _check_pair(programme: Programme, a: Participant, b: Participant, kind: str) -> None:
    if kind not in PairPreference.Kind.values:
        raise ValidationError("Choose whether to keep them apart or to put them together.")
    if a.pk == b.pk:
        raise ValidationError("Choose two different people.")
    if a.programme_id != programme.pk or b.programme_id != programme.pk:
        raise ValidationError("Both people must be in this programme.")


def _existing_message(existing: PairPreference, a: Participant, b: Participant) -> str:
    if existing.kind == PairPreference.Kind.AVOID:
        said = "to keep them apart"
    else:
        said = "to put them together"
    return (
        f"{a.display_name} and {b.display_name} already have a preference ({said}). "
        "Remove it first to change it."
    )


def add_pair_preference(
    programme: Programme, actor: User | None, a: Participant, b: Participant, kind: str
) -> PairPreference:
    """Record that `a` and `b` should be kept apart (avoid) or put together (want).

    A pair has at most one preference: adding a second one, of either kind, is refused.
    """
    _check_pair(programme, a, b, kind)
    first, second = _ordered(a, b)
    with transaction.atomic():
        actions._ensure_open(programme)
        existing = PairPreference.objects.filter(
            programme=programme, person_a=first, person_b=second
        ).first()
        if existing is not None:
            raise ValidationError(_existing_message(existing, a, b))
        try:
            with transaction.atomic():
                return PairPreference.objects.create(
                    programme=programme,
                    person_a=first,
                    person_b=second,
                    kind=kind,
                    created_by=actor,
                )
        except IntegrityError:
            # Someone added a preference for this pair (or removed a person) meanwhile.
            raise ValidationError(
                f"{a.display_name} and {b.display_name} could not be saved: the pair changed "
                "while you were adding it. Reload the page and try again."
            ) from None


def remove_pair_preference(preference: PairPreference, actor: User | None) -> None:
    """Forget one pairing preference."""
    actions._ensure_open(preference.programme)
    preference.delete()


def pair_preferences(
    programme: Programme, among: Collection[str] | None = None
) -> tuple[list[Pair], list[Pair]]:
    """The programme's (avoid, want) pairs as participant id strings.

    With `among`, only pairs whose two people are both in it (the matching engine refuses
    pairs naming someone it is not grouping).
    """
    avoid: list[Pair] = []
    want: list[Pair] = []
    rows = PairPreference.objects.filter(programme=programme).values_list(
        "person_a_id", "person_b_id", "kind"
    )
    for a_id, b_id, kind in rows.order_by("person_a_id", "person_b_id"):
        pair = (str(a_id), str(b_id))
        if among is not None and not (pair[0] in among and pair[1] in among):
            continue
        (avoid if kind == PairPreference.Kind.AVOID else want).append(pair)
    return avoid, want


# --- CSV upload -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PairRow:
    line: int
    first: str
    second: str


class PairsRefused(ValidationError):
    """Some lines have problems (`problems` lists them); nothing was saved."""

    def __init__(self, problems: Sequence[str]) -> None:
        lines = "line has a problem" if len(problems) == 1 else "lines have problems"
        super().__init__(
            f"{len(problems)} {lines}; no preferences were added.",
            code="rows",
        )
        self.problems = tuple(problems)


def read_pairs_csv(data: bytes) -> list[PairRow]:
    """Rows of a `person_a,person_b` file (a header line with those names is optional)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(f"The file is larger than {MAX_UPLOAD_BYTES // 1024} KiB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text. Save it as CSV (UTF-8).") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[PairRow] = []
    try:
        for cells in reader:
            values = [cell.strip() for cell in cells]
            if not any(values):
                continue
            if not rows and [v.lower() for v in values] == ["person_a", "person_b"]:
                continue
            if len(rows) == MAX_ROWS:
                raise ValidationError(f"The file has more than {MAX_ROWS} pairs.")
            if len(values) != 2:
                raise PairsRefused(
                    [f"Line {reader.line_num}: expected two values, found {len(values)}."]
                )
            rows.append(PairRow(reader.line_num, values[0], values[1]))
    except csv.Error as error:
        raise ValidationError(f"Line {reader.line_num} is not valid CSV ({error}).") from None
    if not rows:
        raise ValidationError("The file has no pairs in it.")
    return rows


def _person_lookup(programme: Programme) -> dict[str, Participant]:
    """The programme's people by external id and by lower-cased email."""
    found: dict[str, Participant] = {}
    for person in Participant.objects.filter(programme=programme).filter(
        ~Q(external_id="") | ~Q(email="")
    ):
        if person.email:
            found[person.email.lower()] = person
        if person.external_id:
            found[person.external_id] = person
    return found


def import_pair_preferences(
    programme: Programme, actor: User | None, rows: Sequence[PairRow], kind: str
) -> list[PairPreference]:
    """Add one preference of `kind` per row, or none if any row has a problem."""
    if kind not in PairPreference.Kind.values:
        raise ValidationError("Choose whether to keep them apart or to put them together.")
    with transaction.atomic():
        # Locking the programme serialises uploads, so the duplicate checks below hold.
        fresh = Programme.objects.select_for_update().get(pk=programme.pk)
        actions._ensure_open(fresh)
        people = _person_lookup(fresh)
        taken = set(
            PairPreference.objects.filter(programme=fresh).values_list("person_a_id", "person_b_id")
        )
        problems: list[str] = []
        made: list[PairPreference] = []
        for row in rows:
            a = people.get(row.first) or people.get(row.first.lower())
            b = people.get(row.second) or people.get(row.second.lower())
            missing = [v for v, p in ((row.first, a), (row.second, b)) if p is None]
            if a is None or b is None:
                names = " or ".join(f'"{v}"' for v in missing)
                problems.append(
                    f"Line {row.line}: nobody in this programme has the id or email {names}."
                )
                continue
            if a.pk == b.pk:
                problems.append(f"Line {row.line}: names the same person twice.")
                continue
            first, second = _ordered(a, b)
            key = (first.pk, second.pk)
            if key in taken:
                problems.append(
                    f"Line {row.line}: {a.display_name} and {b.display_name} already have a "
                    "preference (in the programme or earlier in the file)."
                )
                continue
            taken.add(key)
            made.append(
                PairPreference(
                    programme=fresh, person_a=first, person_b=second, kind=kind, created_by=actor
                )
            )
        if problems:
            raise PairsRefused(problems)
        PairPreference.objects.bulk_create(made)
    return made


def find_pair_preference(programme: Programme, value: object) -> PairPreference | None:
    """The programme's preference with this id, or None (also for a malformed id)."""
    try:
        pk = UUID(str(value))
    except ValueError:
        return None
    return (
        PairPreference.objects.select_related("programme", "person_a", "person_b")
        .filter(pk=pk, programme=programme)
        .first()
    )
