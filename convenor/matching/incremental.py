"""Live changes to a round: a latecomer joins, someone leaves; nobody else is moved (except,
when a leaver's partner would be left alone, one member of a three if the caller asks)."""

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

    `most` caps every group (breakout rooms; coffee trials' threes): no group is joined once it
    has `most` members. When every group is full, the latecomer opens a new group with whoever
    is waiting (so two people waiting for a place talk together rather than wait), else waits
    in `unmatched`: nobody leaves a conversation under way to make room for them (unlike a
    leaver's partner: see `remove_person`'s `borrow`).
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
    problem: Problem,
    grouping: Grouping,
    person_id: PersonId,
    *,
    most: int | None = None,
    borrow: bool = False,
) -> Grouping:
    """Take out someone who left and re-home their partner(s) if their group is now too small.

    A group left with fewer than size members is first topped up from `unmatched`; failing that,
    its members each join the best other group with room (never one holding someone they
    avoid); if not all of them can, they stay together as a smaller group (or, alone, join the
    best fuller group, or wait in `unmatched`). Nobody else moves (but see `borrow`).
    `problem.people` may or may not still list the leaver.

    With `most` (breakout rooms, which hold at most `most` people and keep their members
    together; coffee trials use it too, for their cap of three): a group still holding two or
    more people stays as it is, taking the best compatible waiting person into the freed place
    if anyone waits. Only someone left alone moves: into the smallest group with fewer than
    `most` members that holds nobody they avoid (the cheapest of those, then the seed);
    failing that, with whoever is waiting; else they wait in `unmatched`.

    `borrow` (coffee trials, where a three can become two pairs): someone left alone who would
    otherwise wait in `unmatched` keeps their group, and one member of a group of three or more
    (chosen as in `_borrow`) joins them; the only other change is that someone waiting may
    take the place that member freed. They wait only when every such member is someone they
    avoid.
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
        return _remove_from_room(model, problem.seed, groups, waiting, gi, most, borrow)
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
        if fuller is not None:
            groups[fuller].append(member)
            groups[gi] = []
        elif not (borrow and _lend_to(model, groups, waiting, gi, others, rng)):
            waiting.append(member)
            groups[gi] = []
    return _to_grouping(model, [g for g in groups if g], waiting)


def _remove_from_room(
    model: Model,
    seed: int,
    groups: list[list[int]],
    waiting: list[int],
    gi: int,
    most: int,
    borrow: bool,
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
        elif not (borrow and _lend_to(model, groups, waiting, gi, others, rng)):
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


def _borrow(
    model: Model,
    person: int,
    groups: list[list[int]],
    choices: range | list[int],
    rng: np.random.Generator,
) -> tuple[int, int] | None:
    """(group index, member): who, from a group of three or more among `choices`, should join
    `person`, who would otherwise be alone; None when every such member is someone `person`
    avoids. The group they leave keeps two or more, and nobody else moves.

    The engine's priorities choose, judged on the round's groups as a whole: never someone
    `person` avoids; then the member whose move leaves the groups cheapest, that is the cost
    of their new pair with `person` (a repeat, dearer the more recent and the more often;
    then a shared organisation, then sector; a mutual want earns a little) less the cost of
    their pairs in the group they leave (so moving someone out of a repeat or a
    same-organisation pair counts in their favour); the seed breaks ties.
    """
    picks = [i for i in choices if len(groups[i]) >= 3]
    if not picks:
        return None
    grid = padded([groups[i] for i in picks], model.n)
    who = np.full(grid.shape, person, dtype=np.int64)
    ok = (grid < model.n) & ~model.avoid_mask(who, grid)
    if not ok.any():
        return None
    joins = model.cost(who, grid)
    leaves = model.cost(grid[:, :, None], grid[:, None, :]).sum(axis=2)
    rows, cols = np.nonzero(ok)
    change = (joins - leaves)[rows, cols]
    best = int(np.lexsort((rng.random(change.size), change))[0])
    return picks[int(rows[best])], int(grid[rows[best], cols[best]])


def _lend_to(
    model: Model,
    groups: list[list[int]],
    waiting: list[int],
    gi: int,
    choices: list[int],
    rng: np.random.Generator,
) -> bool:
    """Bring one member of a group of three or more into group `gi`, which holds one person
    (see `_borrow`), and offer the place they free to the best compatible person in `waiting`
    (whom the person in `gi` avoids, or they would have paired). Whether anyone came; `groups`
    and `waiting` are changed in place."""
    (person,) = groups[gi]
    lent = _borrow(model, person, groups, choices, rng)
    if lent is None:
        return False
    donor, member = lent
    groups[donor].remove(member)
    groups[gi].append(member)
    rest = groups[donor]
    team = _pick_team(model, rest, waiting, len(rest) + 1, rng) if waiting else None
    if team is not None:
        groups[donor] = team
        waiting[:] = [w for w in waiting if w not in team]
    return True


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
