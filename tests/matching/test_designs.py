"""Every construction is resolvable (each round partitions everyone) and no pair meets twice."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from convenor.matching import designs
from convenor.matching.designs import Schedule


def assert_design(rounds: Schedule, n: int, sizes: set[int]) -> None:
    """Each round partitions 0..n-1 into groups of the given sizes; no pair meets twice."""
    seen: set[tuple[int, int]] = set()
    for number, groups in enumerate(rounds):
        assert sorted(p for g in groups for p in g) == list(range(n)), f"round {number}"
        assert {len(g) for g in groups} <= sizes, f"round {number}: {groups}"
        for g in groups:
            for pair in combinations(sorted(g), 2):
                assert pair not in seen, f"{pair} meets again in round {number}"
                seen.add(pair)


@pytest.mark.parametrize("n", [2, 4, 6, 30, 64, 100])
def test_round_robin_meets_everyone_once(n: int) -> None:
    rounds = designs.round_robin(n)
    assert len(rounds) == n - 1
    assert_design(rounds, n, {2})


@pytest.mark.parametrize("n", [11, 13, 15, 17, 21, 51, 101])
def test_odd_pairs_reach_n_minus_4_rounds_with_one_three(n: int) -> None:
    rounds = designs.odd_pairs(n)
    assert len(rounds) == n - 4
    assert_design(rounds, n, {2, 3})
    assert all(sum(len(g) == 3 for g in groups) == 1 for groups in rounds)
    # The three rotates: nobody is in it more than three times.
    threes = [p for groups in rounds for g in groups if len(g) == 3 for p in g]
    assert max(threes.count(p) for p in set(threes)) == 3


@pytest.mark.parametrize("q", [2, 3, 4, 5, 7, 8, 9, 11, 16])
def test_affine_plane_gives_q_plus_one_rounds(q: int) -> None:
    rounds = designs.affine_plane(q)
    assert len(rounds) == q + 1
    assert_design(rounds, q * q, {q})
    # Every pair meets exactly once: the plane is complete.
    assert len(rounds) * q * (q * (q - 1) // 2) == q * q * (q * q - 1) // 2


@pytest.mark.parametrize(("q", "dim", "expected"), [(3, 3, 13), (4, 3, 21), (2, 4, 15)])
def test_affine_geometry_lines(q: int, dim: int, expected: int) -> None:
    rounds = designs.affine_geometry(q, dim)
    assert len(rounds) == expected
    assert_design(rounds, q**dim, {q})


@pytest.mark.parametrize(
    ("k", "m", "expected"),
    [(4, 8, 9), (3, 5, 5), (3, 7, 7), (3, 9, 10), (3, 12, 13), (4, 20, 21), (5, 5, 6)],
)
def test_transversal_design(k: int, m: int, expected: int) -> None:
    rounds = designs.transversal(k, m)
    assert len(rounds) == expected
    assert_design(rounds, k * m, {k})


@pytest.mark.parametrize("key", sorted(designs.CYCLIC_BASES))
def test_stored_cyclic_bases_develop_into_designs(key: tuple[int, int]) -> None:
    n, size = key
    layout, bases = designs.CYCLIC_BASES[key]
    rounds = designs.develop(bases, *layout)
    assert len(rounds) == layout[0] * len(bases)
    assert_design(rounds, n, {size})


def test_transversal_rejects_groups_larger_than_the_smallest_factor() -> None:
    with pytest.raises(ValueError, match="smallest prime-power factor of 12"):
        designs.transversal(4, 12)


@pytest.mark.parametrize("q", [4, 8, 9, 25, 27])
def test_field_tables_are_a_field(q: int) -> None:
    f = designs.field(q)
    nonzero = np.arange(1, q)
    # Every non-zero element has exactly one inverse, and multiplication distributes.
    assert all(np.count_nonzero(f.mul[a, nonzero] == 1) == 1 for a in nonzero)
    a, b, c = np.meshgrid(np.arange(q), np.arange(q), np.arange(q), indexing="ij")
    assert np.array_equal(f.mul[a, f.add[b, c]], f.add[f.mul[a, b], f.mul[a, c]])


def test_field_rejects_non_prime_powers() -> None:
    with pytest.raises(ValueError, match="prime power"):
        designs.field(6)


@pytest.mark.parametrize(
    ("n", "size", "rounds"),
    [
        (32, 4, 9),
        (25, 5, 6),
        (30, 2, 29),
        (101, 2, 97),
        (27, 3, 13),
        (36, 3, 13),
        (15, 3, 5),
        (21, 3, 10),
        (30, 3, 14),
    ],
)
def test_best_design_picks_the_longest(n: int, size: int, rounds: int) -> None:
    design = designs.best_design(n, size)
    assert design is not None
    assert len(design) == rounds
    assert_design(design, n, {size, size + 1} if size == 2 else {size})


@pytest.mark.parametrize(
    ("n", "size", "rounds"), [(30, 2, 4), (101, 2, 10), (64, 4, 7), (32, 4, 9)]
)
def test_best_design_builds_only_the_rounds_asked_for(n: int, size: int, rounds: int) -> None:
    design = designs.best_design(n, size, rounds)
    assert design is not None and len(design) == rounds
    assert designs.design_rounds(n, size) == len(designs.best_design(n, size) or [])
    assert_design(design, n, {2, 3} if size == 2 else {size})


@pytest.mark.parametrize(("n", "size"), [(34, 3), (40, 4), (36, 6), (9, 2), (1, 2)])
def test_best_design_is_none_where_no_construction_applies(n: int, size: int) -> None:
    assert designs.best_design(n, size) is None
