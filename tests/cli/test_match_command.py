"""`convenor match` as a facilitator uses it: files in, groups out, bad input refused."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path

import pytest

from convenor.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "convenor" / "samples" / "people.csv"
SAMPLE_IDS = [f"p{i:02d}" for i in range(1, 25)]

SIX = """id,name,organisation,sector
a,Ada,North,Health
b,Ben,North,Health
c,Cy,South,Council
d,Di,South,Council
e,Ed,East,Charity
f,Fay,East,Charity
"""


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["match", *args])
    out, err = capsys.readouterr()
    return status, out, err


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def groups_by_round(table: Iterable[dict[str, str]]) -> dict[int, list[set[str]]]:
    found: dict[tuple[int, str], set[str]] = {}
    for row in table:
        if row["group"]:
            found.setdefault((int(row["round"]), row["group"]), set()).add(row["person_id"])
    result: dict[int, list[set[str]]] = {}
    for (number, _), members in sorted(found.items()):
        result.setdefault(number, []).append(members)
    return result


def pairs_of(groups: Iterable[set[str]]) -> list[frozenset[str]]:
    return [frozenset(pair) for group in groups for pair in combinations(sorted(group), 2)]


# --- the sample and the output formats -------------------------------------------------------


def test_sample_pairs_everyone_once_with_readable_columns(capsys: pytest.CaptureFixture[str]):
    status, out, err = run(capsys, str(SAMPLE))
    assert status == 0
    table = rows(out)
    assert list(table[0]) == ["round", "group", "person_id", "name", "organisation", "sector"]
    assert sorted(row["person_id"] for row in table) == SAMPLE_IDS
    assert {row["round"] for row in table} == {"1"}
    groups = groups_by_round(table)[1]
    assert sorted(len(g) for g in groups) == [2] * 12
    by_id = {row["person_id"]: row for row in table}
    assert by_id["p01"]["name"] == "Amara Okafor-Lind"
    # 8 organisations of 3 leave every pair free to cross organisations and sectors.
    for a, b in (tuple(pair) for pair in pairs_of(groups)):
        assert by_id[a]["organisation"] != by_id[b]["organisation"]
    assert err.startswith("convenor match: round 1 for 24 people: 0 repeated pairs")
    assert err.count("\n") == 1


def test_sample_in_threes_over_three_rounds_has_no_repeat(capsys: pytest.CaptureFixture[str]):
    status, out, _ = run(capsys, str(SAMPLE), "--size", "3", "--rounds", "3", "--seed", "7")
    assert status == 0
    rounds = groups_by_round(rows(out))
    assert sorted(rounds) == [1, 2, 3]
    for groups in rounds.values():
        assert sorted(len(g) for g in groups) == [3] * 8
        assert sorted(set().union(*groups)) == SAMPLE_IDS
    every_pair = [pair for groups in rounds.values() for pair in pairs_of(groups)]
    assert len(every_pair) == len(set(every_pair))


def test_json_has_rounds_groups_and_summary(capsys: pytest.CaptureFixture[str]):
    status, out, err = run(capsys, str(SAMPLE), "--rounds", "2", "--format", "json")
    assert status == 0
    assert err == ""
    document = json.loads(out)
    assert [r["round"] for r in document["rounds"]] == [1, 2]
    for r in document["rounds"]:
        assert sorted(pid for group in r["groups"] for pid in group) == SAMPLE_IDS
    summary = document["summary"]
    assert summary["repeated_pairs"] == 0
    assert summary["pairs"] == 24
    assert summary["same_attribute_pairs"] == {"organisation": 0, "sector": 0}
    assert summary["unmatched"] == []
    assert isinstance(summary["seconds"], float)


def test_a_lone_person_is_listed_as_unmatched(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    people = write(tmp_path, "one.csv", "id,name\nsolo,Sol\n")
    status, out, err = run(capsys, people)
    assert status == 0
    assert rows(out) == [{"round": "1", "group": "", "person_id": "solo", "name": "Sol"}]
    assert "unmatched: solo (round 1)" in err
    status, out, _ = run(capsys, people, "--format", "json")
    assert json.loads(out)["summary"]["unmatched"] == [{"round": 1, "person_id": "solo"}]


def test_same_seed_same_output_and_seeds_differ(capsys: pytest.CaptureFixture[str]):
    outputs = []
    for seed in ("1", "1", "2"):
        status, out, _ = run(capsys, str(SAMPLE), "--seed", seed, "--mix", "")
        assert status == 0
        outputs.append(out)
    assert outputs[0] == outputs[1]
    assert outputs[0] != outputs[2]


def test_mix_names_the_columns_and_may_be_another_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    people = write(tmp_path, "p.csv", "id,Team\n1,x\n2,x\n3,y\n4,y\n")
    status, out, _ = run(capsys, people, "--mix", " Team,team ", "--format", "json")
    assert status == 0
    summary = json.loads(out)["summary"]
    assert summary["same_attribute_pairs"] == {"team": 0}


def test_blank_attributes_do_not_count_as_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    people = write(tmp_path, "p.csv", "id,organisation\na,\nb,\n")
    status, out, _ = run(capsys, people, "--format", "json")
    assert status == 0
    assert json.loads(out)["summary"]["same_attribute_pairs"] == {"organisation": 0}


def test_byte_order_mark_crlf_and_spaces_are_tolerated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffID , Name\r\n a ,Ann\r\n\r\nb, Bo\r\n,\r\n".encode())
    status, out, _ = run(capsys, str(path))
    assert status == 0
    assert {row["person_id"] for row in rows(out)} == {"a", "b"}


# --- history, avoid and want ---------------------------------------------------------------


def test_history_round_trip_appending_output_never_repeats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    history = tmp_path / "history.csv"
    status, _, _ = run(capsys, str(SAMPLE), "--rounds", "2", "--out", str(history))
    assert status == 0
    second = tmp_path / "second.csv"
    status, _, _ = run(
        capsys, str(SAMPLE), "--history", str(history), "--rounds", "2", "--out", str(second)
    )
    assert status == 0
    # Appending the whole file, header included, is what people do; it must still read.
    with history.open("a", encoding="utf-8") as f:
        f.write(second.read_text(encoding="utf-8"))
    status, out, err = run(capsys, str(SAMPLE), "--history", str(history))
    assert status == 0
    assert "0 repeated pairs" in err

    earlier = [row for row in rows(history.read_text(encoding="utf-8")) if row["round"] != "round"]
    rounds = groups_by_round([*earlier, *rows(out)])
    assert sorted(rounds) == [1, 2, 3, 4, 5]
    every_pair = [pair for groups in rounds.values() for pair in pairs_of(groups)]
    assert len(every_pair) == len(set(every_pair)) == 5 * 12


def test_history_may_name_people_who_left_and_unmatched_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    people = write(tmp_path, "p.csv", "id\na\nb\nc\nd\n")
    # Rounds 3 and 9 (gaps allowed): a-b and c-d met; "gone" has left; "e" sat out unmatched.
    history = write(
        tmp_path,
        "h.csv",
        "person_id,round,group\na,3,1\nb,3,1\nc,9,x\nd,9,x\ngone,9,y\nc,3,2\nd,3,2\ne,9,\n",
    )
    status, out, err = run(capsys, people, "--history", history, "--rounds", "1")
    assert status == 0, err
    groups = groups_by_round(rows(out))
    assert list(groups) == [10]
    pairs = set(pairs_of(groups[10]))
    assert not pairs & {frozenset("ab"), frozenset("cd")}


def test_history_rows_in_any_order_are_regrouped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    rng = random.Random(5)
    ids = [f"q{i}" for i in range(60)]
    people = write(tmp_path, "p.csv", "id\n" + "\n".join(ids) + "\n")
    earlier: list[list[set[str]]] = []
    lines = []
    for number in range(1, 9):
        order = ids[:]
        rng.shuffle(order)
        earlier.append([set(order[i : i + 2]) for i in range(0, 60, 2)])
        lines += [f"{number},g{i // 2},{pid}" for i, pid in enumerate(order)]
    rng.shuffle(lines)  # rows of one group far apart, rounds interleaved
    history = write(tmp_path, "h.csv", "round,group,person_id\n" + "\n".join(lines) + "\n")
    status, out, err = run(capsys, people, "--history", history, "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    assert document["rounds"][0]["round"] == 9
    assert document["summary"]["repeated_pairs"] == 0
    met = {pair for groups in earlier for pair in pairs_of(groups)}
    planned = pairs_of(set(group) for group in document["rounds"][0]["groups"])
    assert len(planned) == 30
    assert not met & set(planned)


def test_avoid_pairs_never_share_a_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    people = write(tmp_path, "p.csv", SIX)
    avoid = write(tmp_path, "avoid.csv", "person_a,person_b\na,c\nc,e\n e , a \n")
    status, out, _ = run(capsys, people, "--avoid", avoid, "--rounds", "3", "--seed", "3")
    assert status == 0
    rounds = groups_by_round(rows(out))
    together = {pair for groups in rounds.values() for pair in pairs_of(groups)}
    assert not together & {frozenset("ac"), frozenset("ce"), frozenset("ae")}


def test_want_pairs_are_put_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    want = write(tmp_path, "want.csv", "person_a,person_b\np01,p19\np19,p01\n")
    for seed in ("0", "1", "2"):
        status, out, _ = run(capsys, str(SAMPLE), "--want", want, "--seed", seed)
        assert status == 0
        assert frozenset(("p01", "p19")) in pairs_of(groups_by_round(rows(out))[1])


# --- bad input: status 2, one line naming the file, the line and the fix, nothing written ----


BAD_PEOPLE = [
    ("name\nAnn\n", 'people.csv line 1: no "id" column in the header (found: name)'),
    ("", "people.csv line 1: the file is empty"),
    ("id;name\np1;Ann\n", "separate the values with commas, not semicolons or tabs"),
    ("id,name\np1,A\np2,B\np1,C\n", 'people.csv line 4: id "p1" appears again (first on line 2)'),
    ("id,name\np1,A\n ,B\n", "people.csv line 3: the id is empty"),
    ("id,name\np1,A\np2,B,extra\n", "people.csv line 3: 3 values but the header has 2 columns"),
    ("id,name\np1\n", "people.csv line 2: 1 values but the header has 2 columns"),
    ("id,name,id\np1,A,p1\n", 'people.csv line 1: the header names column "id" twice'),
    ("id,,x\np1,A,b\n", "people.csv line 1: column 2 of the header has no name"),
    ('id,name\np1,"Ann\n', "people.csv line 2: malformed CSV"),
    ('id,name\np1,"Ann"x\n', "people.csv line 2: malformed CSV"),
]


@pytest.mark.parametrize(("text", "message"), BAD_PEOPLE)
def test_bad_people_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
):
    people = write(tmp_path, "people.csv", text)
    out_file = tmp_path / "out.csv"
    status, out, err = run(capsys, people, "--out", str(out_file))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
    assert str(tmp_path) in err
    assert not out_file.exists()


def test_duplicate_id_message_names_both_lines_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    people = write(tmp_path, "people.csv", "id\np1\np2\np12\np4\np5\np12\n")
    status, _, err = run(capsys, people)
    assert status == 2
    assert err == (
        f'convenor match: {people} line 7: id "p12" appears again (first on line 4); '
        "ids must be unique\n"
    )


def test_non_utf8_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    path = tmp_path / "people.csv"
    path.write_bytes("id,name\np1,Ann\np2,Ren\xe9e\n".encode("latin-1"))
    status, out, err = run(capsys, str(path))
    assert (status, out) == (2, "")
    assert f"{path} line 3: not UTF-8 text (byte 0xe9); save the file as UTF-8" in err


def test_unreadable_paths_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    status, _, err = run(capsys, str(tmp_path / "missing.csv"))
    assert status == 2
    assert "missing.csv: cannot read the file (No such file or directory); check the path" in err
    status, _, err = run(capsys, str(tmp_path))
    assert status == 2
    assert "is a folder, not a CSV file" in err


@pytest.mark.parametrize(
    ("option", "text", "message"),
    [
        ("--history", "round,person_id\n1,p01\n", 'h.csv line 1: no "group" column in the header'),
        ("--history", "round,group,person_id\none,1,p01\n", 'h.csv line 2: round "one" is not'),
        ("--history", "round,group,person_id\n1,1\n", "h.csv line 2: 2 values but the header"),
        ("--history", "round,group,person_id\n1,1,\n", "h.csv line 2: person_id is empty"),
        (
            "--history",
            "round,group,person_id\n1,1,p01\n1,1,p02\n2,1,p01\n1,2,p01\n",
            'h.csv line 5: person "p01" is already in round 1 (line 2)',
        ),
        ("--avoid", "a,b\np01,p02\n", 'h.csv line 1: no "person_a" column in the header'),
        ("--avoid", "person_a,person_b\np01,p99\n", 'h.csv line 2: id "p99" is not in'),
        ("--avoid", "person_a,person_b\np01,p01\n", 'h.csv line 2: "p01" is paired with itself'),
        ("--avoid", "person_a,person_b\np01,\n", "h.csv line 2: an id is empty"),
        ("--want", "person_a,person_b\np01,p02\nx,p02\n", 'h.csv line 3: id "x" is not in'),
    ],
)
def test_bad_history_avoid_or_want_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, text: str, message: str
):
    path = write(tmp_path, "h.csv", text)
    out_file = tmp_path / "out.csv"
    out_file.write_text("keep me", encoding="utf-8")
    status, out, err = run(capsys, str(SAMPLE), option, path, "--out", str(out_file))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
    assert out_file.read_text(encoding="utf-8") == "keep me"


def test_a_pair_both_avoided_and_wanted_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    avoid = write(tmp_path, "avoid.csv", "person_a,person_b\np03,p04\np01,p02\n")
    want = write(tmp_path, "want.csv", "person_a,person_b\np02,p01\n")
    status, _, err = run(capsys, str(SAMPLE), "--avoid", avoid, "--want", want)
    assert status == 2
    assert f'{want} line 2: "p01" and "p02" are also in {avoid} line 3' in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "1"], "--size 1: a group needs at least 2 people; use --size 2 or more"),
        (["--rounds", "0"], "--rounds 0: nothing to plan; use --rounds 1 or more"),
        (["--size", "two"], "argument --size: invalid int value: 'two'"),
        (["--mix", "organisation,region"], 'no column "region" to mix on (--mix)'),
        (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
        (["--out", "/nonexistent-folder/out.csv"], "the folder /nonexistent-folder does not exist"),
    ],
)
def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str], args: list[str], message: str):
    status, out, err = run(capsys, str(SAMPLE), *args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]):
    assert main([]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# --- the installed console script ------------------------------------------------------------


def test_console_script_runs_end_to_end(tmp_path: Path):
    script = Path(sys.executable).with_name("convenor")
    done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(script), "match", str(SAMPLE), "--rounds", "2", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["rounds"]) == 2
    bad = write(tmp_path, "people.csv", "id\np1\np1\n")
    done = subprocess.run(  # noqa: S603 - as above
        [str(script), "match", bad], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.endswith(
        'line 3: id "p1" appears again (first on line 2); ids must be unique\n'
    )
