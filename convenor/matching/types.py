"""Value types of the matching engine. Pure Python: nothing here imports Django."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PersonId = str
Group = tuple[PersonId, ...]
# One earlier round: the groups that met. History is a sequence of rounds, oldest first.
HistoryRound = Sequence[Sequence[PersonId]]

DEFAULT_MIX: tuple[str, ...] = ("organisation", "sector")


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who can be grouped: an id plus attributes to mix on (organisation, sector, ...)."""

    id: PersonId
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Problem:
    """Everything one grouping decision depends on.

    `history` may name people who are not in `people`; such entries are ignored for grouping
    but still count as "met" if those people come back later. `avoid` pairs must never share a
    group; mutual `want` pairs should share one when that costs no repeat and no avoid.
    `groups`, when given, is the number of groups to make instead (their sizes n // groups or
    one more; `size` is then ignored): e.g. 15 people in 4 groups, which no target size gives.
    """

    people: Sequence[Person]
    size: int = 2
    history: Sequence[HistoryRound] = ()
    avoid: Sequence[tuple[PersonId, PersonId]] = ()
    want: Sequence[tuple[PersonId, PersonId]] = ()
    mix: Sequence[str] = DEFAULT_MIX
    seed: int = 0
    groups: int | None = None


@dataclass(frozen=True, slots=True)
class Grouping:
    """One round's outcome: groups of `size` (or `size`+1), and anyone who could not be placed."""

    groups: tuple[Group, ...]
    unmatched: tuple[PersonId, ...] = ()


class MatchingError(ValueError):
    """Invalid input (bad size, duplicate or unknown ids, ...); nothing was changed."""


@dataclass(frozen=True, slots=True)
class Summary:
    """How good a sequence of groupings is, counted pair by pair.

    `repeated_pairs` counts every pair sharing a group that had already met, either in the
    problem's history or in an earlier grouping of the same sequence. `same_attribute` maps each
    mix column to the number of grouped pairs sharing a non-empty value in that column.
    """

    repeated_pairs: int
    same_attribute: Mapping[str, int]
    total_pairs: int
    unmatched: int
    avoid_violations: int = 0
    wants_met: int = 0
