"""Convenor's matching engine: "sort of random" pairs and groups, across rounds, at scale.

A pure library (no Django): the web app, the CLI and the benchmark call these functions.
"""

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
    "match",
    "plan",
    "remove_person",
]
