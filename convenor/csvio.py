"""Reading and checking the CSV files of `convenor match`, and writing its output.

Every problem with an input file raises `InputError` with one line that names the file, the
line and the fix, so the command can refuse the input before anything is written.
"""

from __future__ import annotations

import csv
import gc
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Protocol, TextIO

from convenor.matching.types import Grouping, Person, PersonId

PEOPLE_EXAMPLE = "id,name,organisation,sector"
HISTORY_COLUMNS = ("round", "group", "person_id")
PAIR_COLUMNS = ("person_a", "person_b")
# Readable columns copied into the output after round,group,person_id when the people file has
# them, so a facilitator can read the groups without joining two files.
READABLE_COLUMNS = ("name", "organisation", "sector")


class InputError(Exception):
    """Input the command refuses; the message is one line naming the file, the line and the fix."""


@dataclass(frozen=True, slots=True)
class People:
    """The people file: its columns (lower-cased) and one `Person` per row, in file order.

    A blank cell is left out of `Person.attributes`, so two people with no organisation given
    do not count as "the same organisation".
    """

    path: str
    columns: tuple[str, ...]
    people: tuple[Person, ...]
    line_of: Mapping[PersonId, int]


@dataclass(frozen=True, slots=True)
class History:
    """Earlier rounds, oldest first, each a list of groups of ids; `last_round` is the highest."""

    rounds: list[list[list[PersonId]]]
    last_round: int | None


@dataclass(frozen=True, slots=True)
class Pairs:
    """`person_a,person_b` rows with the line each pair (in either order) first appears on."""

    path: str
    pairs: list[tuple[PersonId, PersonId]]
    line_of: dict[frozenset[PersonId], int]


class _Rows(Protocol):
    """What `csv.reader` returns: rows, and `line_num`, the line the last row ended on."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


@contextmanager
def _reader(path: str) -> Iterator[_Rows]:
    """Open a CSV file as a stream of rows, turning read, decoding and CSV errors into one line.

    The file is streamed, not loaded: a history of millions of rows stays small in memory.
    """
    reader = None
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f, strict=True)
            yield reader
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a CSV file; give the file's path") from None
    except UnicodeDecodeError:
        raise _not_utf8(path) from None
    except OSError as e:
        reason = e.strerror or str(e)
        raise InputError(f"{path}: cannot read the file ({reason}); check the path") from None
    except csv.Error as e:
        line = reader.line_num if reader is not None else 1
        raise InputError(
            f"{path} line {line}: malformed CSV ({e}); "
            'check the quotes on this line (a quote inside a value is written "")'
        ) from None


def _not_utf8(path: str) -> InputError:
    # The streaming decoder does not say where it failed; the file is read once more to find out.
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return InputError(
            f"{path} line {line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
            "save the file as UTF-8 (in Excel: 'CSV UTF-8')"
        )
    return InputError(f"{path}: not UTF-8 text; save the file as UTF-8 (in Excel: 'CSV UTF-8')")


def _blank(row: Sequence[str]) -> bool:
    # Spreadsheets often end a sheet with rows of empty cells; they carry nothing.
    return all(not cell.strip() for cell in row)


def _header(path: str, reader: _Rows, required: Sequence[str], example: str) -> dict[str, int]:
    """Read the header (the first non-blank row) and return each lower-cased column's index."""
    cells = next((row for row in reader if not _blank(row)), None)
    if cells is None:
        raise InputError(
            f"{path} line 1: the file is empty; its first line must be a header: {example}"
        )
    line = reader.line_num
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lower()
        if not name:
            raise InputError(
                f"{path} line {line}: column {index + 1} of the header has no name; "
                "name it or delete the column"
            )
        if name in columns:
            raise InputError(
                f'{path} line {line}: the header names column "{name}" twice; '
                "give each column a different name"
            )
        columns[name] = index
    for name in required:
        if name not in columns:
            found = ", ".join(columns)
            fix = f"the first line must name the columns: {example}"
            if any(";" in cell or "\t" in cell for cell in cells):
                # Spreadsheets in many locales save "CSV" with semicolons or tabs.
                fix = f"separate the values with commas, not semicolons or tabs: {example}"
            raise InputError(
                f'{path} line {line}: no "{name}" column in the header (found: {found}); {fix}'
            )
    return columns


def _ragged(path: str, line: int, got: int, want: int) -> InputError:
    return InputError(
        f"{path} line {line}: {got} values but the header has {want} columns; "
        "give every row one value per column (quote values that contain a comma)"
    )


def read_people(path: str) -> People:
    """Read the people file: a header with `id`, then one row per person, ids unique."""
    people: list[Person] = []
    line_of: dict[PersonId, int] = {}
    with _reader(path) as reader:
        index = _header(path, reader, ("id",), PEOPLE_EXAMPLE)
        columns = tuple(index)
        id_at = index["id"]
        others = [(name, at) for name, at in index.items() if name != "id"]
        for cells in reader:
            if _blank(cells):
                continue
            line = reader.line_num
            if len(cells) != len(columns):
                raise _ragged(path, line, len(cells), len(columns))
            pid = cells[id_at].strip()
            if not pid:
                raise InputError(f"{path} line {line}: the id is empty; give every person an id")
            if pid in line_of:
                raise InputError(
                    f'{path} line {line}: id "{pid}" appears again (first on line {line_of[pid]}); '
                    "ids must be unique"
                )
            line_of[pid] = line
            attributes = {name: value for name, at in others if (value := cells[at].strip())}
            people.append(Person(pid, attributes))
    return People(path, columns, tuple(people), line_of)


def check_mix(people: People, mix: Sequence[str]) -> None:
    """Refuse a `--mix` column that the people file does not have."""
    for name in mix:
        if name not in people.columns:
            found = ", ".join(people.columns)
            raise InputError(
                f'{people.path} line 1: no column "{name}" to mix on (--mix); '
                f"use columns of the header: {found}"
            )


def read_history(path: str, known: Iterable[PersonId] = ()) -> History:
    """Read `round,group,person_id` rows; a blank group means that person was left unmatched.

    People no longer in the people file are kept: they still count as met if they come back.
    A repeated header row (from appending a whole output file) is skipped. Ids equal to one of
    `known` are returned as that very string object, which makes the engine's lookups faster.
    """
    # A million small lists make the cyclic collector rescan the growing heap over and over
    # (about 15% of the time); none of them can form a cycle.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read_history(path, known)
    finally:
        if enabled:
            gc.enable()


def _read_history(path: str, known: Iterable[PersonId]) -> History:
    numbers: dict[str, int] = {}  # round as written -> its number, parsed once per round
    rounds: dict[int, dict[str, list[PersonId]]] = {}
    interned: dict[str, PersonId] = {pid: pid for pid in known}
    with _reader(path) as reader:
        index = _header(path, reader, HISTORY_COLUMNS, ",".join(HISTORY_COLUMNS))
        width = len(index)
        round_at, group_at, pid_at = (index[name] for name in HISTORY_COLUMNS)
        header = sorted(index, key=index.__getitem__)
        current_text: str | None = None
        groups: dict[str, list[PersonId]] = {}
        last_key: str | None = None
        members: list[PersonId] = []
        # The hot loop of reading millions of rows: checks that pass cost one comparison each.
        for cells in reader:
            if len(cells) != width:
                if _blank(cells):
                    continue
                raise _ragged(path, reader.line_num, len(cells), width)
            round_text = cells[round_at]
            if round_text != current_text:
                number = numbers.get(round_text)
                if number is None:
                    if _blank(cells) or [cell.strip().lower() for cell in cells] == header:
                        continue
                    number = numbers[round_text] = _round_number(path, reader.line_num, round_text)
                current_text, groups = round_text, rounds.setdefault(number, {})
                last_key = None
            pid = cells[pid_at].strip()
            if not pid:
                raise InputError(
                    f"{path} line {reader.line_num}: person_id is empty; name a person on every row"
                )
            # One string object per person however many rows name them: 2M rows stay small.
            pid = interned.setdefault(pid, pid)
            key = cells[group_at]
            if key == last_key:  # the rows of a group usually follow each other
                members.append(pid)
                continue
            last_key = key
            found = groups.get(key)
            if found is None:
                key = key.strip()
                if not key:
                    # An unmatched person gets a one-person "group" of their own: they met
                    # nobody, but being listed again in the same round is still caught below.
                    key, last_key = "\0" + pid, None
                found = groups.get(key)
                if found is None:
                    found = groups[key] = []
            members = found
            members.append(pid)
    ordered: list[list[list[PersonId]]] = []
    for number in sorted(rounds):
        in_round = list(rounds[number].values())
        listed = sum(map(len, in_round))
        if len(set(chain.from_iterable(in_round))) != listed:
            raise _twice_in_round(path, index, number, Counter(chain.from_iterable(in_round)))
        ordered.append([members for members in in_round if len(members) > 1])
    return History(ordered, max(rounds) if rounds else None)


def _round_number(path: str, line: int, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(
            f'{path} line {line}: round "{text.strip()}" is not a whole number; '
            "rounds are integers in time order (1, 2, 3, ...)"
        ) from None


def _twice_in_round(
    path: str, index: Mapping[str, int], number: int, listed: Counter[PersonId]
) -> InputError:
    """Build the error for a person listed twice in one round, reading the file again for lines."""
    pid = next(pid for pid, count in listed.items() if count > 1)
    lines = []
    with _reader(path) as reader:
        for cells in reader:
            try:
                same_round = int(cells[index["round"]]) == number
            except (ValueError, IndexError):
                continue
            if same_round and cells[index["person_id"]].strip() == pid:
                lines.append(reader.line_num)
    return InputError(
        f'{path} line {lines[1]}: person "{pid}" is already in round {number} (line {lines[0]}); '
        "a person can be in one group per round (was the same output appended twice?)"
    )


def read_pairs(path: str, people: People, option: str) -> Pairs:
    """Read `person_a,person_b` rows naming two different people of the people file."""
    pairs: list[tuple[PersonId, PersonId]] = []
    line_of: dict[frozenset[PersonId], int] = {}
    with _reader(path) as reader:
        index = _header(path, reader, PAIR_COLUMNS, ",".join(PAIR_COLUMNS))
        a_at, b_at = index["person_a"], index["person_b"]
        for cells in reader:
            if _blank(cells):
                continue
            line = reader.line_num
            if len(cells) != len(index):
                raise _ragged(path, line, len(cells), len(index))
            a, b = cells[a_at].strip(), cells[b_at].strip()
            for pid in (a, b):
                if not pid:
                    raise InputError(
                        f"{path} line {line}: an id is empty; give two ids on every row"
                    )
                if pid not in people.line_of:
                    raise InputError(
                        f'{path} line {line}: id "{pid}" is not in {people.path}; '
                        f"fix the id or remove the row from the {option} file"
                    )
            if a == b:
                raise InputError(
                    f'{path} line {line}: "{a}" is paired with itself; '
                    "a row names two different people"
                )
            pairs.append((a, b))
            line_of.setdefault(frozenset((a, b)), line)
    return Pairs(path, pairs, line_of)


def check_no_conflict(avoid: Pairs, want: Pairs) -> None:
    """Refuse a pair that is both to be kept apart and to be put together."""
    for key, line in want.line_of.items():
        if key in avoid.line_of:
            a, b = sorted(key)
            raise InputError(
                f'{want.path} line {line}: "{a}" and "{b}" are also in {avoid.path} line '
                f"{avoid.line_of[key]}; a pair cannot be both avoided and wanted, remove one row"
            )


def output_columns(people: People, mix: Iterable[str]) -> list[str]:
    """The readable columns to copy into the output: name, organisation, sector and `mix`."""
    extra: list[str] = []
    for name in (*READABLE_COLUMNS, *mix):
        wanted = name in people.columns and name not in (*HISTORY_COLUMNS, "id")
        if wanted and name not in extra:
            extra.append(name)
    return extra


def write_csv(
    out: TextIO,
    rounds: Sequence[tuple[int, Grouping]],
    people: People,
    extra: Sequence[str],
) -> None:
    """Write `round,group,person_id` plus readable columns; an unmatched person has no group."""
    by_id = {person.id: person.attributes for person in people.people}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*HISTORY_COLUMNS, *extra])
    for number, grouping in rounds:
        for group_number, group in enumerate(grouping.groups, start=1):
            for pid in group:
                attributes = by_id[pid]
                writer.writerow(
                    [number, group_number, pid, *(attributes.get(c, "") for c in extra)]
                )
        for pid in grouping.unmatched:
            attributes = by_id[pid]
            writer.writerow([number, "", pid, *(attributes.get(c, "") for c in extra)])
