"""`ksd audit verify` on several processes, without a broker: each record is checked by exactly one
of them, a subject's records all by the same one, and the day digests the processes hand back make
the checkpoints one process makes."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from hypothesis import given
from hypothesis import strategies as st

from ksd_tools.audit.checkpoint import DayDigests
from ksd_tools.audit.verify import Share

keys = st.none() | st.binary(max_size=40)


@given(keys, st.integers(1, 8))
def test_a_key_is_checked_by_exactly_one_process(key: bytes | None, processes: int) -> None:
    assert sum(Share(index, processes).checks(key) for index in range(processes)) == 1
    assert Share().checks(key)


def _record(partition: int, offset: int, day: int) -> ConsumerRecord[bytes, bytes]:
    at = int(datetime(2026, 11, day, 8, tzinfo=UTC).timestamp() * 1000)
    return ConsumerRecord("ksd.agreement.events", partition, offset, at, 0, f"k{offset % 3}".encode(),
                          f'{{"n":{offset}}}'.encode(), None, 2, 8, [("ce_id", f"{partition}-{offset}".encode())])


@given(st.integers(1, 4))
def test_day_digests_made_by_several_processes_are_those_of_one(processes: int) -> None:
    records = [_record(partition, offset, day) for partition in range(6) for offset, day in
               enumerate([27, 27, 28, 28, 28, 29][: partition + 1])]
    alone = DayDigests()
    for record in records:
        alone.add("ksd.agreement.events", record)
    merged = DayDigests()
    for index in range(processes):
        share, digests = Share(index, processes), DayDigests()
        for record in records:
            if share.digests(record.partition):
                digests.add("ksd.agreement.events", record)
        merged.merge(digests.sealed())
    assert merged.checkpoints() == alone.checkpoints()
    assert [c.events for c in alone.checkpoints()] == [11, 9, 1]
