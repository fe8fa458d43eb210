"""The benchmark: its scoring on hand-made plans, its baselines, and a `--quick` run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.methods import chunk, greedy_avoid_last, random_shuffle
from bench.scenarios import QUICK, Data, Scenario, build
from bench.score import check, score

ROOT = Path(__file__).resolve().parents[2]


def data(
    people: int,
    rounds: int,
    size: int = 2,
    history: list[list[list[int]]] | None = None,
    org: list[int] | None = None,
) -> Data:
    scenario = Scenario(key="t", title="t", people=people, size=size, rounds=rounds)
    return Data(
        scenario,
        ids=[f"p{i}" for i in range(people)],
        org=org or [-1] * people,
        sector=[-1] * people,
        present=[list(range(people))] * rounds,
        history=history or [],
    )


def test_score_counts_repeats_against_history_and_earlier_rounds():
    d = data(4, 3, history=[[[0, 1], [2, 3]]], org=[0, 0, 1, -1])
    plan = [[[0, 1], [2, 3]], [[0, 2], [1, 3]], [[0, 1], [2, 3]]]
    # 0-1 and 2-3 met in the history: twice again each; 0-1 share organisation 0 twice.
    assert score(d, plan) == (4, 2)
    assert check(d, plan) is None


def test_check_names_what_is_wrong_with_a_plan():
    d = data(5, 1)
    assert check(d, [[[0, 1], [2, 3]]]) == "round 1 does not place everyone present exactly once"
    assert check(d, [[[0, 1], [2, 3], [4, 4]]]) is not None
    assert check(d, [[[0, 1, 2, 3], [4]]]) == "round 1 has groups of sizes [1, 4]"
    assert check(d, [[[0, 1, 4], [2, 3]]]) is None


def test_baselines_cut_groups_of_the_engines_sizes():
    assert chunk([5, 6, 7, 8, 9], 2) == [[5, 6, 7], [8, 9]]
    assert list(map(len, chunk(list(range(17)), 4))) == [5, 4, 4, 4]


def test_greedy_never_repeats_last_round_when_a_fresh_partner_is_easy():
    d = data(40, 6)
    rounds = greedy_avoid_last(d, 0)
    assert check(d, rounds) is None
    for before, after in zip(rounds, rounds[1:], strict=False):
        last = {frozenset(g) for g in before}
        assert not last & {frozenset(g) for g in after}


def test_baselines_are_reproducible_and_the_scenarios_too():
    scenario = QUICK[0]
    assert build(scenario).org == build(scenario).org
    assert random_shuffle(build(scenario), 0) == random_shuffle(build(scenario), 0)


def test_quick_run_prints_one_table_with_every_method():
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "bench", "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Machine: ") and " cores; Python 3." in lines[0]
    header = (
        "| scenario | method | people | rounds | repeats | same-org pairs | seconds | peak MiB |"
    )
    assert header in lines
    rows = [line.split(" | ") for line in lines if line.startswith("| ") and line != header]
    methods = {row[1] for row in rows}
    assert methods == {
        "convenor engine",
        "random shuffle",
        "greedy, avoid last partners",
        "networkx exact matching",
        "`convenor match` CLI, end to end",
    }
    assert len(rows) == 11
    for row in rows:
        assert row[4].isdigit(), row  # a count: no failure, no stop, no invalid plan
        if row[1] in ("convenor engine", "`convenor match` CLI, end to end"):
            assert row[4] == "0", row
