"""`python -m bench.live [--n 100,500,1000] [--writers M] [--modes single,two] [--quick]
[--segment KIND]`

Starts the servers itself (see bench.live.run), connects N simulated participants over
WebSockets on loopback, has the facilitator start a coffee-trial round and times, for each
participant, the click-to-screen delay (event, then the partial fetch live.js makes); then M
participants write at once and every acknowledged write is looked for in the database.
Prints one table; every phase has a time limit, so the run always ends.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
import time

import numpy as np

from bench.live.run import MODES, SEGMENTS, Outcome, run_mode

QUICK_N = 20


def counts(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers"
        ) from None
    if not values or any(not 2 <= v <= 2000 for v in values):
        raise argparse.ArgumentTypeError("each N must be between 2 and 2000")
    return values


def modes(text: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    if not chosen or any(mode not in MODES for mode in chosen):
        raise argparse.ArgumentTypeError(f"modes are {', '.join(MODES)}")
    return chosen


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return f"{p50:.0f} / {p95:.0f} / {p99:.0f}"


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            model = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                model,
            )
    except OSError:
        pass
    return (
        f"Machine: {model}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"{platform.system()} {platform.release()}"
    )


COLUMNS = (
    "mode",
    "N",
    "join s",
    "assignment p50/p95/p99 ms",
    "all assigned",
    "writers M",
    "write p50/p95/p99 ms",
    "same M pinging, p50/p95/p99 ms",
    "lost writes",
    "load",
)


def row(out: Outcome) -> list[str]:
    mode = "1 process, SQLite" if out.mode == "single" else "2 processes, PostgreSQL + Redis"
    done = len(out.assign_ms)
    assigned = "y" if done == out.n else f"n ({done} of {out.n})"
    joined = f"{out.join_s:.1f}"
    if out.join_failures:
        joined += f" ({out.join_failures} not in)"
    return [
        mode,
        str(out.n),
        joined,
        percentiles(out.assign_ms),
        assigned,
        str(out.writers),
        percentiles(out.write_ms),
        percentiles(out.ping_ms),
        str(out.lost) if out.sent else "-",
        f"{out.load[0]:.1f}-{out.load[1]:.1f}",
    ]


def table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def details(out: Outcome) -> str:
    parts = [
        f"{out.mode} N={out.n}: seed {out.seed_s:.1f} s, joined in {out.join_s:.1f} s "
        f"({out.join_failures} failed), settled {'yes' if out.settled else 'NO'} after "
        f"{out.settle_s:.1f} s; start_round answered in "
        f"{out.command_ms or float('nan'):.0f} ms; event arrival p50/p95/p99 "
        f"{percentiles(out.event_ms)} ms; console showed all groups after "
        f"{out.console_ms or float('nan'):.0f} ms; client CPU {out.client_cpu_s:.1f} s",
    ]
    cpu = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in out.server_cpu_s.items())
    frames = ", ".join(f"{name} {count}" for name, count in out.frames.items())
    parts.append(f"  server CPU: {cpu}; frames received: {frames}")
    parts.append(
        f"  rounds run in the segment of kind {out.segment}; participants' activity region fetches "
        f"(up to the posts): {out.activity_fetches}"
    )
    parts.append(
        f"  regions pushed with events (up to the round): {out.pushed}; round partial "
        f"fetches after "
        f"the click: {len(out.round_fetch_ms)}, p50/p95/p99 {percentiles(out.round_fetch_ms)} "
        f"ms (request to response)"
    )
    parts.append(
        f"  breakout rooms of 4: assignment p50/p95/p99 {percentiles(out.breakout_ms)} ms "
        f"({len(out.breakout_ms)} assigned); notes saves sent {out.sent}, acknowledged "
        f"{out.acked}, stale-rev conflicts redone {out.conflicts}; the same tabs' pings at "
        f"once (no database): p50/p95/p99 {percentiles(out.ping_ms)} ms"
    )
    if out.posts:
        parts.append(
            f"  plenary posts: {out.posts}, one after another; each shown on every tab within "
            f"p50/p95/p99 {percentiles(out.post_ms)} ms ({out.post_unseen} tab-posts never "
            f"shown); activity fetches meanwhile: {out.post_fetches}"
        )
    if out.error:
        parts.append(f"  error: {out.error}")
    parts += [f"  {note}" for note in out.notes]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--n", type=counts, default=[100, 500, 1000], help="participants")
    parser.add_argument("--writers", type=int, default=None, help="default: min(N, 500)")
    parser.add_argument("--modes", type=modes, default=list(MODES), help="single,two")
    parser.add_argument("--quick", action="store_true", help=f"N={QUICK_N}, one process only")
    parser.add_argument("--json", action="store_true", help="also print each result as JSON")
    parser.add_argument(
        "--minutes", type=float, default=15, help="time limit of the whole run (default 15)"
    )
    parser.add_argument(
        "--patience",
        type=float,
        default=1.0,
        help="give the crowd this many times longer to connect (default 1)",
    )
    parser.add_argument(
        "--segment",
        choices=SEGMENTS,
        default="coffee_trial",
        help="the kind of run-sheet segment the rounds run in (default coffee_trial, which "
        "has no activity; the others make every tab fetch its activity region)",
    )
    parser.add_argument(
        "--settings",
        default="convenor.settings",
        help="Django settings module for the servers (to compare a change)",
    )

    args = parser.parse_args(argv)
    if args.writers is not None and args.writers < 1:
        parser.error("--writers must be at least 1")
    if not 1 <= args.minutes <= 120:
        parser.error("--minutes must be between 1 and 120")
    if not 1 <= args.patience <= 20:
        parser.error("--patience must be between 1 and 20")
    ns, chosen = ([QUICK_N], ["single"]) if args.quick else (args.n, args.modes)

    # A stop by SIGTERM (a `timeout`, CI) unwinds like Ctrl-C, so servers are stopped and the
    # PostgreSQL database and Redis database are cleaned up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(machine(), f"settings {args.settings}, segment {args.segment}", flush=True)
    # The whole run stays within its limit: a configuration that would start too late is
    # reported as not run, and the last one gets only what is left.
    deadline = time.monotonic() + args.minutes * 60
    results: list[Outcome] = []
    for mode in chosen:
        runs = run_mode(
            mode, ns, args.writers, args.settings, args.patience, deadline, args.segment
        )
        for out in runs:
            results.append(out)
            print(details(out), file=sys.stderr, flush=True)
            if args.json:
                print(json.dumps(out.as_dict()), flush=True)
    print(table([row(out) for out in results]))
    failed = [out for out in results if out.error or len(out.assign_ms) < out.n or out.lost]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
