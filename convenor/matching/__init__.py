"""Convenor's matching engine: "sort of random" pairs and groups, across rounds, at scale.

A pure library (no Django): the web app, the CLI and the benchmark call these functions.

- Sizes (`group_sizes`): n // size groups with the remainder spread one per group (pairs and
  one three for odd counts), unless that would need more than one extra per group; then
  n // size or one more groups, whichever keeps sizes closest to `size` (ties: fewer, larger
  groups), e.g. 7 in fours -> 4 + 3. 2..size-1 people make one group; a lone person is unmatched.
  `Problem.groups` asks for a number of groups instead (sizes n // groups or one more), e.g.
  15 people in 4 groups -> 4 + 4 + 4 + 3, which no target size gives.
- Priorities, in order: avoid pairs never share a group (when they leave no way to keep the
  sizes, sizes give way and whoever no group can take is unmatched); no pair meets again while
  a repeat-free grouping is found, else the repeats met longest ago, then least often; mixing on
  `Problem.mix` columns in order; mutual want pairs together; the seed decides among equals.
"""

from ._search import group_sizes
from .engine import evaluate, match
from .incremental import add_person, remove_person
from .planning import plan
from .types import (
    DEFAULT_MIX,
    Grouping,
    MatchingError,
    Person,
    PersonId,
    Problem,
    Summary,
)

__all__ = [
    "DEFAULT_MIX",
    "Grouping",
    "MatchingError",
    "Person",
    "PersonId",
    "Problem",
    "Summary",
    "add_person",
    "evaluate",
    "group_sizes",
    "match",
    "plan",
    "remove_person",
]
