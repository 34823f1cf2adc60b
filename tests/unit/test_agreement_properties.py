"""For any sequence of submissions: the fold of the emitted events is the state decide/evolve kept,
every emitted `data` validates against its contract, and a stream's versions have no gaps."""

from __future__ import annotations

from typing import Any

from agreement_samples import KAB_KUPANG, KUPANG, MOJOKERTO, PROPOSALS, STEPS, Stream, doc
from hypothesis import given, settings
from hypothesis import strategies as st

from ksd_agreement.domain import fold
from ksd_contracts.events import AGREEMENT_EVENT_MODELS

VARIANTS: dict[str, list[dict[str, Any]]] = {
    "agreement.record_tkksd_review": [{}, {"feasible": False}],
    "agreement.record_offer_response": [{}, {"accepted": False}],
    "agreement.record_ksb": [{}, {"document": doc({"name": "Kadis", "position": "Kadis", "party": KUPANG,
                                                  "capacity": "mitra"})}],
    "agreement.record_pks": [{}, {"dprd_required": True}, {"legal_basis": "Perda 1/2020", "end_on": "2031-01-01"}],
    "agreement.record_central_approval": [{}, {"authority": "kemlu"}],
    "agreement.amend": [{}, {"changes": {"kind": "KSDPK"}}],
}

submission = st.one_of(
    st.tuples(st.just("agreement.propose"), st.sampled_from([KUPANG, KAB_KUPANG, MOJOKERTO]), st.just({})),
    st.sampled_from(sorted(STEPS)).flatmap(lambda kind: st.tuples(
        st.just(kind), st.sampled_from([KUPANG, KUPANG, KAB_KUPANG, MOJOKERTO]),
        st.sampled_from(VARIANTS.get(kind, [{}])))),
)


@settings(max_examples=150)
@given(st.sampled_from(sorted(PROPOSALS)), st.lists(submission, max_size=14))
def test_the_fold_of_the_emitted_events_is_the_kept_state(kind: str, submissions: list[Any]) -> None:
    stream = Stream()
    for step, region, changes in submissions:
        if step == "agreement.propose":
            changes = {"agreement_kind": kind}
        decision = stream.submit(step, region=region, **changes)
        for event_type, data in decision.events:
            AGREEMENT_EVENT_MODELS[event_type].model_validate(data)
    folded = fold(stream.events)
    kept = stream.state
    if kept is None:
        assert folded is None
        return
    assert folded is not None and folded.version == len(stream.events)
    assert folded.to_json() | {"version": 0} == kept.to_json()
