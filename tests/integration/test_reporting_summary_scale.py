"""The summary's fast path equals the plain aggregate over the read model, for any history (PostgreSQL,
no broker needed): agreements proposed, reported by both KSDD sides, signed, corrected, verified and
returned by their province, withdrawn, with time passing, their events interleaved and batched at
random, delivered twice, and the counts recounted as a rebuild recounts them.

The fast path is the one the API answers with (`store.summary`): the counts table less the agreements
initiated after the day; the nation's indicators added up from the steps the handlers keep
(`nation_steps`), a province's or region's counted per stage in one pass with migration 0011's
functions.
The plain aggregate is the definition read the long way: every indicator counted over the agreements
with the set-based functions of migrations 0004 and 0007 (a subquery per agreement), and the counts
counted from the agreements on the register that day."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import asyncpg
import pytest
from agreement_samples import KAB_KUPANG, KUPANG, MOJOKERTO, PROPOSALS, STEPS, Stream, chained
from conftest import SUFFIX
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from reporting_history import AS_OF, build

from ksd_agreement.domain import due, evolve
from ksd_common.db import create_pool, drop_database, migrate, recreate_database
from ksd_contracts.envelope import Envelope
from ksd_reporting import store
from ksd_reporting.handlers import apply_agreement_events, apply_mapping_events

DATABASE = f"ksd_reporting{SUFFIX}_summary"

PLAIN = """
CREATE SCHEMA plain;
CREATE FUNCTION plain.stage_on(names text[], dates date[], d date) RETURNS text LANGUAGE sql AS $$
    SELECT names[i] FROM generate_subscripts(dates, 1) AS i WHERE dates[i] <= d ORDER BY i DESC LIMIT 1 $$;
CREATE FUNCTION plain.open_on(opened date[], closed date[], d date) RETURNS integer LANGUAGE sql AS $$
    SELECT count(*)::integer FROM unnest(opened, closed) AS r(opened, closed) WHERE r.opened <= d AND r.closed > d $$;
CREATE FUNCTION plain.overdue_on(due date[], sent date[], d date) RETURNS integer LANGUAGE sql AS $$
    SELECT plain.open_on(due, sent, d) $$;
CREATE FUNCTION plain.due_within(due date[], sent date[], d date, days integer) RETURNS integer LANGUAGE sql AS $$
    SELECT count(*)::integer FROM unnest(due, sent) AS r(due, sent) WHERE r.due > d AND r.due <= d + days
    AND r.sent > d $$;
"""
"""The read model's functions as migrations 0004 and 0007 first wrote them (due_within as the
indicator's own subquery was), in a schema of their own that the plain aggregate reads first."""

SCOPES = (None, "53", "53.71", "53.01", "35", "35.76", "65", "65.71")
REGIONS = (KUPANG, KUPANG, KAB_KUPANG, MOJOKERTO, "53")
"""Who submits a step: mostly Kota Kupang, the other KSDD side, another province's city, and the
province of Nusa Tenggara Timur (the one that verifies and returns)."""
KSB = STEPS["agreement.record_ksb"]["document"]
CORRECTED: dict[str, dict[str, Any]] = {
    "agreement.record_ksb": {"document": {**KSB, "number": "9/KSB", "signed_on": "2024-09-03"}},
    "agreement.record_pks": {"start_on": "2024-12-01", "end_on": "2025-03-31"},
    "agreement.report_progress": {"reported_on": "2025-12-30"},
    "agreement.raise_dispute": {"raised_on": "2025-06-01"},
}
"""Corrected data for a step, merged over its sample data: dates moved, so stages and reports move."""

submission = st.one_of(
    st.tuples(st.sampled_from(sorted(STEPS)), st.sampled_from(REGIONS)),
    st.tuples(st.just("agreement.propose"), st.just(KAB_KUPANG)),  # the other side of a KSDD joins
    st.tuples(st.just("agreement.correct"), st.sampled_from(sorted(CORRECTED))),
    st.tuples(st.sampled_from(["agreement.verify", "agreement.return"]), st.just("53")),
)
INITIATED = ["2019-05-02", "2024-07-02", "2025-01-15"]
agreement = st.tuples(
    st.sampled_from(sorted(PROPOSALS)),
    st.sampled_from(INITIATED),
    st.lists(submission, max_size=12),
    st.lists(st.dates(min_value=date(2024, 6, 1), max_value=date(2031, 12, 31)), max_size=3),
)
DAYS = st.one_of(
    st.dates(min_value=date(2019, 1, 1), max_value=date(2032, 12, 31)),
    st.builds(lambda day, shift: date.fromisoformat(day) + timedelta(days=shift),
              st.sampled_from(INITIATED), st.integers(-1, 1)),
)
"""Any day, and the days around an initiation: the counts of a day read its month's agreements up to
the day (or after it), so the day before, of and after one are where an off-by-one would show."""


def _stream(kind: str, initiated_on: str, submissions: list[tuple[str, str]], ticks: list[date]) -> Stream:
    """One agreement's history as the agreement service decides it (refusals included)."""
    stream = Stream()
    stream.submit("agreement.propose", agreement_kind=kind, initiated_on=initiated_on)
    for submission_type, who in submissions:
        if submission_type == "agreement.correct":
            if (target := stream.submitted.get(who)) is not None:  # `who` names the step corrected
                stream.submit("agreement.correct", supersedes=str(target), reason="salah ketik",
                              data=STEPS[who] | CORRECTED[who])
        else:
            stream.submit(submission_type, region=who)
    for day in sorted(ticks):  # the scheduler's record of time passing
        assert stream.state is not None
        for event_type, data in due(stream.state, day):
            stream.events.append((event_type, data))
            stream.state = evolve(stream.state, event_type, data)
    return stream


def _delivered(events: list[Envelope], rng: random.Random, twice: bool) -> list[list[Envelope]]:
    """The events in batches of random sizes; `twice`: a stretch of them delivered again."""
    batches: list[list[Envelope]] = []
    rest = list(events)
    while rest:
        size = rng.randint(1, 9)
        batches.append(rest[:size])
        rest = rest[size:]
    if twice and batches:
        start = rng.randrange(len(batches))
        batches += batches[start:start + 3]
    return batches


def _interleaved(streams: list[list[Envelope]], rng: random.Random) -> list[Envelope]:
    """Every subject's events in its order, subjects interleaved as partitions interleave them."""
    queues = [list(s) for s in streams if s]
    events: list[Envelope] = []
    while queues:
        queue = rng.choice(queues)
        events.append(queue.pop(0))
        queues = [q for q in queues if q]
    return events


async def _plain_indicators(conn: asyncpg.Connection, scope: str | None, horizon: store.Horizon) -> dict[str, Any]:
    """Every indicator of `store.INDICATORS` counted over the agreements one by one, with the plain
    functions: the definition, read the long way."""
    where = store.on_register(scope, horizon.as_of)
    cte, indicators = store.measured(where, horizon)
    counted = ", ".join(f"count(*) FILTER (WHERE {condition}) AS {name}" for name, condition in indicators.items())
    async with conn.transaction():
        await conn.execute("SET LOCAL search_path = plain, public")
        row = await conn.fetchrow(
            f"""WITH a AS MATERIALIZED ({cte})
            SELECT count(*) AS total, {counted},
              (SELECT jsonb_object_agg(stage, n) FROM (SELECT stage, count(*) AS n FROM a GROUP BY 1) g) AS by_status,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY pks_on - ksb_on)
                FILTER (WHERE ksb AND pks AND pks_on >= ksb_on) AS median_days,
              coalesce(sum(owed), 0) AS overdue_periods, coalesce(sum(disputes), 0) AS disputes_open,
              coalesce(sum(cardinality(reporters)), 0) AS party_reports, coalesce(sum(value_idr), 0) AS value_idr
            FROM a""", *where.args)
    return {**dict(row), "by_status": dict(sorted((row["by_status"] or {}).items()))}


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary's indicators by their names in `store.INDICATORS`, as the plain aggregate names them."""
    return {
        "total": summary["total"], "by_status": summary["by_status"], **summary["funnel"],
        "ksb_followed": summary["ksb_pks"]["followed"], "dormant": summary["ksb_pks"]["dormant"],
        "median_days": summary["ksb_pks"]["median_days"],
        **{f"expiring_{d}": n for d, n in summary["expiring"].items()},
        "expired_unattended": summary["expired_without_extension_or_evaluation"],
        "overdue_reports": summary["overdue_reports"]["agreements"],
        "overdue_periods": summary["overdue_reports"]["periods"],
        "reports_due": summary["reports_due"]["agreements"], **summary["ksdd_reports"],
        "mandatory_not_carried_out": summary["mandatory_not_carried_out"],
        "disputed": summary["disputes_open"]["agreements"], "disputes_open": summary["disputes_open"]["disputes"],
        **summary["verification"], "party_reports": summary["party_reports"], "value_idr": summary["value_idr"],
    }


@pytest.fixture(scope="module")
def runner() -> Iterator[tuple[asyncio.Runner, asyncpg.Pool]]:
    """A loop of the test's own (hypothesis calls the example synchronously) and a fresh reporting
    database with the plain functions beside the read model's."""
    with asyncio.Runner() as loop:
        loop.run(recreate_database(DATABASE))
        pool = loop.run(create_pool(DATABASE, max_size=2))
        loop.run(migrate(pool, ["ksd_common", "ksd_reporting"]))
        loop.run(pool.execute(PLAIN))
        try:
            yield loop, pool
        finally:
            loop.run(pool.close())
            loop.run(drop_database(DATABASE))


async def _example(pool: asyncpg.Pool, agreements: list[Any], seed: int, twice: bool, recount: bool,
                   days: list[date]) -> None:
    rng = random.Random(seed)
    streams = [chained(s.events, str(s.agreement_id)) for s in (_stream(*a) for a in agreements)]
    history = build()  # mapping's flags and declarations, foreign partners, a withdrawn record
    events = _interleaved([*streams, *(s.events for s in history.streams)], rng)
    async with pool.acquire() as conn:
        await conn.execute("TRUNCATE agreements, counts, mapping_flags, region_facts, nation_steps")
        for batch in _delivered(events, rng, twice):
            async with conn.transaction():
                await apply_agreement_events(conn, [e for e in batch if ".agreement." in e.type])
                await apply_mapping_events(conn, [e for e in batch if ".mapping." in e.type])
        if recount:
            await store.recount(conn)
        for day in sorted({*days, *(date.fromisoformat(a[1]) for a in agreements), AS_OF}):  # each initiation day
            horizon = store.Horizon(day)
            for scope in SCOPES:
                summary = await store.summary(pool, scope, horizon)
                assert _flat(summary) == await _plain_indicators(conn, scope, horizon), (scope, day)
                plain = await store.counted_from(conn, store.on_register(scope, day))
                assert await store.counts_on(conn, scope, day) == plain, (scope, day)
                assert summary["foreign_by_partner"] == {k: n for (d, k), (n, _) in plain.items() if d == "partner"}
                assert summary["flags_by_rule"] == await _plain_flags(conn, scope, day), (scope, day)


async def _plain_flags(conn: asyncpg.Connection, scope: str | None, day: date) -> dict[str, int]:
    """The agreements on the register bearing each rule, raised by the agreement service (in the
    record) or by mapping (its table), counted over the agreements and the flags themselves."""
    where = store.on_register(scope, day)
    rows = await conn.fetch(
        "SELECT rule, count(DISTINCT agreement_id) AS n FROM ("
        " SELECT agreement_id, f->>'rule' AS rule FROM agreements, jsonb_array_elements(flags) f"
        " UNION ALL SELECT agreement_id, m.rule FROM mapping_flags m JOIN agreements USING (agreement_id)) AS f"
        f" WHERE agreement_id IN (SELECT agreement_id FROM agreements WHERE {where.sql}) GROUP BY 1", *where.args)
    return {r["rule"]: r["n"] for r in rows}


def test_the_fast_summary_equals_the_plain_aggregate_for_any_history(
        runner: tuple[asyncio.Runner, asyncpg.Pool]) -> None:
    loop, pool = runner

    # Each example is a database's worth of writes and queries: a failing one is reported as found,
    # not shrunk (shrinking ran for minutes on two shared cores).
    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow],
              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    @given(agreements=st.lists(agreement, min_size=1, max_size=4), seed=st.integers(0, 2**16),
           twice=st.booleans(), recount=st.booleans(), days=st.lists(DAYS, min_size=1, max_size=3))
    def check(agreements: list[Any], seed: int, twice: bool, recount: bool, days: list[date]) -> None:
        loop.run(_example(pool, agreements, seed, twice, recount, days))

    check()


def test_a_flag_counted_while_its_agreement_is_being_counted_is_not_lost(
        runner: tuple[asyncio.Runner, asyncpg.Pool]) -> None:
    """Mapping's flag on an agreement and the agreement's proposal, counted at once on two
    connections (two consumers, or two replicas): the flag's batch waits for the proposal's to commit
    and counts the flag on it, so the summary shows it; neither batch could see the other's
    uncommitted rows."""
    loop, pool = runner
    history = build()
    events = history.agreements["a2"].events
    flagged = next(e for s in history.regions for e in s.events if e.data.get("agreement_id") == events[0].subject)

    async def counted_at_once() -> dict[str, int]:
        async with pool.acquire() as first, pool.acquire() as second:
            await first.execute("TRUNCATE agreements, counts, mapping_flags, region_facts, nation_steps")
            proposal = first.transaction()
            await proposal.start()
            await apply_agreement_events(first, events)

            async def flag() -> None:
                async with second.transaction():
                    await apply_mapping_events(second, [flagged])

            flagging = asyncio.create_task(flag())
            await asyncio.sleep(0.5)  # the flag's batch goes as far as it can meanwhile
            await proposal.commit()
            await flagging
        summary = await store.summary(pool, None, store.Horizon(AS_OF))
        return dict(summary["flags_by_rule"])

    counted = loop.run(counted_at_once())
    for rule in {f["rule"] for f in flagged.data["flags"]}:
        assert counted.get(rule) == 1, counted
