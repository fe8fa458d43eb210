"""The write actions: each refuses bad input with a clear error and changes nothing."""

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from convenor.accounts.models import User
from convenor.programmes import actions
from convenor.programmes.invites import find_invite, hash_token
from convenor.programmes.models import Facilitation, Invite, Participant, Programme


def snapshot() -> dict[str, list[dict[str, Any]]]:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Programme, Facilitation, Participant, Invite)
    }


def test_create_programme_validates(facilitator: User) -> None:
    with pytest.raises(ValidationError) as error:
        actions.create_programme(facilitator, name=" ", retention_days=10)
    assert set(error.value.message_dict) == {"name", "retention_days"}
    assert not Programme.objects.exists() and not Facilitation.objects.exists()


def test_update_programme_leaves_the_callers_instance_alone_on_error(
    programme: Programme, facilitator: User
) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        actions.update_programme(programme, facilitator, name="Fine", ground_rules="   ")
    assert "ground_rules" in error.value.message_dict
    assert programme.name == "Moving more together"
    assert snapshot() == before


def test_update_rejects_unknown_fields(programme: Programme, facilitator: User) -> None:
    with pytest.raises(TypeError, match="archived_at"):
        actions.update_programme(programme, facilitator, archived_at=timezone.now())


def test_archived_programme_refuses_every_write(
    programme: Programme, facilitator: User, participant: Participant
) -> None:
    actions.archive_programme(programme, facilitator)
    before = snapshot()
    writes = [
        lambda: actions.update_programme(programme, facilitator, name="x"),
        lambda: actions.archive_programme(programme, facilitator),
        lambda: actions.add_cofacilitator(programme, facilitator, "someone@example.org"),
        lambda: actions.add_participant(programme, facilitator, display_name="New"),
        lambda: actions.update_participant(participant, facilitator, display_name="x"),
        lambda: actions.remove_participant(participant, facilitator),
        lambda: actions.issue_personal_invite(participant, facilitator),
        lambda: actions.create_open_invite(programme, facilitator),
    ]
    for write in writes:
        with pytest.raises(ValidationError, match="archived"):
            write()
    assert snapshot() == before


def test_restore_needs_an_archived_programme(programme: Programme, facilitator: User) -> None:
    with pytest.raises(ValidationError, match="not archived"):
        actions.restore_programme(programme, facilitator)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"display_name": ""}, "display_name", "This field cannot be blank."),
        ({"display_name": "Al", "email": "nope"}, "email", "Enter a valid email address."),
        ({"display_name": "A" * 121}, "display_name", "at most 120 characters"),
        ({"display_name": "Al", "external_id": "p1"}, "__all__", "already has this id"),
        ({"display_name": "Al", "email": "PRIYA@example.org"}, "__all__", "has this email"),
    ],
)
def test_add_participant_validates(
    fields: dict[str, str],
    field: str,
    message: str,
    programme: Programme,
    facilitator: User,
) -> None:
    actions.add_participant(
        programme, facilitator, display_name="Priya", email="priya@example.org", external_id="p1"
    )
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        actions.add_participant(programme, facilitator, **fields)
    assert any(message in text for text in error.value.message_dict[field])
    assert snapshot() == before


def test_same_external_id_in_another_programme_is_fine(
    programme: Programme, facilitator: User
) -> None:
    other = actions.create_programme(facilitator, name="Second cohort")
    actions.add_participant(programme, facilitator, display_name="A", external_id="7")
    actions.add_participant(other, facilitator, display_name="B", external_id="7")
    actions.add_participant(programme, facilitator, display_name="C")
    actions.add_participant(programme, facilitator, display_name="D")  # two blank ids are fine
    assert Participant.objects.count() == 4


def test_personal_invite_is_hashed_at_rest_and_single_use(
    participant: Participant, facilitator: User
) -> None:
    issued = actions.issue_personal_invite(participant, facilitator)
    assert len(issued.token) == 43  # 32 random bytes, URL-safe base64
    assert issued.invite.token_hash == hash_token(issued.token)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM programmes_invite")
        stored = repr(cursor.fetchall())
    assert issued.token not in stored

    found = find_invite(issued.token)
    assert found == issued.invite
    assert actions.redeem_personal_invite(found) == participant
    with pytest.raises(actions.InviteNotUsable) as used:
        actions.redeem_personal_invite(find_invite(issued.token))  # type: ignore[arg-type]
    assert used.value.status == "used"
    assert "already been used" in used.value.messages[0]


def test_reissuing_revokes_the_earlier_link(participant: Participant, facilitator: User) -> None:
    first = actions.issue_personal_invite(participant, facilitator)
    second = actions.issue_personal_invite(participant, facilitator)
    first.invite.refresh_from_db()
    assert first.invite.status() == "revoked"
    with pytest.raises(actions.InviteNotUsable) as error:
        actions.redeem_personal_invite(first.invite)
    assert error.value.status == "revoked"
    assert actions.redeem_personal_invite(second.invite) == participant


def test_expired_and_revoked_links_do_not_work(participant: Participant, facilitator: User) -> None:
    expired = actions.issue_personal_invite(participant, facilitator)
    Invite.objects.filter(pk=expired.invite.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(actions.InviteNotUsable) as error:
        actions.redeem_personal_invite(Invite.objects.get(pk=expired.invite.pk))
    assert error.value.status == "expired"

    revoked = actions.issue_personal_invite(participant, facilitator)
    actions.revoke_invite(revoked.invite, facilitator)
    actions.revoke_invite(revoked.invite, facilitator)  # twice is harmless
    with pytest.raises(actions.InviteNotUsable) as error:
        actions.redeem_personal_invite(revoked.invite)
    assert error.value.status == "revoked"
    assert Invite.objects.get(pk=revoked.invite.pk).redeemed_at is None


@pytest.mark.parametrize(
    "token",
    ["", "short", "x" * 43 + "y", "!" * 43, "A" * 43],
)
def test_tampered_tokens_match_nothing(
    token: str, participant: Participant, facilitator: User
) -> None:
    actions.issue_personal_invite(participant, facilitator)
    assert find_invite(token) is None


def test_one_changed_character_matches_nothing(participant: Participant, facilitator: User) -> None:
    token = actions.issue_personal_invite(participant, facilitator).token
    tampered = ("B" if token[0] == "A" else "A") + token[1:]
    assert find_invite(tampered) is None


@pytest.mark.parametrize("days", [0, -1, 366])
def test_invite_validity_is_bounded(days: int, participant: Participant, facilitator: User) -> None:
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        actions.issue_personal_invite(participant, facilitator, valid_days=days)
    assert "valid_days" in error.value.message_dict
    assert snapshot() == before


def test_open_registration(programme: Programme, facilitator: User) -> None:
    first = actions.create_open_invite(programme, facilitator)
    second = actions.create_open_invite(programme, facilitator)
    first.invite.refresh_from_db()
    assert first.invite.status() == "revoked"  # one open link per programme
    with pytest.raises(actions.InviteNotUsable):
        actions.register_with_open_invite(first.invite, display_name="Late")

    one = actions.register_with_open_invite(
        second.invite, display_name="Sam", organisation="Active Partners", sector="Sport"
    )
    two = actions.register_with_open_invite(second.invite, display_name="Kim")
    assert {one.programme_id, two.programme_id} == {programme.pk}
    with pytest.raises(actions.InviteNotUsable) as error:
        actions.redeem_personal_invite(second.invite)
    assert error.value.status == "wrong_kind"
    with pytest.raises(ValidationError):
        actions.register_with_open_invite(second.invite, display_name="")
    assert Participant.objects.filter(programme=programme).count() == 2


def test_agree_ground_rules_is_idempotent(new_participant: Participant) -> None:
    first = actions.agree_ground_rules(new_participant).agreed_ground_rules_at
    assert first is not None
    assert actions.agree_ground_rules(new_participant).agreed_ground_rules_at == first
