"""The methods compared: this engine, a random shuffle, a Slack-bot style greedy, networkx.

Each takes a scenario's data and returns the rounds it planned, as groups of person indices.
Baselines go round by round; in every round they see only the people present.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from bench.scenarios import Data, person_id
from convenor.matching import Grouping, Person, Problem, match, plan

Round = list[list[int]]


def group_sizes(n: int, size: int) -> list[int]:
    """n // size groups, the remainder spread one per group (pairs and a three for odd n)."""
    if n < 2:
        return []
    groups = max(1, n // size)
    base, extra = divmod(n, groups)
    return [base + 1] * extra + [base] * (groups - extra)


def chunk(order: Sequence[int], size: int) -> Round:
    """Cut an ordering into consecutive groups of the sizes above."""
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

    Each group starts with the first person not yet placed and takes, in shuffled order, the
    next people who met no member of the group in their own last round; failing that, anyone.
    """
    rng = random.Random(1)
    size = data.scenario.size
    last: dict[int, set[int]] = {}
    for earlier in data.history:
        _remember(last, earlier)
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


def _remember(last: dict[int, set[int]], groups: Round) -> None:
    for group in groups:
        for p in group:
            last[p] = {q for q in group if q != p}


def _people(data: Data, present: Sequence[int]) -> list[Person]:
    if not data.mix:
        return [Person(data.ids[i]) for i in present]
    return [
        Person(
            data.ids[i], {"organisation": f"org{data.org[i]}", "sector": f"sector{data.sector[i]}"}
        )
        for i in present
    ]


def _ids(data: Data, rounds: Sequence[Round]) -> list[list[list[str]]]:
    return [[[person_id(data, i) for i in g] for g in groups] for groups in rounds]


def _indices(data: Data, grouping: Grouping) -> Round:
    at = {pid: i for i, pid in enumerate(data.ids)}
    return [[at[pid] for pid in group] for group in grouping.groups]


def engine(data: Data, budget: float) -> list[Round]:
    """This engine: `plan` when everyone attends every round, else `match` round by round."""
    s = data.scenario
    full = all(len(p) == s.people for p in data.present)
    problem = Problem(
        people=_people(data, range(s.people)),
        size=s.size,
        history=_ids(data, data.history),
        mix=data.mix,
        seed=0,
    )
    if full and s.rounds > 1:
        return [_indices(data, g) for g in plan(problem, s.rounds, time_limit=s.engine_time_limit)]
    rounds: list[Round] = []
    for present in data.present:
        problem = replace(
            problem,
            people=_people(data, present),
            history=_ids(data, [*data.history, *rounds]),
        )
        rounds.append(_indices(data, match(problem)))
    return rounds


def networkx_exact(data: Data, budget: float) -> list[Round]:
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
    for present in data.present:
        if time.perf_counter() - started > budget:
            break
        problem = Problem(
            people=_people(data, present),
            size=2,
            history=_ids(data, [*data.history, *rounds]),
            mix=data.mix,
        )
        model = build(problem)
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
    return rounds


METHODS: dict[str, Callable[[Data, float], list[Round]]] = {
    "engine": engine,
    "random": random_shuffle,
    "greedy": greedy_avoid_last,
    "networkx": networkx_exact,
}
