"""One round (`match`) and the scoring of groupings (`evaluate`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._model import (
    GrowingIndex,
    IntArray,
    Model,
    attribute_codes,
    avoid_want_keys,
    build,
    distinct,
    member,
    pair_occurrences,
    rng_for,
    validate,
)
from ._search import solve, split_avoid
from .types import Grouping, MatchingError, PersonId, Problem, Summary


def match(problem: Problem) -> Grouping:
    """Group everyone in `problem.people` for one round.

    Sizes follow `group_count` (size or size+1; pairs and one three for odd counts in pairs).
    Priorities, in order: avoid pairs never share a group (when the avoid pairs leave no way to
    keep the sizes, the sizes give way: a group may be smaller, and someone no group can take is
    unmatched); no pair meets again while a repeat-free grouping is found, else the repeats met
    longest ago and least often; mixing on `problem.mix` columns in order; mutual want pairs
    together; the seed decides among equals. The same problem always gives the same grouping.
    Caveat: beyond tiny counts the search is a heuristic, so "while one exists" means "found".
    """
    model = build(problem)
    return to_grouping(model, *solve_round(model, rng_for(problem.seed)))


def solve_round(model: Model, rng: np.random.Generator) -> tuple[IntArray, list[int]]:
    """A padded grid of groups and the unmatched indices, for everyone in the model."""
    if model.n == 1:
        return np.zeros((0, 1), dtype=np.int64), [0]
    return split_avoid(model, solve(model, rng))


def to_grouping(model: Model, grid: IntArray, unmatched: Sequence[int]) -> Grouping:
    """Canonical order (members and groups by input position) so equal groupings compare equal."""
    n = model.n
    # Padding (n) sorts after everyone, so sorted rows compare like sorted tuples.
    rows = np.sort(grid, axis=1)
    if len(rows):
        rows = rows[np.lexsort(rows.T[::-1])]
    names = np.asarray(model.ids, dtype=object)
    sizes = (rows < n).sum(axis=1)
    groups: list[tuple[PersonId, ...]] = [()] * len(rows)
    for k in distinct(sizes):
        at = np.flatnonzero(sizes == k)
        for i, members in zip(at.tolist(), names[rows[at, :k]].tolist(), strict=True):
            groups[i] = tuple(members)
    return Grouping(
        groups=tuple(groups),
        unmatched=tuple(model.ids[p] for p in sorted(int(p) for p in unmatched)),
    )


def evaluate(problem: Problem, groupings: Sequence[Grouping]) -> Summary:
    """Count repeats, same-attribute pairs, avoid violations and wants met over `groupings`.

    A pair counts as repeated each time it shares a group after having met before, in the
    history (which may name people no longer present) or in an earlier grouping of `groupings`.
    """
    validate(problem)
    index = GrowingIndex((p.id, i) for i, p in enumerate(problem.people))
    present = len(index)
    for t, grouping in enumerate(groupings):
        seen: set[PersonId] = set()
        for pid in (p for g in grouping.groups for p in g):
            if pid not in index:
                raise MatchingError(f"grouping {t} names {pid!r}, who is not among the people")
            if pid in seen:
                raise MatchingError(f"grouping {t} places {pid!r} in more than one group")
            seen.add(pid)
    # People who appear only in the history still count for repeats, so they get indices too.
    rounds = [*problem.history, *(g.groups for g in groupings)]
    keys, rnds = pair_occurrences(rounds, index)
    total = len(index)
    first_round = len(problem.history)
    in_groupings = rnds >= first_round
    new_key = np.ones(keys.size, dtype=bool)
    new_key[1:] = keys[1:] != keys[:-1]
    repeated = int((in_groupings & ~new_key).sum())
    keys = keys[in_groupings]
    i, j = keys // total, keys % total
    same: dict[str, int] = {}
    for column, codes in zip(problem.mix, attribute_codes(problem), strict=True):
        same[column] = int(((codes[i] == codes[j]) & (codes[i] >= 0)).sum())
    # Grouped pairs are all present people, whose indices come first, as in the avoid keys.
    avoid_keys, want_keys = avoid_want_keys(problem, index)
    local = i * present + j
    return Summary(
        repeated_pairs=repeated,
        same_attribute=same,
        total_pairs=int(keys.size),
        unmatched=sum(len(g.unmatched) for g in groupings),
        avoid_violations=int(member(avoid_keys, local).sum()),
        wants_met=int(member(want_keys, local).sum()),
    )
