"""Shared builders and brute force for the matching tests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import combinations

from convenor.matching import Grouping, Person, Problem, group_sizes


def people(n: int, orgs: int = 1, sectors: int = 1, prefix: str = "p") -> list[Person]:
    """n people; person i is in organisation i % orgs and sector i % sectors."""
    return [
        Person(f"{prefix}{i}", {"organisation": f"org{i % orgs}", "sector": f"sec{i % sectors}"})
        for i in range(n)
    ]


def sizes_for(n: int, size: int) -> list[int]:
    """The group sizes the engine promises for n people, smallest first."""
    return sorted(group_sizes(n, size))


def partitions(items: Sequence[str], sizes: Sequence[int]) -> Iterator[list[tuple[str, ...]]]:
    """Every way to split `items` into unordered groups with the given multiset of sizes."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for k in sorted(set(sizes)):
        remaining = list(sizes)
        remaining.remove(k)
        for mates in combinations(rest, k - 1):
            left = [x for x in rest if x not in mates]
            for tail in partitions(left, remaining):
                yield [(first, *mates), *tail]


def pairs_of(grouping: Grouping) -> set[frozenset[str]]:
    return {frozenset(p) for g in grouping.groups for p in combinations(g, 2)}


def placed(grouping: Grouping) -> list[str]:
    return [p for g in grouping.groups for p in g] + list(grouping.unmatched)


def met_pairs(problem: Problem) -> set[frozenset[str]]:
    return {frozenset(p) for rnd in problem.history for g in rnd for p in combinations(g, 2)}
