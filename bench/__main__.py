"""`python -m bench [--quick]`: the engine against three baselines, side by side, one table.

Each (scenario, method) runs in a fresh child process (`bench.child`), so its seconds and peak
memory are its own; a child that overruns is stopped and reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

from bench.scenarios import FULL, QUICK, Scenario

COLUMNS = (
    "scenario",
    "method",
    "people",
    "rounds",
    "repeats",
    "same-org pairs",
    "seconds",
    "peak MiB",
)
LABELS = {
    "engine": "convenor engine",
    "random": "random shuffle",
    "greedy": "greedy, avoid last partners",
    "networkx": "networkx exact matching",
    "cli": "`convenor match` CLI, end to end",
}


def machine(load: tuple[float, float, float]) -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                model,
            )
    except OSError:
        pass
    # Other work on the machine slows every row; the load average says how busy it was.
    return (
        f"Machine: {model}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}; load average {load[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end"
    )


def child(key: str, method: str, budget: float, timeout: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.child", key, method, str(budget)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"failed: {last}"}
    # The result is the last line: anything the code under test prints comes before it.
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def methods(scenario: Scenario) -> list[str]:
    names = ["engine", "random", "greedy"]
    if scenario.networkx:
        names.append("networkx")
    if scenario.cli:
        names.append("cli")
    return names


def row(scenario: Scenario, method: str, result: dict[str, Any]) -> list[str]:
    people = f"{scenario.people:,}"
    if scenario.attendance < 1:
        people += f" (p={scenario.attendance})"
    cells = [scenario.title, LABELS[method], people]
    if "error" in result:
        return [*cells, f"{scenario.rounds}", result["error"], "", "", ""]
    rounds = f"{scenario.rounds}"
    if result["rounds"] < scenario.rounds:
        rounds = f"{result['rounds']} of {scenario.rounds} (capped)"
    repeats = str(result["repeats"])
    if result["invalid"]:
        repeats += f" (invalid: {result['invalid']})"
    same = str(result["same_org"]) if scenario.organisations else "–"
    return [*cells, rounds, repeats, same, f"{result['seconds']:.2f}", f"{result['peak_mib']:.0f}"]


def table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small scenarios, a few seconds")
    parser.add_argument(
        "--networkx-cap",
        type=float,
        help="seconds networkx may spend on one scenario before it stops (default 120; quick 10)",
    )
    args = parser.parse_args(argv)
    scenarios = QUICK if args.quick else FULL
    cap = args.networkx_cap or (10.0 if args.quick else 120.0)

    started = time.perf_counter()
    load = os.getloadavg()
    idle = child(scenarios[0].key, "idle", 0, 120)
    rows = []
    for scenario in scenarios:
        for method in methods(scenario):
            budget = cap if method == "networkx" else scenario.engine_time_limit
            print(f"bench: {scenario.title}: {LABELS[method]} ...", file=sys.stderr, flush=True)
            rows.append(row(scenario, method, child(scenario.key, method, budget, budget + 300)))
    print(machine(load))
    print()
    print(table(rows))
    print()
    print(
        f"Peak MiB is the maximum resident set of the process running that row (an idle one, "
        f"with Python and the engine loaded, peaks at {idle.get('peak_mib', 0):.0f} MiB); for "
        f"the CLI row, of the `convenor match` process. networkx stops starting new rounds "
        f"after {cap:.0f} s. Whole run: {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
