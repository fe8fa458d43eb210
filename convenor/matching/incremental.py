"""Live changes to a round: a latecomer joins, someone leaves; nobody else is moved."""

from __future__ import annotations

import numpy as np

from ._model import Model, build, rng_for
from ._search import padded
from .types import Grouping, MatchingError, PersonId, Problem


def add_person(
    problem: Problem, grouping: Grouping, person_id: PersonId, *, most: int | None = None
) -> Grouping:
    """Place a latecomer (present in `problem.people`) without moving anyone already placed.

    In order of preference: with people waiting in `unmatched` when together they make a full
    group (for pairs: the best waiting partner); else into the best group with room (at most
    size members, so it stays within size+1); else into the best fuller group; else, when
    there are no groups at all, with whoever is waiting; else they wait in `unmatched`. "Best"
    follows the engine's priorities: never with someone they avoid, then fewest and oldest
    repeats, mixing, wants, and the seed breaks ties. Groups keep their order; a new group
    comes last.

    `most` caps every group (breakout rooms): no group is joined once it has `most` members.
    When every group is full, the latecomer opens a new group with whoever is waiting (so two
    people waiting for a place talk together rather than wait), else waits in `unmatched`.
    """
    model = build(problem)
    groups, waiting = _indices(model, grouping)
    if person_id not in model.index:
        raise MatchingError(f"{person_id!r} is not among the people; add them to the problem first")
    x = model.index[person_id]
    if any(x in g for g in groups) or x in waiting:
        raise MatchingError(f"{person_id!r} is already placed in this grouping")
    _check_most(most)
    full = model.size if most is None else min(model.size, most)
    rng = rng_for(problem.seed, 1, x)
    team = _pick_team(model, [x], waiting, full, rng)
    if team is not None:
        groups.append(team)
        waiting = [w for w in waiting if w not in team]
        return _to_grouping(model, groups, waiting)
    roomy = model.size if most is None else min(model.size, most - 1)
    target = _best_group(model, x, groups, range(len(groups)), limit=roomy, rng=rng)
    if target is None:
        fuller = None if most is None else most - 1
        target = _best_group(model, x, groups, range(len(groups)), limit=fuller, rng=rng)
    if target is not None:
        groups[target].append(x)
        return _to_grouping(model, groups, waiting)
    if not groups or most is not None:
        team = _pick_team(model, [x], waiting, min(full, len(waiting) + 1), rng, at_least=2)
        if team is not None:
            groups.append(team)
            waiting = [w for w in waiting if w not in team]
            return _to_grouping(model, groups, waiting)
    return _to_grouping(model, groups, [*waiting, x])


def remove_person(
    problem: Problem, grouping: Grouping, person_id: PersonId, *, most: int | None = None
) -> Grouping:
    """Take out someone who left and re-home their partner(s) if their group is now too small.

    A group left with fewer than size members is first topped up from `unmatched`; failing that,
    its members each join the best other group with room (never one holding someone they
    avoid); if not all of them can, they stay together as a smaller group (or, alone, join the
    best fuller group, or wait in `unmatched`). Nobody else moves. `problem.people` may or may
    not still list the leaver.

    With `most` (breakout rooms, which hold at most `most` people and keep their members
    together): a group still holding two or more people stays as it is, taking the best
    compatible waiting person into the freed place if anyone waits. Only someone left alone
    moves: into the smallest group with fewer than `most` members that holds nobody they avoid
    (the cheapest of those, then the seed); failing that, with whoever is waiting; else they
    wait in `unmatched`.
    """
    _check_most(most)
    model = build(problem)
    where = [i for i, g in enumerate(grouping.groups) if person_id in g]
    if not where and person_id not in grouping.unmatched:
        raise MatchingError(f"{person_id!r} is not in this grouping, so cannot leave it")
    kept_groups = [tuple(p for p in g if p != person_id) for g in grouping.groups]
    rest_grouping = Grouping(
        groups=tuple(kept_groups),
        unmatched=tuple(p for p in grouping.unmatched if p != person_id),
    )
    groups, waiting = _indices(model, rest_grouping)
    if not where:
        return _to_grouping(model, groups, waiting)
    gi = where[0]
    rest = groups[gi]
    if not rest:
        return _to_grouping(model, [g for g in groups if g], waiting)
    if most is not None:
        return _remove_from_room(model, problem.seed, groups, waiting, gi, most)
    if len(rest) >= model.size:
        return _to_grouping(model, groups, waiting)
    rng = rng_for(problem.seed, 2, len(rest))
    team = _pick_team(model, rest, waiting, model.size, rng)
    if team is not None:
        groups[gi] = team
        return _to_grouping(model, groups, [w for w in waiting if w not in team])
    others = [i for i in range(len(groups)) if i != gi]
    moves: list[tuple[int, int]] = []
    sizes = {i: len(groups[i]) for i in others}
    for member in rest:
        placed = _best_group(model, member, groups, others, limit=model.size, rng=rng, sizes=sizes)
        if placed is None:
            break
        moves.append((member, placed))
        sizes[placed] += 1
    if len(moves) == len(rest):
        for member, target in moves:
            groups[target].append(member)
        groups[gi] = []
    elif len(rest) == 1:
        member = rest[0]
        fuller = _best_group(model, member, groups, others, limit=None, rng=rng)
        if fuller is None:
            waiting.append(member)
        else:
            groups[fuller].append(member)
        groups[gi] = []
    return _to_grouping(model, [g for g in groups if g], waiting)


def _remove_from_room(
    model: Model,
    seed: int,
    groups: list[list[int]],
    waiting: list[int],
    gi: int,
    most: int,
) -> Grouping:
    """`remove_person` with `most`: group `gi` has lost a member (see there)."""
    rest = groups[gi]
    rng = rng_for(seed, 3, len(rest))
    if len(rest) >= 2:
        if waiting and len(rest) < most:
            team = _pick_team(model, rest, waiting, len(rest) + 1, rng, at_least=len(rest))
            if team is not None:
                groups[gi] = team
                waiting = [w for w in waiting if w not in team]
        return _to_grouping(model, groups, waiting)
    (member,) = rest
    others = [i for i in range(len(groups)) if i != gi]
    target = _best_group(
        model, member, groups, others, limit=most - 1, rng=rng, smallest_first=True
    )
    if target is not None:
        groups[target].append(member)
        groups[gi] = []
    else:
        full = min(model.size, most, len(waiting) + 1)
        team = _pick_team(model, rest, waiting, full, rng, at_least=2)
        if team is not None:
            groups[gi] = team
            waiting = [w for w in waiting if w not in team]
        else:
            groups[gi] = []
            waiting.append(member)
    return _to_grouping(model, [g for g in groups if g], waiting)


def _check_most(most: int | None) -> None:
    if most is not None and (isinstance(most, bool) or most < 2):
        raise MatchingError(f"the most people a group may hold must be at least 2, got {most!r}")


def _indices(model: Model, grouping: Grouping) -> tuple[list[list[int]], list[int]]:
    """The grouping in model indices, checking it names only known people, each once."""
    seen: set[PersonId] = set()
    for pid in [p for g in grouping.groups for p in g] + list(grouping.unmatched):
        if pid not in model.index:
            raise MatchingError(f"the grouping names {pid!r}, who is not among the people")
        if pid in seen:
            raise MatchingError(f"the grouping places {pid!r} more than once")
        seen.add(pid)
    groups = [[model.index[p] for p in g] for g in grouping.groups if g]
    return groups, [model.index[p] for p in grouping.unmatched]


def _to_grouping(model: Model, groups: list[list[int]], waiting: list[int]) -> Grouping:
    return Grouping(
        groups=tuple(tuple(model.ids[p] for p in g) for g in groups),
        unmatched=tuple(model.ids[p] for p in waiting),
    )


def _added_cost(model: Model, person: int, members: list[int]) -> tuple[bool, int]:
    """Whether `person` avoids anyone in `members`, and the cost they add by joining."""
    arr = np.asarray(members, dtype=np.int64)
    who = np.full(arr.size, person, dtype=np.int64)
    return bool(model.avoid_mask(who, arr).any()), int(model.cost(who, arr).sum())


def _best_group(
    model: Model,
    person: int,
    groups: list[list[int]],
    choices: range | list[int],
    *,
    limit: int | None,
    rng: np.random.Generator,
    sizes: dict[int, int] | None = None,
    smallest_first: bool = False,
) -> int | None:
    """Index of the cheapest avoid-free group among `choices` with at most `limit` members (None:
    any number); ties random. With `smallest_first`, the smallest such group, cheapest of those.
    """
    picks = np.asarray(list(choices), dtype=np.int64)
    if sizes is not None:
        size = np.asarray([sizes[int(i)] for i in picks], dtype=np.int64)
    else:
        size = np.asarray([len(groups[int(i)]) for i in picks], dtype=np.int64)
    if limit is not None:
        picks, size = picks[size <= limit], size[size <= limit]
    if picks.size == 0:
        return None
    # All candidate groups at once, as a padded grid (index n costs nothing).
    grid = padded([groups[int(i)] for i in picks], model.n)
    who = np.full(grid.shape, person, dtype=np.int64)
    ok = ~model.avoid_mask(who, grid).any(axis=1)
    if not ok.any():
        return None
    cost = model.cost(who, grid).sum(axis=1)[ok]
    ties = rng.random(cost.size)
    keys = (ties, cost, size[ok]) if smallest_first else (ties, cost)
    return int(picks[ok][np.lexsort(keys)[0]])


def _pick_team(
    model: Model,
    core: list[int],
    waiting: list[int],
    size: int,
    rng: np.random.Generator,
    at_least: int | None = None,
) -> list[int] | None:
    """`core` plus the cheapest compatible waiting people, greedily, up to `size` members.

    Returns None unless the team reaches `at_least` members (default: `size`).
    """
    team = list(core)
    pool = [w for w in waiting if w not in team]
    order = rng.permutation(len(pool))
    pool = [pool[i] for i in order]
    while len(team) < size and pool:
        scored = [(_added_cost(model, w, team), k) for k, w in enumerate(pool)]
        fits = [(cost, k) for (clash, cost), k in scored if not clash]
        if not fits:
            break
        _, k = min(fits)
        team.append(pool.pop(k))
    return team if len(team) >= (at_least if at_least is not None else size) else None
