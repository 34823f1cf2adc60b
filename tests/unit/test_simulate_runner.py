"""The runner's bookkeeping: an answer that differs from the plan is reported, never hidden; and
its batched rounds keep every lifecycle's order."""

from __future__ import annotations

from ksd_tools.simulate.plan import Expect, Step, workload
from ksd_tools.simulate.runner import Tally, rounds


def _step(expect: Expect) -> Step:
    return Step("53.71", f"sim-1-a0-{expect}", "agreement.propose", {}, expect)


def test_an_accepted_invalid_and_a_refused_valid_submission_are_both_unexpected() -> None:
    tally = Tally()
    tally.record(_step("applied"), 202, {"id": "a"})
    tally.record(_step("invalid"), 422, {"type": "invalid"})
    assert tally.http == {"accepted": 1, "invalid": 1} and tally.wrong == []
    tally.record(_step("invalid"), 202, {"id": "b"})
    tally.record(_step("applied"), 422, {"errors": []})
    assert len(tally.wrong) == 2 and [i for _, i in tally.accepted] == ["a", "b"]


def test_batched_rounds_keep_each_lifecycle_in_order_and_wait_for_the_other_node() -> None:
    """What a node may send at once: every step once, in its track's order; a batch is one node's
    and within intake's limit; a step by another node than the one before it waits a round."""
    work = workload(300, seed=7)
    plan = rounds(work, size=50)
    sent_in = {s.key: (number, b) for number, batches in enumerate(plan) for b, batch in enumerate(batches)
               for s in batch}
    order = [s.key for batches in plan for batch in batches for s in batch]
    assert sorted(order) == sorted(s.key for s in work.steps)
    assert all(len(batch) <= 50 and len({s.node for s in batch}) == 1 for batches in plan for batch in batches)
    for track in work.tracks:
        keys = [s.key for s in track.steps]
        own = set(keys)
        assert [k for k in order if k in own] == keys
        for before, after in zip(track.steps, track.steps[1:], strict=False):
            if before.node != after.node:
                assert sent_in[after.key][0] > sent_in[before.key][0], (track.name, after.key)
    # far fewer requests than steps: what the batches are for
    assert sum(len(batches) for batches in plan) * 3 < len(order)
