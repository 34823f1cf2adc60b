"""The runner's bookkeeping: an answer that differs from the plan is reported, never hidden."""

from __future__ import annotations

from ksd_tools.simulate.plan import Expect, Step
from ksd_tools.simulate.runner import Tally


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
