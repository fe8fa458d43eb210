"""Numeric model of a Problem: people as ints 0..n-1 and pair costs that encode the priorities.

A pair's cost is a single int64 whose magnitudes keep the priorities apart: an avoid pair costs
more than any number of repeats a grouping could hold, a repeat more than any mixing, and so on
down to a "want" pair, which earns a bonus of one unit. Index `n` is a padding slot that costs
nothing with anyone, so groups of different sizes fit one rectangular array.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import chain, combinations, repeat

import numpy as np

# Imported by name so numpy.random loads with the engine, not lazily inside the first call.
from numpy.random import Generator, default_rng
from numpy.typing import NDArray

from .types import HistoryRound, MatchingError, PersonId, Problem

IntArray = NDArray[np.int64]

AVOID_COST = 10**16
# Mixing levels and repeats share a budget of about 10**6 units below one repeat, split evenly
# between the mix columns so that many columns cannot overflow int64.
_LEVEL_BUDGET = 6
# Above this many people the dense n x n cost table would cost too much memory (8 bytes a cell).
DENSE_MAX = 2500
_COUNT_CAP = 1000


def rng_for(seed: int, *salt: int) -> Generator:
    """A generator determined by the seed (negative seeds allowed) and an optional salt."""
    return default_rng([seed & 0xFFFFFFFFFFFFFFFF, int(seed < 0), *salt])


@dataclass(frozen=True, slots=True)
class Model:
    """People as ints and a vectorised pair-cost function; built once per call."""

    ids: tuple[PersonId, ...]
    index: dict[PersonId, int]
    size: int
    mix: tuple[str, ...]
    codes: IntArray  # (columns, n); -1 where the value is empty, so it never counts as "same"
    weights: IntArray  # (columns,) cost of sharing that column's value
    repeat_unit: int
    hist_keys: IntArray  # sorted pair keys lo*n+hi of pairs that met
    hist_cost: IntArray  # cost of meeting again, aligned with hist_keys
    hist_last: IntArray  # index of the last round in which that pair met
    avoid_keys: IntArray
    want_keys: IntArray
    dense: IntArray | None  # (n+1, n+1) table of pair costs when n is small enough
    seed: int
    groups: int | None = None  # a number of groups asked for (then size is n // groups)

    @property
    def n(self) -> int:
        return len(self.ids)

    def keys(self, i: IntArray, j: IntArray) -> IntArray:
        lo = np.minimum(i, j)
        hi = np.maximum(i, j)
        return lo * self.n + hi

    def cost(self, i: IntArray, j: IntArray) -> IntArray:
        """Pair costs, elementwise; the padding index n and i == j cost 0."""
        if self.dense is not None:
            return self.dense[i, j]
        return self._cost_direct(np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64))

    def _cost_direct(self, i: IntArray, j: IntArray) -> IntArray:
        n = self.n
        i, j = np.broadcast_arrays(i, j)
        if n == 0:
            return np.zeros(i.shape, dtype=np.int64)
        valid = (i < n) & (j < n) & (i != j)
        ii = np.where(valid, i, 0)
        jj = np.where(valid, j, 1 if n > 1 else 0)
        out = np.zeros(ii.shape, dtype=np.int64)
        for col, weight in zip(self.codes, self.weights, strict=True):
            a = col[ii]
            out += np.where((a == col[jj]) & (a >= 0), weight, 0)
        keys = self.keys(ii, jj)
        out += _lookup(self.hist_keys, self.hist_cost, keys)
        if self.avoid_keys.size:
            out += np.where(member(self.avoid_keys, keys), AVOID_COST, 0)
        if self.want_keys.size:
            out -= member(self.want_keys, keys).astype(np.int64)
        return np.where(valid, out, 0)

    def avoid_mask(self, i: IntArray, j: IntArray) -> NDArray[np.bool_]:
        return np.asarray(member(self.avoid_keys, self.keys(i, j)) & (i != j), dtype=bool)

    def group_cost(self, groups: IntArray) -> IntArray:
        """Cost of each row of a padded (groups, width) array: the sum over its pairs."""
        c = self.cost(groups[:, :, None], groups[:, None, :])
        return np.asarray(c.sum(axis=(1, 2)) // 2, dtype=np.int64)


def distinct(values: IntArray) -> IntArray:
    """Sorted distinct values (np.unique imports numpy.ma on first use: 0.2 s we can skip)."""
    out = np.sort(values)
    return out[np.diff(out, prepend=out[:1] - 1) != 0] if out.size else out


def member(sorted_keys: IntArray, keys: IntArray) -> NDArray[np.bool_]:
    if sorted_keys.size == 0:
        return np.zeros(np.shape(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return np.asarray(sorted_keys[pos] == keys)


def _lookup(sorted_keys: IntArray, values: IntArray, keys: IntArray) -> IntArray:
    if sorted_keys.size == 0:
        return np.zeros(np.shape(keys), dtype=np.int64)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
    return np.where(sorted_keys[pos] == keys, values[pos], 0)


def validate(problem: Problem) -> None:
    """Raise MatchingError naming the first problem with the input, if any."""
    if not isinstance(problem.size, int) or isinstance(problem.size, bool) or problem.size < 2:
        raise MatchingError(
            f"group size must be a whole number of at least 2, got {problem.size!r}"
        )
    if not isinstance(problem.seed, int) or isinstance(problem.seed, bool):
        raise MatchingError(f"seed must be a whole number, got {problem.seed!r}")
    groups = problem.groups
    if groups is not None and (
        not isinstance(groups, int) or isinstance(groups, bool) or groups < 1
    ):
        raise MatchingError(
            f"the number of groups must be a whole number of at least 1, got {groups!r}"
        )
    if groups is not None and len(problem.people) // groups < 2:
        raise MatchingError(
            f"{len(problem.people)} people cannot make {groups} groups of at least 2"
        )
    seen: set[PersonId] = set()
    for person in problem.people:
        if not isinstance(person.id, str) or not person.id:
            raise MatchingError(f"every person needs a non-empty string id, got {person.id!r}")
        if person.id in seen:
            raise MatchingError(
                f"person id {person.id!r} appears more than once; ids must be unique"
            )
        seen.add(person.id)
    for name, pairs in (("avoid", problem.avoid), ("want", problem.want)):
        for pair in pairs:
            if len(pair) != 2:
                raise MatchingError(f"each {name} entry must be a pair of ids, got {pair!r}")
            a, b = pair
            for pid in (a, b):
                if pid not in seen:
                    raise MatchingError(
                        f"{name} pair ({a!r}, {b!r}) names {pid!r}, who is not among the people"
                    )
            if a == b:
                raise MatchingError(f"{name} pair ({a!r}, {b!r}) names the same person twice")
    for r, rnd in enumerate(problem.history):
        # A round given as a group, or a group as an id, would silently read ids letter by letter.
        if isinstance(rnd, str) or str in set(map(type, rnd)):
            raise MatchingError(
                f"history round {r} holds a bare id; history is a list of rounds, each a list "
                "of groups, each a list of ids"
            )
    if len(set(problem.mix)) != len(problem.mix):
        raise MatchingError(f"mix columns must be distinct, got {list(problem.mix)!r}")


def level_weights(columns: int) -> tuple[list[int], int]:
    """Costs of sharing each mix column (first column dearest) and the cost unit of a repeat."""
    base = max(4, round(10 ** (_LEVEL_BUDGET / (columns + 1))))
    weights = [base ** (columns - c) for c in range(columns)]
    return weights, base ** (columns + 1)


def build(
    problem: Problem, extra_history: Sequence[HistoryRound] = (), *, dense: bool | None = None
) -> Model:
    """Validate the problem and build its numeric model (history plus `extra_history` after it)."""
    validate(problem)
    ids = tuple(p.id for p in problem.people)
    n = len(ids)
    index = {pid: i for i, pid in enumerate(ids)}
    mix = tuple(problem.mix)
    codes = attribute_codes(problem)
    weights, repeat_unit = level_weights(len(mix))
    hist_keys, hist_last, hist_count = _history_pairs([*problem.history, *extra_history], index, n)
    rounds = len(problem.history) + len(extra_history)
    hist_cost = _repeat_costs(hist_last, hist_count, rounds, repeat_unit)
    avoid_keys, want_keys = avoid_want_keys(problem, index)
    model = Model(
        ids=ids,
        index=index,
        size=problem.size if problem.groups is None else n // problem.groups,
        mix=mix,
        codes=codes,
        weights=np.asarray(weights, dtype=np.int64),
        repeat_unit=repeat_unit,
        hist_keys=hist_keys,
        hist_cost=hist_cost,
        hist_last=hist_last,
        avoid_keys=avoid_keys,
        want_keys=want_keys,
        dense=None,
        seed=problem.seed,
        groups=problem.groups,
    )
    if dense if dense is not None else n <= DENSE_MAX:
        model = replace(model, dense=_dense_table(model))
    return model


def _dense_table(model: Model) -> IntArray:
    """The (n+1, n+1) cost table: mixing by broadcasting, then the listed pairs scattered in."""
    n = model.n
    table = np.zeros((n + 1, n + 1), dtype=np.int64)
    inner = table[:n, :n]
    for col, weight in zip(model.codes, model.weights, strict=True):
        inner += ((col[:, None] == col[None, :]) & (col[:, None] >= 0)) * weight
    for keys, values in (
        (model.hist_keys, model.hist_cost),
        (model.avoid_keys, np.full(model.avoid_keys.size, AVOID_COST, dtype=np.int64)),
        (model.want_keys, np.full(model.want_keys.size, -1, dtype=np.int64)),
    ):
        lo, hi = keys // n, keys % n
        inner[lo, hi] += values
        inner[hi, lo] += values
    np.fill_diagonal(inner, 0)
    return table


def attribute_codes(problem: Problem) -> IntArray:
    """(mix columns, people) codes of attribute values; -1 for an empty or missing value."""
    codes = np.full((len(problem.mix), len(problem.people)), -1, dtype=np.int64)
    for c, column in enumerate(problem.mix):
        # The empty value takes code 0 here and becomes -1 below.
        values: dict[str, int] = {"": 0}
        raw = [
            values.setdefault(p.attributes.get(column) or "", len(values)) for p in problem.people
        ]
        codes[c] = np.asarray(raw, dtype=np.int64) - 1
    return codes


def avoid_want_keys(problem: Problem, index: dict[str, int]) -> tuple[IntArray, IntArray]:
    """Sorted pair keys of the avoid and want pairs; an avoid pair is never also wanted."""
    n = len(problem.people)
    avoid_keys = _pair_keys(problem.avoid, index, n)
    want_keys = _pair_keys(problem.want, index, n)
    return avoid_keys, want_keys[~member(avoid_keys, want_keys)]


def _pair_keys(
    pairs: Iterable[tuple[PersonId, PersonId]], index: dict[str, int], n: int
) -> IntArray:
    keys = [min(index[a], index[b]) * n + max(index[a], index[b]) for a, b in pairs]
    return distinct(np.asarray(keys, dtype=np.int64))


class GrowingIndex(dict[PersonId, int]):
    """An id -> int index that numbers each unknown id as it is first looked up."""

    def __missing__(self, key: PersonId) -> int:
        self[key] = value = len(self)
        return value


def pair_occurrences(
    rounds: Sequence[HistoryRound], index: dict[str, int], n: int | None = None
) -> tuple[IntArray, IntArray]:
    """Keys lo*n+hi of every pair of known people sharing a group, and the round, sorted.

    Unknown ids are skipped, unless `n` is None: then `index` (a GrowingIndex) numbers them and
    n is its final size. A pair meeting twice in one round (an id listed twice) counts once.
    """
    empty = np.zeros(0, dtype=np.int64)
    # C-level loops (map, chain) keep a million history groups to a fraction of a second.
    lengths: list[int] = []
    round_parts_in: list[IntArray] = [empty]
    for r, groups in enumerate(rounds):
        before = len(lengths)
        lengths.extend(map(len, groups))
        round_parts_in.append(np.full(len(lengths) - before, r, dtype=np.int64))
    total = sum(lengths)
    if not total:
        return empty, empty
    flat = chain.from_iterable(chain.from_iterable(rounds))
    ints = map(index.get, flat, repeat(-1)) if n is not None else map(index.__getitem__, flat)
    people = np.fromiter(ints, dtype=np.int64, count=total)
    n = len(index) if n is None else n
    length_arr = np.asarray(lengths, dtype=np.int64)
    round_arr = np.concatenate(round_parts_in)
    starts = np.concatenate(([0], np.cumsum(length_arr)[:-1]))
    key_parts: list[IntArray] = [empty]
    round_parts: list[IntArray] = [empty]
    for k in distinct(length_arr):
        if k < 2:
            continue
        sel = length_arr == k
        rows = people[starts[sel][:, None] + np.arange(k)]
        rr = round_arr[sel]
        for a, b in combinations(range(int(k)), 2):
            i, j = rows[:, a], rows[:, b]
            ok = (i >= 0) & (j >= 0) & (i != j)
            key_parts.append(np.minimum(i, j)[ok] * n + np.maximum(i, j)[ok])
            round_parts.append(rr[ok])
    combined = np.concatenate(key_parts) * len(rounds) + np.concatenate(round_parts)
    combined.sort()
    combined = combined[np.diff(combined, prepend=-1) != 0]
    return combined // len(rounds), combined % len(rounds)


def _history_pairs(
    rounds: Sequence[HistoryRound], index: dict[str, int], n: int
) -> tuple[IntArray, IntArray, IntArray]:
    """Sorted keys of pairs of present people who met, their last round and meeting count."""
    keys, rnds = pair_occurrences(rounds, index, n)
    if keys.size == 0:
        return keys, rnds, rnds
    last_of_run = np.flatnonzero(np.diff(keys, append=-1) != 0)
    first_of_run = np.concatenate(([0], last_of_run[:-1] + 1))
    return keys[last_of_run], rnds[last_of_run], last_of_run - first_of_run + 1


def _repeat_costs(last: IntArray, count: IntArray, rounds: int, unit: int) -> IntArray:
    """Cost of meeting again: every repeat costs more than `base`, recent and frequent ones more.

    Recency weighs first (meeting last round's partner is the worst), then the number of times.
    """
    if last.size == 0:
        return np.zeros(0, dtype=np.int64)
    cap = min(int(count.max()), _COUNT_CAP)
    units = (last + 1) * (cap + 1) + np.minimum(count, cap)
    base = rounds * (cap + 1) + cap + 1
    return np.asarray((base + units) * unit, dtype=np.int64)
