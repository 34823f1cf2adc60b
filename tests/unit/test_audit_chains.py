"""The chain rule of `ksd audit verify`, without a broker: a subject's events fit only in the order
they were written, each once."""

from __future__ import annotations

from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from ksd_contracts.envelope import Envelope
from ksd_contracts.topics import AGREEMENT_EVENTS
from ksd_tools.audit.rules import RULES
from ksd_tools.audit.synthetic import agreement_events
from ksd_tools.audit.verify import Chains, Finding, Heads, check_content

CHAIN = list(agreement_events(1, 5))


def _problems(events: list[Envelope]) -> list[str]:
    chains = Chains()
    return [p for e in events if (p := chains.link(e))]


def test_the_written_order_links() -> None:
    assert _problems(CHAIN) == []
    assert all(check_content(RULES[AGREEMENT_EVENTS.name], e, e.to_kafka().value) is None for e in CHAIN)


@given(st.permutations(range(len(CHAIN))), st.lists(st.integers(0, len(CHAIN) - 1), max_size=2))
@settings(max_examples=200)
def test_any_other_order_breaks_the_chain_and_an_identical_repeat_is_only_a_copy(
    order: list[int], repeats: list[int],
) -> None:
    chains = Chains()
    problems = [p for e in [CHAIN[i] for i in order] + [CHAIN[i] for i in repeats] if (p := chains.link(e))]
    if order != sorted(order):
        assert problems
    else:
        assert problems == [] and chains.copies == len(repeats)


@given(st.lists(st.integers(0, len(CHAIN) - 1), min_size=1, max_size=2))
def test_a_repeat_under_a_new_id_breaks_the_chain(repeats: list[int]) -> None:
    again = [CHAIN[i].model_copy(update={"id": uuid4()}).chained(CHAIN[i].sequence or 0, CHAIN[i].prevhash or "")
             for i in repeats]
    assert _problems(CHAIN + again)


@given(st.integers(0, len(CHAIN) - 2))
def test_dropping_any_but_the_last_breaks_the_chain(dropped: int) -> None:
    """(The last one's loss leaves no gap: daily checkpoints are what tell it.)"""
    assert _problems(CHAIN[:dropped] + CHAIN[dropped + 1:])


def test_a_copy_of_a_link_older_than_those_kept_is_a_duplicate() -> None:
    """Verify keeps a partition's latest links (a window; its memory stays flat in the history's
    length): a copy of a recent link is a redelivery, one from further back is not one a relay makes."""
    window = 6
    chain = list(agreement_events(1, window + 2))
    chains = Chains(window=window)
    assert [p for e in chain if (p := chains.link(e))] == []
    assert chains.link(chain[-window]) is None and chains.copies == 1
    assert chains.link(chain[-window - 1]) is not None


def test_the_heads_spilled_out_of_memory_still_link() -> None:
    """Heads beyond those held in memory wait in the scratch file: chains interleaved over more
    subjects than are held link as they do in memory, and a break is still found."""
    events = list(agreement_events(7, 3))  # round-robin: every subject comes back after the other six
    chains = Chains(window=2, heads=Heads(held=3))
    assert [p for e in events if (p := chains.link(e))] == []
    assert chains.heads.spilled is not None and len(chains.heads.memory) < 3
    assert chains.heads.chains == 7
    # the heads came back from the file: subject 0's first link again, long after, breaks its chain
    assert chains.link(events[0]) == (f"urutan 1 subjek {events[0].subject} muncul lagi setelah 3: duplikat dengan"
                                      " id atau isi lain, atau sepasang peristiwa yang tertukar urutannya")
    chains.heads.close()


def test_the_first_bad_record_is_named_by_place_and_event() -> None:
    """What `ksd audit verify` prints after `PERISTIWA BERMASALAH PERTAMA:` (INTERFACES.md: it names
    the first bad event): where the record is, its event id, what is wrong."""
    found = Finding("ksd.agreement.events", 2, 41, "0190-abc", "hash tidak cocok dengan isinya")
    assert str(found) == "ksd.agreement.events partisi 2 offset 41 (peristiwa 0190-abc): hash tidak cocok dengan isinya"
    unreadable = Finding("ksd.agreement.events", 0, 7, None, "bukan amplop peristiwa yang sah: header ce_id tidak ada")
    assert str(unreadable).startswith("ksd.agreement.events partisi 0 offset 7 (bukan peristiwa yang terbaca): ")
