"""The Cynefin board: situations people face, placed in a domain or in the centre when unsure.

One board per session (every Cynefin segment of the session adds to it). Anyone may suggest
moving someone else's item; its author or a facilitator moves it. Events are "board.*" with
ids, domains and counts only.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from convenor.activities.registry import author_label
from convenor.boards.common import check_open, check_segment, clean_text, md_text
from convenor.boards.models import MAX_ITEM_CHARS, CynefinItem, CynefinSuggestion, Domain
from convenor.live.events import emit, lock_state
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session

KINDS = frozenset({Segment.Kind.CYNEFIN_BOARD})
WHAT = "a Cynefin board segment"
# Short names for sentences ("moved to complex"); the full labels head the board's lists.
SHORT = {
    Domain.CLEAR: "clear",
    Domain.COMPLICATED: "complicated",
    Domain.COMPLEX: "complex",
    Domain.CHAOTIC: "chaotic",
    Domain.UNSURE: "the centre (not sure yet)",
}
# The order counts are read out in: the four domains from clear to chaotic, then the centre.
READING_ORDER = [Domain.CLEAR, Domain.COMPLICATED, Domain.COMPLEX, Domain.CHAOTIC, Domain.UNSURE]


def check_domain(domain: str) -> Domain:
    if domain not in Domain.values:
        choices = ", ".join(Domain.values)
        raise ValidationError(f"Unknown domain “{domain[:20]}”; choose one of {choices}.")
    return Domain(domain)


def counts(session: Session) -> dict[str, int]:
    """Visible items per domain, every domain present."""
    rows = (
        CynefinItem.objects.filter(session=session, hidden=False)
        .order_by()
        .values("domain")
        .annotate(n=Count("id"))
    )
    found = {row["domain"]: row["n"] for row in rows}
    return {domain: found.get(domain, 0) for domain in Domain.values}


def do_cynefin_post(
    segment: Segment, author: Participant, text: str, domain: str = Domain.UNSURE
) -> CynefinItem:
    """Put a situation on the session's board, in `domain` (the centre when unsure)."""
    text = clean_text(text, MAX_ITEM_CHARS, "A situation")
    chosen = check_domain(domain)
    session = segment.session
    check_open(session)
    if author.programme_id != session.programme_id:
        raise ValidationError("Only this programme's participants can take part here.")
    with transaction.atomic():
        lock_state(session)
        check_segment(segment, KINDS, WHAT)
        item = CynefinItem.objects.create(
            session=session, segment=segment, author=author, text=text, domain=chosen
        )
        emit(
            session,
            "board.posted",
            {"item": str(item.pk), "domain": item.domain, "counts": counts(session)},
        )
    return item


def do_cynefin_suggest(
    item: CynefinItem, participant: Participant, domain: str
) -> CynefinSuggestion:
    """Say `item` belongs in `domain` (replacing this person's earlier suggestion for it)."""
    chosen = check_domain(domain)
    session = item.session
    check_open(session)
    if participant.programme_id != session.programme_id:
        raise ValidationError("Only this programme's participants can take part here.")
    with transaction.atomic():
        lock_state(session)
        item = CynefinItem.objects.get(pk=item.pk)
        if item.hidden:
            raise ValidationError("The facilitator has hidden this item.")
        if item.author_id == participant.pk:
            raise ValidationError("You posted this one: move it yourself rather than suggest.")
        if item.domain == chosen:
            raise ValidationError(f"It is already in {SHORT[chosen]}.")
        suggestion, _ = CynefinSuggestion.objects.update_or_create(
            item=item,
            participant=participant,
            defaults={"domain": chosen, "created_at": timezone.now()},
        )
        count = CynefinSuggestion.objects.filter(item=item, domain=chosen).count()
        emit(
            session,
            "board.suggested",
            {"item": str(item.pk), "domain": chosen.value, "count": count},
        )
    return suggestion


def may_move(item: CynefinItem, membership: Membership) -> bool:
    if membership.is_facilitator:
        return True
    return membership.participant is not None and membership.participant.pk == item.author_id


def do_cynefin_move(item: CynefinItem, membership: Membership, domain: str) -> CynefinItem:
    """Move an item to `domain`: its author or a facilitator. Suggestions it now meets go."""
    chosen = check_domain(domain)
    session = item.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        item = CynefinItem.objects.get(pk=item.pk)
        if not may_move(item, membership):
            raise ValidationError(
                "Only the person who posted it or a facilitator can move it; suggest a move "
                "instead."
            )
        if item.hidden and not membership.is_facilitator:
            raise ValidationError("The facilitator has hidden this item.")
        if item.domain == chosen:
            raise ValidationError(f"It is already in {SHORT[chosen]}.")
        item.domain = chosen
        item.moved_at = timezone.now()
        item.save(update_fields=["domain", "moved_at"])
        CynefinSuggestion.objects.filter(item=item, domain=chosen).delete()
        emit(
            session,
            "board.moved",
            {"item": str(item.pk), "domain": item.domain, "counts": counts(session)},
        )
    return item


def do_cynefin_hide(item: CynefinItem, hidden: bool) -> CynefinItem:
    """Hide an item from participants and the record (or show it again); for facilitators."""
    session = item.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        item = CynefinItem.objects.get(pk=item.pk)
        if item.hidden == hidden:
            return item
        item.hidden = hidden
        item.save(update_fields=["hidden"])
        emit(
            session,
            "board.hidden",
            {"item": str(item.pk), "hidden": hidden, "counts": counts(session)},
        )
    return item


# --- What the panels and the record show ----------------------------------------------------


@dataclass(frozen=True)
class SuggestionCount:
    domain: str
    label: str
    count: int


@dataclass(frozen=True)
class ItemView:
    item: CynefinItem
    author: str | None
    suggestions: list[SuggestionCount]
    can_move: bool
    # The domain this viewer suggested for it (its label), if any.
    my_suggestion: str | None
    # The domains it could go to (all but its own), for the move and suggest selects.
    elsewhere: list[tuple[str, str]]


@dataclass(frozen=True)
class DomainView:
    key: str
    label: str
    count: int
    items: list[ItemView]


def board_for(session: Session, viewer: Membership | None) -> list[DomainView]:
    """The board as `viewer` sees it (None: the record); hidden items only for facilitators."""
    items = CynefinItem.objects.filter(session=session).select_related("author")
    if viewer is None or not viewer.is_facilitator:
        items = items.filter(hidden=False)
    suggested: Counter[tuple[Any, str]] = Counter()
    rows = (
        CynefinSuggestion.objects.filter(item__session=session)
        .order_by()
        .values("item_id", "domain")
        .annotate(n=Count("id"))
    )
    for row in rows:
        suggested[(row["item_id"], row["domain"])] = row["n"]
    mine: dict[Any, str] = {}
    if viewer is not None and viewer.participant is not None:
        mine = dict(
            CynefinSuggestion.objects.filter(
                item__session=session, participant=viewer.participant
            ).values_list("item_id", "domain")
        )
    programme = session.programme
    labels = dict(Domain.choices)
    by_domain: dict[str, list[ItemView]] = {domain: [] for domain in Domain.values}
    for item in items.order_by("created_at"):
        by_domain[item.domain].append(
            ItemView(
                item,
                author_label(programme, item.author, viewer),
                [
                    SuggestionCount(domain, str(labels[domain]), suggested[(item.pk, domain)])
                    for domain in Domain.values
                    if suggested[(item.pk, domain)] and domain != item.domain
                ],
                # Archived programmes are read-only, for facilitators too.
                viewer is not None
                and may_move(item, viewer)
                and (viewer.participant is not None or viewer.can_edit),
                str(labels[mine[item.pk]]) if item.pk in mine else None,
                [(key, str(labels[key])) for key in Domain.values if key != item.domain],
            )
        )
    shown = counts(session)
    return [
        DomainView(domain, str(labels[domain]), shown[domain], by_domain[domain])
        for domain in Domain.values
    ]


def summary(board: list[DomainView]) -> str:
    """The counts as one sentence, e.g. "2 clear, 0 complicated, …, 1 not sure yet"."""
    by_key = {view.key: view.count for view in board}
    names = {**SHORT, Domain.UNSURE: "not sure yet"}
    return ", ".join(f"{by_key[domain]} {names[domain]}" for domain in READING_ORDER)


def panel_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    return _context(board_for(session, membership))


def everyone_context(session: Session, segment: Segment) -> dict[str, Any]:
    """A participant's panel when no item on the board is theirs and they have suggested no
    move: the board as the record has it (see Panel.for_everyone in
    convenor.activities.registry)."""
    return _context(board_for(session, None))


def own(session: Session, segment: Segment) -> set[Any]:
    """The participants whose panel differs from `everyone_context`: they may move their own
    items (and see "You" on them), and see the moves they suggested."""
    authors = CynefinItem.objects.filter(session=session, hidden=False).values_list(
        "author_id", flat=True
    )
    suggesters = CynefinSuggestion.objects.filter(item__session=session).values_list(
        "participant_id", flat=True
    )
    return {*authors, *suggesters}


def _context(board: list[DomainView]) -> dict[str, Any]:
    return {
        "cynefin_board": board,
        "cynefin_summary": summary(board),
        "cynefin_total": sum(view.count for view in board),
        "cynefin_domains": Domain.choices,
        "cynefin_max": MAX_ITEM_CHARS,
    }


def export(session: Session) -> dict[str, Any]:
    board = board_for(session, None)
    domains: dict[str, list[dict[str, Any]]] = {}
    for view in board:
        entries = []
        for item_view in view.items:
            entry: dict[str, Any] = {
                "text": item_view.item.text,
                "suggestions": {s.domain: s.count for s in item_view.suggestions},
            }
            if item_view.author is not None:
                entry["author"] = item_view.author
            entries.append(entry)
        domains[view.key] = entries
    return {"counts": {view.key: view.count for view in board}, "domains": domains}


def export_markdown(session: Session) -> list[str]:
    data = export(session)
    if not any(data["domains"].values()):
        return []
    labels = dict(Domain.choices)
    short = {**SHORT, Domain.UNSURE: "the centre"}
    lines = [f"Counts: {summary(board_for(session, None))}.", ""]
    for domain in READING_ORDER:
        entries = data["domains"][domain]
        lines += [f"### {labels[domain]} ({len(entries)})", ""]
        for entry in entries:
            by = f" ({entry['author']})" if "author" in entry else ""
            moves = [f"{n} suggest {short[Domain(d)]}" for d, n in entry["suggestions"].items()]
            after = f" [{'; '.join(moves)}]" if moves else ""
            lines.append(f"- {md_text(entry['text'])}{by}{after}")
        if not entries:
            lines.append("- (none)")
        lines.append("")
    return lines
