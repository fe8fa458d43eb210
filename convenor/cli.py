"""The `convenor` command line: `convenor match` groups people from a CSV file."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from convenor.csvio import (
    History,
    InputError,
    Pairs,
    People,
    check_mix,
    check_no_conflict,
    output_columns,
    read_history,
    read_pairs,
    read_people,
    write_csv,
)
from convenor.matching import MatchingError, evaluate, match, plan
from convenor.matching.types import DEFAULT_MIX, Grouping, Problem, Summary


class UsageError(Exception):
    """A command line argparse refuses; the message is one line."""


class _Parser(argparse.ArgumentParser):
    # argparse prints the usage and a message on two lines and exits; the command promises one
    # line on stderr and a return value `main` can hand back to tests.
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser() -> _Parser:
    parser = _Parser(prog="convenor", description="Convenor from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    m = commands.add_parser(
        "match",
        help="put people from a CSV file into pairs or groups, round after round",
        description=(
            "Put the people of PEOPLE.csv into groups: nobody meets someone again while someone "
            "new is possible, organisations and sectors mix, avoid and want pairs are honoured. "
            "Output rows are round,group,person_id (plus name, organisation, sector); they "
            "continue the rounds of --history, so the output can be appended to it next time."
        ),
    )
    m.add_argument("people", metavar="PEOPLE.csv", help="header with id; name, organisation, ...")
    m.add_argument(
        "--size", metavar="S", type=int, default=2, help="people per group (default 2: pairs)"
    )
    m.add_argument("--rounds", metavar="R", type=int, default=1, help="rounds to plan (default 1)")
    m.add_argument("--history", metavar="FILE", help="earlier rounds: round,group,person_id")
    m.add_argument(
        "--mix",
        metavar="COLS",
        help="comma-separated columns to mix across (default: organisation,sector if present)",
    )
    m.add_argument("--avoid", metavar="FILE", help="pairs never to group: person_a,person_b")
    m.add_argument("--want", metavar="FILE", help="pairs to group when possible: person_a,person_b")
    m.add_argument(
        "--seed", metavar="N", type=int, default=0, help="same seed and input, same groups"
    )
    m.add_argument("--format", choices=("csv", "json"), default="csv", help="output format")
    m.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for bad input, with one line on stderr)."""
    try:
        args = _parser().parse_args(argv)
    except UsageError as e:
        print(e, file=sys.stderr)
        return 2
    except SystemExit as e:  # --help
        return e.code if isinstance(e.code, int) else 0
    try:
        return _match(args)
    except InputError as e:
        print(f"convenor match: {e}", file=sys.stderr)
        return 2


def _mix_columns(people: People, option: str | None) -> tuple[str, ...]:
    if option is None:
        return tuple(name for name in DEFAULT_MIX if name in people.columns)
    # A column named twice means nothing more than once.
    mix = tuple(dict.fromkeys(name for part in option.split(",") if (name := part.strip().lower())))
    check_mix(people, mix)
    return mix


def _check_out(path: str) -> None:
    """Refuse an --out path that cannot be written before any work is done."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"--out {path}: is a folder; give the name of a file to write")
    folder = target.parent
    if not folder.is_dir():
        raise InputError(f"--out {path}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise InputError(f"--out {path}: not allowed to write there; choose another path")


def _match(args: argparse.Namespace) -> int:
    if args.size < 2:
        raise InputError(
            f"--size {args.size}: a group needs at least 2 people; use --size 2 or more"
        )
    if args.rounds < 1:
        raise InputError(f"--rounds {args.rounds}: nothing to plan; use --rounds 1 or more")
    if args.out is not None:
        _check_out(args.out)
    people = read_people(args.people)
    mix = _mix_columns(people, args.mix)
    history = read_history(args.history, people.line_of) if args.history else History([], None)
    avoid = read_pairs(args.avoid, people, "--avoid") if args.avoid else Pairs("", [], {})
    want = read_pairs(args.want, people, "--want") if args.want else Pairs("", [], {})
    check_no_conflict(avoid, want)
    problem = Problem(
        people=people.people,
        size=args.size,
        history=history.rounds,
        avoid=avoid.pairs,
        want=want.pairs,
        mix=mix,
        seed=args.seed,
    )
    started = time.perf_counter()
    try:
        groupings = [match(problem)] if args.rounds == 1 else plan(problem, args.rounds)
    except MatchingError as e:
        raise InputError(f"{args.people}: {e}") from None
    seconds = time.perf_counter() - started
    summary = evaluate(problem, groupings)
    first = (history.last_round or 0) + 1
    numbered = list(enumerate(groupings, start=first))

    buffer = io.StringIO()
    if args.format == "json":
        document = {
            "rounds": _json_rounds(numbered),
            "summary": {**_json_summary(summary, numbered), "seconds": round(seconds, 3)},
        }
        json.dump(document, buffer, ensure_ascii=False)
        buffer.write("\n")
    else:
        write_csv(buffer, numbered, people, output_columns(people, mix))
    _write(args.out, buffer.getvalue())
    if args.format == "csv":
        print(_summary_line(summary, numbered, len(people.people), seconds), file=sys.stderr)
    return 0


def _json_rounds(numbered: Sequence[tuple[int, Grouping]]) -> list[dict[str, Any]]:
    return [
        {"round": number, "groups": [list(group) for group in grouping.groups]}
        for number, grouping in numbered
    ]


def _json_summary(summary: Summary, numbered: Sequence[tuple[int, Grouping]]) -> dict[str, Any]:
    return {
        "rounds": len(numbered),
        "pairs": summary.total_pairs,
        "repeated_pairs": summary.repeated_pairs,
        "same_attribute_pairs": dict(summary.same_attribute),
        "avoid_violations": summary.avoid_violations,
        "wants_met": summary.wants_met,
        "unmatched": [
            {"round": number, "person_id": pid}
            for number, grouping in numbered
            for pid in grouping.unmatched
        ],
    }


def _summary_line(
    summary: Summary, numbered: Sequence[tuple[int, Grouping]], people: int, seconds: float
) -> str:
    first, last = numbered[0][0], numbered[-1][0]
    span = f"round {first}" if first == last else f"rounds {first}-{last}"
    parts = [f"{summary.repeated_pairs} repeated pairs"]
    parts += [f"{count} same-{column} pairs" for column, count in summary.same_attribute.items()]
    unmatched = [f"{pid} (round {n})" for n, grouping in numbered for pid in grouping.unmatched]
    parts.append("unmatched: " + ", ".join(unmatched) if unmatched else "nobody unmatched")
    return f"convenor match: {span} for {people} people: {', '.join(parts)}; {seconds:.2f} s"


def _write(path: str | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except OSError as e:
        raise InputError(
            f"--out {path}: cannot write the file ({e.strerror}); choose another path"
        ) from None
