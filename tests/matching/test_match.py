"""One round: sizes, the priority order, determinism, and errors."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.matching import (
    Grouping,
    MatchingError,
    Person,
    Problem,
    evaluate,
    group_sizes,
    match,
)
from convenor.matching._model import build
from convenor.matching._search import group_count, padded, total_cost

from .helpers import met_pairs, pairs_of, partitions, people, placed, sizes_for


@pytest.mark.parametrize("size", range(2, 9))
def test_sizes_for_every_count_up_to_40(size: int) -> None:
    for n in range(41):
        crowd = people(n, orgs=3, sectors=2)
        grouping = match(Problem(crowd, size=size, seed=n))
        assert sorted(placed(grouping)) == sorted(p.id for p in crowd)
        got = sorted(len(g) for g in grouping.groups)
        assert got == sizes_for(n, size)
        if n >= 2:
            assert grouping.unmatched == ()
        if n // size >= n % size and n >= size:
            assert set(got) <= {size, size + 1}
        elif 2 <= n < size:
            assert got == [n]


def test_group_count_rule_when_the_remainder_is_too_big() -> None:
    # 7 in fours: one group of 7 is further from 4 than groups of 4 and 3.
    assert group_count(7, 4) == 2
    # 10 in eights: one group of 10 (two over) beats two of 5 (three under).
    assert group_count(10, 8) == 1
    # 8 in sixes: a tie (8 or 4 + 4) goes to fewer, larger groups.
    assert group_count(8, 6) == 1
    assert group_count(5, 3) == 2
    assert [group_count(n, 2) for n in range(6)] == [0, 0, 1, 1, 2, 2]


def test_group_sizes_are_as_even_as_possible() -> None:
    for size in range(2, 9):
        for n in range(2, 60):
            sizes = group_sizes(n, size)
            assert sum(sizes) == n
            assert max(sizes) - min(sizes) <= 1
            assert len(sizes) == group_count(n, size)
    assert group_sizes(7, 4) == [4, 3]
    assert group_sizes(9, 2) == [3, 2, 2, 2]
    assert group_sizes(1, 2) == []


def test_pairs_with_one_three_for_odd_counts() -> None:
    for n in (3, 5, 9, 31):
        got = Counter(len(g) for g in match(Problem(people(n, orgs=4), seed=1)).groups)
        assert got == Counter({2: (n - 3) // 2, 3: 1})


def test_tiny_counts() -> None:
    assert match(Problem([])) == Grouping(groups=(), unmatched=())
    assert match(Problem(people(1))) == Grouping(groups=(), unmatched=("p0",))
    assert match(Problem(people(2))).groups == (("p0", "p1"),)
    assert match(Problem(people(3))).groups == (("p0", "p1", "p2"),)
    assert match(Problem(people(3), size=5)).groups == (("p0", "p1", "p2"),)


def test_everyone_in_one_organisation_is_still_grouped() -> None:
    grouping = match(Problem(people(21, orgs=1), size=4, seed=3))
    assert sorted(len(g) for g in grouping.groups) == [4, 4, 4, 4, 5]
    assert grouping.unmatched == ()


def test_same_seed_same_grouping_and_seeds_differ() -> None:
    crowd = people(24, orgs=4, sectors=2)
    history = [match(Problem(crowd, seed=100)).groups]
    first = match(Problem(crowd, history=history, seed=7))
    assert match(Problem(crowd, history=history, seed=7)) == first
    distinct = {match(Problem(crowd, history=history, seed=s)) for s in range(8)}
    assert len(distinct) >= 6


def test_negative_seed_is_accepted_and_deterministic() -> None:
    crowd = people(10, orgs=2)
    assert match(Problem(crowd, seed=-5)) == match(Problem(crowd, seed=-5))


def test_no_repeat_while_a_new_partner_is_possible() -> None:
    crowd = people(30, orgs=5, sectors=3)
    history: list[tuple[tuple[str, ...], ...]] = []
    for r in range(12):
        grouping = match(Problem(crowd, history=history, seed=r))
        assert not pairs_of(grouping) & met_pairs(Problem(crowd, history=history)), r
        history.append(grouping.groups)


def test_forced_repeats_are_the_oldest() -> None:
    # Four people have met everyone: the next pairing must repeat, so it repeats round 0.
    crowd = people(4, orgs=4)
    history = [
        (("p0", "p1"), ("p2", "p3")),
        (("p0", "p2"), ("p1", "p3")),
        (("p0", "p3"), ("p1", "p2")),
    ]
    for seed in range(5):
        assert match(Problem(crowd, history=history, seed=seed)).groups == history[0]
    older_first = [history[2], history[1], history[0]]
    assert match(Problem(crowd, history=older_first)).groups == history[2]


def test_forced_repeat_is_the_least_frequent_among_equally_old() -> None:
    crowd = people(4, orgs=4)
    history = [
        (("p0", "p1"), ("p2", "p3")),
        (("p0", "p1"), ("p2", "p3")),
        (("p0", "p2"), ("p1", "p3")),
        (("p0", "p3"), ("p1", "p2"), ("p0", "p2"), ("p1", "p3")),
    ]
    # Round 3 touched every pair except p0-p1 and p2-p3, which met twice but longer ago.
    assert match(Problem(crowd, history=history)).groups == (("p0", "p1"), ("p2", "p3"))


def test_fewest_repeats_against_brute_force() -> None:
    rnd = random.Random(5)
    for case in range(30):
        n = rnd.randint(4, 9)
        crowd = people(n, orgs=n)
        ids = [p.id for p in crowd]
        history = [
            tuple(tuple(g) for g in _random_groups(ids, 2, rnd)) for _ in range(rnd.randint(1, 5))
        ]
        problem = Problem(crowd, history=history, seed=case)
        met = met_pairs(problem)
        best = min(
            sum(frozenset(p) in met for g in part for p in combinations(g, 2))
            for part in partitions(ids, sizes_for(n, 2))
        )
        got = match(problem)
        assert len(pairs_of(got) & met) == best, (case, history)


def test_most_cross_organisation_pairs_against_brute_force() -> None:
    rnd = random.Random(11)
    for case in range(40):
        n = rnd.randint(2, 10)
        size = rnd.choice([2, 2, 3, 4])
        crowd = [
            Person(f"p{i}", {"organisation": rnd.choice("AAABBC"), "sector": rnd.choice("xy")})
            for i in range(n)
        ]
        ids = [p.id for p in crowd]
        attrs = {p.id: p.attributes for p in crowd}
        best = min(_same(attrs, part) for part in partitions(ids, sizes_for(n, size)))
        got = match(Problem(crowd, size=size, seed=case))
        assert _same(attrs, list(got.groups)) == best, (case, n, size)


def test_cross_organisation_share_at_sixty_in_six_organisations() -> None:
    crowd = people(60, orgs=6, sectors=3)
    summary = evaluate(Problem(crowd), [match(Problem(crowd, seed=2))])
    assert summary.same_attribute["organisation"] == 0
    assert summary.total_pairs == 30


def test_one_big_organisation_gets_the_most_mixing_possible() -> None:
    # 70 of 100 in one organisation: at most 30 pairs can cross, so 20 pairs must be inside.
    crowd = [
        Person(f"p{i}", {"organisation": "big" if i < 70 else f"small{i % 3}"}) for i in range(100)
    ]
    summary = evaluate(Problem(crowd), [match(Problem(crowd))])
    assert summary.same_attribute["organisation"] == 20


def test_want_pairs_are_put_together() -> None:
    crowd = people(20, orgs=10)
    wants = [("p0", "p1"), ("p2", "p7"), ("p4", "p15")]
    for seed in range(4):
        got = pairs_of(match(Problem(crowd, want=wants, seed=seed)))
        assert {frozenset(w) for w in wants} <= got


def test_want_gives_way_to_a_repeat() -> None:
    crowd = people(6, orgs=6)
    history = [(("p0", "p1"), ("p2", "p3"), ("p4", "p5"))]
    got = match(Problem(crowd, history=history, want=[("p0", "p1")]))
    assert frozenset(("p0", "p1")) not in pairs_of(got)


def test_want_gives_way_to_mixing() -> None:
    # Two colleagues who want to meet: putting them together would cost a same-organisation
    # pair that another grouping avoids, and mixing comes first.
    crowd = [Person(f"p{i}", {"organisation": "x" if i < 2 else f"o{i}"}) for i in range(4)]
    got = match(Problem(crowd, want=[("p0", "p1")]))
    assert frozenset(("p0", "p1")) not in pairs_of(got)


def test_avoid_pairs_never_share_a_group() -> None:
    crowd = people(12, orgs=12)
    avoid = [("p0", f"p{i}") for i in range(1, 11)]
    for seed in range(5):
        got = match(Problem(crowd, avoid=avoid, seed=seed))
        assert pairs_of(got) == pairs_of(got) - {frozenset(a) for a in avoid}
        assert frozenset(("p0", "p11")) in pairs_of(got)
        assert got.unmatched == ()


def test_impossible_avoid_sets_leave_people_unmatched_not_together() -> None:
    crowd = people(5)
    everyone = [(a.id, b.id) for a, b in combinations(crowd, 2)]
    got = match(Problem(crowd, avoid=everyone))
    assert got.groups == ()
    assert sorted(got.unmatched) == [p.id for p in crowd]


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 9),
    size=st.integers(2, 4),
    edges=st.sets(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=20),
    seed=st.integers(0, 1000),
)
def test_avoid_property_against_brute_force(
    n: int, size: int, edges: set[tuple[int, int]], seed: int
) -> None:
    crowd = people(n, orgs=2)
    avoid = [(f"p{a}", f"p{b}") for a, b in edges if a < b < n]
    got = match(Problem(crowd, size=size, avoid=avoid, seed=seed))
    banned = {frozenset(a) for a in avoid}
    assert not pairs_of(got) & banned
    assert sorted(placed(got)) == sorted(p.id for p in crowd)
    ids = [p.id for p in crowd]
    feasible = any(
        not any(frozenset(p) in banned for g in part for p in combinations(g, 2))
        for part in partitions(ids, sizes_for(n, size))
    )
    if feasible:
        assert sorted(len(g) for g in got.groups) == sizes_for(n, size)


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        (Problem(people(4), size=1), "group size must be a whole number of at least 2"),
        (Problem([Person("a"), Person("a")]), "'a' appears more than once"),
        (Problem([Person("")]), "non-empty string id"),
        (Problem(people(3), avoid=[("p0", "zed")]), "names 'zed', who is not among the people"),
        (Problem(people(3), want=[("p1", "p1")]), "names the same person twice"),
        (Problem(people(3), mix=("organisation", "organisation")), "mix columns must be distinct"),
        (Problem(people(3), history=[("p0", "p1")]), "history round 0 holds a bare id"),
        (Problem(people(3), seed="7"), "seed must be a whole number"),  # type: ignore[arg-type]
    ],
)
def test_invalid_input_raises_a_clear_error(problem: Problem, message: str) -> None:
    with pytest.raises(MatchingError, match=message):
        match(problem)


def test_history_may_name_absent_people() -> None:
    crowd = people(4, orgs=4)
    history = [(("p0", "gone"), ("p1", "p2")), (("gone", "p3"), ("p0", "p3"))]
    got = match(Problem(crowd, history=history))
    assert not pairs_of(got) & met_pairs(Problem(crowd, history=history))


def _same(attrs: dict[str, Mapping[str, str]], groups: list[tuple[str, ...]]) -> tuple[int, int]:
    """Same-organisation and same-sector pair counts of a grouping."""
    pairs = [p for g in groups for p in combinations(g, 2)]
    same_org = sum(attrs[a]["organisation"] == attrs[b]["organisation"] for a, b in pairs)
    return same_org, sum(attrs[a]["sector"] == attrs[b]["sector"] for a, b in pairs)


def _random_groups(ids: list[str], size: int, rnd: random.Random) -> list[list[str]]:
    shuffled = ids[:]
    rnd.shuffle(shuffled)
    g = group_count(len(shuffled), size)
    return [shuffled[i::g] for i in range(g)]


def test_twenty_thousand_people_after_ten_rounds_no_repeats_and_full_mixing() -> None:
    rnd = random.Random(3)
    n = 20_000
    crowd = [
        Person(f"u{i}", {"organisation": f"org{rnd.randrange(40)}", "sector": f"s{i % 5}"})
        for i in range(n)
    ]
    ids = [p.id for p in crowd]
    history = []
    for _ in range(10):
        rnd.shuffle(ids)
        history.append([(ids[k], ids[k + 1]) for k in range(0, n, 2)])
    problem = Problem(crowd, history=history, seed=1)
    summary = evaluate(problem, [match(problem)])
    assert summary.repeated_pairs == 0
    assert summary.same_attribute["organisation"] == 0
    assert summary.total_pairs == n // 2


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 9),
    size=st.integers(2, 4),
    orgs=st.lists(st.sampled_from("ABCD"), min_size=9, max_size=9),
    history_seeds=st.lists(st.integers(0, 10_000), max_size=4),
    wants=st.sets(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=3),
    seed=st.integers(0, 10_000),
)
def test_finds_the_optimum_of_its_objective_on_tiny_inputs(
    n: int,
    size: int,
    orgs: list[str],
    history_seeds: list[int],
    wants: set[tuple[int, int]],
    seed: int,
) -> None:
    """Exhaustively: no grouping with the promised sizes has a lower total pair cost."""
    crowd = [Person(f"p{i}", {"organisation": orgs[i]}) for i in range(n)]
    ids = [p.id for p in crowd]
    history = [
        tuple(tuple(g) for g in _random_groups(ids, 2, random.Random(s))) for s in history_seeds
    ]
    want = [(f"p{a}", f"p{b}") for a, b in wants if a < b < n]
    problem = Problem(crowd, size=size, history=history, want=want, seed=seed)
    model = build(problem)

    def cost(groups: Sequence[Sequence[str]]) -> int:
        grid = padded([[model.index[p] for p in g] for g in groups], n)
        return total_cost(model, grid)

    best = min(cost(part) for part in partitions(ids, sizes_for(n, size)))
    assert cost(match(problem).groups) == best


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 30),
    size=st.integers(2, 8),
    history=st.lists(
        st.lists(st.lists(st.sampled_from([f"p{i}" for i in range(35)] + ["gone"]), max_size=5)),
        max_size=5,
    ),
    wants=st.sets(st.tuples(st.integers(0, 29), st.integers(0, 29)), max_size=5),
    seed=st.integers(-(2**70), 2**70),
)
def test_untidy_history_never_breaks_the_guarantees(
    n: int,
    size: int,
    history: list[list[list[str]]],
    wants: set[tuple[int, int]],
    seed: int,
) -> None:
    # Histories with unknown ids, singletons, empty groups and people listed twice.
    crowd = people(n, orgs=4, sectors=3)
    want = [(f"p{a}", f"p{b}") for a, b in wants if a < b < n]
    problem = Problem(crowd, size=size, history=history, want=want, seed=seed)
    got = match(problem)
    assert sorted(placed(got)) == sorted(p.id for p in crowd)
    assert sorted(len(g) for g in got.groups) == sizes_for(n, size)
    assert match(problem) == got


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 60), st.integers(1, 30), st.integers(0, 5))
def test_a_number_of_groups_asked_for_is_made_with_sizes_one_apart(
    n: int, groups: int, seed: int
) -> None:
    problem = Problem(people=people(n, orgs=4, sectors=3), groups=groups, seed=seed)
    if n // groups < 2:
        with pytest.raises(MatchingError, match="cannot make"):
            match(problem)
        return
    grouping = match(problem)
    sizes = sorted(len(group) for group in grouping.groups)
    assert len(sizes) == groups and sum(sizes) == n and not grouping.unmatched
    assert sizes[-1] - sizes[0] <= 1


def test_a_number_of_groups_keeps_avoided_pairs_apart_and_must_be_a_whole_number() -> None:
    crowd = people(15, orgs=3)
    ids = [p.id for p in crowd]
    avoid = [(ids[0], ids[1]), (ids[2], ids[3])]
    grouping = match(Problem(people=crowd, groups=4, avoid=avoid, seed=2))
    assert len(grouping.groups) == 4
    for a, b in avoid:
        assert not any(a in group and b in group for group in grouping.groups)
    for bad in (0, -1, True, 2.5):
        with pytest.raises(MatchingError, match="number of groups"):
            match(Problem(people=crowd, groups=bad))  # type: ignore[arg-type]
