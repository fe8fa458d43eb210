"""The plenary stream: short posts with reactions, pinned or hidden by a facilitator.

Each plenary or talk segment keeps its own stream. Every write goes through a `do_*` function
that checks, writes and emits a "plenary.*" event (ids and counts only) in one transaction.
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
from convenor.boards.models import (
    MAX_POST_CHARS,
    MAX_PROMPT_CHARS,
    EmpathyNote,
    PlenaryPost,
    PlenaryPrompt,
    PlenaryReaction,
)
from convenor.live.events import emit, lock_state
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant
from convenor.workshops.models import Segment, Session

KINDS = frozenset({Segment.Kind.PLENARY, Segment.Kind.TALK})
WHAT = "a plenary or talk segment"


def prompt_for(segment: Segment) -> str:
    """The facilitator's prompt for the stream, else the run-sheet's prompts for the segment."""
    found = PlenaryPrompt.objects.filter(segment=segment).first()
    return found.text if found is not None else segment.prompts


def _same_programme(session: Session, participant: Participant) -> None:
    if participant.programme_id != session.programme_id:
        raise ValidationError("Only this programme's participants can take part here.")


def do_plenary_post(segment: Segment, author: Participant, text: str) -> PlenaryPost:
    """Add a post to the segment's stream (newest last)."""
    text = clean_text(text, MAX_POST_CHARS, "A post")
    session = segment.session
    check_open(session)
    _same_programme(session, author)
    with transaction.atomic():
        lock_state(session)
        check_segment(segment, KINDS, WHAT)
        post = PlenaryPost.objects.create(
            session=session, segment=segment, author=author, text=text
        )
        count = PlenaryPost.objects.filter(segment=segment, hidden=False).count()
        emit(
            session,
            "plenary.posted",
            {"segment": str(segment.pk), "post": str(post.pk), "posts": count},
        )
    return post


def do_plenary_react(
    post: PlenaryPost, participant: Participant, kind: str, on: bool
) -> PlenaryPost:
    """Turn one of `participant`'s reactions to `post` on or off (a repeat changes nothing)."""
    if kind not in PlenaryReaction.Kind.values:
        choices = ", ".join(PlenaryReaction.Kind.values)
        raise ValidationError(f"Unknown reaction “{kind[:20]}”; choose one of {choices}.")
    session = post.session
    check_open(session)
    _same_programme(session, participant)
    with transaction.atomic():
        lock_state(session)
        post = PlenaryPost.objects.get(pk=post.pk)
        if post.hidden:
            raise ValidationError("The facilitator has hidden this post; it takes no reactions.")
        mine = PlenaryReaction.objects.filter(post=post, participant=participant, kind=kind)
        if on == mine.exists():
            return post
        if on:
            PlenaryReaction.objects.create(post=post, participant=participant, kind=kind)
        else:
            mine.delete()
        count = PlenaryReaction.objects.filter(post=post, kind=kind).count()
        emit(
            session,
            "plenary.reacted",
            {"post": str(post.pk), "reaction": kind, "count": count},
        )
    return post


def _moderate(post: PlenaryPost, field: str, value: bool) -> PlenaryPost:
    session = post.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        post = PlenaryPost.objects.get(pk=post.pk)
        if getattr(post, field) == value:
            return post
        setattr(post, field, value)
        post.save(update_fields=[field])
        emit(session, f"plenary.{field}", {"post": str(post.pk), field: value})
    return post


def do_plenary_pin(post: PlenaryPost, pinned: bool) -> PlenaryPost:
    """Pin a post to the top of its stream (or unpin it); for facilitators."""
    return _moderate(post, "pinned", pinned)


def do_plenary_hide(post: PlenaryPost, hidden: bool) -> PlenaryPost:
    """Hide a post from participants and the record (or show it again); for facilitators."""
    return _moderate(post, "hidden", hidden)


def do_plenary_prompt(segment: Segment, text: str) -> str:
    """Set the question at the top of the stream; empty text goes back to the run-sheet's."""
    if segment.kind not in KINDS:
        raise ValidationError(f"“{segment.title}” is not {WHAT}.")
    text = text.replace("\r\n", "\n").strip()
    if text:
        text = clean_text(text, MAX_PROMPT_CHARS, "The prompt")
    session = segment.session
    check_open(session)
    with transaction.atomic():
        lock_state(session)
        if text:
            PlenaryPrompt.objects.update_or_create(
                segment=segment, defaults={"text": text, "updated_at": timezone.now()}
            )
        else:
            PlenaryPrompt.objects.filter(segment=segment).delete()
        emit(session, "plenary.prompted", {"segment": str(segment.pk)})
    return prompt_for(segment)


# --- What the panels and the record show ----------------------------------------------------


@dataclass(frozen=True)
class ReactionView:
    kind: str
    label: str
    count: int
    pressed: bool


@dataclass(frozen=True)
class PostView:
    post: PlenaryPost
    author: str | None
    reactions: list[ReactionView]


def posts_for(segment: Segment, viewer: Membership | None) -> list[PostView]:
    """The stream as `viewer` sees it: pinned first, then newest last; hidden posts only for
    facilitators (viewer None: the record, which leaves them out too)."""
    posts = PlenaryPost.objects.filter(segment=segment).select_related("author")
    if viewer is None or not viewer.is_facilitator:
        posts = posts.filter(hidden=False)
    counts: Counter[tuple[Any, str]] = Counter()
    rows = (
        PlenaryReaction.objects.filter(post__segment=segment)
        .order_by()
        .values("post_id", "kind")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[(row["post_id"], row["kind"])] = row["n"]
    mine: set[tuple[Any, str]] = set()
    if viewer is not None and viewer.participant is not None:
        mine = set(
            PlenaryReaction.objects.filter(
                post__segment=segment, participant=viewer.participant
            ).values_list("post_id", "kind")
        )
    programme = segment.session.programme
    return [
        PostView(
            post,
            author_label(programme, post.author, viewer),
            [
                ReactionView(kind, str(label), counts[(post.pk, kind)], (post.pk, kind) in mine)
                for kind, label in PlenaryReaction.Kind.choices
            ],
        )
        for post in posts.order_by("-pinned", "created_at")
    ]


def panel_context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    return _context(session, segment, posts_for(segment, membership))


def everyone_context(session: Session, segment: Segment) -> dict[str, Any]:
    """A participant's panel when none of the posts is theirs and they have not reacted: the
    posts as the record has them (see convenor.activities.registry.Panel.for_everyone)."""
    return _context(session, segment, posts_for(segment, None))


def own(session: Session, segment: Segment) -> set[Any]:
    """The participants whose panel differs from `everyone_context`: their post says "You",
    or their reactions show as pressed."""
    authors = PlenaryPost.objects.filter(segment=segment, hidden=False).values_list(
        "author_id", flat=True
    )
    reactors = PlenaryReaction.objects.filter(post__segment=segment).values_list(
        "participant_id", flat=True
    )
    return {*authors, *reactors}


def _context(session: Session, segment: Segment, posts: list[PostView]) -> dict[str, Any]:
    return {
        "plenary_prompt": prompt_for(segment),
        "plenary_custom_prompt": PlenaryPrompt.objects.filter(segment=segment).exists(),
        "plenary_posts": posts,
        "plenary_visible": sum(1 for view in posts if not view.post.hidden),
        "plenary_max": MAX_POST_CHARS,
        "plenary_prompt_max": MAX_PROMPT_CHARS,
        # The groups' empathy maps are often what a plenary talks about: link to them.
        "plenary_empathy_maps": EmpathyNote.objects.filter(session=session, hidden=False).exists(),
    }


def _segments_with_streams(session: Session) -> list[Segment]:
    return list(
        session.segments.filter(kind__in=KINDS)
        .filter(plenary_posts__hidden=False)
        .distinct()
        .order_by("position", "created_at")
    )


def export(session: Session) -> list[dict[str, Any]]:
    """Each segment's stream for the record: visible posts, their reactions, authors only when
    the programme is not under the Chatham House rule."""
    sections = []
    for segment in _segments_with_streams(session):
        posts = []
        for view in posts_for(segment, None):
            item: dict[str, Any] = {
                "text": view.post.text,
                "pinned": view.post.pinned,
                "reactions": {r.kind: r.count for r in view.reactions},
            }
            if view.author is not None:
                item["author"] = view.author
            posts.append(item)
        sections.append({"segment": segment.title, "prompt": prompt_for(segment), "posts": posts})
    return sections


def export_markdown(session: Session) -> list[str]:
    lines: list[str] = []
    labels = dict(PlenaryReaction.Kind.choices)
    for section in export(session):
        lines += [f"### {md_text(section['segment'])}", ""]
        if section["prompt"]:
            lines += [f"> {md_text(line)}" for line in section["prompt"].splitlines()] + [""]
        for post in section["posts"]:
            text = md_text(post["text"])
            by = f" ({post['author']})" if "author" in post else ""
            pin = "Pinned: " if post["pinned"] else ""
            reacted = [f"{labels[k]} {n}" for k, n in post["reactions"].items() if n]
            after = f" [{', '.join(reacted)}]" if reacted else ""
            lines.append(f"- {pin}{text}{by}{after}")
        lines.append("")
    return lines
