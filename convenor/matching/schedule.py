"""Plan several rounds of groups at once so that, as far as possible, nobody meets twice.

`schedule` returns a known design outright when one covers the rounds (designs.py).
Otherwise it runs a portfolio of searches with growing budgets until the plan is repeat-free,
provably has the fewest repeats possible, or time is up: searches for cyclic designs
(_tabu_cyclic.py), and a tabu search (_tabu.py) started from the design's rounds (renamed
to dodge the history) followed by greedy rounds.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from convenor.matching import _tabu, _tabu_cyclic
from convenor.matching.designs import best_design, design_rounds

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Renaming a design's people costs O(n^2) a step; for larger n the tabu search repairs
# clashes with the history faster than renaming does.
RELABEL_MAX_PEOPLE = 400
# The greedy start's "freedom" term is a cubic matrix product.
FREEDOM_MAX_PEOPLE = 250
# The cyclic search rescores all n^2 pairs' classes after every move.
CYCLIC_MAX_PEOPLE = 300
# Searches keep several n x n tables (8 bytes a cell): at 3000 people the peak is ~0.6 GiB.
SEARCH_MAX_PEOPLE = 3000


def group_sizes(n: int, size: int) -> list[int]:
    """Sizes of one round's groups: n // size groups, the remainder spread one per group.

    When that would need more than one extra per group (e.g. 7 people in fours), the count is
    n // size or one more, whichever keeps the sizes closest to `size` (a tie goes to fewer,
    larger groups), sizes differing by at most one: the same rule as `match`. Fewer than `size`
    people form one group; a lone person is a group of one; nobody forms no group.
    """
    if n == 0:
        return []
    n_groups, extra = divmod(n, size)
    if n_groups == 0:
        n_groups = 1
    elif extra > n_groups:
        over = -(-n // n_groups) - size
        under = size - n // (n_groups + 1)
        n_groups += over > under
    base, extra = divmod(n, n_groups)
    return [base + 1] * extra + [base] * (n_groups - extra)


def schedule(
    n: int,
    size: int,
    rounds: int,
    *,
    seed: int = 0,
    met: Mapping[tuple[int, int], int] | None = None,
    time_limit: float = 10.0,
) -> list[list[list[int]]]:
    """`rounds` rounds partitioning people 0..n-1 into groups of `size` (see group_sizes).

    Priorities: no pair meets twice, nor meets a pair in `met` ((i, j) with i < j -> the round
    they last met; higher is more recent); when repeats are unavoidable, as few as possible and
    of pairs that met longest ago (repeats inside the plan count as most recent, and the rounds
    are then ordered to keep a plan's own repeats far apart). The seed relabels designs and
    drives the search. Caveats: the result is deterministic for a seed unless `time_limit`
    cuts the search short, since how far it got then depends on the machine; searches keep
    n x n tables, so past SEARCH_MAX_PEOPLE only plans a design covers are offered (else
    ValueError). A lone person (n == 1) is a group of one; the caller reports them as
    unmatched.
    """
    _validate(n, size, rounds, met, time_limit)
    if rounds == 0:
        return []
    sizes = group_sizes(n, size)
    if len(sizes) <= 1:
        return [[list(range(n))] if n else [] for _ in range(rounds)]
    deadline = time.monotonic() + time_limit
    has_history = bool(met)

    design = _from_design(n, size, sizes, rounds, np.random.default_rng([seed, 0]))
    if design is not None and not has_history:
        grp, n_design, complete = design
        # Designs are repeat-free unless people beyond the design had to be added to it.
        if n_design >= rounds and not _has_extras(n, size, sizes):
            return _to_lists(grp[:rounds], len(sizes))
        if complete:
            # Every pair met once in the design, so cycling it repeats each pair as late as
            # possible: the fewest repeats there can be, of the pairs that met longest ago.
            return _to_lists(grp[np.arange(rounds) % n_design], len(sizes))
    if n > SEARCH_MAX_PEOPLE:
        raise ValueError(
            f"no design covers {rounds} rounds of {n} people in groups of {size}, and searching"
            f" for a plan needs n x n tables: beyond {SEARCH_MAX_PEOPLE} people, plan round by"
            " round"
        )
    recency = _recency(n, met or {})
    weights = _tabu.make_weights(recency, rounds, size)

    floor = _floor(n, sizes, rounds, recency)
    cyclic = floor == 0 and n <= CYCLIC_MAX_PEOPLE
    layouts = _tabu_cyclic.layouts(n, sizes, rounds) if cyclic else []
    best: IntArray | None = None
    best_cost = np.inf
    # A portfolio of restarts with doubling iteration budgets: cyclic searches (which find
    # designs like Kirkman's quickly when they exist; with history, renamed to dodge it and
    # then repaired by the general search), then the general search from the design and a
    # greedy start.
    # Budgets count iterations, not seconds, so a plan found before the time limit does not
    # depend on the machine's speed.
    for attempt in itertools.count():
        budget = 2000 * 2**attempt
        # With history the general search, which sees it, goes first.
        members = range(len(layouts) + 1) if has_history else range(len(layouts), -1, -1)
        for member in members:
            rng = np.random.default_rng([seed, attempt, member])
            if member == 0:
                start = _start(n, sizes, rounds, weights, design, rng, deadline, time_limit)
                plan = _tabu.search(
                    start,
                    len(sizes),
                    weights,
                    rng=rng,
                    deadline=deadline,
                    floor=floor,
                    max_iterations=budget,
                )
            else:
                found = _tabu_cyclic.search(
                    sizes,
                    rounds,
                    layouts[member - 1],
                    rng=rng,
                    deadline=deadline,
                    max_iterations=budget,
                )
                plan = found[:, rng.permutation(n)]
                if has_history:
                    if n <= RELABEL_MAX_PEOPLE:
                        until = min(deadline, time.monotonic() + 0.2 * time_limit)
                        plan = _relabel(plan, weights, rng, until)
                    plan = _tabu.search(
                        plan,
                        len(sizes),
                        weights,
                        rng=rng,
                        deadline=deadline,
                        floor=floor,
                        max_iterations=budget,
                    )
            cost = _tabu.total_cost(_tabu.pair_counts(plan), weights)
            if cost < best_cost:
                best, best_cost = plan, cost
            if best_cost - floor < 1.0 or time.monotonic() >= deadline:
                assert best is not None
                return _to_lists(_spread_repeats(best), len(sizes))
    raise AssertionError("unreachable")


def _spread_repeats(grp: IntArray) -> IntArray:
    """The same rounds reordered so that pairs meeting more than once do so far apart.

    Reordering changes no count, only which repeats are recent: it minimises the sum over
    repeated pairs of 1 / (rounds between two of their meetings), by best-swap descent.
    """
    n_rounds, n = grp.shape
    c = _tabu.pair_counts(grp)
    if n_rounds < 3 or c.max() < 2:
        return grp
    repeated = np.triu(c >= 2, 1)
    # shared[a, b]: repeated pairs meeting in both rounds a and b.
    same = [(row[:, None] == row[None, :])[repeated] for row in grp]
    flags = np.array(same, dtype=np.float64)  # rounds x repeated pairs
    shared = flags @ flags.T
    np.fill_diagonal(shared, 0.0)
    pos = np.arange(n_rounds)
    places = np.arange(n_rounds)
    while True:
        dist = np.abs(places[:, None] - pos[None, :]).astype(np.float64)
        inv = np.divide(1.0, dist, out=np.zeros_like(dist), where=dist > 0)
        t = shared @ inv.T  # t[a, p]: cost of a's shared pairs were a at place p
        x = t[:, pos]
        gap = np.abs(pos[:, None] - pos[None, :]).astype(np.float64)
        tied = np.divide(shared, gap, out=np.zeros_like(gap), where=gap > 0)
        delta = x + x.T - np.diag(x)[:, None] - np.diag(x)[None, :] + 2.0 * tied
        np.fill_diagonal(delta, 0.0)
        a, b = np.unravel_index(int(np.argmin(delta)), delta.shape)
        if delta[a, b] > -1e-9:
            break
        pos[[a, b]] = pos[[b, a]]
    out = np.empty_like(grp)
    out[pos] = grp
    return out


def _start(
    n: int,
    sizes: list[int],
    rounds: int,
    weights: _tabu.Weights,
    design: tuple[IntArray, int, bool] | None,
    rng: np.random.Generator,
    deadline: float,
    time_limit: float,
) -> IntArray:
    """A starting plan: the design's rounds (renamed to dodge `met`), then greedy rounds."""
    plan = np.zeros((rounds, n), dtype=np.int64)
    done = 0
    if design is not None:
        grp, n_design, _ = design
        done = min(rounds, n_design)
        grp = grp[:done][rng.permutation(done)][:, rng.permutation(n)]
        if weights.first.any() and n <= RELABEL_MAX_PEOPLE:
            relabel_until = min(deadline, time.monotonic() + 0.2 * time_limit)
            grp = _relabel(grp, weights, rng, relabel_until)
        plan[:done] = grp
    counts = _tabu.pair_counts(plan[:done]) if done else np.zeros((n, n), dtype=np.int64)
    slots = np.repeat(np.arange(len(sizes)), sizes)
    for r in range(done, rounds):
        if time.monotonic() < deadline:
            plan[r] = _greedy_round(sizes, counts, weights, rng)
        else:
            plan[r] = rng.permutation(slots)  # out of time: any valid round will do
        counts += plan[r][:, None] == plan[r][None, :]
        np.fill_diagonal(counts, 0)
    return plan


def _validate(
    n: int, size: int, rounds: int, met: Mapping[tuple[int, int], int] | None, time_limit: float
) -> None:
    for name, value in (("n", n), ("size", size), ("rounds", rounds)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must be an int, got {value!r}")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if size < 2:
        raise ValueError(f"size must be >= 2, got {size}")
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    for pair, when in (met or {}).items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"met keys must be pairs (i, j), got {pair!r}")
        i, j = pair
        if not (isinstance(i, int | np.integer) and isinstance(j, int | np.integer)):
            raise ValueError(f"met pair {pair!r} must hold two person numbers")
        if not 0 <= i < j < n:
            raise ValueError(f"met pair {pair!r} must satisfy 0 <= i < j < n = {n}")
        if not isinstance(when, int | np.integer) or isinstance(when, bool):
            raise ValueError(f"met round for {pair!r} must be an int, got {when!r}")


def _recency(n: int, met: Mapping[tuple[int, int], int]) -> FloatArray:
    """n x n matrix: 0 for pairs that never met, else (rank + 1) / ranks, 1 = most recent."""
    rec = np.zeros((n, n))
    if not met:
        return rec
    order = {when: k for k, when in enumerate(sorted(set(met.values())))}
    for (i, j), when in met.items():
        rec[i, j] = rec[j, i] = (order[when] + 1) / len(order)
    return rec


def _from_design(
    n: int, size: int, sizes: list[int], rounds: int, rng: np.random.Generator
) -> tuple[IntArray, int, bool] | None:
    """Up to `rounds` of the best design's rounds, in random order and relabelled, or None.

    Returns (rounds x n array, number of design rounds, whether the design meets every pair).
    Where n is not a multiple of size, the design covers n // size * size people and the rest
    are added one per group, each into the group it has met least.
    """
    n_groups = len(sizes)
    base = _design_people(n, size, sizes)
    total = design_rounds(base, size)
    design = best_design(base, size, rounds)
    if design is None or any(len(r) != n_groups for r in design) or not 0 <= n - base <= n_groups:
        return None
    if base < n and n > SEARCH_MAX_PEOPLE:
        return None  # placing the extra people keeps an n x n table of meetings
    perm = rng.permutation(n)
    order = rng.permutation(len(design))
    grp = np.zeros((len(order), n), dtype=np.int64)
    group_ids = np.arange(n_groups)
    uniform = len({len(g) for groups in design for g in groups}) == 1
    for out, r in enumerate(order):
        if uniform:
            grp[out, perm[np.asarray(design[r])]] = group_ids[:, None]
        else:
            people = list(itertools.chain.from_iterable(design[r]))
            grp[out, perm[people]] = np.repeat(group_ids, [len(g) for g in design[r]])
    extras = perm[base:]
    complete = not len(extras) and total * sum(s * (s - 1) // 2 for s in sizes) == (
        n * (n - 1) // 2
    )
    if len(extras):
        counts = np.zeros((n, n), dtype=np.int64)
        for r in range(len(order)):
            taken = np.zeros(n_groups, dtype=bool)
            for e in extras:
                onehot = grp[r][:, None] == np.arange(n_groups)[None, :]
                met_in = (counts[e][:, None] * onehot).sum(axis=0).astype(np.float64)
                met_in[taken] = np.inf
                g = int(np.argmin(met_in + rng.random(n_groups) * 0.5))
                grp[r, e] = g
                taken[g] = True
            counts += grp[r][:, None] == grp[r][None, :]
    return grp, total, complete


def _design_people(n: int, size: int, sizes: list[int]) -> int:
    """How many people a design is sought for; the rest are added to its groups."""
    if size == 2:
        return n - 1 if n % 2 and not design_rounds(n, size) else n
    return len(sizes) * size


def _has_extras(n: int, size: int, sizes: list[int]) -> bool:
    return _design_people(n, size, sizes) != n


def _relabel(
    grp: IntArray, w: _tabu.Weights, rng: np.random.Generator, deadline: float
) -> IntArray:
    """Rename people in a repeat-free block of rounds so it meets as few `met` pairs as possible.

    Renaming never creates a repeat inside the block, so this is a search over permutations
    (a quadratic assignment): swap the names of two people, keeping the best swap not recently
    made. Stops when no met pair meets, at the deadline, or after a long run with no gain.
    """
    n = grp.shape[1]
    d = _tabu.pair_counts(grp).astype(np.float64)
    names = np.arange(n)
    p = w.first.copy()  # p[i, j]: cost if positions i and j (named names[i], names[j]) meet
    best_cost = current = float((d * p).sum() / 2)
    best_names = names.copy()
    tabu_until = np.zeros(n, dtype=np.int64)
    it = since = 0
    dp = d @ p
    while current > 0 and since < 50 * n and time.monotonic() < deadline:
        it += 1
        diag = np.diag(dp)
        delta = dp + dp.T - diag[:, None] - diag[None, :] + 2.0 * d * p
        np.fill_diagonal(delta, np.inf)
        free = tabu_until <= it
        ok = (free[:, None] & free[None, :]) | (current + delta < best_cost - 1e-12)
        scored = np.where(ok, delta, np.inf)
        low = scored.min()
        if not np.isfinite(low):
            break
        choices = np.flatnonzero(scored <= low + 1e-12)
        a, b = np.unravel_index(choices[rng.integers(len(choices))], scored.shape)
        names[[a, b]] = names[[b, a]]
        # Swapping rows a, b of p shifts every column of d @ p by a rank-one term; columns
        # a and b also swap entries, so those two are recomputed.
        dp += np.outer(d[:, a] - d[:, b], p[b] - p[a])
        p[[a, b], :] = p[[b, a], :]
        p[:, [a, b]] = p[:, [b, a]]
        dp[:, [a, b]] = d @ p[:, [a, b]]
        current += float(low)
        tabu_until[[a, b]] = it + int(rng.integers(5, 15))
        if current < best_cost - 1e-12:
            best_cost, best_names, since = current, names.copy(), 0
        else:
            since += 1
    # Position i is now person best_names[i]: person best_names[i] takes position i's groups.
    out = np.empty_like(grp)
    out[:, best_names] = grp
    return out


def _greedy_round(
    sizes: list[int], counts: IntArray, w: _tabu.Weights, rng: np.random.Generator
) -> IntArray:
    """One round built group by group, each time adding whoever adds the least cost.

    Ties go to the person sharing the most "freedom" with the group (Triska & Musliu 2012):
    people neither has met yet, which keeps partners available for later rounds.
    """
    n = counts.shape[0]
    add = np.where(counts == 0, w.first, w.again)
    unmet = ((counts == 0) & (w.first == 0)).astype(np.float64)
    np.fill_diagonal(unmet, 0.0)
    freedom = unmet @ unmet.T if n <= FREEDOM_MAX_PEOPLE else np.zeros((n, n))
    scale = 1.0 / (n + 1.0)
    grp = np.full(n, -1, dtype=np.int64)
    free = np.ones(n, dtype=bool)
    met_so_far = (counts > 0).sum(axis=1) + (w.first > 0).sum(axis=1) + rng.random(n)
    for g, s in enumerate(sizes):
        # Start each group from the most constrained person left: the one who has met the most.
        first = int(np.argmax(np.where(free, met_so_far, -np.inf)))
        group = [first]
        free[first] = False
        # Running sums over the group's members (rows, as add and freedom are symmetric).
        cost_in = add[first].copy()
        shared = freedom[first].copy()
        while len(group) < s:
            score = cost_in - scale * shared / (n * len(group) + 1.0)
            score += rng.random(n) * scale * 1e-3
            pick = int(np.argmin(np.where(free, score, np.inf)))
            group.append(pick)
            free[pick] = False
            cost_in += add[pick]
            shared += freedom[pick]
        grp[group] = g
    return grp


# Most repeat-free rounds where that is less than counting allows: (people, sizes) -> rounds.
_KNOWN_LIMITS = {(36, (6,) * 6): 3, (5, (2, 3)): 1, (7, (2, 2, 3)): 3}


def _floor(n: int, sizes: list[int], rounds: int, recency: FloatArray) -> float:
    """A lower bound on the number of repeats any plan must have.

    A plan's pair meetings beyond the number of fresh pairs must repeat; and each person meets
    at least (smallest size - 1) people a round, so beyond their fresh partners they repeat.
    Beyond those counts, some limits are known: six groups of six cannot go beyond three
    rounds (there are no two orthogonal Latin squares of order 6), and pairs plus a three
    cannot go beyond one round for 5 people or three for 7 (exhaustive search).
    """
    met = recency > 0
    meetings = rounds * sum(s * (s - 1) // 2 for s in sizes)
    fresh = n * (n - 1) // 2 - int(met.sum()) // 2
    by_pairs = meetings - fresh
    fresh_each = n - 1 - met.sum(axis=1)
    by_person = int(np.maximum(rounds * (min(sizes) - 1) - fresh_each, 0).sum()) // 2
    floor = max(0, by_pairs, by_person)
    known_limit = _KNOWN_LIMITS.get((n, tuple(sorted(sizes))))
    if known_limit is not None and rounds > known_limit:
        floor = max(floor, 1)
    return float(floor)


def _to_lists(grp: IntArray, n_groups: int) -> list[list[list[int]]]:
    """Rounds as lists of groups, each group ascending and groups ordered by first member."""
    rounds: list[list[list[int]]] = []
    for row in grp:
        order = np.argsort(row, kind="stable")  # people by group, ascending within each
        ends = np.cumsum(np.bincount(row, minlength=n_groups))
        starts = ends - np.bincount(row, minlength=n_groups)
        by_first = np.argsort(order[starts])
        people = order.tolist()
        bounds = list(zip(starts[by_first].tolist(), ends[by_first].tolist(), strict=True))
        rounds.append([people[a:b] for a, b in bounds])
    return rounds
