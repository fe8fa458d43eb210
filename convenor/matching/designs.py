"""Combinatorial designs that give many rounds of groups in which no pair meets twice.

Each constructor returns a schedule: a list of rounds, each round a list of groups, each group a
list of people numbered 0..n-1. Every schedule here has two properties that the tests check:
each round partitions all n people (the design is resolvable) and no pair shares a group in
more than one round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from itertools import product

import numpy as np
import numpy.typing as npt

Schedule = list[list[list[int]]]
IntArray = npt.NDArray[np.int64]

# Finite fields are tabulated in full (q x q tables); beyond this the people count (q squared
# or more) is far past anything a workshop schedules in groups of q.
MAX_FIELD_ORDER = 256


def round_robin(n: int, rounds: int | None = None) -> Schedule:
    """The circle method: n-1 rounds of pairs for even n, every pair meeting exactly once.

    `rounds` keeps only the first so many, without building the rest.
    """
    if n < 2 or n % 2:
        raise ValueError(f"round robin needs an even number of people >= 2, got {n}")
    m = n - 1  # person m sits still at the centre; the others rotate around the circle
    m_rounds = m if rounds is None else min(m, rounds)
    r = np.arange(m_rounds)[:, None]
    i = np.arange(1, n // 2)[None, :]
    pairs = np.empty((m_rounds, n // 2, 2), dtype=np.int64)
    pairs[:, 0, 0], pairs[:, 0, 1] = np.arange(m_rounds), m
    pairs[:, 1:, 0], pairs[:, 1:, 1] = (r + i) % m, (r - i) % m
    out: Schedule = pairs.tolist()
    return out


def odd_pairs(n: int, rounds: int | None = None) -> Schedule:
    """n-4 rounds of pairs plus one three for odd n >= 11, no pair meeting twice.

    n-4 is the most possible: a round covers (n+3)/2 pairs and there are n(n-1)/2 in all.
    The design is cyclic over Z_m (m = n-4) with four fixed people m..m+3. Round j holds the
    three {j+3, j-3, j+1} (differences 2, 4, 6), the pairs {j+i, j-i} for 4 <= i <= (m-1)/2
    (difference 2i), and the fixed people paired with j, j-1, j+2, j-2. The differences 2i for
    i = 1..(m-1)/2 cover each difference of Z_m exactly once, so developing the round over Z_m
    never repeats a pair; each fixed person meets each cyclic person once. Everyone in Z_m is in
    the three exactly three times; the fixed people never are, and never meet one another.
    `rounds` keeps only the first so many, without building the rest.
    """
    if n < 11 or n % 2 == 0:
        raise ValueError(f"odd_pairs needs an odd number of people >= 11, got {n}")
    m = n - 4
    out: Schedule = []
    for j in range(m if rounds is None else min(m, rounds)):
        groups = [[(j + 3) % m, (j - 3) % m, (j + 1) % m]]
        groups += [[(j + i) % m, (j - i) % m] for i in range(4, (m - 1) // 2 + 1)]
        groups += [[m, j], [m + 1, (j - 1) % m], [m + 2, (j + 2) % m], [m + 3, (j - 2) % m]]
        out.append(groups)
    return out


def prime_power(q: int) -> tuple[int, int] | None:
    """(p, k) with q == p**k for a prime p, or None."""
    if q < 2:
        return None
    p = next(d for d in range(2, q + 1) if q % d == 0)
    k = 0
    while q % p == 0:
        q //= p
        k += 1
    return (p, k) if q == 1 else None


@dataclass(frozen=True, slots=True)
class Ring:
    """A finite commutative ring tabulated on 0..order-1: a field, or a product of fields.

    Element 0 is zero. `distinct` lists elements whose pairwise differences are all units
    (invertible): for a product of fields, the elements with every component equal to c for
    c below the smallest field order, which bounds the group size of a transversal design.
    """

    order: int
    add: IntArray
    mul: IntArray
    distinct: IntArray


def _poly_mod(a: list[int], m: list[int], p: int) -> list[int]:
    """Remainder of polynomial a modulo monic m over GF(p); lowest coefficient first."""
    a = a[:]
    while len(a) >= len(m):
        lead = a[-1]
        if lead:
            shift = len(a) - len(m)
            for i, c in enumerate(m):
                a[shift + i] = (a[shift + i] - lead * c) % p
        a.pop()
    return a


def _irreducible(p: int, k: int) -> list[int]:
    """The first monic irreducible polynomial of degree k over GF(p), lowest coefficient first."""
    lower = [[*c, 1] for d in range(1, k // 2 + 1) for c in product(range(p), repeat=d)]
    for coeffs in product(range(p), repeat=k):
        poly = [*coeffs, 1]
        if coeffs[0] and all(any(_poly_mod(poly, f, p)) for f in lower):
            return poly
    raise AssertionError(f"no irreducible polynomial of degree {k} over GF({p})")


def field(q: int) -> Ring:
    """GF(q) for a prime power q <= MAX_FIELD_ORDER, elements numbered by base-p digits."""
    pk = prime_power(q)
    if pk is None or q > MAX_FIELD_ORDER:
        raise ValueError(f"GF({q}) needs a prime power no larger than {MAX_FIELD_ORDER}")
    p, k = pk
    idx = np.arange(q)
    if k == 1:
        add = (idx[:, None] + idx[None, :]) % p
        mul = (idx[:, None] * idx[None, :]) % p
        return Ring(q, add.astype(np.int64), mul.astype(np.int64), idx.astype(np.int64))
    # Element e stands for the polynomial whose coefficients are the base-p digits of e.
    digits = np.array([[(e // p**i) % p for i in range(k)] for e in range(q)], dtype=np.int64)
    weights = p ** np.arange(k, dtype=np.int64)
    add = ((digits[:, None, :] + digits[None, :, :]) % p) @ weights
    modulus = _irreducible(p, k)
    mul = np.zeros((q, q), dtype=np.int64)
    for a in range(q):
        for b in range(a, q):
            prod = [0] * (2 * k - 1)
            for i in range(k):
                for j in range(k):
                    prod[i + j] += int(digits[a, i] * digits[b, j])
            rem = _poly_mod([c % p for c in prod], modulus, p)
            value = sum(c * p**i for i, c in enumerate(rem))
            mul[a, b] = mul[b, a] = value
    return Ring(q, add, mul, idx.astype(np.int64))


def _factor_prime_powers(m: int) -> list[int]:
    """m as a product of prime powers, e.g. 12 -> [4, 3]."""
    parts: list[int] = []
    d = 2
    while d * d <= m:
        if m % d == 0:
            part = 1
            while m % d == 0:
                m //= d
                part *= d
            parts.append(part)
        d += 1
    if m > 1:
        parts.append(m)
    return parts


def product_ring(m: int) -> Ring:
    """The product of the fields of m's prime-power factors (so m = 12 gives GF(4) x GF(3)).

    Element e has component (e // stride_i) % q_i in factor i.
    """
    parts = _factor_prime_powers(m)
    if not parts or any(q > MAX_FIELD_ORDER for q in parts):
        raise ValueError(f"no tabulated ring of order {m}")
    fields = [field(q) for q in parts]
    strides = np.cumprod([1, *parts[:-1]]).astype(np.int64)
    comps = (np.arange(m)[:, None] // strides[None, :]) % np.array(parts)[None, :]
    add = np.zeros((m, m), dtype=np.int64)
    mul = np.zeros((m, m), dtype=np.int64)
    for i, f in enumerate(fields):
        a, b = comps[:, i][:, None], comps[:, i][None, :]
        add += f.add[a, b] * strides[i]
        mul += f.mul[a, b] * strides[i]
    distinct = np.arange(min(parts), dtype=np.int64) * int(strides.sum())
    return Ring(m, add, mul, distinct)


def transversal(k: int, m: int, rounds: int | None = None) -> Schedule:
    """k*m people in m groups of k for m rounds, plus one more round when k divides m.

    A resolvable transversal design: person c*m + v is point v of column c. Column c is given
    the ring element x_c (every component c); group a of round b is the "line"
    {(c, a + b*x_c)}. Two people of different columns lie on one line only
    (b = (v - v') / (x_c - x_c'), so the differences x_c - x_c' must be units: k may not
    exceed m's smallest prime-power factor). People of one column never meet, so when k
    divides m each column can be split into groups of k for a final round. `rounds` keeps
    only the first so many, without building the rest.
    """
    if k < 2 or m < 2:
        raise ValueError(f"transversal design needs k >= 2 and m >= 2, got k={k}, m={m}")
    ring = product_ring(m)
    if k > len(ring.distinct):
        raise ValueError(
            f"groups of {k} need k <= the smallest prime-power factor of {m} ({len(ring.distinct)})"
        )
    xs = ring.distinct[:k]
    offsets = np.arange(k) * m
    limit = m + 1 if rounds is None else rounds
    out: Schedule = []
    for b in range(min(m, limit)):
        bx = ring.mul[b, xs]  # b * x_c for every column c
        values = ring.add[:, bx]  # row a: a + b * x_c for every column c
        out.append((values + offsets[None, :]).tolist())
    if m % k == 0 and limit > m:
        out.append(
            [list(range(c * m + s, c * m + s + k)) for c in range(k) for s in range(0, m, k)]
        )
    return out


def affine_geometry(q: int, dim: int = 2, rounds: int | None = None) -> Schedule:
    """The lines of AG(dim, q): q**dim people in groups of q, (q**dim - 1)/(q - 1) rounds.

    Every pair of points lies on exactly one line and each direction's lines partition the
    space, so every pair meets exactly once. dim = 2 is the affine plane (5 groups of 5 for 6
    rounds); AG(3, 3) gives 27 people in threes for 13 rounds, a Kirkman triple system.
    `rounds` keeps only the first so many, without building the rest.
    """
    if dim < 2:
        raise ValueError(f"affine geometry needs dimension >= 2, got {dim}")
    f = field(q)
    points = np.array(list(product(range(q), repeat=dim)), dtype=np.int64)
    weights = q ** np.arange(dim - 1, -1, -1, dtype=np.int64)
    neg = np.argmax(f.add == 0, axis=1)  # additive inverses
    out: Schedule = []
    limit = (q**dim - 1) // (q - 1) if rounds is None else rounds
    # One direction per 1-dimensional subspace: vectors whose first non-zero coordinate, i,
    # is one, followed by any tail.
    leads = ((i, tail) for i in range(dim) for tail in points[: q ** (dim - 1 - i), i + 1 :])
    for i, tail in leads:
        if len(out) >= limit:
            break
        direction = np.concatenate((np.zeros(i, dtype=np.int64), [1], tail))
        # Each line {p + t*direction} has one point with coordinate i zero, p - p_i*direction;
        # that point names the line.
        shift = neg[f.mul[points[:, i][:, None], direction[None, :]]]  # -p_i * direction
        keys = f.add[points, shift] @ weights
        order = np.argsort(keys, kind="stable")
        out.append(order.reshape(-1, q).tolist())
    return out


def affine_plane(q: int) -> Schedule:
    """q*q people in q groups of q for q + 1 rounds (q a prime power)."""
    return affine_geometry(q, 2)


def develop(bases: list[list[list[int]]], m: int, k: int, f: int) -> Schedule:
    """Rotate each base round through Z_m: person c*m + x goes to c*m + (x + j) % m in round j;
    the f people from k*m on stay fixed. Base rounds come first-to-last, m rounds each.
    """
    return [
        [[p if p >= k * m else p - p % m + (p % m + j) % m for p in g] for g in base]
        for base in bases
        for j in range(m)
    ]


# Base rounds of cyclic designs found by this package's own search (_tabu_cyclic), keyed by
# (people, group size) -> ((m, k, f), base rounds); `develop` turns them into m rounds each.
# Stored because they take the search seconds to find, and the tests check each one.
CYCLIC_BASES: dict[tuple[int, int], tuple[tuple[int, int, int], list[list[list[int]]]]] = {
    # 6 groups of 3 for 8 rounds (a nearly Kirkman triple system on 18 points).
    (18, 3): (
        (4, 4, 2),
        [
            [[0, 5, 12], [1, 2, 4], [3, 11, 16], [6, 8, 9], [7, 13, 17], [10, 14, 15]],
            [[0, 9, 15], [1, 5, 14], [2, 8, 17], [3, 10, 13], [4, 12, 16], [6, 7, 11]],
        ],
    ),
    # 7 groups of 3 for 10 rounds: a Kirkman triple system on 21 points.
    (21, 3): (
        (5, 4, 1),
        [
            [
                [0, 1, 14],
                [2, 9, 20],
                [3, 10, 15],
                [4, 17, 19],
                [5, 8, 11],
                [6, 7, 18],
                [12, 13, 16],
            ],
            [
                [0, 2, 5],
                [1, 11, 17],
                [3, 9, 14],
                [4, 8, 18],
                [6, 10, 13],
                [7, 15, 16],
                [12, 19, 20],
            ],
        ],
    ),
    # 6 groups of 4 for 6 rounds.
    (24, 4): (
        (3, 8, 0),
        [
            [
                [0, 5, 11, 19],
                [1, 10, 12, 16],
                [2, 14, 20, 23],
                [3, 13, 15, 18],
                [4, 6, 8, 17],
                [7, 9, 21, 22],
            ],
            [
                [0, 1, 7, 23],
                [2, 5, 9, 16],
                [3, 4, 12, 22],
                [6, 10, 13, 14],
                [8, 11, 18, 20],
                [15, 17, 19, 21],
            ],
        ],
    ),
    # 8 groups of 3 for 11 rounds (a nearly Kirkman triple system on 24 points).
    (24, 3): (
        (11, 2, 2),
        [
            [
                [0, 6, 11],
                [1, 2, 9],
                [3, 15, 23],
                [4, 14, 21],
                [5, 13, 19],
                [7, 16, 22],
                [8, 10, 12],
                [17, 18, 20],
            ],
        ],
    ),
    # 10 groups of 3 for 14 rounds (a nearly Kirkman triple system on 30 points).
    (30, 3): (
        (7, 4, 2),
        [
            [
                [0, 4, 23],
                [1, 6, 15],
                [2, 8, 11],
                [3, 25, 28],
                [5, 9, 10],
                [7, 12, 27],
                [13, 16, 20],
                [14, 22, 29],
                [17, 19, 26],
                [18, 21, 24],
            ],
            [
                [0, 8, 17],
                [1, 14, 25],
                [2, 22, 23],
                [3, 10, 21],
                [4, 5, 16],
                [6, 9, 29],
                [7, 24, 26],
                [11, 15, 27],
                [12, 20, 28],
                [13, 18, 19],
            ],
        ],
    ),
}


def _options(n: int, size: int) -> Iterator[tuple[int, Callable[[int], Schedule]]]:
    """(rounds, build) for each construction that fits; build(r) gives its first r rounds."""
    if size == 2 and n % 2 == 0 and n >= 2:
        yield n - 1, lambda r: round_robin(n, r)
    if size == 2 and n % 2 == 1 and n >= 11:
        yield n - 4, lambda r: odd_pairs(n, r)
    if size == 2:
        return  # the round robin and odd_pairs above beat every other design for pairs
    if (n, size) in CYCLIC_BASES:
        layout, bases = CYCLIC_BASES[n, size]
        yield layout[0] * len(bases), lambda r: develop(bases, *layout)[:r]
    dim = 2
    while size**dim <= n:
        if size**dim == n and prime_power(size) and size <= MAX_FIELD_ORDER:
            yield (n - 1) // (size - 1), partial(affine_geometry, size, dim)
        dim += 1
    if n % size == 0 and n // size >= 2:
        m = n // size
        parts = _factor_prime_powers(m)
        if parts and size <= min(parts) and max(parts) <= MAX_FIELD_ORDER:
            yield m + (m % size == 0), partial(transversal, size, m)


def best_design(n: int, size: int, rounds: int | None = None) -> Schedule | None:
    """The known design with the most repeat-free rounds for exactly n people in groups of size.

    For size 2 and odd n the design has one three per round; otherwise every group has `size`
    people. `rounds` keeps only its first so many rounds (pairs are then not built in full).
    None when no construction here applies.
    """
    if size < 2 or n < 2:
        return None
    best = max(_options(n, size), key=lambda option: option[0], default=None)
    if best is None:
        return None
    total, build = best
    return build(total if rounds is None else min(total, rounds))


def design_rounds(n: int, size: int) -> int:
    """How many rounds best_design(n, size) has (0 if none), without building it."""
    if size < 2 or n < 2:
        return 0
    return max((total for total, _ in _options(n, size)), default=0)
