"""Merging concurrent edits of one shared text (a breakout room's notes).

Every save of a room's notes is kept as the splices it made: where it changed the text before
it, what it took out and what it put in (one splice, or several when it was merged). A save
says which rev its text was based on; when others saved since, the change it makes to that
base is itself one splice (between the longest common beginning and end), which is moved past
the splices saved since and applied to the latest text. Where two changes meet, both
additions are kept, the later writer's after the earlier one's, and both removals are
honoured, except that nobody removes text that was added by a writer they had not seen. So
nobody's typing is lost.

Pure functions: no database, no Django. live.js does the same on the browser's side when a
save comes back merged while its writer went on typing (`rebase` there follows this one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Splice:
    """`text[at:at + len(removed)]` was `removed` and became `inserted`."""

    at: int
    removed: str
    inserted: str

    @property
    def end(self) -> int:
        return self.at + len(self.removed)

    def apply(self, text: str) -> str:
        return text[: self.at] + self.inserted + text[self.end :]

    def undo(self, text: str) -> str:
        return text[: self.at] + self.removed + text[self.at + len(self.inserted) :]

    def as_json(self) -> list[Any]:
        return [self.at, self.removed, self.inserted]

    @classmethod
    def from_json(cls, value: list[Any]) -> Splice:
        at, removed, inserted = value
        return cls(int(at), str(removed), str(inserted))


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common beginning (halving, so the comparisons run in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low


def splice_between(old: str, new: str) -> Splice:
    """The one splice that turns `old` into `new`, as small as a single splice can be."""
    start = _common_prefix(old, new)
    tail = _common_suffix(old, new, min(len(old), len(new)) - start)
    return Splice(start, old[start : len(old) - tail], new[start : len(new) - tail])


# A change on its way past others' saves: non-overlapping parts `(start, end, inserted)`, in
# order; each replaces `start:end` of the text of the moment with `inserted`.
Parts = list[tuple[int, int, str]]


def rebase(parts: Parts, over: Splice) -> Parts:
    """`parts`, a change made to the text before `over`, expressed on the text after it.

    A part wholly before `over` stays; one wholly after it moves by what `over` added or took
    out (at a tie of two additions at one place, ours goes after theirs); one that overlaps it
    splits around it: what it removed before `over` is still removed, `over`'s addition stays,
    and the rest of what it removed, and what it adds, come after that addition.
    """
    shift = len(over.inserted) - len(over.removed)
    theirs_end = over.at + len(over.inserted)
    moved: Parts = []
    for start, end, inserted in parts:
        if end < over.at or (end == over.at and start < end):
            moved.append((start, end, inserted))  # wholly before
        elif start >= over.end:
            moved.append((start + shift, end + shift, inserted))  # wholly after
        else:
            if start < over.at:
                moved.append((start, over.at, ""))
            rest = max(0, end - over.end)
            if rest or inserted:
                moved.append((theirs_end, theirs_end + rest, inserted))
    return moved


def merge_splices(latest: str, base: str, mine: str, since: list[Splice]) -> list[Splice]:
    """The splices, in the order they apply, that add `mine`'s edit of `base` to `latest`
    (`since` turned `base` into `latest`).

    Kept as they are, not as the one splice between `latest` and the merged text: where an
    addition begins or ends with the character beside it, that one splice can sit on the
    other side of the character, and a later save merged past it would then land inside
    this one's addition.
    """
    edit = splice_between(base, mine)
    parts: Parts = [(edit.at, edit.end, edit.inserted)]
    for other in since:
        parts = rebase(parts, other)
    # From the last part back, so each applies where the parts said.
    return [
        Splice(start, latest[start:end], inserted)
        for start, end, inserted in reversed(parts)
        if end > start or inserted
    ]


def apply_all(text: str, splices: list[Splice]) -> str:
    for splice in splices:
        text = splice.apply(text)
    return text


def merge(latest: str, base: str, mine: str, since: list[Splice]) -> str:
    """`mine` was `base` edited; `since` turned `base` into `latest`: both edits, applied."""
    return apply_all(latest, merge_splices(latest, base, mine, since))


def base_text(latest: str, since: list[Splice]) -> str:
    """The text before `since` (the splices that made `latest`, oldest first) were applied."""
    text = latest
    for splice in reversed(since):
        text = splice.undo(text)
    return text
