"""The agreement handler and scheduler on a real PostgreSQL (no broker): a batch decided against
states loaded at once, gapless versions whose fold is the stored state, registry numbers drawn from
the sequence table, and a scheduler that emits each expiry and overdue report once."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import pytest
from agreement_samples import HEAD, KAB_KUPANG, KUPANG, PROPOSALS, STEPS, doc
from conftest import SLOT

from ksd_agreement import scheduler, store
from ksd_agreement.domain import AgreementState, due, evolve, fold, reconciliation_key
from ksd_agreement.handlers import Pending, apply_submissions, commit
from ksd_common.db import create_pool, drop_database, migrate, recreate_database
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import (
    AGREEMENT_EVENT_MODELS,
    DPRD_APPROVED,
    EXPIRED,
    PARTY_REPORTED,
    REPORT_OVERDUE,
    Submitted,
    submission_type,
)

DATABASE = f"ksd_agreement_it{SLOT or ''}"


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    await recreate_database(DATABASE)
    pool = await create_pool(DATABASE, max_size=4)
    await migrate(pool, ["ksd_common", "ksd_agreement"])
    yield pool
    await pool.close()
    await drop_database(DATABASE)


def submission(agreement: UUID, kind: str, payload: dict[str, Any], region: str = KUPANG) -> Envelope:
    data = Submitted(submission_id=uuid4(), submission_type=kind, role="regency", region=region,
                     agreement_id=agreement, payload=payload)
    return Envelope(id=data.submission_id, source=f"/nodes/{region}", type=submission_type(kind),
                    subject=str(agreement), correlationid="test", data=data.model_dump(mode="json"))


def lifecycle(agreement: UUID) -> list[Envelope]:
    steps = ["agreement.record_tkksd_review", "agreement.record_ksb", "agreement.record_pks",
             "agreement.record_ksb"]  # the last is out of order: a rejection, no state change
    return [submission(agreement, "agreement.propose", PROPOSALS["KSDD"])] + [
        submission(agreement, kind, STEPS[kind] | {"agreement_id": str(agreement)}) for kind in steps]


async def stream(conn: asyncpg.Connection, agreement: UUID) -> list[tuple[int, str, dict[str, Any]]]:
    rows = await conn.fetch("SELECT version, type, envelope FROM agreement_events WHERE agreement_id = $1"
                            " ORDER BY version", agreement)
    return [(r["version"], r["type"], r["envelope"]["data"]) for r in rows]


async def saved(conn: asyncpg.Connection, agreement: UUID) -> AgreementState:
    return (await store.states(conn, [agreement]))[str(agreement)]


async def test_a_batch_appends_gapless_versions_whose_fold_is_the_stored_state(pool: asyncpg.Pool) -> None:
    first, second = uuid4(), uuid4()
    region_step = Envelope(source="/nodes/53.71", type=submission_type("region.declare_neighbours"),
                           subject="53.71", correlationid="test", data=Submitted(
                               submission_id=uuid4(), submission_type="region.declare_neighbours", role="regency",
                               region=KUPANG, payload={}).model_dump(mode="json"))
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, [*lifecycle(first)[:3], region_step], today=date(2026, 11, 23))
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, [*lifecycle(first)[3:], *lifecycle(second)], today=date(2026, 11, 23))
    async with pool.acquire() as conn:
        for agreement in (first, second):
            events = await stream(conn, agreement)
            assert [v for v, _, _ in events] == list(range(1, len(events) + 1))
            for _, event_type, data in events:
                AGREEMENT_EVENT_MODELS[event_type].model_validate(data)
            state = await saved(conn, agreement)
            assert fold([(t, d) for _, t, d in events]) == state and state.version == len(events)
        numbers = [(await saved(conn, a)).registry_number for a in (first, second)]
        assert all(re.fullmatch(r"KSDD/53\.71/2024/\d{6}", n) for n in numbers)
        assert int(numbers[1][-6:]) == int(numbers[0][-6:]) + 1
        assert (await stream(conn, first))[0][2]["registry_number"] == numbers[0]
        assert await conn.fetchval("SELECT count(*) FROM agreement_events") == 2 * 5


async def test_the_scheduler_emits_each_expiry_and_overdue_report_once(pool: asyncpg.Pool) -> None:
    agreement = uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, lifecycle(agreement)[:4], today=date(2024, 12, 1))
    later = date(2027, 10, 2)
    emitted = await asyncio.gather(*(scheduler.tick(pool, later) for _ in range(3)))
    again = await scheduler.tick(pool, later)
    async with pool.acquire() as conn:
        events = await stream(conn, agreement)
        state = await saved(conn, agreement)
    owed = [(t, d.get("period")) for _, t, d in events if t in (EXPIRED, REPORT_OVERDUE)]
    assert sum(emitted) == len(owed) == 7 and again == 0
    assert owed[-1] == (EXPIRED, None) and state.status == "expired"
    assert fold([(t, d) for _, t, d in events]) == state


def other_side(agreement: UUID, kind: str, payload: dict[str, Any]) -> Envelope:
    """Kabupaten Kupang's report of the KSDD, under the id its own register gave it."""
    return submission(agreement, kind, payload, region=KAB_KUPANG)


async def test_both_sides_reports_join_by_kind_parties_and_date_whatever_their_ids(pool: asyncpg.Pool) -> None:
    kota, kabupaten, kota_again = uuid4(), uuid4(), uuid4()
    theirs = PROPOSALS["KSDD"] | {"title": "Kerja sama persampahan Kota dan Kabupaten Kupang"}
    ksb = STEPS["agreement.record_ksb"]
    own_copy = {"document": doc(HEAD | {"party": KAB_KUPANG}, number="180/KAB/2024",
                                signed_on=ksb["document"]["signed_on"])}
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, lifecycle(kota)[:3], today=date(2026, 11, 23))
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, [other_side(kabupaten, "agreement.propose", theirs),
                                       other_side(kabupaten, "agreement.record_ksb", own_copy | {
                                           "agreement_id": str(kabupaten)}),
                                       submission(kota_again, "agreement.propose", PROPOSALS["KSDD"])],
                                today=date(2026, 11, 23))
    async with pool.acquire() as conn, conn.transaction():  # a later batch finds the stored alias
        await apply_submissions(conn, [other_side(kabupaten, "agreement.record_dprd_approval", STEPS[
            "agreement.record_dprd_approval"] | {"agreement_id": str(kabupaten)})], today=date(2026, 11, 23))
    async with pool.acquire() as conn:
        events = await stream(conn, kota)
        assert await stream(conn, kabupaten) == []
        assert events[-1][1] == DPRD_APPROVED
        state = await saved(conn, kota)
        second = await saved(conn, kota_again)
    joined = [d for _, t, d in events if t == PARTY_REPORTED]
    assert [(d["submission_type"], d["reported_as"]) for d in joined] == [
        ("agreement.propose", str(kabupaten)), ("agreement.record_ksb", str(kabupaten))]
    assert [f["rule"] for f in joined[0]["flags"]] == ["party.report_differs"]  # the titles differ
    assert state.reported_by == [KUPANG, KAB_KUPANG]
    assert state.document_numbers[KAB_KUPANG] == [
        "180/KAB/2024", STEPS["agreement.record_dprd_approval"]["decision_number"]]
    assert second.reported_by == [KUPANG] and second.agreement_id == str(kota_again)  # Kota's second, same day


async def test_a_report_loads_only_the_agreements_that_wait_for_its_region(pool: asyncpg.Pool) -> None:
    """Kota Kupang imports its register: many KSDDs with Kabupaten Kupang, none reported by the
    other side yet. Its own next report must not load them (none can be joined: Kota reported them);
    Kabupaten's report still finds them all, in the order they were registered, and joins the one of
    its day, which then waits for no one."""
    key = reconciliation_key(PROPOSALS["KSDD"])
    assert key is not None
    days = ["2024-07-02", "2024-08-05", "2024-09-09"]
    kota = [uuid4() for _ in days]
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, [submission(a, "agreement.propose", PROPOSALS["KSDD"] | {"initiated_on": d})
                                       for a, d in zip(kota, days, strict=True)], today=date(2026, 11, 23))
    async with pool.acquire() as conn, conn.transaction():
        assert await store.keyed(conn, [key], [KUPANG]) == {}
        assert await store.keyed(conn, [key], [KAB_KUPANG]) == {key: [str(a) for a in kota]}
    kabupaten = uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, [other_side(kabupaten, "agreement.propose", PROPOSALS["KSDD"] | {
            "initiated_on": days[1]})], today=date(2026, 11, 23))
    async with pool.acquire() as conn, conn.transaction():
        assert (await saved(conn, kota[1])).reported_by == [KUPANG, KAB_KUPANG]
        assert await store.keyed(conn, [key], [KAB_KUPANG]) == {key: [str(kota[0]), str(kota[2])]}
        assert await store.keyed(conn, [key], [KUPANG, KAB_KUPANG]) == {key: [str(kota[0]), str(kota[2])]}


async def test_keys_registered_before_migration_0005_wait_as_their_states_say_after_the_start(
        pool: asyncpg.Pool) -> None:
    """Keys registered before migration 0005 had no `waiting`: until the service's start fills it
    they are loaded for every report, as before; after `store.refold` each waits for the regions its
    state has not heard from."""
    key = reconciliation_key(PROPOSALS["KSDD"])
    assert key is not None
    kota, kabupaten = uuid4(), uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, [submission(kota, "agreement.propose", PROPOSALS["KSDD"]),
                                       other_side(kabupaten, "agreement.propose", PROPOSALS["KSDD"] | {
                                           "initiated_on": "2025-03-01"})], today=date(2026, 11, 23))
        await conn.execute("UPDATE reconciliation_keys SET waiting = NULL")
        assert await store.keyed(conn, [key], [KUPANG]) == {key: [str(kota), str(kabupaten)]}
    await store.refold(pool)
    async with pool.acquire() as conn, conn.transaction():
        assert dict(await conn.fetch("SELECT agreement_id, waiting FROM reconciliation_keys")) == {
            kota: [KAB_KUPANG], kabupaten: [KUPANG]}
        assert await store.keyed(conn, [key], [KUPANG]) == {key: [str(kabupaten)]}


async def test_reports_of_one_day_on_different_affairs_stay_two_agreements(pool: asyncpg.Pool) -> None:
    sampah, air = uuid4(), uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, [submission(sampah, "agreement.propose", PROPOSALS["KSDD"]),
                                       other_side(air, "agreement.propose", PROPOSALS["KSDD"] | {
                                           "title": "Penyediaan air minum lintas daerah", "urusan": ["1.03"]})],
                                today=date(2026, 11, 23))
    async with pool.acquire() as conn:
        assert (await saved(conn, sampah)).reported_by == [KUPANG]
        assert (await saved(conn, air)).reported_by == [KAB_KUPANG]
        assert await conn.fetchval("SELECT count(*) FROM agreement_aliases") == 0


async def test_concurrent_reports_of_both_sides_join_into_one_agreement(pool: asyncpg.Pool) -> None:
    kota, kabupaten = uuid4(), uuid4()

    async def report(envelope: Envelope) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await apply_submissions(conn, [envelope], today=date(2026, 11, 23))

    await asyncio.gather(report(submission(kota, "agreement.propose", PROPOSALS["KSDD"])),
                         report(other_side(kabupaten, "agreement.propose", PROPOSALS["KSDD"])))
    async with pool.acquire() as conn:
        opened = await conn.fetch("SELECT agreement_id FROM agreements")
        aliases = await conn.fetch("SELECT alias, agreement_id FROM agreement_aliases")
        [agreement] = [r["agreement_id"] for r in opened]
        state = await saved(conn, agreement)
    assert [(a["alias"], a["agreement_id"]) for a in aliases] == [(({kota, kabupaten} - {agreement}).pop(), agreement)]
    assert sorted(state.reported_by) == sorted([KUPANG, KAB_KUPANG])


async def test_the_scheduler_racing_a_consumer_batch_cannot_save_a_state_that_misses_its_events(
        pool: asyncpg.Pool) -> None:
    """The scheduler loads a running agreement; a consumer batch records a progress report on it and
    commits; the scheduler's save of what it loaded trips the version check and writes nothing, so
    the stored state stays the fold of every stored event."""
    agreement = uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, lifecycle(agreement))
    report = STEPS["agreement.report_progress"] | {"agreement_id": str(agreement)}
    async with pool.acquire() as scheduler_conn, pool.acquire() as consumer_conn:
        with pytest.raises(store.ConcurrentChange):
            async with scheduler_conn.transaction():  # rolled back by the conflict, as in the scheduler's tick
                current: dict[str, AgreementState | None] = dict(await store.states(scheduler_conn, [agreement]))
                loaded = current[str(agreement)]
                assert loaded is not None
                owed = due(loaded, date(2026, 1, 2))
                assert owed, "the scheduler owes the agreement its overdue reports"
                async with consumer_conn.transaction():
                    await apply_submissions(consumer_conn, [submission(agreement, "agreement.report_progress",
                                                                       report)])
                for event_type, data in owed:
                    current[str(agreement)] = evolve(current[str(agreement)], event_type, data)
                await commit(scheduler_conn, [Pending(None, t, str(agreement), d) for t, d in owed], current)
    async with pool.acquire() as conn:
        state = (await store.states(conn, [agreement]))[str(agreement)]
        events = await conn.fetch("SELECT type, envelope FROM agreement_events WHERE agreement_id = $1"
                                  " ORDER BY version", agreement)
    folded = fold((r["type"], r["envelope"]["data"]) for r in events)
    assert folded is not None and folded.to_json() == state.to_json()
    assert list(state.legal.reports) == ["2025-S1"] and state.version == len(events)


async def test_states_an_older_fold_wrote_are_folded_again_at_start(pool: asyncpg.Pool) -> None:
    """A state written before the legal facts were kept per party (no `facts`, no `fold_version`, a
    status the old fold gave) is folded again from the event store by `refold`, as the service does
    when it starts; a current state is left alone."""
    old, current = uuid4(), uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await apply_submissions(conn, lifecycle(old) + lifecycle(current))
    async with pool.acquire() as conn:
        kept = (await store.states(conn, [old]))[str(old)]
        legacy = {k: v for k, v in kept.to_json().items() if k not in ("facts", "clock", "fold_version")}
        await conn.execute("UPDATE agreements SET state = $2 WHERE agreement_id = $1", old,
                           legacy | {"status": "ksb_signed", "dprd_approved": False, "reported_by": [KUPANG]})
    assert await store.refold(pool) == 1
    assert await store.refold(pool) == 0
    async with pool.acquire() as conn:
        refolded = (await store.states(conn, [old]))[str(old)]
    assert refolded.to_json() == kept.to_json() and refolded.status == "running"
