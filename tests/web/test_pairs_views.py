"""The pairing-preferences pages: who may use them, adding, removing, importing, refusals."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from convenor.programmes import actions, pairs
from convenor.programmes.models import PairPreference, Participant, Programme

XSS_NAME = '<script>alert("pair")</script>'


@pytest.fixture
def ann(programme: Programme, facilitator: Any) -> Participant:
    return actions.add_participant(
        programme,
        facilitator,
        display_name=XSS_NAME,
        organisation="County Council",
        external_id="a1",
    )


@pytest.fixture
def ben(programme: Programme, facilitator: Any) -> Participant:
    return actions.add_participant(
        programme, facilitator, display_name="Ben Bridge", email="ben@example.org"
    )


@pytest.fixture
def stranger(outsider: Any) -> Participant:
    elsewhere = Programme.objects.get(facilitations__user=outsider)
    return actions.add_participant(elsewhere, outsider, display_name="Sam Stranger")


def url(name: str, programme: Programme) -> str:
    return reverse(f"programmes:{name}", args=[programme.pk])


def test_the_page_lists_preferences_with_inert_names_and_an_accessible_form(
    facilitator_client: Client,
    programme: Programme,
    facilitator: Any,
    ann: Participant,
    ben: Participant,
    check_response: Callable[[Any], None],
) -> None:
    pairs.add_pair_preference(programme, facilitator, ann, ben, "avoid")
    response = facilitator_client.get(url("pairs", programme))
    assert response.status_code == 200
    check_response(response)
    page = response.content.decode()
    assert XSS_NAME not in page
    assert "&lt;script&gt;alert(&quot;pair&quot;)&lt;/script&gt;" in page
    assert "<caption>1 pairing preference in Moving more together</caption>" in page
    assert "Keep apart" in page
    assert '<label for="id_first">First person' in page
    assert '<label for="id_second">Second person' in page
    assert "<fieldset" in page and "<legend>What to do with them" in page
    assert 'aria-current="page">Pairing preferences</a>' in page
    people = facilitator_client.get(url("people", programme)).content.decode()
    assert f'href="{url("pairs", programme)}"' in people


def test_an_empty_programme_says_so(
    facilitator_client: Client, programme: Programme, check_response: Callable[[Any], None]
) -> None:
    response = facilitator_client.get(url("pairs", programme))
    check_response(response)
    assert "No pairing preferences yet" in response.content.decode()


@pytest.mark.parametrize("kind", ["avoid", "want"])
def test_a_co_facilitator_adds_a_preference(
    co_facilitator_client: Client,
    programme: Programme,
    ann: Participant,
    ben: Participant,
    kind: str,
) -> None:
    response = co_facilitator_client.post(
        url("pairs", programme), {"first": ben.pk, "second": ann.pk, "kind": kind}
    )
    assert response.status_code == 302
    assert response["Location"] == url("pairs", programme)
    made = PairPreference.objects.get()
    assert {made.person_a, made.person_b} == {ann, ben} and made.kind == kind
    page = co_facilitator_client.get(response["Location"]).content.decode()
    assert "Saved: Ben Bridge and &lt;script&gt;" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first": "ANN", "second": "ANN", "kind": "avoid"}, "Choose two different people."),
        (
            {"first": "ANN", "second": "STRANGER", "kind": "avoid"},
            "Choose someone in this programme.",
        ),
        ({"first": "ANN", "second": "UNKNOWN", "kind": "avoid"}, "Choose someone in this"),
        ({"first": "ANN", "second": "not-an-id", "kind": "avoid"}, "Choose someone in this"),
        ({"first": "ANN", "second": "BEN", "kind": "maybe"}, "Choose whether to keep them apart"),
        ({"first": "ANN", "second": "BEN"}, "Choose whether to keep them apart"),
        ({"first": "", "second": "BEN", "kind": "want"}, "Choose the first person."),
        ({"first": "BEN", "second": "ANN", "kind": "want"}, "already have a preference"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    facilitator_client: Client,
    programme: Programme,
    facilitator: Any,
    ann: Participant,
    ben: Participant,
    stranger: Participant,
    data: dict[str, str],
    message: str,
    check_response: Callable[[Any], None],
) -> None:
    pairs.add_pair_preference(programme, facilitator, ann, ben, "avoid")
    ids = {
        "ANN": str(ann.pk),
        "BEN": str(ben.pk),
        "STRANGER": str(stranger.pk),
        "UNKNOWN": str(uuid.uuid4()),
    }
    posted = {key: ids.get(value, value) for key, value in data.items()}
    before = list(PairPreference.objects.values_list("pk", "kind"))
    response = facilitator_client.post(url("pairs", programme), posted)
    assert response.status_code == 400
    check_response(response)
    assert message in response.content.decode().replace("&#x27;", "'")
    assert list(PairPreference.objects.values_list("pk", "kind")) == before


def test_remove_deletes_the_posted_preference_only(
    facilitator_client: Client,
    programme: Programme,
    facilitator: Any,
    ann: Participant,
    ben: Participant,
) -> None:
    made = pairs.add_pair_preference(programme, facilitator, ann, ben, "want")
    assert facilitator_client.get(url("pair_remove", programme)).status_code == 405
    response = facilitator_client.post(url("pair_remove", programme), {"pair": made.pk})
    assert response.status_code == 302
    assert not PairPreference.objects.exists()
    page = facilitator_client.get(response["Location"]).content.decode()
    assert "Removed the preference for" in page


@pytest.mark.parametrize("which", ["theirs", "unknown", "garbage", "missing"])
def test_removing_what_is_not_there_changes_nothing(
    facilitator_client: Client,
    programme: Programme,
    facilitator: Any,
    outsider: Any,
    ann: Participant,
    ben: Participant,
    stranger: Participant,
    which: str,
    check_response: Callable[[Any], None],
) -> None:
    pairs.add_pair_preference(programme, facilitator, ann, ben, "want")
    other = actions.add_participant(stranger.programme, outsider, display_name="Other")
    theirs = pairs.add_pair_preference(stranger.programme, outsider, stranger, other, "avoid")
    value = {"theirs": str(theirs.pk), "unknown": str(uuid.uuid4()), "garbage": "x"}.get(which)
    data = {} if value is None else {"pair": value}
    response = facilitator_client.post(url("pair_remove", programme), data)
    assert response.status_code == 404
    check_response(response)
    assert "That preference no longer exists" in response.content.decode()
    assert PairPreference.objects.count() == 2


def test_csrf_is_required_for_every_write(
    facilitator_client: Client,
    csrf_client: Callable[[Client], Any],
    programme: Programme,
    facilitator: Any,
    ann: Participant,
    ben: Participant,
) -> None:
    made = pairs.add_pair_preference(programme, facilitator, ann, ben, "want")
    browser = csrf_client(facilitator_client)
    add = {"first": ann.pk, "second": ben.pk, "kind": "avoid"}
    assert browser.post_without_token(url("pairs", programme), add).status_code == 403
    removal = {"pair": made.pk}
    assert browser.post_without_token(url("pair_remove", programme), removal).status_code == 403
    upload = {"file": SimpleUploadedFile("p.csv", b"a1,ben@example.org\n"), "kind": "avoid"}
    assert browser.post_without_token(url("pairs_import", programme), upload).status_code == 403
    assert list(PairPreference.objects.all()) == [made]
    assert browser.post(url("pair_remove", programme), removal).status_code == 302
    assert not PairPreference.objects.exists()


@pytest.mark.parametrize("name", ["pairs", "pair_remove", "pairs_import"])
def test_participants_get_403_and_outsiders_404(
    name: str,
    programme: Programme,
    participant_client: Client,
    outsider_client: Client,
    anonymous_client: Client,
    facilitator: Any,
    ann: Participant,
    ben: Participant,
) -> None:
    made = pairs.add_pair_preference(programme, facilitator, ann, ben, "avoid")
    target = url(name, programme)
    data = {"pair": made.pk, "first": ann.pk, "second": ben.pk, "kind": "want"}
    for method in ("get", "post"):
        assert getattr(participant_client, method)(target, data).status_code == 403
        assert getattr(outsider_client, method)(target, data).status_code == 404
        assert getattr(anonymous_client, method)(target, data).status_code == 404
    assert list(PairPreference.objects.all()) == [made]


def test_an_archived_programme_shows_its_preferences_read_only(
    facilitator_client: Client,
    programme: Programme,
    facilitator: Any,
    ann: Participant,
    ben: Participant,
) -> None:
    made = pairs.add_pair_preference(programme, facilitator, ann, ben, "avoid")
    actions.archive_programme(programme, facilitator)
    page = facilitator_client.get(url("pairs", programme))
    assert page.status_code == 200
    assert "Ben Bridge" in page.content.decode() and "Add a preference" not in page.content.decode()
    add = {"first": ann.pk, "second": ben.pk, "kind": "want"}
    assert facilitator_client.post(url("pairs", programme), add).status_code == 403
    assert (
        facilitator_client.post(url("pair_remove", programme), {"pair": made.pk}).status_code == 403
    )
    assert list(PairPreference.objects.all()) == [made]


# --- CSV import -----------------------------------------------------------------------------


def test_import_adds_the_pairs_of_a_file(
    facilitator_client: Client,
    programme: Programme,
    ann: Participant,
    ben: Participant,
    check_response: Callable[[Any], None],
) -> None:
    form = facilitator_client.get(url("pairs_import", programme))
    assert form.status_code == 200
    check_response(form)
    assert "<legend>What to do with every pair in the file" in form.content.decode()
    upload = SimpleUploadedFile("pairs.csv", b"person_a,person_b\na1,BEN@example.org\n")
    response = facilitator_client.post(
        url("pairs_import", programme), {"file": upload, "kind": "want"}
    )
    assert response.status_code == 302
    made = PairPreference.objects.get()
    assert {made.person_a, made.person_b} == {ann, ben} and made.kind == "want"
    assert "Added 1 pair." in facilitator_client.get(response["Location"]).content.decode()


def test_import_with_a_bad_line_lists_it_and_adds_nothing(
    facilitator_client: Client,
    programme: Programme,
    ann: Participant,
    ben: Participant,
    check_response: Callable[[Any], None],
) -> None:
    upload = SimpleUploadedFile("pairs.csv", b"a1,ben@example.org\n<b>x</b>,a1\n")
    response = facilitator_client.post(
        url("pairs_import", programme), {"file": upload, "kind": "avoid"}
    )
    assert response.status_code == 400
    check_response(response)
    page = response.content.decode()
    assert "1 line has a problem; no preferences were added." in page
    assert "Line 2: nobody in this programme has the id or email" in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert not PairPreference.objects.exists()


def test_import_without_a_kind_or_a_file_is_refused(
    facilitator_client: Client, programme: Programme, ann: Participant, ben: Participant
) -> None:
    upload = SimpleUploadedFile("pairs.csv", b"a1,ben@example.org\n")
    response = facilitator_client.post(url("pairs_import", programme), {"file": upload})
    assert response.status_code == 400
    assert "Choose whether to keep them apart" in response.content.decode()
    response = facilitator_client.post(url("pairs_import", programme), {"kind": "avoid"})
    assert response.status_code == 400
    assert not PairPreference.objects.exists()
