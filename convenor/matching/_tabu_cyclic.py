"""Search for a cyclic schedule: base rounds whose rotations through Z_m give all the rounds.

The people are k "columns" of m cyclic points (i, x), x in Z_m, plus f fixed points. Rotation
j moves (i, x) to (i, x + j) and leaves the fixed points alone, so each base round yields m
rounds. Every pair then has an orbit, its "class": (i, i', x' - x) for two columns, (i, +-d)
within a column, (fixed t, column i), or two fixed points. The rounds are repeat-free exactly
when the base rounds use each class at most once, never the within-column difference m/2
(whose orbit meets twice), and never put two fixed points together. Searching rounds // m
rounds of classes instead of all the rounds of pairs is far smaller; it is how designs such
as Kirkman triple systems are found by computer.
"""

from __future__ import annotations

import numpy as np

from convenor.matching import _tabu
from convenor.matching._tabu import IntArray


def layouts(n: int, sizes: list[int], rounds: int) -> list[tuple[int, int, int]]:
    """Candidate (m, k, f): a cycle m dividing `rounds`, with n = k*m + f, f fixed points
    fitting one per group and enough columns that a fixed point's group mates can be in
    different columns. Only odd cycles when there are any: an even cycle cannot use the
    within-column difference m/2, and in trials even cycles rarely beat odd ones. Longer
    cycles first, since they leave fewer base rounds to search.
    """
    found: list[tuple[int, int, int]] = []
    for m in sorted(
        (d for d in range(2, rounds + 1) if rounds % d == 0), key=lambda d: (d % 2 == 0, -d)
    ):
        for f in range(len(sizes) + 1):
            k, r = divmod(n - f, m)
            if r == 0 and k >= 1 and (f == 0 or k >= max(sizes) - 1):
                found.append((m, k, f))
                break
    odd = [layout for layout in found if layout[0] % 2]
    return odd or found


def orbits_for(m: int, k: int, f: int) -> _tabu.Orbits:
    """The pair classes of the layout, and which classes repeat whenever used at all."""
    n = k * m + f
    col = np.concatenate((np.arange(k * m) // m, np.full(f, -1)))
    pos = np.concatenate((np.arange(k * m) % m, np.arange(f)))
    fixed = col < 0
    p, q = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    cp, cq, xp, xq = col[p], col[q], pos[p], pos[q]
    lo, hi = np.minimum(cp, cq), np.maximum(cp, cq)
    diff = np.where(cp <= cq, xq - xp, xp - xq) % m
    within = np.minimum(diff, m - diff)
    mixed_id = (lo * k + hi) * m + diff
    pure_id = k * k * m + cp * m + within
    inf_t = np.where(fixed[p], pos[p], pos[q])
    inf_col = np.where(fixed[p], cq, cp)
    inf_id = 2 * k * k * m + inf_t * k + inf_col
    both_id = 2 * k * k * m + f * k + np.minimum(pos[p], pos[q]) * f + np.maximum(pos[p], pos[q])
    cls = np.where(
        fixed[p] & fixed[q],
        both_id,
        np.where(fixed[p] | fixed[q], inf_id, np.where(cp == cq, pure_id, mixed_id)),
    )
    n_classes = 2 * k * k * m + f * k + f * f
    penalised = np.zeros(n_classes + 1, dtype=bool)
    half = (fixed[p] | fixed[q]) == 0
    half &= (cp == cq) & (m % 2 == 0) & (within == m // 2)
    penalised[cls[half]] = True
    penalised[cls[fixed[p] & fixed[q]]] = True
    np.fill_diagonal(cls, n_classes)
    padded = np.full((n + 1, n + 1), n_classes, dtype=np.int64)
    padded[:n, :n] = cls
    return _tabu.Orbits(cls=padded, penalised=penalised, null=n_classes)


def search(
    sizes: list[int],
    rounds: int,
    layout: tuple[int, int, int],
    *,
    rng: np.random.Generator,
    deadline: float,
    max_iterations: int,
) -> IntArray:
    """Search base rounds for the layout (m, k, f); return their development, rounds x people."""
    m, k, f = layout
    n = k * m + f
    orbits = orbits_for(m, k, f)
    bases = np.stack([_random_round(sizes, k * m, f, rng) for _ in range(rounds // m)])
    w = _tabu.Weights(first=np.zeros((n, n)), again=1.0)
    found = _tabu.search(
        bases,
        len(sizes),
        w,
        rng=rng,
        deadline=deadline,
        max_iterations=max_iterations,
        orbits=orbits,
    )
    return np.concatenate([develop(base, m, k, f, m) for base in found])


def develop(base: IntArray, m: int, k: int, f: int, rounds: int) -> IntArray:
    """The first `rounds` rotations of a base round, as rounds x people -> group."""
    n = k * m + f
    out = np.empty((rounds, n), dtype=np.int64)
    col, pos = np.arange(k * m) // m, np.arange(k * m) % m
    for j in range(rounds):
        out[j, col * m + (pos + j) % m] = base[: k * m]
        out[j, k * m :] = base[k * m :]
    return out


def _random_round(sizes: list[int], cyclic: int, f: int, rng: np.random.Generator) -> IntArray:
    """A random base round with the fixed points in different groups."""
    n = cyclic + f
    grp = np.empty(n, dtype=np.int64)
    slots = np.repeat(np.arange(len(sizes)), sizes)
    # Fixed points take the first slot of f distinct groups; the cyclic points fill the rest.
    firsts = np.cumsum([0, *sizes[:-1]])
    chosen = rng.choice(len(sizes), f, replace=False)
    grp[cyclic:] = chosen
    rest = np.delete(slots, firsts[chosen])
    grp[:cyclic] = rng.permutation(rest)
    return grp
