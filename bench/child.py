"""Run one method on one scenario in this process and print its result as one JSON line.

Run by `python -m bench` as `python -m bench.child SCENARIO METHOD BUDGET`, one process per
row, so that each row's peak memory (the process's maximum resident set) is its own.
"""

from __future__ import annotations

import csv
import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.methods import BASELINES, ENGINES, Round, prepare
from bench.scenarios import SCENARIOS, Data, build, person_id
from bench.score import check, score


def peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def run_cli(data: Data) -> tuple[list[Round], float, float]:
    """Time `convenor match` end to end on CSV files of the scenario (writing them is untimed)."""
    with tempfile.TemporaryDirectory(prefix="convenor-bench-") as folder:
        people, history, out = (Path(folder, name) for name in ("p.csv", "h.csv", "o.csv"))
        with people.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["id", "name", "organisation", "sector"])
            for i, pid in enumerate(data.ids):
                name = f"Person {i}"
                writer.writerow([pid, name, f"org{data.org[i]}", f"sector{data.sector[i]}"])
        with history.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["round", "group", "person_id"])
            for number, groups in enumerate(data.history, 1):
                for g, group in enumerate(groups, 1):
                    writer.writerows([number, g, person_id(data, p)] for p in group)
        command = [str(Path(sys.executable).with_name("convenor")), "match", str(people)]
        command += ["--history", str(history), "--out", str(out)]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        at = {pid: i for i, pid in enumerate(data.ids)}
        planned: dict[str, list[int]] = {}
        with out.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                assert int(row["round"]) == len(data.history) + 1
                planned.setdefault(row["group"], []).append(at[row["person_id"]])
    return [list(planned.values())], seconds, peak_mib(resource.RUSAGE_CHILDREN)


def run(key: str, method: str, budget: float) -> dict[str, Any]:
    data = build(SCENARIOS[key])
    if method == "idle":
        return {"peak_mib": peak_mib()}
    if method == "cli":
        rounds, seconds, peak = run_cli(data)
    elif method in ENGINES:
        if method == "networkx":
            importlib.import_module("networkx")
        prepared = prepare(data)
        started = time.perf_counter()
        rounds = ENGINES[method](prepared, budget)
        seconds = time.perf_counter() - started
        peak = peak_mib()
    else:
        started = time.perf_counter()
        rounds = BASELINES[method](data, budget)
        seconds = time.perf_counter() - started
        peak = peak_mib()
    repeats, same = score(data, rounds)
    return {
        "rounds": len(rounds),
        "repeats": repeats,
        "same_org": same,
        "seconds": seconds,
        "peak_mib": peak,
        "invalid": check(data, rounds),
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], sys.argv[2], float(sys.argv[3]))))
