"""CSV import of people: reading and checking the file, the preview, and the all-or-nothing save."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from convenor.accounts.models import User
from convenor.programmes import actions, people_actions, people_views
from convenor.programmes.models import Participant, Programme
from convenor.programmes.people import (
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    CsvFileError,
    read_people_csv,
)

GOOD = (
    "id,name,email,organisation,sector,role,pronouns,access_needs\n"
    "p01,Amara Okafor,amara@example.org,Riverside Health Trust,Health,Ward manager,she/her,\n"
    'p02,"Tomasz Whitcombe, Jr",,County Council,Local government,,,"Captions, please"\n'
    "p03,Zoë Ørsted,ZOE@Example.org,Active Partnership,Sport,,they/them,\n"
)


def upload(text: str | bytes, name: str = "people.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def import_url(programme: Programme) -> str:
    return reverse("programmes:people_import", args=[programme.pk])


def confirm_url(programme: Programme) -> str:
    return reverse("programmes:people_import_confirm", args=[programme.pk])


def problems_of(data: str | bytes, programme: Programme) -> dict[int, tuple[str, ...]]:
    raw = data.encode() if isinstance(data, str) else data
    return {row.line: row.problems for row in read_people_csv(raw, programme).rows}


# --- reading and checking -------------------------------------------------------------------


def test_a_good_file_reads_every_row(programme: Programme) -> None:
    parsed = read_people_csv(GOOD.encode(), programme)
    assert parsed.importable
    assert parsed.unknown_columns == ()
    assert [row.line for row in parsed.rows] == [2, 3, 4]
    second = parsed.rows[1].values
    assert second["display_name"] == "Tomasz Whitcombe, Jr"
    assert second["access_needs"] == "Captions, please"
    assert parsed.rows[2].values["email"] == "zoe@example.org"
    assert parsed.rows[2].values["display_name"] == "Zoë Ørsted"


def test_header_is_case_and_space_tolerant_bom_allowed_unknown_columns_reported(
    programme: Programme,
) -> None:
    text = (
        "\ufeff Name , ORGANISATION,Access Needs,Sector,Favourite colour\nAda,Org,Ramp,Health,Red\n"
    )
    parsed = read_people_csv(text.encode(), programme)
    assert parsed.importable
    assert parsed.rows[0].values["display_name"] == "Ada"
    assert parsed.rows[0].values["access_needs"] == "Ramp"
    assert parsed.unknown_columns == ("Favourite colour",)


def test_blank_lines_are_skipped_and_lines_counted(programme: Programme) -> None:
    text = "name,sector\n\nAda,Health\n,\nBen,Sport\n"
    assert list(problems_of(text, programme)) == [3, 5]


def test_every_kind_of_bad_row_is_reported_on_its_line(
    programme: Programme, participant: Participant, facilitator: User
) -> None:
    actions.update_participant(participant, facilitator, external_id="taken")
    text = (
        "id,name,email,organisation\n"
        "a1,,a1@example.org,Org\n"  # 2 missing name
        "a2,Ben,not an email,Org\n"  # 3 bad email
        f"a3,Cai,cai@example.org,{'x' * 201}\n"  # 4 over-long organisation
        "a4,Dee,dee@example.org\n"  # 5 ragged (too few values)
        "a5,Eve,eve@example.org,Org,extra\n"  # 6 ragged (too many)
        "a6,Fay,fay@example.org,Org\n"  # 7 fine
        "a6,Gus,gus@example.org,Org\n"  # 8 id used on line 7
        "taken,Hal,hal@example.org,Org\n"  # 9 id of an existing person
        "a9,Ida,FAY@example.org,Org\n"  # 10 email used on line 7
        "a10,Jo,priya@example.org,Org\n"  # 11 email of an existing person
    )
    problems = problems_of(text, programme)
    assert problems[2] == ("The name is missing.",)
    assert problems[3] == ("'not an email' is not a valid email address.",)
    assert problems[4] == ("The organisation is longer than 200 characters.",)
    assert "has 3 values but the header has 4 columns" in problems[5][0]
    assert "has 5 values but the header has 4 columns" in problems[6][0]
    assert problems[7] == ()
    assert problems[8] == ("The id 'a6' is already used on line 7.",)
    assert problems[9] == ("Someone in this programme already has the id 'taken'.",)
    assert problems[10] == ("This email address is already used on line 7.",)
    assert problems[11] == ("Someone in this programme already has this email address.",)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\n \n", "The file is empty"),
        (b"PK\x03\x04\x00\x00binary", "not a CSV text file"),
        ("name\nAda\n".encode("utf-16"), "This file is UTF-16 text"),
        ("name\nJos\xe9\n".encode("latin-1"), "Line 2 is not UTF-8"),
        (b"Ada,Health\nBen,Sport\n", "must be a header naming the columns"),
        (b"name;sector\nAda;Health\n", "seems to use semicolons"),
        (b"name,sector,Name\nAda,Health,Ada\n", "names the column 'name' more than once"),
        (b"name,sector\n", "nobody in it"),
        (b'name,sector\n"Ada,Health\n', "Line 2 is not valid CSV"),
    ],
)
def test_broken_files_are_refused_with_a_reason(
    programme: Programme, data: bytes, message: str
) -> None:
    with pytest.raises(CsvFileError, match=message):
        read_people_csv(data, programme)


def test_size_and_row_limits(programme: Programme) -> None:
    too_many = "name\n" + "".join(f"Person {i}\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(CsvFileError, match=f"more than {MAX_ROWS} people"):
        read_people_csv(too_many.encode(), programme)
    just_enough = "name\n" + "".join(f"Person {i}\n" for i in range(MAX_ROWS))
    assert len(read_people_csv(just_enough.encode(), programme).rows) == MAX_ROWS
    with pytest.raises(CsvFileError, match="larger than 1024 KiB"):
        read_people_csv(b"name\n" + b"x" * MAX_UPLOAD_BYTES, programme)


# --- the preview and confirmation pages -------------------------------------------------------


def test_preview_then_confirm_imports_everyone(
    facilitator_client: Client, programme: Programme, check_response: Callable[[Any], None]
) -> None:
    assert facilitator_client.get(import_url(programme)).status_code == 200
    preview = facilitator_client.post(import_url(programme), {"file": upload(GOOD)})
    assert preview.status_code == 200
    check_response(preview)
    page = preview.content.decode()
    assert "All 3 rows are ready" in page
    assert "Tomasz Whitcombe, Jr" in page
    # Nothing is saved by the preview.
    assert not programme.participants.exists()

    signed = preview.context["signed_rows"]
    response = facilitator_client.post(confirm_url(programme), {"rows": signed})
    assert response.status_code == 302
    people = {p.external_id: p for p in programme.participants.all()}
    assert set(people) == {"p01", "p02", "p03"}
    assert people["p02"].organisation == "County Council"
    assert people["p02"].access_needs == "Captions, please"
    assert people["p03"].email == "zoe@example.org"


def test_preview_shows_each_rows_problem_and_offers_no_import(
    facilitator_client: Client, programme: Programme, check_response: Callable[[Any], None]
) -> None:
    text = "name,email\nAda,ada@example.org\n,nobody@example.org\nBen,bad@\n"
    preview = facilitator_client.post(import_url(programme), {"file": upload(text)})
    assert preview.status_code == 200
    check_response(preview)
    page = preview.content.decode()
    assert "2 rows have problems; nobody has been imported" in page
    assert '<a href="#row-3">Line 3: The name is missing.</a>' in page
    assert '<tr id="row-3">' in page
    assert "is not a valid email address" in page
    assert preview.context["signed_rows"] == ""
    assert 'name="rows"' not in page
    assert not programme.participants.exists()


def test_unknown_columns_are_named_on_the_preview(
    facilitator_client: Client, programme: Programme
) -> None:
    text = "name,shoe size\nAda,5\n"
    preview = facilitator_client.post(import_url(programme), {"file": upload(text)})
    assert "These columns are not imported: shoe size." in preview.content.decode()


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00", "name\nJos\xe9\n".encode("latin-1"), b"Ada\nBen\n", b""],
    ids=["binary", "not-utf8", "no-header", "empty"],
)
def test_broken_file_shows_the_error_and_changes_nothing(
    facilitator_client: Client,
    programme: Programme,
    participant: Participant,
    data: bytes,
    check_response: Callable[[Any], None],
) -> None:
    before = list(Participant.objects.values_list("pk", "display_name").order_by("pk"))
    response = facilitator_client.post(import_url(programme), {"file": upload(data)})
    assert response.status_code == 400
    check_response(response)
    assert response.context["form"].errors["file"]
    assert 'href="#id_file"' in response.content.decode()
    assert list(Participant.objects.values_list("pk", "display_name").order_by("pk")) == before


def test_an_oversized_upload_is_refused(facilitator_client: Client, programme: Programme) -> None:
    data = b"name\n" + b"Ada\n" * (MAX_UPLOAD_BYTES // 4)
    response = facilitator_client.post(import_url(programme), {"file": upload(data)})
    assert response.status_code == 400
    assert "larger than 1024 KiB" in response.content.decode()
    assert not programme.participants.exists()


def test_confirm_rechecks_and_imports_nothing_if_someone_was_added_meanwhile(
    facilitator_client: Client, programme: Programme, facilitator: User
) -> None:
    preview = facilitator_client.post(import_url(programme), {"file": upload(GOOD)})
    signed = preview.context["signed_rows"]
    actions.add_participant(programme, facilitator, display_name="Early Bird", external_id="p02")

    response = facilitator_client.post(
        confirm_url(programme), {"rows": signed, "file_name": "people.csv"}
    )
    assert response.status_code == 409
    assert "Someone in this programme already has the id &#x27;p02&#x27;." in (
        response.content.decode()
    )
    assert list(programme.participants.values_list("display_name", flat=True)) == ["Early Bird"]


def test_tampered_or_foreign_previews_are_refused(
    facilitator_client: Client, programme: Programme, outsider: User
) -> None:
    preview = facilitator_client.post(import_url(programme), {"file": upload(GOOD)})
    signed = preview.context["signed_rows"]
    forged = signing.dumps([[2, ["Mallory"] + [""] * 7]], salt="something else")
    other = outsider.facilitations.get().programme
    signed_for_other = signing.dumps(
        [[2, ["Mallory"] + [""] * 7]], salt=f"convenor.people-import:{other.pk}", compress=True
    )
    for rows in (signed[:-3] + "abc", forged, signed_for_other, "", "not signed"):
        response = facilitator_client.post(confirm_url(programme), {"rows": rows})
        assert response.status_code == 400
        assert "This preview is too old or was changed" in response.content.decode()
    assert not programme.participants.exists()


def test_confirm_is_post_only(facilitator_client: Client, programme: Programme) -> None:
    assert facilitator_client.get(confirm_url(programme)).status_code == 405


def test_import_action_is_all_or_nothing(programme: Programme, facilitator: User) -> None:
    rows = [(2, {"display_name": "Ada"}), (3, {"display_name": ""}), (4, {"display_name": "Cy"})]
    with pytest.raises(people_actions.ImportRefused) as refused:
        people_actions.import_participants(programme, facilitator, rows)
    assert [row.line for row in refused.value.rows if row.problems] == [3]
    assert not programme.participants.exists()
    added = people_actions.import_participants(programme, facilitator, [rows[0], rows[2]])
    assert sorted(p.display_name for p in added) == ["Ada", "Cy"]
    assert programme.participants.count() == 2


def test_names_in_the_file_are_inert_on_the_preview(
    facilitator_client: Client, programme: Programme
) -> None:
    text = 'name,organisation\n"<script>alert(1)</script>","<img src=x onerror=alert(2)>"\n'
    page = facilitator_client.post(import_url(programme), {"file": upload(text)}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- who may ------------------------------------------------------------------------------


def test_outsiders_get_404_and_participants_403(
    programme: Programme,
    outsider_client: Client,
    anonymous_client: Client,
    participant_client: Client,
) -> None:
    for url in (import_url(programme), confirm_url(programme)):
        for client in (outsider_client, anonymous_client):
            assert client.get(url).status_code == 404
            assert client.post(url, {"file": upload(GOOD)}).status_code == 404
        assert participant_client.get(url).status_code == 403
        assert participant_client.post(url, {"file": upload(GOOD)}).status_code == 403
    assert programme.participants.count() == 1  # only the participant persona


def test_upload_and_confirm_need_the_csrf_token(
    facilitator: User, programme: Programme, csrf_client: Callable[[Client], Any]
) -> None:
    client = Client()
    client.force_login(facilitator)
    browser = csrf_client(client)
    assert (
        browser.post_without_token(import_url(programme), {"file": upload(GOOD)}).status_code == 403
    )
    preview = browser.post(import_url(programme), {"file": upload(GOOD)})
    assert preview.status_code == 200
    signed = preview.context["signed_rows"]
    assert browser.post_without_token(confirm_url(programme), {"rows": signed}).status_code == 403
    assert not programme.participants.exists()
    assert browser.post(confirm_url(programme), {"rows": signed}).status_code == 302
    assert programme.participants.count() == 3


def test_a_preview_too_big_to_post_back_offers_no_import(
    facilitator_client: Client, programme: Programme, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(people_views, "PREVIEW_MAX_CHARS", 100)
    preview = facilitator_client.post(import_url(programme), {"file": upload(GOOD)})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "This file is too big to import in one go" in page
    assert 'name="rows"' not in page
    assert not programme.participants.exists()
