"""The simulation's plan: every valid submission passes the contracts as intake checks them, the
planned invalid ones fail, and the plan is a pure function of the seed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from ksd_contracts.regions import autonomous_codes
from ksd_contracts.submissions import AT_SUBMISSION, SUBMISSION_MODELS, today_wib
from ksd_intake.domain import MAX_BATCH_ITEMS
from ksd_tools.bench_intake import node_batches
from ksd_tools.simulate import proposals, workload, would_join
from ksd_tools.simulate.plan import neighbours

SEEDS = [1, 2, 7, 42]


@pytest.fixture(scope="module", params=SEEDS)
def work(request: pytest.FixtureRequest) -> Any:
    return workload(600, request.param)


def test_every_valid_submission_validates_and_every_invalid_one_fails(work: Any) -> None:
    invalid = 0
    for step in work.steps:
        model = SUBMISSION_MODELS[step.type]
        if step.expect == "invalid":
            invalid += 1
            with pytest.raises(ValidationError):
                model.model_validate(step.data, context=AT_SUBMISSION)
        else:
            model.model_validate(step.data, context=AT_SUBMISSION)
    assert invalid > 0


def test_the_plan_covers_every_type_but_correct_and_plans_rejections(work: Any) -> None:
    types = Counter(s.type for s in work.steps)
    assert set(SUBMISSION_MODELS) - set(types) == {"agreement.correct"}
    assert any(s.expect == "rejected" and s.rule for s in work.steps)
    assert types["agreement.record_pks"] < types["agreement.record_ksb"], "many KSBs never get a PKS"


def test_all_546_governments_are_nodes(work: Any) -> None:
    assert set(work.nodes) == autonomous_codes()
    assert len(work.nodes) == 546


def test_same_seed_same_plan_and_keys_unique() -> None:
    today = date(2026, 1, 15)
    first, second = workload(200, 5, today), workload(200, 5, today)
    assert first == second
    keys = [s.key for s in first.steps]
    assert len(keys) == len(set(keys)) and all(k.startswith("sim-5-") for k in keys)
    assert workload(200, 6, today) != first


def _legal_dates(data: dict[str, Any]) -> list[str]:
    found = [
        data[k] for k in ("initiated_on", "reviewed_on", "responded_on", "approved_on", "reported_on") if k in data
    ]
    return found + ([data["document"]["signed_on"]] if "document" in data else [])


def test_legal_dates_are_past_and_in_order_for_the_initiator(work: Any) -> None:
    today = today_wib().isoformat()
    for track in work.tracks:
        if not track.name.startswith("a"):
            continue
        initiator = track.steps[0].node
        mine = [d for s in track.steps if s.node == initiator and s.expect == "applied" for d in _legal_dates(s.data)]
        assert mine == sorted(mine), track.name
        assert all(d <= today for s in track.steps if s.expect != "invalid" for d in _legal_dates(s.data))


def test_both_sides_of_a_ksdd_report_the_same_agreement(work: Any) -> None:
    both = 0
    for track in work.tracks:
        proposals = [s for s in track.steps if s.type == "agreement.propose" and s.expect == "applied"]
        withdrawn = {s.data["agreement_id"] for s in track.steps if s.type == "agreement.withdraw"}
        proposals = [s for s in proposals if s.data["agreement_id"] not in withdrawn]  # a duplicate entered by mistake
        if len(proposals) == 2:
            both += 1
            assert proposals[0].data["agreement_id"] == proposals[1].data["agreement_id"]
            assert proposals[0].node != proposals[1].node
    assert both > 0


def test_neighbours_are_symmetric_and_in_one_province() -> None:
    for code in sorted(autonomous_codes()):
        for other in neighbours(code):
            assert code in neighbours(other)
            assert len(other) == len(code) and (len(code) == 2 or other[:2] == code[:2])


def test_bench_proposals_are_new_agreements_from_every_node_in_turn() -> None:
    found = proposals(600, 3)
    assert 590 <= len(found) <= 600 and len({p.key for p in found}) == len(found)
    assert not any(would_join(p, q) for i, p in enumerate(found) for q in found[:i])  # none joins another
    assert all(p.type == "agreement.propose" and p.expect == "applied" for p in found)
    assert len({p.node for p in found}) == 546


def test_a_nodes_burst_goes_in_batches_intake_takes() -> None:
    """The deadline burst's batches (k6's items): each node's proposals in order, every one once, in
    batches of at most intake's limit, each with the node's token."""
    found = proposals(2000, 5)
    node = found[0].node
    steps = [s for s in found if s.node == node] * 300  # more than one batch's worth from one node
    items = node_batches(steps, {node: "token-of-the-node"})
    sizes = [len(json.loads(i["body"])["submissions"]) for i in items]
    assert sizes == [MAX_BATCH_ITEMS] * (len(steps) // MAX_BATCH_ITEMS) + [len(steps) % MAX_BATCH_ITEMS]
    sent = [s["idempotency_key"] for i in items for s in json.loads(i["body"])["submissions"]]
    assert sent == [s.key for s in steps] and {i["token"] for i in items} == {"token-of-the-node"}
