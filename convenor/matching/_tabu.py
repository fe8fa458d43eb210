"""Swap-based tabu search over a multi-round schedule, with numpy-vectorised delta scoring.

After Dotú & Van Hentenryck (2005): a move swaps two people in different groups of one round;
only moves of someone currently in a repeat are scored; a moved person stays put in that round
for a few iterations unless the move beats the best cost seen; when the search stalls it
restarts from the best schedule shaken by a few random swaps.

Cost of a pair that meets c times in the schedule: its first meeting costs `first[i, j]`
(zero unless the pair met before the schedule) and every later one `again`. Both are one
repeat plus a small recency surcharge, so the number of repeats dominates and, among equal
counts, repeating a pair that met longer ago is cheaper.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# Scoring every conflicting (round, person) is wasteful when a start has thousands of them;
# a random sample of this many keeps each iteration cheap and the search still greedy enough.
MAX_CONFLICTS_SCORED = 96
# Tuned on 6-4-6, 6-3-8, 7-3-10 and 10-3-13 (iterations to a repeat-free plan, 8 seeds each):
# a short random tenure, and a restart from the shaken best after 10 * n idle iterations.
TENURE = (2, 6)
STALL_PER_PERSON = 10


@dataclass(frozen=True, slots=True)
class Weights:
    """What a meeting costs: `first[i, j]` for a pair's first meeting in the schedule (zero
    unless it met before), `again` for each later one.
    """

    first: FloatArray
    again: float


def make_weights(met_recency: FloatArray, rounds: int, size: int) -> Weights:
    """Weights from met_recency[i, j] in (0, 1] for pairs that met before (higher = more
    recent), 0 for pairs that did not. Surcharges together stay below one repeat.
    """
    n = met_recency.shape[0]
    eps = 0.25 / (rounds * n * (size + 1) + 1)
    first = np.where(met_recency > 0, 1.0 + eps * met_recency, 0.0)
    np.fill_diagonal(first, 0.0)
    # In-schedule repeats are more recent than any history, so they carry the top surcharge.
    return Weights(first=first, again=1.0 + 2.0 * eps)


def pair_counts(grp: IntArray) -> IntArray:
    """How often each pair shares a group, as an n x n matrix with a zero diagonal."""
    n = grp.shape[1]
    c = np.zeros((n + 1, n + 1), dtype=np.int64)  # person n pads short groups
    for row in grp:
        members = _members(row)
        # Within one round each pair occurs once, so a plain indexed increment is exact.
        c[members[:, :, None], members[:, None, :]] += 1
    c = c[:n, :n]
    np.fill_diagonal(c, 0)
    return c


def _members(row: IntArray) -> IntArray:
    """groups x largest-size matrix of each group's people, padded with len(row)."""
    n = len(row)
    sizes = np.bincount(row)
    order = np.argsort(row, kind="stable")
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    offsets = np.arange(sizes.max())
    index = starts[:, None] + offsets[None, :]
    valid = offsets[None, :] < sizes[:, None]
    return np.where(valid, order[np.minimum(index, n - 1)], n)


def total_cost(c: IntArray, w: Weights) -> float:
    """Cost of a count matrix, each pair counted once."""
    per_pair = np.where(c >= 1, w.first + (c - 1) * w.again, 0.0)
    return float(np.triu(per_pair, 1).sum())


@dataclass(frozen=True, slots=True)
class Orbits:
    """Pairs grouped into classes that must each be used at most once (see _tabu_cyclic).

    `cls[p, q]` is the class of pair (p, q), padded to (n+1) x (n+1) with class `null` for the
    dummy person n and the diagonal; `penalised[k]` marks classes every use of which repeats.
    """

    cls: IntArray
    penalised: npt.NDArray[np.bool_]
    null: int


class _State:
    """The schedule plus the incremental tables the move scoring reads."""

    def __init__(
        self, grp: IntArray, n_groups: int, w: Weights, orbits: Orbits | None = None
    ) -> None:
        n_rounds, n = grp.shape
        self.n = n
        self.grp = grp.copy()
        smax = int(max(np.bincount(row, minlength=n_groups).max() for row in grp))
        # members[r, g] lists group g's people, padded with the dummy person n (zero weights).
        self.members = np.full((n_rounds, n_groups, smax), n, dtype=np.int64)
        self.slot = np.zeros((n_rounds, n), dtype=np.int64)
        for r, row in enumerate(grp):
            fill = np.zeros(n_groups, dtype=np.int64)
            for person, g in enumerate(row):
                self.members[r, g, fill[g]] = person
                self.slot[r, person] = fill[g]
                fill[g] += 1
        self.first = np.zeros((n + 1, n + 1))
        self.first[:n, :n] = w.first
        self.again = w.again
        self.c = np.zeros((n + 1, n + 1), dtype=np.int64)
        self.c[:n, :n] = pair_counts(grp)
        self.add = np.where(self.c == 0, self.first, self.again)
        self.add[n, :] = self.add[:, n] = 0.0
        self.rem = np.where(self.c == 1, self.first, np.where(self.c >= 2, self.again, 0.0))
        self.cost = total_cost(self.c[:n, :n], w)
        self.round_index = np.arange(n_rounds)[:, None]
        self.people3 = np.arange(n)[None, :, None]
        self.orbits = orbits
        if orbits is not None:
            same = np.zeros((n + 1, n + 1), dtype=bool)
            same[:n, :n] = np.triu(self.c[:n, :n] > 0, 1)
            self.class_counts = np.zeros(orbits.null + 1, dtype=np.int64)
            np.add.at(self.class_counts, orbits.cls[same], self.c[same])
            self._refresh_classes()

    def _refresh_classes(self) -> None:
        assert self.orbits is not None
        cc, pen = self.class_counts, self.orbits.penalised
        add = np.where(pen | (cc >= 1), 1.0, 0.0)
        rem = np.where(pen | (cc >= 2), 1.0, 0.0)
        add[self.orbits.null] = rem[self.orbits.null] = 0.0
        self.add, self.rem = add[self.orbits.cls], rem[self.orbits.cls]
        extra = np.where(pen, cc, np.maximum(cc - 1, 0))
        extra[self.orbits.null] = 0
        self.cost = float(extra.sum())

    def own(self) -> FloatArray:
        """own[r, i]: what person i's current meetings in round r cost at the margin."""
        mates = self.members[self.round_index, self.grp]  # (rounds, people, smax)
        return self.rem[self.people3, mates].sum(axis=2)

    def swap(self, r: int, a: int, b: int, delta: float) -> None:
        ga, gb = int(self.grp[r, a]), int(self.grp[r, b])
        sa, sb = int(self.slot[r, a]), int(self.slot[r, b])
        mates_a = self.members[r, ga]
        mates_a = mates_a[(mates_a != a) & (mates_a != self.n)]
        mates_b = self.members[r, gb]
        mates_b = mates_b[(mates_b != b) & (mates_b != self.n)]
        la, lb = len(mates_a), len(mates_b)
        # The four sets of pairs whose counts change are disjoint, so one indexed update will do.
        ps = np.repeat(np.array([a, b, b, a]), [la, la, lb, lb])
        qs = np.concatenate((mates_a, mates_a, mates_b, mates_b))
        steps = np.repeat(np.array([-1, 1, -1, 1]), [la, la, lb, lb])
        cs = self.c[ps, qs] + steps
        self.c[ps, qs] = self.c[qs, ps] = cs
        self.grp[r, a], self.grp[r, b] = gb, ga
        self.members[r, ga, sa], self.members[r, gb, sb] = b, a
        self.slot[r, a], self.slot[r, b] = sb, sa
        if self.orbits is not None:
            # Changed pairs may share a class, so costs are recounted rather than estimated.
            np.add.at(self.class_counts, self.orbits.cls[ps, qs], steps)
            self._refresh_classes()
            return
        self.cost += delta
        first = self.first[ps, qs]
        self.add[ps, qs] = self.add[qs, ps] = np.where(cs == 0, first, self.again)
        rem = np.where(cs == 1, first, np.where(cs >= 2, self.again, 0.0))
        self.rem[ps, qs] = self.rem[qs, ps] = rem


def search(
    grp: IntArray,
    n_groups: int,
    w: Weights,
    *,
    rng: np.random.Generator,
    deadline: float,
    floor: float = 0.0,
    patience: int | None = None,
    max_iterations: int | None = None,
    orbits: Orbits | None = None,
) -> IntArray:
    """Improve grp (rounds x people -> group index) and return the best schedule found.

    Stops at `deadline` (a time.monotonic() value), after `max_iterations`, at cost 0, or when
    the best cost is within one repeat of `floor` (a proven lower bound) and `patience`
    iterations (by default 20 per person) brought no gain in the recency surcharges.
    With `orbits`, the cost counts reused classes instead of repeated pairs (weights unused).
    """
    n_rounds, n = grp.shape
    if n_groups < 2 or n_rounds == 0 or n < 3:
        return grp.copy()
    st = _State(grp, n_groups, w, orbits)
    best, best_grp = st.cost, st.grp.copy()
    tabu_until = np.zeros((n_rounds, n), dtype=np.int64)
    since_best = 0
    idle_limit = 20 * n + 100 if patience is None else patience
    stall = max(300, STALL_PER_PERSON * n)
    tiny = w.again * 1e-9
    people = np.arange(n)
    it = 0
    while best > tiny and time.monotonic() < deadline:
        if best - floor < 1.0 and since_best > idle_limit:
            break
        if max_iterations is not None and it >= max_iterations:
            break
        it += 1
        own = st.own()
        rs, as_ = np.nonzero(own > tiny)
        if len(rs) == 0:
            break
        if len(rs) > MAX_CONFLICTS_SCORED:
            pick = rng.choice(len(rs), MAX_CONFLICTS_SCORED, replace=False)
            rs, as_ = rs[pick], as_[pick]
        grp_r = st.grp[rs]  # (k, n): every person's group in the conflict's round
        ga = grp_r[np.arange(len(rs)), as_]
        # Cost for a to join each group of its round, then for a to take b's place.
        to_group = st.add[as_[:, None, None], st.members[rs]].sum(axis=2)
        a_joins = to_group[np.arange(len(rs))[:, None], grp_r]
        # Cost for each b to join a's group (a's own term is taken out below).
        a_group = st.members[rs, ga]  # (k, smax)
        b_joins = st.add[people[None, :, None], a_group[:, None, :]].sum(axis=2)
        delta = (
            a_joins
            + b_joins
            - own[rs, as_][:, None]
            - own[rs]
            - 2.0 * st.add[as_[:, None], people[None, :]]
        )
        allowed = grp_r != ga[:, None]
        free = (tabu_until[rs] <= it) & (tabu_until[rs, as_] <= it)[:, None]
        ok = allowed & (free | (st.cost + delta < best - tiny))
        if not ok.any():
            ok = allowed
        scored = np.where(ok, delta, np.inf)
        low = scored.min()
        if not np.isfinite(low):
            break
        choices = np.flatnonzero(scored <= low + tiny)
        k, b = np.unravel_index(choices[rng.integers(len(choices))], scored.shape)
        r, a = int(rs[k]), int(as_[k])
        st.swap(r, a, int(b), float(low))
        tenure = int(rng.integers(*TENURE))
        tabu_until[r, a] = tabu_until[r, b] = it + tenure
        if st.cost < best - tiny:
            best, best_grp = st.cost, st.grp.copy()
            since_best = 0
        else:
            since_best += 1
            if since_best % stall == 0:
                st = _shaken(best_grp, n_groups, w, rng, orbits)
                tabu_until[:] = 0
    return best_grp


def _shaken(
    grp: IntArray, n_groups: int, w: Weights, rng: np.random.Generator, orbits: Orbits | None
) -> _State:
    """A fresh state from grp after a few random swaps, to leave a basin the search is stuck in."""
    grp = grp.copy()
    n_rounds, n = grp.shape
    for _ in range(int(rng.integers(2, 3 + n_rounds))):
        r = int(rng.integers(n_rounds))
        a, b = (int(v) for v in rng.choice(n, 2, replace=False))
        grp[r, a], grp[r, b] = grp[r, b], grp[r, a]
    return _State(grp, n_groups, w, orbits)
