"""Scoring, independent of the engine's own `evaluate`: repeats and same-organisation pairs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from bench.methods import Round
from bench.scenarios import Data
from convenor.matching.schedule import group_sizes


def check(data: Data, rounds: Sequence[Round]) -> str | None:
    """Why the rounds are not a valid plan (someone missing, twice, wrong sizes), or None."""
    for number, (present, groups) in enumerate(zip(data.present, rounds, strict=False), 1):
        placed = Counter(p for group in groups for p in group)
        if set(placed) != set(present) or max(placed.values(), default=1) > 1:
            return f"round {number} does not place everyone present exactly once"
        if sorted(map(len, groups)) != sorted(group_sizes(len(present), data.scenario.size)):
            return f"round {number} has groups of sizes {sorted(map(len, groups))}"
    return None


def score(data: Data, rounds: Sequence[Round]) -> tuple[int, int]:
    """(repeats, same-organisation pairs) over the rounds planned.

    A repeat is a pair sharing a group who already met, in the scenario's history or an
    earlier planned round; a pair meeting a third time counts again.
    """
    width = len(data.ids) + data.scenario.left
    met: set[int] = set()
    for groups in data.history:
        for group in groups:
            met.update(min(a, b) * width + max(a, b) for a, b in combinations(group, 2))
    repeats = same = 0
    org = data.org
    for groups in rounds:
        for group in groups:
            for a, b in combinations(group, 2):
                key = min(a, b) * width + max(a, b)
                if key in met:
                    repeats += 1
                else:
                    met.add(key)
                if org[a] >= 0 and org[a] == org[b]:
                    same += 1
    return repeats, same
