"""The activities framework: one role check and field check for socket and form, the region,
and the session record. A throwaway activity ("probe") is registered for these tests only."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from activity_helpers import membership_of as member
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from convenor.accounts.models import User
from convenor.activities import registry as reg
from convenor.activities.dispatch import AFTER_THE_END, current_segment, perform
from convenor.activities.registry import ActivityError, author_label
from convenor.live import actions as live_actions
from convenor.live.commands import Field
from convenor.live.models import SegmentRun
from convenor.programmes.access import Membership
from convenor.programmes.models import Participant, Programme
from convenor.workshops.models import Segment, Session

SEEN: list[dict[str, Any]] = []


def _run(session: Session, membership: Membership, values: dict[str, Any]) -> str:
    if values["text"] == "refuse":
        raise ActivityError("Probe refused.")
    SEEN.append(values)
    return f"Probed {values['text']}."


def _context(membership: Membership, session: Session, segment: Segment) -> dict[str, Any]:
    return {"probe_text": "<b>probe panel</b>"}


@pytest.fixture(autouse=True)
def probe(tmp_path: Any, settings: Any) -> Iterator[None]:
    template_dir = tmp_path / "templates"
    (template_dir / "probe").mkdir(parents=True)
    (template_dir / "probe" / "panel.html").write_text("<p id='probe'>{{ probe_text }}</p>")
    (template_dir / "probe" / "console.html").write_text("<p id='probe-console'>console</p>")
    templates = [dict(t) for t in settings.TEMPLATES]
    templates[0]["DIRS"] = [str(template_dir), *templates[0].get("DIRS", [])]
    settings.TEMPLATES = templates
    saved = (dict(reg.registry.actions), list(reg.registry.panels), list(reg.registry.exports))
    reg.register_action(
        reg.Action(
            "probe.say",
            (Field("text", "str", required=True, max_length=10), Field("n", "int")),
            _run,
        )
    )
    reg.register_action(reg.Action("probe.hush", (), lambda s, m, v: "Hushed.", role="facilitator"))
    reg.register_panel(
        reg.Panel(
            "probe", frozenset({"plenary"}), "probe/panel.html", _context, "probe/console.html"
        )
    )
    reg.register_export(
        reg.Export("probe", "Probe", lambda s: {"said": len(SEEN)}, lambda s: ["- probe line"])
    )
    SEEN.clear()
    yield
    reg.registry.actions, reg.registry.panels, reg.registry.exports = saved[0], saved[1], saved[2]


@pytest.fixture
def plenary(session: Session) -> Segment:
    made = Segment.objects.create(
        session=session, position=0, title="Plenary", kind="plenary", duration_minutes=10
    )
    return made


def test_names_must_carry_a_dot() -> None:
    with pytest.raises(ValueError):
        reg.register_action(reg.Action("nodot", (), _run))


def test_perform_checks_fields_and_roles(session: Session, participant: Participant) -> None:
    as_participant = member(session.programme, participant)
    assert perform(session, as_participant, "probe.say", {"text": "hi", "n": 2}) == "Probed hi."
    bad = [
        ("probe.nope", {"text": "x"}, "Unknown activity action"),
        ("probe.say", {}, "required"),
        ("probe.say", {"text": "x" * 11}, "too long"),
        ("probe.say", {"text": "x", "n": "2"}, "whole number"),
        ("probe.say", {"text": "x", "extra": 1}, "Unexpected field"),
        ("probe.say", {"text": "refuse"}, "Probe refused"),
        ("probe.hush", {}, "Only the programme's facilitators"),
    ]
    for name, data, message in bad:
        with pytest.raises(ActivityError, match=message):
            perform(session, as_participant, name, data)
    with pytest.raises(ActivityError, match="Only participants"):
        perform(session, member(session.programme), "probe.say", {"text": "x"})
    assert perform(session, member(session.programme), "probe.hush", {}) == "Hushed."
    assert SEEN == [{"text": "hi", "n": 2}]


def test_participants_contributions_close_a_few_minutes_after_the_session_ends(
    session: Session, participant: Participant, facilitator: Any, plenary: Segment
) -> None:
    """A stale page cannot add to a session that is over (it would change its record): a
    participant's action is refused from AFTER_THE_END after the last segment ended, and
    changes nothing; a facilitator can still tidy (hide); a session not over is open."""
    as_participant = member(session.programme, participant)
    live_actions.do_start_segment(session, facilitator, plenary)
    live_actions.do_end_segment(session, facilitator)
    # Just ended: someone finishing a sentence is still heard.
    assert perform(session, as_participant, "probe.say", {"text": "late"}) == "Probed late."
    SegmentRun.objects.filter(session=session).update(
        ended_at=timezone.now() - AFTER_THE_END - timedelta(seconds=1)
    )
    with pytest.raises(ActivityError, match="This session is over"):
        perform(session, as_participant, "probe.say", {"text": "too late"})
    assert SEEN == [{"text": "late"}]
    assert perform(session, member(session.programme), "probe.hush", {}) == "Hushed."
    # A segment added afterwards (the facilitator carries on): open again.
    Segment.objects.create(
        session=session, position=1, title="Extra", kind="plenary", duration_minutes=5
    )
    assert perform(session, as_participant, "probe.say", {"text": "again"}) == "Probed again."


def test_archived_programme_refuses(session: Session, participant: Participant) -> None:
    programme = session.programme
    programme.archived_at = programme.created_at
    programme.save()
    with pytest.raises(ActivityError, match="archived"):
        perform(session, member(programme, participant), "probe.say", {"text": "x"})
    assert SEEN == []


def test_author_label(programme: Programme, participant: Participant) -> None:
    other = Participant.objects.create(
        programme=programme, display_name="Omar Other", organisation="A", sector="B"
    )
    viewer = member(programme, participant)
    programme.chatham_house = False
    assert author_label(programme, other, viewer) == "Omar Other"
    assert author_label(programme, participant, viewer) == "You"
    programme.chatham_house = True
    assert author_label(programme, other, viewer) is None
    assert author_label(programme, other, member(programme)) is None
    assert author_label(programme, participant, viewer) == "You"


def test_region_follows_the_current_segment(
    facilitator: User,
    session: Session,
    plenary: Segment,
    participant_client: Client,
    facilitator_client: Client,
) -> None:
    url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    assert current_segment(session) is None
    assert "appear here when the facilitator" in participant_client.get(url).content.decode()
    live_actions.do_start_segment(session, facilitator, plenary)
    assert current_segment(session) == plenary
    body = participant_client.get(url).content.decode()
    assert "&lt;b&gt;probe panel&lt;/b&gt;" in body and "<b>" not in body
    assert "probe-console" in facilitator_client.get(url).content.decode()
    page = participant_client.get(reverse("live:session", args=[session.programme_id, session.pk]))
    assert "id='probe'" in page.content.decode()
    live_actions.do_end_segment(session, facilitator)
    assert current_segment(session) == plenary  # still shown between segments
    missing = participant_client.get(url + "?segment=not-a-uuid")
    assert missing.status_code == 404


def test_act_form_path(session: Session, participant_client: Client) -> None:
    url = reverse("live:act", args=[session.programme_id, session.pk])
    assert participant_client.get(url).status_code == 405
    done = participant_client.post(url, {"action": "probe.say", "text": "hey", "n": "3"})
    assert done.status_code == 302 and done.url.endswith("/live/")
    assert SEEN == [{"text": "hey", "n": 3}]
    refused = participant_client.post(
        url, {"action": "probe.say", "text": "x" * 20}, HTTP_ACCEPT="application/json"
    )
    assert refused.status_code == 400 and "too long" in refused.json()["error"]
    ok = participant_client.post(
        url, {"action": "probe.say", "text": "json"}, HTTP_ACCEPT="application/json"
    )
    assert ok.json() == {"message": "Probed json."}
    assert len(SEEN) == 2


def test_act_refuses_outsiders_and_unagreed(
    session: Session, outsider_client: Client, new_participant_client: Client
) -> None:
    url = reverse("live:act", args=[session.programme_id, session.pk])
    assert outsider_client.post(url, {"action": "probe.say", "text": "x"}).status_code == 404
    response = new_participant_client.post(url, {"action": "probe.say", "text": "x"})
    assert response.status_code == 302 and "ground" in response.url
    assert SEEN == []


def test_record_export_is_for_facilitators(
    session: Session,
    facilitator_client: Client,
    participant_client: Client,
    outsider_client: Client,
) -> None:
    url = reverse("live:export", args=[session.programme_id, session.pk])
    assert participant_client.get(url).status_code == 403
    assert outsider_client.get(url).status_code == 404
    data = json.loads(facilitator_client.get(url).content)
    assert data["sections"]["probe"] == {"said": 0}
    assert data["chatham_house"] is True
    markdown = facilitator_client.get(url + "?format=md").content.decode()
    assert "## Probe" in markdown and "- probe line" in markdown
    assert "Chatham House" in markdown
    assert facilitator_client.get(url + "?format=pdf").status_code == 400


def test_only_panels_built_on_groups_follow_rounds(
    facilitator: User, session: Session, plenary: Segment, participant_client: Client
) -> None:
    """live.js re-fetches the activity region on round events only when it is marked."""
    url = reverse("live:activity_part", args=[session.programme_id, session.pk])
    live_actions.do_start_segment(session, facilitator, plenary)
    assert "data-follows-round" not in participant_client.get(url).content.decode()
    mapping = Segment.objects.create(
        session=session, position=1, title="Map", kind="empathy_map", duration_minutes=10
    )
    live_actions.do_start_segment(session, facilitator, mapping)
    assert "data-follows-round" in participant_client.get(url).content.decode()
    page = participant_client.get(reverse("live:session", args=[session.programme_id, session.pk]))
    assert "data-follows-round" in page.content.decode()
