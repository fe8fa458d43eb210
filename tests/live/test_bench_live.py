"""The live-session benchmark's quick run works end to end on one SQLite server.

It checks correctness only (everyone sees their group, every note acknowledged is stored),
not speed: other work on the machine changes the timings.
"""

import pytest

from bench.live.__main__ import QUICK_N
from bench.live.run import POSTS, run


# In an empathy-map segment the activity panel follows the breakout groups; in a plenary
# segment people post to the stream after the rounds.
@pytest.mark.parametrize("segment", ["coffee_trial", "empathy_map", "plenary"])
def test_the_quick_benchmark_assigns_everyone_and_loses_no_note(segment: str) -> None:
    out = run("single", QUICK_N, QUICK_N, segment=segment)
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
    # No tab asks for its activity region: the coffee trial's segment has no activity (its
    # run-sheet event says so); the empathy map's panels are alike for everyone until the
    # breakout groups (sent with the run-sheet event), then each group's comes with the group,
    # and a coffee round leaves them as they are.
    assert out.activity_fetches == 0
    assert out.pushed == 3 * QUICK_N, "each tab: now and next, the activity, its group"
    if segment != "plenary":
        assert out.posts == 0
        return
    # Every tab showed every post; only the authors' tabs asked for the stream (theirs says
    # "You"): one after the first post, two after the second, and so on.
    assert (out.posts, out.post_unseen, len(out.post_ms)) == (POSTS, 0, POSTS * QUICK_N)
    assert out.post_fetches == sum(range(1, POSTS + 1))
