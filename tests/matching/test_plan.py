"""Several rounds: the combinatorial limits, history, churn, avoid pairs and determinism."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convenor.matching import Grouping, MatchingError, Person, Problem, evaluate, match, plan

from .helpers import pairs_of, people, placed, sizes_for


@pytest.mark.parametrize("n", [4, 10, 30, 64, 100])
def test_full_attendance_pairs_reach_n_minus_one_rounds_without_repeats(n: int) -> None:
    crowd = people(n, orgs=5, sectors=3)
    started = time.monotonic()
    rounds = plan(Problem(crowd, seed=n), n - 1, time_limit=10)
    assert time.monotonic() - started < 10
    assert len(rounds) == n - 1
    summary = evaluate(Problem(crowd), rounds)
    assert summary.repeated_pairs == 0
    assert summary.total_pairs == n * (n - 1) // 2
    for grouping in rounds:
        assert sorted(len(g) for g in grouping.groups) == sizes_for(n, 2)


def test_sixty_people_in_six_organisations_mix_fully_without_repeats() -> None:
    crowd = [Person(f"p{i}", {"organisation": f"org{i // 10}"}) for i in range(60)]
    rounds = plan(Problem(crowd, seed=3), 20)
    summary = evaluate(Problem(crowd), rounds)
    assert summary.repeated_pairs == 0
    # Every round can be all cross-organisation (no organisation holds half the people).
    assert summary.same_attribute["organisation"] == 0


def test_nine_in_threes_for_four_rounds_meet_everyone_once() -> None:
    crowd = people(9, orgs=9)
    rounds = plan(Problem(crowd, size=3), 4, time_limit=5)
    summary = evaluate(Problem(crowd, size=3), rounds)
    assert summary.repeated_pairs == 0
    assert summary.total_pairs == 36


def test_plan_continues_after_history_without_repeats() -> None:
    crowd = people(20, orgs=4)
    history = [match(Problem(crowd, seed=s)).groups for s in range(5)]
    history_problem = Problem(crowd, history=history, seed=9)
    rounds = plan(history_problem, 6, time_limit=5)
    assert evaluate(history_problem, rounds).repeated_pairs == 0


@pytest.mark.parametrize(("n", "done"), [(10, 3), (16, 5)])
def test_plan_completes_all_n_minus_one_rounds_after_earlier_ones(n: int, done: int) -> None:
    # The remaining rounds are tight: every pair not met yet must meet exactly once.
    crowd = people(n, orgs=3)
    earlier = plan(Problem(crowd, seed=1), done)
    problem = Problem(crowd, history=[g.groups for g in earlier], seed=2)
    rest = plan(problem, n - 1 - done, time_limit=10)
    summary = evaluate(problem, rest)
    assert summary.repeated_pairs == 0
    assert summary.total_pairs + evaluate(Problem(crowd), earlier).total_pairs == n * (n - 1) // 2


def test_avoid_pairs_hold_in_every_round_even_in_a_full_round_robin() -> None:
    crowd = people(10, orgs=10)
    avoid = [("p0", "p1"), ("p2", "p3")]
    rounds = plan(Problem(crowd, avoid=avoid), 9, time_limit=5)
    banned = {frozenset(a) for a in avoid}
    for grouping in rounds:
        assert not pairs_of(grouping) & banned
        assert grouping.unmatched == ()


def test_live_programme_with_churn_has_no_repeats() -> None:
    # 200 people over 30 rounds, each present with probability 0.8, matched round by round.
    rnd = random.Random(0)
    crowd = people(200, orgs=8, sectors=4)
    history: list[tuple[tuple[str, ...], ...]] = []
    repeats = 0
    for r in range(30):
        present = [p for p in crowd if rnd.random() < 0.8]
        problem = Problem(present, history=history, seed=r)
        grouping = match(problem)
        summary = evaluate(problem, [grouping])
        repeats += summary.repeated_pairs
        assert summary.same_attribute["organisation"] == 0
        history.append(grouping.groups)
    assert repeats == 0


def test_round_by_round_handles_sizes_no_design_fits() -> None:
    crowd = people(7, orgs=7)
    rounds = plan(Problem(crowd, size=4), 3)
    for grouping in rounds:
        assert sorted(len(g) for g in grouping.groups) == [3, 4]


def test_plan_is_deterministic_for_a_seed() -> None:
    crowd = people(24, orgs=4)
    first = plan(Problem(crowd, seed=5), 4)
    assert plan(Problem(crowd, seed=5), 4) == first
    assert plan(Problem(crowd, seed=6), 4) != first


def test_zero_rounds_and_tiny_counts() -> None:
    assert plan(Problem(people(6)), 0) == []
    assert plan(Problem(people(1)), 2) == [Grouping(groups=(), unmatched=("p0",))] * 2
    assert plan(Problem([]), 1) == [Grouping(groups=())]


@pytest.mark.parametrize(
    ("rounds", "limit", "message"),
    [(-1, 1.0, "rounds must be a whole number"), (2, 0.0, "time_limit must be positive")],
)
def test_plan_rejects_bad_arguments(rounds: int, limit: float, message: str) -> None:
    with pytest.raises(MatchingError, match=message):
        plan(Problem(people(4)), rounds, time_limit=limit)


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 14),
    size=st.integers(2, 4),
    rounds=st.integers(1, 5),
    edges=st.sets(st.tuples(st.integers(0, 13), st.integers(0, 13)), max_size=6),
    seed=st.integers(0, 1000),
)
def test_every_planned_round_is_a_valid_grouping(
    n: int, size: int, rounds: int, edges: set[tuple[int, int]], seed: int
) -> None:
    crowd = people(n, orgs=3)
    avoid = [(f"p{a}", f"p{b}") for a, b in edges if a < b < n]
    problem = Problem(crowd, size=size, avoid=avoid, seed=seed)
    planned = plan(problem, rounds, time_limit=0.3)
    assert len(planned) == rounds
    banned = {frozenset(a) for a in avoid}
    for grouping in planned:
        assert sorted(placed(grouping)) == sorted(p.id for p in crowd)
        assert not pairs_of(grouping) & banned
        if not avoid:
            assert sorted(len(g) for g in grouping.groups) == sizes_for(n, size)
