"""The benchmark's scenarios: who exists, who attends which round, and what happened before.

Everything is generated from a fixed seed, so every method (run in its own process) sees exactly
the same people, attendance and history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    """One row group of the table: people, group size, rounds and how they are planned."""

    key: str
    title: str
    people: int
    size: int
    rounds: int
    organisations: int = 0  # 0: nobody has an organisation (the classic golfer instances)
    sectors: int = 0
    attendance: float = 1.0
    history_rounds: int = 0
    left: int = 0  # people in the history who are no longer present
    even_organisations: bool = False
    networkx: bool = False
    cli: bool = False
    engine_time_limit: float = 30.0
    seed: int = 2026


@dataclass
class Data:
    """A scenario made concrete. People are 0..n-1; history may also name n..n+left-1."""

    scenario: Scenario
    ids: list[str]
    org: list[int]
    sector: list[int]
    present: list[list[int]]  # per round to plan, who attends
    history: list[list[list[int]]] = field(default_factory=list)

    @property
    def mix(self) -> tuple[str, ...]:
        return ("organisation", "sector") if self.scenario.organisations else ()


def _golfer(groups: int, size: int, rounds: int, limit: float) -> Scenario:
    return Scenario(
        key=f"golfer-{groups}x{size}x{rounds}",
        title=f"golfers {groups}x{size}, {rounds} rounds",
        people=groups * size,
        size=size,
        rounds=rounds,
        engine_time_limit=limit,
    )


FULL: list[Scenario] = [
    Scenario(
        key="pairs-30",
        title="30 people, pairs, full attendance",
        people=30,
        size=2,
        rounds=29,
        organisations=6,
        sectors=3,
        networkx=True,
    ),
    Scenario(
        key="churn-200",
        title="200 people, pairs, attendance 0.8",
        people=200,
        size=2,
        rounds=30,
        organisations=20,
        sectors=4,
        attendance=0.8,
        networkx=True,
    ),
    Scenario(
        key="orgs-60",
        title="60 people in 6 organisations of 10, pairs",
        people=60,
        size=2,
        rounds=20,
        organisations=6,
        sectors=3,
        even_organisations=True,
        networkx=True,
    ),
    _golfer(5, 3, 7, 10.0),
    _golfer(6, 3, 8, 10.0),
    _golfer(5, 5, 6, 10.0),
    _golfer(6, 4, 6, 10.0),
    _golfer(8, 4, 9, 60.0),
    Scenario(
        key="big-100k",
        title="100,000 people, one round after 20",
        people=100_000,
        size=2,
        rounds=1,
        organisations=50,
        sectors=5,
        history_rounds=20,
        left=2_000,
        cli=True,
    ),
]

# Small versions of the same kinds, for a smoke run that takes seconds.
QUICK: list[Scenario] = [
    Scenario(
        key="pairs-10",
        title="10 people, pairs, full attendance",
        people=10,
        size=2,
        rounds=9,
        organisations=3,
        sectors=2,
        networkx=True,
    ),
    _golfer(5, 3, 7, 10.0),
    Scenario(
        key="big-2k",
        title="2,000 people, one round after 5",
        people=2_000,
        size=2,
        rounds=1,
        organisations=20,
        sectors=5,
        history_rounds=5,
        left=100,
        cli=True,
    ),
]

SCENARIOS = {s.key: s for s in (*FULL, *QUICK)}


def build(scenario: Scenario) -> Data:
    """Generate the scenario's people, attendance and history from its seed."""
    rng = random.Random(scenario.seed)
    n = scenario.people
    width = len(str(n + scenario.left))
    ids = [f"p{i:0{width}d}" for i in range(n)]
    org = [-1] * n
    sector = [-1] * n
    if scenario.organisations:
        k = scenario.organisations
        if scenario.even_organisations:
            org = [i % k for i in range(n)]
        else:
            # Uneven sizes, as real cohorts have: the largest about three times the smallest.
            weights = [1.0 / (1 + j / k * 2) for j in range(k)]
            org = rng.choices(range(k), weights=weights, k=n)
        sector = [o % scenario.sectors for o in org]
    present = []
    for _ in range(scenario.rounds):
        if scenario.attendance >= 1.0:
            present.append(list(range(n)))
        else:
            present.append([i for i in range(n) if rng.random() < scenario.attendance])
    history = []
    everyone = list(range(n + scenario.left))
    for _ in range(scenario.history_rounds):
        # Earlier rounds as a random pairing of about 90% of everyone, leavers included.
        came = [i for i in everyone if rng.random() < 0.9]
        rng.shuffle(came)
        history.append([came[j : j + 2] for j in range(0, len(came) - 1, 2)])
    return Data(scenario, ids, org, sector, present, history)


def person_id(data: Data, i: int) -> str:
    """The id of person i, including those who left (who exist only in the history)."""
    if i < len(data.ids):
        return data.ids[i]
    return f"x{i}"
