"""One round: group sizes, a mixing construction and swap local search with delta scoring.

A grouping is a padded (groups, width) int array of people, the pad being index n. Every move
swaps the contents of two slots in different groups (a person with a person, or a person with a
pad, which moves them to a smaller group), so sizes stay within {lo, lo+1} throughout.
"""

from __future__ import annotations

import numpy as np

from ._model import IntArray, Model

# Upper bound on the cells of one batch of move evaluations (memory and time per iteration).
_BATCH_CELLS = 400_000
# Evaluate every pair of groups at each step while that takes at most this many cells.
_FULL_CELLS = 40_000
_INFEASIBLE = np.iinfo(np.int64).max // 4


def group_count(n: int, size: int) -> int:
    """How many groups n people form with target size `size`.

    n // size groups with the remainder spread one per group whenever that keeps every group at
    size or size+1. When it cannot (e.g. 7 people in fours), the count is n // size or one more,
    whichever keeps the sizes closest to `size`; a tie goes to fewer, larger groups. Fewer than
    `size` people (but at least 2) make one group; 0 or 1 people make none.
    """
    if n < 2:
        return 0
    if n <= size:
        return 1
    g, r = divmod(n, size)
    if r <= g:
        return g
    over = -(-n // g) - size
    under = size - n // (g + 1)
    return g if over <= under else g + 1


def group_sizes(n: int, size: int) -> list[int]:
    """The sizes of one round's groups for n people (see `group_count`), largest first."""
    g = group_count(n, size)
    if g == 0:
        return []
    base, extra = divmod(n, g)
    return [base + 1] * extra + [base] * (g - extra)


def arrangement(model: Model, rng: np.random.Generator) -> IntArray:
    """People in a circle whose blocks share the first mix column, blocks ordered by the second.

    Dealing this circle round-robin into g groups puts people g places apart together, so no
    group repeats a value whose block is at most g long: the most mixing the sizes allow.
    """
    n = model.n
    noise = rng.random(n)
    if model.codes.shape[0] == 0:
        return np.argsort(noise, kind="stable").astype(np.int64)
    first = model.codes[0].copy()
    # Someone with an empty value is a block of their own.
    missing = first < 0
    first[missing] = first.max(initial=-1) + 1 + np.arange(int(missing.sum()))
    block_rank = rng.permutation(int(first.max()) + 1)[first]
    if model.codes.shape[0] > 1:
        second = model.codes[1]
        # Each block takes the second-column value of one random member, keeping blocks whole.
        representative = np.full(int(first.max()) + 1, -1, dtype=np.int64)
        shuffled = rng.permutation(n)
        representative[first[shuffled]] = second[shuffled]
        second_rank = rng.permutation(int(max(second.max(initial=0), 0)) + 2)[
            representative[first] + 1
        ]
    else:
        second_rank = np.zeros(n, dtype=np.int64)
    order = np.lexsort((noise, block_rank, second_rank)).astype(np.int64)
    return np.roll(order, int(rng.integers(n)) if n else 0)


def initial(model: Model, order: IntArray, groups: int) -> IntArray:
    """Deal people in `order` round-robin into `groups` rows of a padded array."""
    n = len(order)
    width = -(-n // groups)
    grid = np.full((groups, width), model.n, dtype=np.int64)
    pos = np.arange(n)
    grid[pos % groups, pos // groups] = order
    return grid


def slot_costs(model: Model, grid: IntArray) -> IntArray:
    """Cost of each slot's person with the rest of their group."""
    return np.asarray(model.cost(grid[:, :, None], grid[:, None, :]).sum(axis=2), dtype=np.int64)


def total_cost(model: Model, grid: IntArray) -> int:
    return int(slot_costs(model, grid).sum()) // 2


class Search:
    """Swap local search on a padded grid; moves are evaluated in numpy batches."""

    def __init__(self, model: Model, grid: IntArray, rng: np.random.Generator) -> None:
        self.model = model
        self.grid = grid
        self.rng = rng
        self.sizes = (grid < model.n).sum(axis=1)
        self.lo = int(self.sizes.min()) if len(grid) else 0
        self.inner = slot_costs(model, grid)
        g, w = grid.shape
        self.pairs_all: tuple[IntArray, IntArray] | None = None
        if g * (g - 1) // 2 * w * w <= _FULL_CELLS:
            a, b = np.triu_indices(g, 1)
            self.pairs_all = (a.astype(np.int64), b.astype(np.int64))

    def cost(self) -> int:
        return int(self.inner.sum()) // 2

    def defects(self) -> IntArray:
        return np.flatnonzero(self.inner.sum(axis=1) > 0).astype(np.int64)

    def candidates(self) -> tuple[IntArray, IntArray]:
        """Group pairs to evaluate: all when few, else troubled groups with random partners."""
        if self.pairs_all is not None:
            return self.pairs_all
        g, w = self.grid.shape
        focus = self.defects()
        if focus.size == 0 or focus.size > g // 4:
            focus = np.arange(g, dtype=np.int64)
        k = int(max(1, min(8, _BATCH_CELLS // (focus.size * w * w))))
        a = np.repeat(focus, k)
        b = self.rng.integers(0, g - 1, size=a.size)
        b = b + (b >= a)  # never a group with itself
        return a, b.astype(np.int64)

    def deltas(self, a: IntArray, b: IntArray) -> IntArray:
        """(pairs, width, width) change in cost from swapping slot p of a with slot q of b."""
        n = self.model.n
        ga, gb = self.grid[a], self.grid[b]
        x = self.model.cost(ga[:, :, None], gb[:, None, :])
        d = (
            x.sum(axis=1)[:, None, :]
            - self.inner[a][:, :, None]
            + x.sum(axis=2)[:, :, None]
            - self.inner[b][:, None, :]
            - 2 * x
        )
        pad_a, pad_b = ga == n, gb == n
        full_a = self.sizes[a] > self.lo
        full_b = self.sizes[b] > self.lo
        bad = pad_a[:, :, None] & pad_b[:, None, :]
        bad |= pad_a[:, :, None] & ~full_b[:, None, None]
        bad |= pad_b[:, None, :] & ~full_a[:, None, None]
        return np.where(bad, _INFEASIBLE, d)

    def apply(self, a: IntArray, b: IntArray, p: IntArray, q: IntArray) -> None:
        """Swap slot p of group a with slot q of group b, for disjoint groups."""
        pa = self.grid[a, p].copy()
        self.grid[a, p] = self.grid[b, q]
        self.grid[b, q] = pa
        changed = np.concatenate((a, b))
        self.sizes[changed] = (self.grid[changed] < self.model.n).sum(axis=1)
        self.inner[changed] = slot_costs(self.model, self.grid[changed])

    def step(self) -> bool:
        """Apply a set of disjoint improving swaps; False when none was found."""
        a, b = self.candidates()
        if a.size == 0:
            return False
        d = self.deltas(a, b).reshape(a.size, -1)
        best = np.argmin(d, axis=1)
        gain = d[np.arange(a.size), best]
        live = np.flatnonzero(gain < 0)
        picked: list[IntArray] = []
        used = np.zeros(len(self.grid), dtype=bool)
        # Deltas stay exact for pairs of untouched groups, so several disjoint rounds of
        # mutual-best picks can be taken from one evaluation.
        while live.size:
            chosen = live[_mutual_best(a[live], b[live], gain[live], len(self.grid))]
            picked.append(chosen)
            used[a[chosen]] = used[b[chosen]] = True
            live = live[~used[a[live]] & ~used[b[live]]]
        if not picked:
            return False
        chosen = np.concatenate(picked)
        w = self.grid.shape[1]
        self.apply(a[chosen], b[chosen], best[chosen] // w, best[chosen] % w)
        return True

    def descend(self, patience: int, max_steps: int) -> None:
        stale = 0
        for _ in range(max_steps):
            if self.step():
                stale = 0
            else:
                stale += 1
                if stale >= patience or self.pairs_all is not None:
                    return

    def kick(self, moves: int) -> None:
        """Random swaps, mostly of groups that still cost something, to leave a local optimum."""
        g, w = self.grid.shape
        troubled = self.defects()
        for _ in range(moves):
            a = (
                int(self.rng.choice(troubled))
                if troubled.size and self.rng.random() < 0.8
                else int(self.rng.integers(g))
            )
            b = int(self.rng.integers(g - 1))
            b += b >= a
            d = self.deltas(np.array([a]), np.array([b]))[0]
            options = np.flatnonzero(d.ravel() < _INFEASIBLE)
            if options.size == 0:
                continue
            pick = int(self.rng.choice(options))
            self.apply(np.array([a]), np.array([b]), np.array([pick // w]), np.array([pick % w]))


def _mutual_best(a: IntArray, b: IntArray, gain: IntArray, groups: int) -> IntArray:
    """Candidates that are the best for both their groups: a disjoint set containing the best."""
    m = a.size
    ends = np.concatenate((a, b))
    ids = np.concatenate((np.arange(m), np.arange(m)))
    gains = np.concatenate((gain, gain))
    order = np.lexsort((ids, gains, ends))
    first = np.ones(order.size, dtype=bool)
    first[1:] = ends[order][1:] != ends[order][:-1]
    best_for = np.full(groups, -1, dtype=np.int64)
    best_for[ends[order][first]] = ids[order][first]
    ok = (best_for[a] == np.arange(m)) & (best_for[b] == np.arange(m))
    return np.flatnonzero(ok).astype(np.int64)


def solve(model: Model, rng: np.random.Generator) -> IntArray:
    """A padded grid for everyone in the model: mixing construction, descent, then kicks."""
    n = model.n
    g = group_count(n, model.size) if model.groups is None or n < 2 else model.groups
    if g == 0:
        return np.zeros((0, 1), dtype=np.int64)
    search = Search(model, initial(model, arrangement(model, rng), g), rng)
    if g == 1:
        return search.grid
    search.descend(patience=3, max_steps=200)
    # Iterated local search: only while something still costs, within a fixed (seeded, not
    # timed) budget so that the same input always gives the same output.
    kicks = max(4, min(20, 12_000 // max(n, 1)))
    best, best_cost = search.grid.copy(), search.cost()
    floor = lower_bound(model, g)
    for _ in range(kicks):
        if best_cost <= floor:
            break
        search.kick(moves=2 + int(rng.integers(3)))
        search.descend(patience=2, max_steps=100)
        cost = search.cost()
        if cost < best_cost:
            best, best_cost = search.grid.copy(), cost
        elif cost > best_cost:
            search = Search(model, best.copy(), rng)
    return best


def lower_bound(model: Model, groups: int) -> int:
    """No grouping into `groups` groups costs less than this.

    Each mix column on its own: a value held by m people shares a group with itself at least
    as often as when spread evenly over the groups; and at best every want pair is together.
    """
    floor = -int(model.want_keys.size)
    for codes, weight in zip(model.codes, model.weights, strict=True):
        counts = np.bincount(codes[codes >= 0])
        q, r = np.divmod(counts, groups)
        pairs = r * (q + 1) * q // 2 + (groups - r) * q * (q - 1) // 2
        floor += int(weight) * int(pairs.sum())
    return floor


def split_avoid(model: Model, grid: IntArray) -> tuple[IntArray, list[int]]:
    """The grid with avoid pairs broken up, and the people no group could then take.

    Only does anything when the search could not find an avoid-free grouping: a person is
    taken out of a group holding someone they avoid and put into the cheapest group with room
    (at most size+1 members) that holds nobody they avoid; failing that they are unmatched.
    """
    n = model.n
    if model.avoid_keys.size == 0 or grid.size == 0:
        return grid, []
    if not model.avoid_mask(grid[:, :, None], grid[:, None, :]).any():
        return grid, []
    groups = [[int(p) for p in row if p < n] for row in grid]
    removed: list[int] = []
    for group in groups:
        while len(group) > 1:
            arr = np.asarray(group, dtype=np.int64)
            clash = model.avoid_mask(arr[:, None], arr[None, :]).sum(axis=1)
            if clash.max() == 0:
                break
            removed.append(group.pop(int(np.flatnonzero(clash == clash.max())[-1])))
    unmatched: list[int] = []
    for person in removed:
        best: tuple[int, int] | None = None
        for gi, group in enumerate(groups):
            if len(group) < 2 or len(group) > model.size:
                continue
            arr = np.asarray(group, dtype=np.int64)
            others = np.full(arr.size, person, dtype=np.int64)
            if model.avoid_mask(others, arr).any():
                continue
            cost = int(model.cost(others, arr).sum())
            if best is None or cost < best[0]:
                best = (cost, gi)
        if best is None:
            unmatched.append(person)
        else:
            groups[best[1]].append(person)
    kept = [g for g in groups if len(g) >= 2]
    unmatched.extend(p for g in groups if len(g) == 1 for p in g)
    return padded(kept, n), unmatched


def padded(groups: list[list[int]], pad: int) -> IntArray:
    """Groups of different sizes as one (groups, largest size) array filled out with `pad`."""
    width = max((len(g) for g in groups), default=1)
    grid = np.full((len(groups), width), pad, dtype=np.int64)
    for i, g in enumerate(groups):
        grid[i, : len(g)] = g
    return grid
