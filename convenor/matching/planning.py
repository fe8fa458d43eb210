"""Several rounds at once: a combinatorial schedule relabelled for mixing, or round by round."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ._model import IntArray, Model, build, rng_for, validate
from ._search import Search, group_count, group_sizes, padded, split_avoid
from .engine import evaluate, solve_round, to_grouping
from .schedule import schedule
from .types import Grouping, MatchingError, Problem

# The schedule's tabu search and the polish keep n x n tables; beyond this not worth it.
_SCHEDULE_MAX_PEOPLE = 1000


def plan(problem: Problem, rounds: int, *, time_limit: float = 30.0) -> list[Grouping]:
    """`rounds` groupings of everyone in `problem.people`, each accounting for the ones before.

    Two ways are tried, and the better plan (fewer avoid violations, then repeats, then unplaced
    people, then same-attribute pairs column by column, then more wants met) is kept:
    round by round with `match`'s search, and, when many rounds are asked for relative to the
    number of people (or round by round leaves repeats), a combinatorial schedule (round robin,
    affine planes, transversal designs, tabu search) whose people are then relabelled to mix
    organisations and keep avoid pairs apart. The winner is then polished round by round
    against the whole plan. Caveats: `time_limit` bounds the schedule, the alternatives and
    the polish, but a round-by-round plan that is the only candidate always completes; and a
    plan that needed the time limit may differ between fast and slow machines.
    """
    validate(problem)
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 0:
        raise MatchingError(f"rounds must be a whole number of at least 0, got {rounds!r}")
    if not time_limit > 0:
        raise MatchingError(f"time_limit must be positive, got {time_limit!r}")
    if rounds == 0:
        return []
    deadline = time.monotonic() + time_limit
    n, size = len(problem.people), problem.size
    # Pairing rounds that use up more than half of everyone's possible partners are where
    # greedy round-by-round gets stuck and designs shine.
    heavy = 2 * rounds * (size - 1) > n - 1
    schedulable = 4 <= n <= _SCHEDULE_MAX_PEOPLE and group_count(n, size) >= 2
    candidates: list[list[Grouping]] = []
    if heavy and schedulable:
        scheduled = _scheduled(problem, rounds, deadline)
        if scheduled is not None:
            candidates.append(scheduled)
            # When a repeat-free plan meets every pair, nothing can mix better in total.
            if (
                _score(problem, scheduled)[:3] == (0, 0, 0)
                and evaluate(problem, scheduled).total_pairs == n * (n - 1) // 2
            ):
                return scheduled
    by_round = _round_by_round(problem, rounds, deadline if candidates else None)
    if by_round is not None:
        candidates.append(by_round)
    # A schedule could only win on mixing, which round by round optimises directly.
    if not heavy and schedulable and _score(problem, candidates[-1])[:3] != (0, 0, 0):
        scheduled = _scheduled(problem, rounds, deadline)
        if scheduled is not None:
            candidates.append(scheduled)
    best = min(candidates, key=lambda c: _score(problem, c))
    if not problem.want and not any(_score(problem, best)):
        return best  # nothing left to improve
    polished = _polish(problem, best, deadline)
    return min((polished, best), key=lambda c: _score(problem, c))


def _polish(problem: Problem, groupings: list[Grouping], deadline: float) -> list[Grouping]:
    """Search each round again with every other round of the plan counted as already met.

    Round by round, a round cannot see the rounds after it; here each round may trade
    partners for better mixing as long as that meets nobody the plan meets elsewhere.
    """
    n = len(problem.people)
    # Each round copies an n x n table, so this stays with the sizes a schedule is tried for.
    if not 4 <= n <= _SCHEDULE_MAX_PEOPLE or any(g.unmatched for g in groupings):
        return groupings
    base = build(problem, dense=True)
    assert base.dense is not None
    grids = [padded([[base.index[p] for p in g] for g in r.groups], n) for r in groupings]
    meets = np.zeros((n + 1, n + 1), dtype=np.int64)
    for grid in grids:
        meets[grid[:, :, None], grid[:, None, :]] += 1
    # Meeting someone the plan meets elsewhere costs as much as a repeat of the newest round.
    again = base.repeat_unit * (2 * (len(problem.history) + len(groupings)) + 4)
    rng = rng_for(problem.seed, 6)
    for _ in range(3):
        improved = False
        for r, grid in enumerate(grids):
            if time.monotonic() > deadline:
                break
            meets[grid[:, :, None], grid[:, None, :]] -= 1
            table = base.dense + again * (meets > 0)
            table[n, :] = table[:, n] = 0
            np.fill_diagonal(table, 0)
            search = Search(replace(base, dense=table), grid.copy(), rng)
            before = search.cost()
            search.descend(patience=3, max_steps=100)
            if search.cost() < before:
                grids[r] = grid = search.grid
                improved = True
            meets[grid[:, :, None], grid[:, None, :]] += 1
        if not improved:
            break
    return [to_grouping(base, grid, []) for grid in grids]


def _round_by_round(
    problem: Problem, rounds: int, deadline: float | None = None
) -> list[Grouping] | None:
    """Each round matched with the earlier ones as history; None if past `deadline`."""
    out: list[Grouping] = []
    for r in range(rounds):
        if deadline is not None and time.monotonic() > deadline:
            return None
        model = build(problem, [g.groups for g in out])
        out.append(to_grouping(model, *solve_round(model, rng_for(problem.seed, 3, r))))
    return out


def _score(problem: Problem, groupings: Sequence[Grouping]) -> tuple[int, ...]:
    s = evaluate(problem, groupings)
    same = tuple(s.same_attribute[c] for c in problem.mix)
    return (s.avoid_violations, s.repeated_pairs, s.unmatched, *same, -s.wants_met)


def _scheduled(problem: Problem, rounds: int, deadline: float) -> list[Grouping] | None:
    """A design-based schedule, relabelled and repaired; None if it does not fit our sizes."""
    model = build(problem)
    n = model.n
    met = {
        (int(k // n), int(k % n)): int(last)
        for k, last in zip(model.hist_keys, model.hist_last, strict=True)
    }
    budget = max(0.1, 0.8 * (deadline - time.monotonic()))
    slots = schedule(n, problem.size, rounds, seed=problem.seed, met=met, time_limit=budget)
    if not _fits(slots, n, problem.size, rounds):
        return None
    label = _relabel(model, slots, rng_for(problem.seed, 4), deadline)
    out: list[Grouping] = []
    for r, groups in enumerate(slots):
        grid = padded([[int(label[s]) for s in g] for g in groups], n)
        if model.avoid_mask(grid[:, :, None], grid[:, None, :]).any():
            # Avoid pairs outrank repeats: repair this round with the one-round search.
            round_model = build(problem, [g.groups for g in out])
            search = Search(round_model, grid, rng_for(problem.seed, 5, r))
            search.descend(patience=3, max_steps=200)
            grid = search.grid
        out.append(to_grouping(model, *split_avoid(model, grid)))
    return out


def _fits(slots: list[list[list[int]]], n: int, size: int, rounds: int) -> bool:
    """The schedule partitions 0..n-1 every round with exactly the sizes `match` would use."""
    want = sorted(group_sizes(n, size))
    if len(slots) != rounds:
        return False
    for groups in slots:
        if sorted(len(x) for x in groups) != want:
            return False
        if sorted(p for x in groups for p in x) != list(range(n)):
            return False
    return True


def _relabel(
    model: Model, slots: list[list[list[int]]], rng: np.random.Generator, deadline: float
) -> IntArray:
    """Which person takes each slot: swap search on sum over meetings of the pair costs.

    Relabelling a schedule never creates a repeat inside it, so this only moves mixing, wants,
    avoid pairs and repeats against the history. Floats, since avoid costs times meeting counts
    would overflow int64; the low-order units it may blur only break near-ties.
    """
    n = model.n
    meets = np.zeros((n, n), dtype=np.float64)
    for groups in slots:
        for g in groups:
            idx = np.asarray(g, dtype=np.int64)
            meets[idx[:, None], idx[None, :]] += 1
    np.fill_diagonal(meets, 0)
    idx = np.arange(n, dtype=np.int64)
    cost = model.cost(idx[:, None], idx[None, :]).astype(np.float64)
    label = np.arange(n, dtype=np.int64)
    permuted = cost.copy()
    row = (meets * permuted).sum(axis=1)
    improved = True
    while improved and time.monotonic() < deadline:
        improved = False
        for s in rng.permutation(n):
            a = permuted @ meets[s]
            d = meets @ permuted[s]
            delta = a - row[s] - row + d + 2 * meets[s] * permuted[s]
            delta[s] = 0
            t = int(np.argmin(delta))
            if delta[t] >= -0.5:
                continue
            label[[s, t]] = label[[t, s]]
            permuted[[s, t]] = permuted[[t, s]]
            permuted[:, [s, t]] = permuted[:, [t, s]]
            row = (meets * permuted).sum(axis=1)
            improved = True
    return label
