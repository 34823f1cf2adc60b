"""How a rebuild reads the log: each partition's records grouped by agreement without reordering
any agreement's own events, a partition larger than a run dealt in shares that each hold whole
agreements (the later ones spilled to scratch files and read back), and the partitions dealt to
workers, each to exactly one."""

from __future__ import annotations

import random
from dataclasses import dataclass

from aiokafka import ConsumerRecord, TopicPartition

from ksd_tools.audit.processes import owns
from ksd_tools.audit.rebuild import by_agreement, key_shares, shares, spilled


@dataclass(frozen=True)
class Log:
    """The parts of a consumer record the grouping reads."""

    topic: str
    partition: int
    offset: int
    key: bytes | None


def _partition(seed: int) -> list[Log]:
    """A partition's records: 300 agreements' events interleaved at random, in offset order."""
    rng = random.Random(seed)
    keys = [rng.choice([f"agreement-{n}".encode() for n in range(300)]) for _ in range(5_000)]
    return [Log("ksd.agreement.events", 0, offset, key) for offset, key in enumerate(keys)]


def test_grouping_keeps_each_agreements_events_in_order_and_in_one_batch() -> None:
    records = _partition(1)
    batches = list(by_agreement(records, size=700))
    assert sorted(r.offset for b in batches for r in b) == list(range(len(records)))
    batch_of: dict[bytes | None, int] = {}
    for number, batch in enumerate(batches):
        assert len(batch) >= 700 or number == len(batches) - 1
        for record in batch:
            assert batch_of.setdefault(record.key, number) == number
    for key in batch_of:
        offsets = [r.offset for b in batches for r in b if r.key == key]
        assert offsets == sorted(offsets) == [r.offset for r in records if r.key == key]


def test_a_partition_larger_than_a_run_is_dealt_in_shares_each_holding_whole_agreements() -> None:
    records = _partition(2)
    hold = 1_500
    of = key_shares(len(records), hold)
    assert of == 4 and key_shares(hold * 9 // 10, hold) == 1
    held = [[r for r in records if owns(r.key, index, of)] for index in range(of)]
    assert sorted(r.offset for share in held for r in share) == list(range(len(records)))
    assert all(len(share) < hold for share in held), [len(share) for share in held]
    for key in {r.key for r in records}:
        assert sum(any(r.key == key for r in share) for share in held) == 1


def test_every_partition_goes_to_exactly_one_worker_the_load_spread() -> None:
    spans = {TopicPartition("ksd.agreement.events", p): (0, 1_000 * (p + 1)) for p in range(6)}
    spans[TopicPartition("ksd.mapping.events", 0)] = (10, 60)
    dealt = shares(spans, 2)
    assert len(dealt) == 2
    assert sorted(tp for share in dealt for tp in share) == sorted(spans)
    assert all(share[tp] == spans[tp] for share in dealt for tp in share)
    assert sorted(sum(b - a for a, b in share.values()) for share in dealt) == [10_050, 11_000]
    assert len(shares(spans, 16)) == len(spans)
    assert shares(spans, 1) == [spans]


def test_a_partition_larger_than_a_run_is_read_once_its_later_shares_spilled_and_read_back() -> None:
    """The records of every share but the first go to scratch files as the partition is read, and
    come back exactly as read (every field), each agreement whole in one share, in its order."""
    tp = TopicPartition("ksd.agreement.events", 3)
    values = [b'{"n":%d}' % n for n in range(5_000)]
    records = [ConsumerRecord(tp.topic, tp.partition, log.offset, 1_700_000_000_000 + log.offset, 0, log.key,
                              values[log.offset], None, len(log.key or b""), len(values[log.offset]),
                              (("ce_id", b"%d" % log.offset), ("content-type", b"application/json")))
               for log in _partition(3)]
    of = key_shares(len(records), 1_500)
    with spilled(tp, of) as spill:
        first = [r for start in range(0, len(records), 700) for r in spill.first(records[start:start + 700])]
        later = [[r for batch in share_read for r in batch] for share_read in spill.later()]
    dealt = [first, *later]
    assert len(dealt) == of == 4
    for index, share in enumerate(dealt):
        assert share == [r for r in records if owns(r.key, index, of)]
