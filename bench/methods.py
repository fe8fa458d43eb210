"""The methods compared: this engine, a random shuffle, a Slack-bot style greedy, networkx.

Each takes a scenario's data and returns the rounds it planned, as groups of person indices.
Baselines go round by round; in every round they see only the people present.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bench.scenarios import Data, person_id
from convenor.matching import Grouping, Person, Problem, match, plan
from convenor.matching.schedule import group_sizes

Round = list[list[int]]


def chunk(order: Sequence[int], size: int) -> Round:
    """Cut an ordering into consecutive groups of the engine's sizes (size, or size + 1)."""
    groups, at = [], 0
    for k in group_sizes(len(order), size):
        groups.append(list(order[at : at + k]))
        at += k
    return groups


def random_shuffle(data: Data, budget: float) -> list[Round]:
    """What a video platform's "assign randomly" does: shuffle, cut into groups, no memory."""
    rng = random.Random(1)
    rounds = []
    for present in data.present:
        order = list(present)
        rng.shuffle(order)
        rounds.append(chunk(order, data.scenario.size))
    return rounds


def greedy_avoid_last(data: Data, budget: float) -> list[Round]:
    """Like the common Slack pairing bots: shuffle, then avoid only each person's last partners.

    Each group starts with someone not yet placed and takes, in shuffled order, the next people
    who met no member of the group in their own last round; failing that, anyone.
    """
    rng = random.Random(1)
    size = data.scenario.size
    # Each person's group in the last round they attended, newest history round first.
    last: dict[int, list[int]] = {}
    for earlier in reversed(data.history):
        for group in earlier:
            for p in group:
                last.setdefault(p, group)
    rounds = []
    for present in data.present:
        pool = list(present)
        rng.shuffle(pool)
        groups: Round = []
        # Taking from the end of the shuffled pool keeps each pick O(1) at 100,000 people.
        for k in group_sizes(len(pool), size):
            group = [pool.pop()]
            while len(group) < k:
                pick = next(
                    (
                        at
                        for at in range(len(pool) - 1, -1, -1)
                        if not any(pool[at] in last.get(q, ()) for q in group)
                    ),
                    len(pool) - 1,
                )
                group.append(pool.pop(pick))
            groups.append(group)
        _remember(last, groups)
        rounds.append(groups)
    return rounds


def _remember(last: dict[int, list[int]], groups: Round) -> None:
    for group in groups:
        for p in group:
            last[p] = group


@dataclass
class Prepared:
    """The scenario as the engine takes it, built before the clock starts (as an app holds it)."""

    data: Data
    people: list[Person]  # person i of the scenario
    history: Sequence[Sequence[Sequence[str]]]
    index: dict[str, int]

    def present(self, present: Sequence[int]) -> list[Person]:
        return [self.people[i] for i in present]

    def indices(self, grouping: Grouping) -> Round:
        return [[self.index[pid] for pid in group] for group in grouping.groups]


def prepare(data: Data) -> Prepared:
    people = [Person(pid) for pid in data.ids]
    if data.mix:
        people = [
            Person(pid, {"organisation": f"org{data.org[i]}", "sector": f"sector{data.sector[i]}"})
            for i, pid in enumerate(data.ids)
        ]
    history = [[[person_id(data, i) for i in g] for g in groups] for groups in data.history]
    return Prepared(data, people, history, {pid: i for i, pid in enumerate(data.ids)})


def engine(prepared: Prepared, budget: float) -> list[Round]:
    """This engine: `plan` when everyone attends every round, else `match` round by round."""
    data = prepared.data
    s = data.scenario
    problem = Problem(
        people=prepared.people, size=s.size, history=prepared.history, mix=data.mix, seed=0
    )
    if all(len(p) == s.people for p in data.present) and s.rounds > 1:
        return [
            prepared.indices(g) for g in plan(problem, s.rounds, time_limit=s.engine_time_limit)
        ]
    rounds: list[Round] = []
    history: list[Sequence[Sequence[str]]] = list(prepared.history)
    for present in data.present:
        grouping = match(replace(problem, people=prepared.present(present), history=history))
        history = [*history, grouping.groups]
        rounds.append(prepared.indices(grouping))
    return rounds


def networkx_exact(prepared: Prepared, budget: float) -> list[Round]:
    """Exact maximum-weight matching (networkx blossom) each round, on the engine's pair costs.

    Weight = (largest cost + 1) - cost, with maximum cardinality, so the matching minimises the
    engine's own cost of repeats, same organisation, same sector. With an odd count the person
    left over joins the pair where they add least. Stops once `budget` seconds have passed;
    the rounds returned then fall short of the scenario's.
    """
    # Imported here so that only the processes running networkx load it (`bench.child` loads it
    # before the clock starts).
    import networkx as nx
    import numpy as np

    # The engine's own pair costs (private, but "the same weights" is the point of this row).
    from convenor.matching._model import build

    started = time.perf_counter()
    rounds: list[Round] = []
    history: list[Sequence[Sequence[str]]] = list(prepared.history)
    for present in prepared.data.present:
        if time.perf_counter() - started > budget:
            break
        people = prepared.present(present)
        model = build(Problem(people=people, size=2, history=history, mix=prepared.data.mix))
        n = len(present)
        i, j = np.triu_indices(n, k=1)
        cost = model.cost(i, j)
        top = int(cost.max()) + 1 if cost.size else 1
        graph = nx.Graph()
        graph.add_nodes_from(range(n))
        graph.add_weighted_edges_from(
            zip(i.tolist(), j.tolist(), (top - cost).tolist(), strict=True)
        )
        pairs = [sorted(p) for p in nx.max_weight_matching(graph, maxcardinality=True)]
        left = sorted(set(range(n)) - {p for pair in pairs for p in pair})
        if left and pairs:
            x = left[0]
            added = [int(model.cost(np.array([x, x]), np.array(pair)).sum()) for pair in pairs]
            pairs[added.index(min(added))].append(x)
        rounds.append([[present[p] for p in pair] for pair in pairs])
        history = [*history, [[people[p].id for p in pair] for pair in pairs]]
    return rounds


BASELINES: dict[str, Callable[[Data, float], list[Round]]] = {
    "random": random_shuffle,
    "greedy": greedy_avoid_last,
}
# These take the scenario as the engine takes it (`prepare`, untimed).
ENGINES: dict[str, Callable[[Prepared, float], list[Round]]] = {
    "engine": engine,
    "networkx": networkx_exact,
}
