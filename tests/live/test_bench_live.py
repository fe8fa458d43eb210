"""The live-session benchmark's quick run works end to end on one SQLite server.

It checks correctness only (everyone sees their group, every note acknowledged is stored),
not speed: other work on the machine changes the timings.
"""

from bench.live.__main__ import QUICK_N
from bench.live.run import run


def test_the_quick_benchmark_assigns_everyone_and_loses_no_note() -> None:
    out = run("single", QUICK_N, QUICK_N)
    assert out.error == ""
    assert out.join_failures == 0
    assert out.unassigned == 0
    assert len(out.assign_ms) == QUICK_N
    assert len(out.breakout_ms) == QUICK_N
    assert (out.sent, out.acked, out.lost) == (QUICK_N, QUICK_N, 0)
    assert len(out.write_ms) == QUICK_N
    # Every writer's save was merged on the first try, and every ping came back.
    assert out.conflicts == 0
    assert len(out.ping_ms) == QUICK_N
