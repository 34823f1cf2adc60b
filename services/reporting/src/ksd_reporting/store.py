"""Reporting's queries on ksd_reporting: batched writes of the read models, and the reads of the API."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from pydantic_core import to_json

from ksd_contracts import labels
from ksd_contracts.lifecycle import FOLD_VERSION
from ksd_contracts.regions import autonomous_codes, in_scope, regions
from ksd_contracts.submissions import today_wib
from ksd_contracts.urusan import urusan
from ksd_reporting.domain import AgreementRecord, Changes, RegionFacts, refolded

# --- writes ------------------------------------------------------------------------------------------

async def record(conn: asyncpg.Connection, agreement_id: UUID) -> AgreementRecord | None:
    """One agreement's record, read (nothing locked)."""
    found: AgreementRecord | None = await conn.fetchval("SELECT record FROM agreements WHERE agreement_id = $1",
                                                        agreement_id)
    return found


COUNTING_LOCK = 4245
"""Advisory lock class of an agreement's counts (`records`)."""


@dataclass(frozen=True)
class Loaded:
    """An agreement as the handlers load it to count it: its record (None before its proposal is
    folded) and the rules mapping flagged it with (flags come on mapping's topic, maybe before the
    agreement)."""

    record: AgreementRecord | None
    mapped: frozenset[str]


async def records(conn: asyncpg.Connection, ids: list[str]) -> dict[str, Loaded]:
    """The agreements' records and mapping's rules on each, every agreement locked first until the
    transaction ends. A batch of its events and a batch of mapping's flags on it may be counted at
    once, each on its own connection: locked, the later one waits for the earlier to commit and
    then reads what it wrote, so neither counts without the other's change. The lock is a statement
    of its own (in order of id, so two batches cannot deadlock): a statement reads what was
    committed when it started, even when it waited for a lock meanwhile."""
    keys = sorted({UUID(i) for i in ids})
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext(k::text)) FROM unnest($2::uuid[]) AS k",
                       COUNTING_LOCK, keys)
    rows = await conn.fetch(
        "SELECT k, a.record, ARRAY(SELECT DISTINCT m.rule FROM mapping_flags m WHERE m.agreement_id = k) AS mapped"
        " FROM unnest($1::uuid[]) AS k LEFT JOIN agreements a ON a.agreement_id = k", keys)
    return {str(r["k"]): Loaded(r["record"], frozenset(r["mapped"])) for r in rows}


_COLUMNS = {
    "kind": "r->>'kind'", "status": "r->>'status'", "title": "r->>'title'",
    "regions": "ARRAY(SELECT jsonb_array_elements_text(r->'regions'))",
    "provinces": "ARRAY(SELECT jsonb_array_elements_text(r->'provinces'))",
    "urusan": "ARRAY(SELECT jsonb_array_elements_text(r->'urusan'))",
    "countries": "ARRAY(SELECT jsonb_array_elements_text(r->'countries'))",
    "reporters": "ARRAY(SELECT jsonb_array_elements_text(r->'reporters'))",
    "version": "(r->>'version')::int", "record": "r",
    "registry_number": "r->>'registry_number'", "mandatory": "(r->>'mandatory')::boolean",
    **{d: f"(r->>'{d}')::date" for d in ("initiated_on", "offered_on", "accepted_on", "ksb_on", "pks_on",
                                         "start_on", "end_on", "ended_on", "last_report_on")},
    "successor_id": "(r->>'successor_id')::uuid",
    "stage_dates": "ARRAY(SELECT v::date FROM jsonb_array_elements_text(r->'stage_dates') WITH ORDINALITY AS t(v, i)"
                   " ORDER BY i)",
    "stage_names": "ARRAY(SELECT v FROM jsonb_array_elements_text(r->'stage_names') WITH ORDINALITY AS t(v, i)"
                   " ORDER BY i)",
    "report_due": "ARRAY(SELECT (v->>1)::date FROM jsonb_array_elements(r->'report_periods') WITH ORDINALITY"
                  " AS t(v, i) ORDER BY i)",
    "report_sent": "ARRAY(SELECT coalesce((v->>2)::date, 'infinity') FROM jsonb_array_elements(r->'report_periods')"
                   " WITH ORDINALITY AS t(v, i) ORDER BY i)",
    "dispute_raised": "ARRAY(SELECT (v->>0)::date FROM jsonb_array_elements(r->'disputes') WITH ORDINALITY"
                      " AS t(v, i) ORDER BY i)",
    "dispute_settled": "ARRAY(SELECT coalesce((v->>1)::date, 'infinity') FROM jsonb_array_elements(r->'disputes')"
                       " WITH ORDINALITY AS t(v, i) ORDER BY i)",
    "value_idr": "(r->>'value_idr')::bigint", "funding": "r->'funding'", "flags": "r->'flags'",
    "one_sided": "(r->>'one_sided')::boolean",
    "withdrawn": "coalesce((r->>'withdrawn')::boolean, false)",
    "disagreements": "(r->>'disagreements')::int",
    "verification": "coalesce(r->'verification'->>'state', 'unverified')",
}
_SAVE = (
    f"INSERT INTO agreements (agreement_id, {', '.join(_COLUMNS)})"
    f" SELECT (r->>'agreement_id')::uuid, {', '.join(_COLUMNS.values())}"
    " FROM (SELECT text::jsonb AS r FROM unnest($1::text[]) AS text OFFSET 0) AS parsed"
    f" ON CONFLICT (agreement_id) DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in _COLUMNS)}"
)
"""The records go as an array of JSON texts, each parsed into jsonb on its own (`OFFSET 0` keeps it
to one parse a record, not one a column): PostgreSQL 15 parsed one jsonb array of 2,500 records
at ~60 us a record against ~18 for the same records apart, and the whole upsert took a fifth less
of its CPU (bench/notes-audit-scale.md, eighth pass)."""


def json_text(record: AgreementRecord) -> str:
    """A record's JSON: orjson's, or pydantic-core's for what orjson refuses (an integer beyond 64
    bits, which an event's data may hold). orjson writes a record of a few steps in 3 us against 10,
    the same value once parsed (tests/unit/test_reporting_projection.py), but for a number too large
    for a float (`1e999`) or NaN in an event's data: null, where pydantic-core wrote text PostgreSQL
    refused (the event then parked). The agreement service, the one writer of agreement events,
    puts no floats in them: its submissions' fields are validated and none is a float, a
    correction's data included (checked as the superseded step's submission)."""
    try:
        return orjson.dumps(record).decode()
    except TypeError:
        return to_json(record).decode()


def _texts(records: list[AgreementRecord]) -> list[str]:
    return [json_text(r) for r in records]


async def save(conn: asyncpg.Connection, changed: list[AgreementRecord]) -> None:
    """Upsert the changed records in one statement; the filter columns are taken from the record."""
    if changed:
        await conn.execute(_SAVE, _texts(changed))


async def add_counts(conn: asyncpg.Connection, changes: Changes) -> None:
    """Add the batch's count changes in one statement (keys in a fixed order: concurrent batches on
    other partitions cannot deadlock), then drop the rows that fell to zero."""
    if not changes:
        return
    keys = sorted(changes)
    columns = (*([k[i] for k in keys] for i in range(4)),
               [changes[k][0] for k in keys], [changes[k][1] for k in keys])
    await conn.execute(
        "INSERT INTO counts (scope, month, dimension, key, n, value_idr)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::numeric[])"
        " ON CONFLICT (scope, month, dimension, key) DO UPDATE"
        " SET n = counts.n + EXCLUDED.n, value_idr = counts.value_idr + EXCLUDED.value_idr", *columns)
    await conn.execute(
        "DELETE FROM counts c USING unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(scope, month,"
        " dimension, key) WHERE (c.scope, c.month, c.dimension, c.key) = (k.scope, k.month, k.dimension, k.key)"
        " AND c.n = 0 AND c.value_idr = 0", *columns[:4])


async def region_facts(conn: asyncpg.Connection, codes: list[str]) -> dict[str, RegionFacts]:
    rows = await conn.fetch("SELECT * FROM region_facts WHERE region = ANY($1::text[])", codes)
    return {r["region"]: _facts(r) for r in rows}


def _facts(row: asyncpg.Record) -> RegionFacts:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in dict(row).items()}


async def save_region_facts(conn: asyncpg.Connection, facts: list[RegionFacts]) -> None:
    if facts:
        await conn.execute(
            "INSERT INTO region_facts SELECT * FROM jsonb_populate_recordset(NULL::region_facts, $1::jsonb)"
            " ON CONFLICT (region) DO UPDATE SET tkksd_decree = EXCLUDED.tkksd_decree,"
            " tkksd_on = EXCLUDED.tkksd_on, affairs_declared_on = EXCLUDED.affairs_declared_on,"
            " offers = EXCLUDED.offers, needs = EXCLUDED.needs,"
            " potentials_declared_on = EXCLUDED.potentials_declared_on, potentials = EXCLUDED.potentials,"
            " version = EXCLUDED.version",
            facts,
        )


async def save_mapping_flags(conn: asyncpg.Connection, flags: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Record mapping's flags (one delivered again is left alone); the rules new on each agreement's rows."""
    if not flags:
        return {}
    rows = await conn.fetch(
        "INSERT INTO mapping_flags SELECT * FROM jsonb_populate_recordset(NULL::mapping_flags, $1::jsonb)"
        " ON CONFLICT DO NOTHING RETURNING agreement_id, rule", flags)
    added: dict[str, set[str]] = {}
    for row in rows:
        added.setdefault(str(row["agreement_id"]), set()).add(row["rule"])
    return added


# --- reads -------------------------------------------------------------------------------------------

class Where:
    """A WHERE clause built from optional filters, with numbered parameters."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, template: str, value: Any) -> None:
        self.args.append(value)
        self.clauses.append(template.replace("?", f"${len(self.args)}"))

    def param(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    @property
    def sql(self) -> str:
        return " AND ".join(self.clauses) or "true"


def scoped(where: Where, scope: str | None) -> Where:
    """A province includes its regencies/cities; a regency/city is itself."""
    if scope is not None:
        # `@>` rather than `= ANY`: the GIN indexes on the arrays answer it.
        where.add("provinces @> ARRAY[?::text]" if len(scope) == 2 else "regions @> ARRAY[?::text]", scope)
    return where


def stage_on(day: str) -> str:
    """The SQL of an agreement's stage on a day (a parameter placeholder): `lifecycle.stage`, read
    from the stage changes the record keeps (migration 0004's `stage_on`)."""
    return f"stage_on(stage_names, stage_dates, {day}::date)"


@dataclass(frozen=True)
class Horizon:
    """What the "today"-dependent indicators measure against: `as_of` and the dormancy threshold."""

    as_of: date
    dormant_months: int = 12


EXPIRING_DAYS = (0, 7, 30, 60, 90)
"""The horizons of the "expiring within N days" indicators, ascending (0: ends today); the
reminders' thresholds too (`reminders`)."""

REPORT_NOTICE_DAYS = 30
"""A semester report falling due within this many days is "due" (`reports_due`)."""

VERIFICATION_STATES = ("unverified", "verified", "returned")
"""A record's verification by its province (`domain.verification`): each is an indicator, and the
`verification` filter of the summary, the list and the exports."""


INDICATORS: dict[str, str] = {
    "offered": "offered_on <= {as_of}",
    "accepted": "accepted_on <= {as_of}",
    "ksb": "ksb",
    "pks": "pks",
    "running": "stage = 'running'",
    "ksb_followed": "ksb AND pks",
    "dormant": "ksb AND NOT pks AND stage NOT IN ('ended', 'expired')"
               " AND ksb_on <= {as_of}::date - make_interval(months => dormant_months)",
    **{f"expiring_{d}": "stage IN ('pks_signed', 'running') AND end_on >= {as_of}"
                        f" AND end_on <= {{as_of}}::date + {d}" for d in EXPIRING_DAYS},
    "expired_unattended": "stage = 'expired' AND successor_id IS NULL"
                          " AND (last_report_on IS NULL OR last_report_on < end_on)",
    "overdue_reports": "owed > 0",
    "reports_due": f"report_due <> '{{{{}}}}'"
                   f" AND due_within(report_due, report_sent, {{as_of}}, {REPORT_NOTICE_DAYS}) > 0",
    "one_sided": "one_sided",
    "disagreeing": "disagreements > 0",
    "disputed": "disputes > 0",
    "mandatory_not_carried_out": "kind = 'KSDD' AND mandatory AND NOT pks AND (stage IN ('declined', 'not_feasible')"
                                 " OR initiated_on <= {as_of}::date - make_interval(months => dormant_months))",
    **{state: f"verification = '{state}'" for state in VERIFICATION_STATES},
}
"""Each indicator of DOMAIN.md as one SQL condition on an agreement measured on a day (`measured`):
the summary counts the agreements that meet it, the list and the exports (`?indicator=`) list
them, so a figure and its list cannot differ. `{as_of}` is the day and `dormant_months` the
dormancy threshold."""
Indicator = Enum("Indicator", {name: name for name in INDICATORS}, type=str)  # type: ignore[misc]


def measured(where: Where, horizon: Horizon) -> tuple[str, dict[str, str]]:
    """The agreements of `where` with what the indicators read on `horizon.as_of` (their stage,
    the report periods owed, the disputes open, whether the KSB and the PKS were signed by then), as
    SQL for a WITH; and each indicator's condition on them."""
    as_of, months = where.param(horizon.as_of), where.param(horizon.dormant_months)
    return f"SELECT *, {_read_on(as_of, months)} FROM agreements WHERE {where.sql}", conditions(as_of)


def _read_on(as_of: str, months: str) -> str:
    """The columns an indicator reads of an agreement on the day `as_of` (SQL: a parameter or a
    column), with the dormancy threshold `months`."""
    return (f"{stage_on(as_of)} AS stage, overdue_on(report_due, report_sent, {as_of}) AS owed,"
            f" open_on(dispute_raised, dispute_settled, {as_of}) AS disputes,"
            f" coalesce(ksb_on <= {as_of}, false) AS ksb, coalesce(pks_on <= {as_of}, false) AS pks,"
            f" {months}::int AS dormant_months")


def conditions(as_of: str) -> dict[str, str]:
    """Each indicator's condition on the day `as_of` (SQL: a parameter or a column)."""
    return {name: condition.format(as_of=as_of) for name, condition in INDICATORS.items()}


@dataclass(frozen=True)
class Filters:
    """The agreements a list or an export asks for: those on the register on `as_of` in `scope`,
    narrowed by each filter given. Every breakdown of the summary has its filter (`party` for
    by_region, `province` for by_province, `partner` for foreign_by_partner, `month`, `country`,
    `funding`, `flag`), and every indicator too."""

    scope: str | None = None
    kind: str | None = None
    status: str | None = None
    urusan: str | None = None
    q: str | None = None
    as_of: date | None = None
    """The day statuses and indicators are read on (default: today, WIB)."""
    indicator: str | None = None
    dormant_months: int = 12
    party: str | None = None
    """A government among the agreement's parties (a regency/city NN.NN or a province NN itself)."""
    province: str | None = None
    """A province one of the parties is in (itself or one of its regencies/cities)."""
    month: str | None = None
    """YYYY-MM of the initiation."""
    country: str | None = None
    partner: str | None = None
    """A foreign partner, by name."""
    funding: str | None = None
    flag: str | None = None
    verification: str | None = None
    """Only the records in this verification state (`VERIFICATION_STATES`)."""
    awaiting_report_of: str | None = None
    """A party region that has not reported the agreement itself (a one-sided KSDD, its side)."""

    @property
    def horizon(self) -> Horizon:
        return Horizon(self.as_of or today_wib(), self.dormant_months)

    def selected(self) -> tuple[str, Where]:
        """`WITH a AS (...)` and the condition on `a` that select the agreements; statuses,
        indicators and flags are read on the horizon's day."""
        horizon = self.horizon
        base = on_register(self.scope, horizon.as_of, withdrawn=self.status == "withdrawn",
                           verification=self.verification)
        if self.party:
            base.add("regions @> ARRAY[?::text]", self.party)
        if self.province:
            base.add("provinces @> ARRAY[?::text]", self.province)
        if self.kind:
            base.add("kind = ?", self.kind)
        if self.urusan:
            base.add("urusan @> ARRAY[?::text]", self.urusan)
        if self.q:
            base.add("search @@ websearch_to_tsquery('indonesian', ?)", self.q)
        if self.month:
            base.add("to_char(initiated_on, 'YYYY-MM') = ?", self.month)
        if self.country:
            base.add("countries @> ARRAY[?::text]", self.country)
        if self.partner:
            base.add("countries <> '{}' AND record->'parties' @> jsonb_build_array(jsonb_build_object("
                     "'type', 'foreign', 'name', ?::text))", self.partner)
        if self.funding:
            base.add("funding @> jsonb_build_array(jsonb_build_object('source', ?::text))", self.funding)
        if self.flag:
            base.add(f"({FLAGGED.replace('$rule', '?::text')})", self.flag)
        if self.awaiting_report_of:
            code = base.param(self.awaiting_report_of)
            base.clauses.append(f"regions @> ARRAY[{code}::text] AND NOT reporters @> ARRAY[{code}::text]")
        cte, indicators = measured(base, horizon)
        chosen = Where()
        chosen.args = base.args
        if self.status:
            chosen.add("stage = ?", self.status)
        if self.indicator:
            chosen.clauses.append(indicators[self.indicator])
        return f"WITH a AS NOT MATERIALIZED ({cte})", chosen


FLAGGED = ("flags @> jsonb_build_array(jsonb_build_object('rule', $rule))"
           " OR EXISTS (SELECT 1 FROM mapping_flags m WHERE m.agreement_id = agreements.agreement_id"
           " AND m.rule = $rule)")
"""An agreement bears the flag `$rule`: raised by the agreement service's soft rules (in its
record) or by mapping (its own table)."""


def on_register(scope: str | None, as_of: date, withdrawn: bool = False, verification: str | None = None) -> Where:
    """The agreements in scope that are on the register on `as_of`: initiated by then, and not
    withdrawn (a record entered by mistake), unless the `withdrawn` ones are asked for; only those
    in one verification state when asked (the indicator's condition: one definition)."""
    where = scoped(Where(), scope)
    where.add("initiated_on <= ?", as_of)
    if not withdrawn:
        where.clauses.append("NOT withdrawn")
    if verification is not None:
        where.clauses.append(INDICATORS[verification])
    return where


async def summary(pool: asyncpg.Pool, scope: str | None, horizon: Horizon,
                  verification: str | None = None) -> dict[str, Any]:
    """Counts and the indicators of DOMAIN.md for the nation, a province (with its regions) or a
    region, as they stood on `horizon.as_of`: every figure counts the agreements initiated by then,
    at the stage they had then; with `verification`, only the records in that state (the verified
    figures apart from the unverified ones; the state is today's). The nation's indicators at the
    usual dormancy threshold are read from its steps (`nation_steps`), the others counted."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        await conn.execute(NO_JIT)
        if scope is None and verification is None and horizon.dormant_months == STEPPED_MONTHS:
            figures = await _stepped(conn, horizon.as_of)
        else:
            figures = await _indicators(conn, on_register(scope, horizon.as_of, verification=verification), horizon)
        indicators = _shown(figures, horizon)
        result: dict[str, Any] = {
            "region": scope, "as_of": horizon.as_of.isoformat(), "verification_filter": verification,
            "total": indicators.pop("total"), **await _counted(conn, scope, horizon.as_of, verification), **indicators,
        }
        result["regions"] = await _completeness(conn, scope, set(result["by_region"]))
    result["names"] = {**_names([*governments(scope), *result["by_region"], *result["by_province"]]),
                       **labels.names(list(result["foreign_by_country"]))}
    return result


NO_JIT = "SET LOCAL jit = off"
"""For the summary's transaction: its one pass over the register is costed above the JIT threshold,
and compiling its thirty-odd expressions took longer than evaluating them (bench/notes-reporting.md)."""


def _names(codes: list[str]) -> dict[str, dict[str, str]]:
    """Names for the page: of the regions in the answer and of the 32 urusan."""
    table = regions()
    return {"regions": {c: table[c].name for c in sorted(set(codes)) if c in table},
            "urusan": {c: u.name for c, u in urusan().items()}}


SUMMED = {"total": "1", "overdue_periods": "owed", "disputes_open": "disputes",
          "party_reports": "cardinality(reporters)", "value_idr": "value_idr"}
"""The figures that add up what each agreement measured on the day holds (beside the indicators,
which count the agreements meeting their condition)."""

Figures = dict[str, Any]
"""Every indicator (`INDICATORS`) and sum (`SUMMED`) by name, `by_status` (agreements by stage) and
`median_days` (from KSB to PKS): what `_shown` arranges as the summary shows it."""


async def _indicators(conn: asyncpg.Connection, where: Where, horizon: Horizon) -> Figures:
    """Every indicator over the agreements of `where`, counted per stage (a hash of a few groups, in
    one pass) and summed over the stages; the median of the days from KSB to PKS over the days each
    stage's group collected in the same pass (a second pass read the scope's rows from the heap
    again: half of a province's summary). `OFFSET 0` keeps `a` a subquery of its own, so that what
    the indicators read of an agreement (its stage, the reports owed, the disputes open) is computed
    once per agreement rather than in each indicator that names it."""
    cte, indicators = measured(where, horizon)
    summed = {**{name: f"count(*) FILTER (WHERE {condition})" for name, condition in indicators.items()},
              **{name: f"sum({sql})" for name, sql in SUMMED.items()}}
    row = await conn.fetchrow(
        f"""WITH a AS ({cte} OFFSET 0),
        g AS (SELECT stage, {", ".join(f"{sql} AS {name}" for name, sql in summed.items())},
                     array_agg(pks_on - ksb_on) FILTER (WHERE ksb AND pks AND pks_on >= ksb_on) AS gaps
              FROM a GROUP BY stage)
        SELECT jsonb_object_agg(stage, total) AS by_status,
          {", ".join(f"coalesce(sum({name}), 0)::bigint AS {name}" for name in summed)},
          (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) FROM g AS s, unnest(s.gaps) AS d) AS median_days
        FROM g""", *where.args)
    return {**dict(row), "by_status": dict(sorted((row["by_status"] or {}).items()))}


def _shown(row: Figures, horizon: Horizon) -> dict[str, Any]:
    """The indicators as the summary shows them."""
    ksb, followed = row["ksb"], row["ksb_followed"]
    return {
        "total": row["total"],
        "by_status": row["by_status"],
        "funnel": {k: row[k] for k in ("offered", "accepted", "ksb", "pks", "running")},
        "ksb_pks": {"followed": followed, "rate": round(followed / ksb, 4) if ksb else None,
                    "median_days": row["median_days"], "dormant": row["dormant"],
                    "dormant_months": horizon.dormant_months},
        "expiring": {str(d): row[f"expiring_{d}"] for d in EXPIRING_DAYS},
        "expired_without_extension_or_evaluation": row["expired_unattended"],
        "overdue_reports": {"agreements": row["overdue_reports"], "periods": int(row["overdue_periods"])},
        "reports_due": {"agreements": row["reports_due"], "days": REPORT_NOTICE_DAYS},
        "ksdd_reports": {"one_sided": row["one_sided"], "disagreeing": row["disagreeing"]},
        "mandatory_not_carried_out": row["mandatory_not_carried_out"],
        "disputes_open": {"agreements": row["disputed"], "disputes": int(row["disputes_open"])},
        "verification": {state: row[state] for state in VERIFICATION_STATES},
        "party_reports": int(row["party_reports"]),
        "value_idr": int(row["value_idr"]),
    }


# --- the nation's steps ------------------------------------------------------------------------------

STEPPED_MONTHS = Horizon(date.min).dormant_months
"""The dormancy threshold the steps are kept for (the default); another is counted."""

_CHANGES = (
    "ARRAY[initiated_on, offered_on, accepted_on, ksb_on, pks_on, end_on + 1,"
    f" {', '.join(f'end_on - {d}' for d in EXPIRING_DAYS)},"
    + ", ".join(f"({column} + make_interval(months => {STEPPED_MONTHS}))::date + {extra}"
                for column in ("ksb_on", "initiated_on") for extra in (0, 1))
    + "] || stage_dates || report_due || report_sent || dispute_raised || dispute_settled"
    f" || ARRAY(SELECT due - {REPORT_NOTICE_DAYS} FROM unnest(report_due) AS due)"
)
"""The days on which an agreement's indicators can change: where a condition of `INDICATORS` on
the day turns (a date compared with the day, shifted by the horizons), and the days it changed
stage, owed or sent a report, had a dispute raised or settled. Between two of them every condition
keeps its value. The property test holds the steps to the count on any day, so a day missing here
shows there."""


def _steps(chosen: str) -> str:
    """The steps of the agreements `chosen` (a condition on `agreements`) on the nation's figures:
    (grain, day, measure, key, delta), by day ('d') and by month ('m', its first day). Each
    indicator is measured by its own condition (`conditions`) on each day it can change
    (`_CHANGES`) from its initiation; a step is the change from the previous such day (from nothing,
    on the day it is initiated: it was not on the register before), so a figure that does not change
    makes no step. By stage (`by_status`) and the days from KSB to PKS (for the median) are counted
    by key: a step out of the old key and one into the new."""
    names = [*INDICATORS, *SUMMED]
    values = ", ".join([f"coalesce(({condition})::int, 0)::bigint" for condition in conditions("as_of_day").values()]
                       + [f"coalesce(({sql})::bigint, 0)" for sql in SUMMED.values()])
    return f"""
    SELECT g.grain, g.day, d.measure, d.key, sum(d.delta)::bigint AS delta FROM (
      SELECT as_of_day, stage, gap, vals, lag(stage) OVER a AS was_stage, lag(gap) OVER a AS was_gap,
             lag(vals) OVER a AS was
      FROM (SELECT agreement_id, as_of_day, stage, ARRAY[{values}] AS vals,
                   CASE WHEN ksb AND pks AND pks_on >= ksb_on THEN (pks_on - ksb_on)::text END AS gap
            FROM (SELECT s.*, c.as_of_day, {_read_on("c.as_of_day", str(STEPPED_MONTHS))} FROM agreements s,
                    LATERAL (SELECT DISTINCT x AS as_of_day FROM unnest({_CHANGES}) AS x
                             WHERE x >= s.initiated_on AND isfinite(x)) AS c
                  WHERE ({chosen}) AND NOT s.withdrawn OFFSET 0) AS m) AS n
      WINDOW a AS (PARTITION BY agreement_id ORDER BY as_of_day)) AS w,
    LATERAL (SELECT x.measure, '' AS key, x.v - coalesce(x.p, 0) AS delta
             FROM unnest('{{{",".join(names)}}}'::text[], w.vals, w.was) AS x(measure, v, p)
             WHERE x.v <> coalesce(x.p, 0)
             UNION ALL SELECT 'by_status', w.stage, 1 WHERE w.stage IS DISTINCT FROM w.was_stage AND w.stage IS NOT NULL
             UNION ALL SELECT 'by_status', w.was_stage, -1
             WHERE w.stage IS DISTINCT FROM w.was_stage AND w.was_stage IS NOT NULL
             UNION ALL SELECT 'median_days', w.gap, 1 WHERE w.gap IS DISTINCT FROM w.was_gap AND w.gap IS NOT NULL
             UNION ALL SELECT 'median_days', w.was_gap, -1
             WHERE w.gap IS DISTINCT FROM w.was_gap AND w.was_gap IS NOT NULL) AS d,
    LATERAL (VALUES ('d', w.as_of_day), ('m', date_trunc('month', w.as_of_day)::date)) AS g(grain, day)
    GROUP BY 1, 2, 3, 4 HAVING sum(d.delta) <> 0"""


async def add_steps(conn: asyncpg.Connection, ids: list[UUID], sign: int) -> None:
    """Add (`sign` 1) or take away (-1) the steps of the agreements `ids` as they stand now: the
    handlers take a batch's records away before saving them and add them after, in the batch's
    transaction (in key order: concurrent batches cannot deadlock); steps that fall to zero go."""
    if not ids:
        return
    zero = await conn.fetch(
        f"""WITH up AS (INSERT INTO nation_steps AS t
              SELECT grain, day, measure, key, {int(sign)} * delta FROM ({_steps("agreement_id = ANY($1::uuid[])")}) n
              ORDER BY 1, 2, 3, 4
              ON CONFLICT (grain, day, measure, key) DO UPDATE SET delta = t.delta + EXCLUDED.delta
              RETURNING grain, day, measure, key, delta)
        SELECT grain, day, measure, key FROM up WHERE delta = 0""", ids)
    if zero:
        await conn.execute(
            "DELETE FROM nation_steps t USING unnest($1::text[], $2::date[], $3::text[], $4::text[]) AS z(g, d, m, k)"
            " WHERE (t.grain, t.day, t.measure, t.key) = (z.g, z.d, z.m, z.k) AND t.delta = 0",
            *(list(column) for column in zip(*zero, strict=True)))


async def _stepped(conn: asyncpg.Connection, as_of: date) -> Figures:
    """The nation's figures on `as_of`, read from its steps: the months before the day's month, and
    the days of its month up to the day (a few thousand rows, whatever the size of the register)."""
    rows = await conn.fetch(
        """SELECT measure, key, sum(delta)::bigint AS n FROM (
             SELECT measure, key, delta FROM nation_steps WHERE grain = 'm' AND day < date_trunc('month', $1::date)
             UNION ALL SELECT measure, key, delta FROM nation_steps
             WHERE grain = 'd' AND day >= date_trunc('month', $1::date) AND day <= $1) AS s
           GROUP BY 1, 2""", as_of)
    figures: Figures = {name: 0 for name in [*INDICATORS, *SUMMED]}
    by_status: dict[str, int] = {}
    days: dict[int, int] = {}
    for row in rows:
        if row["n"] == 0:
            continue
        if row["measure"] == "by_status":
            by_status[row["key"]] = row["n"]
        elif row["measure"] == "median_days":
            days[int(row["key"])] = row["n"]
        else:
            figures[row["measure"]] = row["n"]
    return {**figures, "by_status": dict(sorted(by_status.items())), "median_days": _median(days)}


def _median(counted: dict[int, int]) -> float | None:
    """The median of values counted by value, interpolated as PostgreSQL's percentile_cont(0.5)."""
    ordered = sorted(counted)
    n = sum(counted.values())
    if n == 0:
        return None
    position = (n - 1) / 2

    def at(i: int) -> int:
        seen = 0
        for value in ordered:
            seen += counted[value]
            if i < seen:
                return value
        raise IndexError(i)

    lower, upper = at(int(position)), at(int(position) + (position % 1 > 0))
    return lower + (upper - lower) * (position - int(position))


COUNTED = {"kind": "by_kind", "month": "by_month", "urusan": "by_urusan", "province": "by_province",
           "region": "by_region", "country": "foreign_by_country", "partner": "foreign_by_partner",
           "flag": "flags_by_rule"}
VALUED = {"urusan": "value_by_urusan_idr", "funding": "value_by_funding_source_idr"}


async def _counted(conn: asyncpg.Connection, scope: str | None, as_of: date,
                   verification: str | None = None) -> dict[str, dict[str, int]]:
    """The counts and values of the scope on `as_of` (`counts_on`), the flags by rule among them
    (whichever service raised them: the counts hold mapping's too, so the register is not read
    again for them)."""
    result: dict[str, dict[str, int]] = {name: {} for name in [*COUNTED.values(), *VALUED.values()]}
    for (dimension, key), (n, value) in (await counts_on(conn, scope, as_of, verification)).items():
        if dimension in COUNTED:
            result[COUNTED[dimension]][key] = n
        if dimension in VALUED:
            result[VALUED[dimension]][key] = value
    return result


async def counts_on(conn: asyncpg.Connection, scope: str | None, as_of: date,
                    verification: str | None = None) -> Items:
    """What the agreements on the register on `as_of` in scope add to the counts (`counted_from` of
    them, which a test holds this to), read from the `counts` table by month of initiation so that
    the register is not read again: the months before the day's month plus the day's month up to
    the day, or (when fewer agreements were initiated after the day's month than before it, as for
    today or a recent day) the whole less the months after it and less the rest of the day's month.
    Only the agreements of the day's month are read. With a verification state, they are counted
    from the agreements on the register that day in that state."""
    if verification is not None:
        return await counted_from(conn, on_register(scope, as_of, verification=verification))
    month, first = as_of.isoformat()[:7], as_of.replace(day=1)
    initiated = {r["key"]: int(r["n"]) for r in await conn.fetch(
        "SELECT key, n FROM counts WHERE scope = $1 AND month = '' AND dimension = 'month'", scope or "")}
    rest = scoped(Where(), scope)
    rest.clauses.append("NOT withdrawn")
    if sum(n for m, n in initiated.items() if m < month) < sum(n for m, n in initiated.items() if m > month):
        sign, kept = 1, f"month <> '' AND month < {rest.param(month)}"
        rest.add("initiated_on >= ?", first)
        rest.add("initiated_on <= ?", as_of)
    else:  # `None` (no date) sorts after every month: never on the register
        sign, kept = -1, f"(month = '' OR month > {rest.param(month)})"
        rest.add("initiated_on > ?", as_of)
        rest.add("initiated_on < ?", (first + timedelta(days=31)).replace(day=1))
    rows = await conn.fetch(
        f"WITH s AS (SELECT a.*, '' AS scope, '' AS month FROM agreements a WHERE {rest.sql}), {_ITEMS}"
        " SELECT d, k, sum(n) AS n, sum(v) AS value_idr FROM ("
        f"  SELECT dimension AS d, key AS k, CASE WHEN month = '' THEN n ELSE {sign} * n END AS n,"
        f"   CASE WHEN month = '' THEN value_idr ELSE {sign} * value_idr END AS v"
        f"  FROM counts WHERE scope = {rest.param(scope or '')} AND {kept}"
        f"  UNION ALL SELECT d, k, {sign}, {sign} * v FROM items) AS c"
        " GROUP BY 1, 2 HAVING sum(n) > 0 ORDER BY 1, 2", *rest.args)
    return {(r["d"], r["k"]): (int(r["n"]), int(r["value_idr"])) for r in rows}


Items = dict[tuple[str, str], tuple[int, int]]
"""(n, value in IDR) by (dimension, key), in the database's order of the keys: what a set of agreements
adds to the counts of a scope."""


async def counted_from(conn: asyncpg.Connection, where: Where) -> Items:
    """What the agreements of `where` add to the counts, counted from the agreements themselves (as
    `recount` counts them)."""
    rows = await conn.fetch(
        f"WITH s AS (SELECT a.*, '' AS scope, '' AS month FROM agreements a WHERE {where.sql}), {_ITEMS}"
        " SELECT d, k, count(*) AS n, sum(v) AS value_idr FROM items GROUP BY 1, 2 ORDER BY 1, 2", *where.args)
    return {(r["d"], r["k"]): (int(r["n"]), int(r["value_idr"])) for r in rows}


_ITEMS = """items AS (
  SELECT scope, month, 'kind' AS d, kind AS k, value_idr AS v FROM s
  UNION ALL SELECT scope, month, 'month', coalesce(to_char(initiated_on, 'YYYY-MM'), 'None'), value_idr FROM s
  UNION ALL SELECT scope, month, 'urusan', unnest(urusan), value_idr FROM s
  UNION ALL SELECT scope, month, 'province', unnest(provinces), value_idr FROM s
  UNION ALL SELECT scope, month, 'region', unnest(regions), value_idr FROM s
  UNION ALL SELECT scope, month, 'country', unnest(countries), value_idr FROM s
  UNION ALL SELECT scope, month, 'partner', p, value_idr
            FROM s, LATERAL (SELECT DISTINCT p->>'name' FROM jsonb_array_elements(s.record->'parties') p
                             WHERE p->>'type' = 'foreign') AS x(p) WHERE s.countries <> '{}'
  UNION ALL SELECT scope, month, 'funding', f->>'source', (f->>'amount_idr')::bigint
            FROM s, jsonb_array_elements(s.funding) f
  UNION ALL SELECT scope, month, 'flag', r, 0
            FROM s, LATERAL (SELECT f->>'rule' FROM jsonb_array_elements(s.flags) f
                             UNION SELECT m.rule FROM mapping_flags m WHERE m.agreement_id = s.agreement_id) AS x(r))"""
"""What each agreement of `s` (with its `scope` and `month`) adds to the counts: the SQL form of
`domain.counted`, which a test holds it to."""

RECOUNT = f"""
WITH s AS (SELECT a.*, x.scope, y.month FROM agreements a,
             LATERAL (SELECT '' UNION SELECT unnest(a.provinces) UNION SELECT unnest(a.regions)) AS x(scope),
             LATERAL (VALUES (''), (coalesce(to_char(a.initiated_on, 'YYYY-MM'), 'None'))) AS y(month)
           WHERE NOT a.withdrawn),
{_ITEMS}
INSERT INTO counts (scope, month, dimension, key, n, value_idr)
SELECT scope, month, d, k, count(*), sum(v) FROM items GROUP BY 1, 2, 3, 4
"""

DEFINITION = hashlib.sha256((_steps("true") + RECOUNT).encode()).hexdigest()
"""The steps' and the counts' definition, kept as the steps table's comment by `recount`: a start
finds them counted by another definition (or not yet: a migration's empty or new table) and counts
them again (`refold`)."""


async def outdated(conn: asyncpg.Connection) -> bool:
    """Whether the steps and the counts were counted by another definition than this code's."""
    kept: str | None = await conn.fetchval("SELECT obj_description('nation_steps'::regclass, 'pg_class')")
    return kept != DEFINITION


async def recount(conn: asyncpg.Connection) -> None:
    """The counts and the nation's steps recomputed from the agreements table, one statement each
    (after a bulk load, a refold, or a change of the steps' definition; a test checks that they
    equal what the handlers keep up to date, event by event)."""
    async with conn.transaction():
        await conn.execute("DELETE FROM counts")
        await conn.execute(RECOUNT)
        await conn.execute("DELETE FROM nation_steps")
        await conn.execute("SET LOCAL work_mem = '256MB'")  # the register's steps summed in memory
        await conn.execute(f"INSERT INTO nation_steps {_steps('true')}")
        await conn.execute(f"COMMENT ON TABLE nation_steps IS '{DEFINITION}'")


async def refold(pool: asyncpg.Pool, chunk: int = 1000, *, everything: bool = False) -> int:
    """Compile again, from their own timelines, the records an older fold wrote (`FOLD_VERSION`;
    every record, `everything`), then recount (also when the steps were counted by another definition,
    `DEFINITION`): a corrected rule reaches the read models in place,
    without replaying the topics; the number of records refolded. Each chunk is saved only where the
    record is still at the version it was compiled from."""
    async with pool.acquire() as conn:
        stale = [r["agreement_id"] for r in await conn.fetch(
            "SELECT agreement_id FROM agreements WHERE coalesce((record->>'fold_version')::int, 0) < $1",
            FOLD_VERSION + everything)]
    for start in range(0, len(stale), chunk):
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch("SELECT record FROM agreements WHERE agreement_id = ANY($1::uuid[])",
                                    stale[start:start + chunk])
            await conn.execute(f"{_SAVE} WHERE agreements.version = EXCLUDED.version",
                               _texts([refolded(r["record"]) for r in rows]))
    async with pool.acquire() as conn:
        if stale or await outdated(conn):
            await recount(conn)
    return len(stale)


def governments(scope: str | None) -> list[str]:
    """The autonomous governments a scope covers (the nation's 546, a province with its
    regencies/cities, one region): completeness here, the console's mapping pages (regions.py)."""
    return sorted(c for c in autonomous_codes() if scope is None or in_scope(scope, c))


async def _completeness(conn: asyncpg.Connection, scope: str | None, cooperating: set[str]) -> dict[str, Any]:
    """TKKSD decrees, mappings and cooperation over the autonomous governments in scope, per province
    (a rate like DHIS2's reporting rates): the province itself and its autonomous regencies/cities."""
    codes = governments(scope)
    facts = {r["region"]: r for r in await conn.fetch(
        "SELECT region, tkksd_decree IS NOT NULL AS tkksd, affairs_declared_on IS NOT NULL AS mapped"
        # Joined, not `region = ANY($1)`: the planner estimates that code by code, each time (2.8 ms
        # for the nation's 546 against 0.7; a dashboard polling the summary pays it on every read).
        " FROM region_facts JOIN unnest($1::text[]) AS c(region) USING (region)", codes)}
    tkksd = {c for c in codes if c in facts and facts[c]["tkksd"]}
    mapped = {c for c in codes if c in facts and facts[c]["mapped"]}
    without_tkksd = [c for c in codes if c not in tkksd]
    without_mapping = [c for c in codes if c not in mapped]
    without_cooperation = [c for c in codes if c not in cooperating]
    table = regions()
    per_province: dict[str, dict[str, Any]] = {}
    for code in codes:
        entry = per_province.setdefault(table[code].province_code,
                                        {"governments": 0, "tkksd": 0, "mapping": 0, "cooperating": 0})
        entry["governments"] += 1
        entry["tkksd"] += code in tkksd
        entry["mapping"] += code in mapped
        entry["cooperating"] += code in cooperating
    for entry in per_province.values():
        for name in ("tkksd", "mapping", "cooperating"):
            entry[f"{name}_rate"] = round(entry[name] / entry["governments"], 4)
    n = len(codes)
    return {
        "governments": n,
        "tkksd_rate": round((n - len(without_tkksd)) / n, 4) if n else None,
        "mapping_rate": round((n - len(without_mapping)) / n, 4) if n else None,
        "without_tkksd": without_tkksd, "without_mapping": without_mapping,
        "without_cooperation": without_cooperation, "by_province": per_province,
    }


LIST_COLUMNS = ("agreement_id, registry_number, kind, mandatory, stage AS status, title, regions, provinces, urusan,"
                " countries, initiated_on, ksb_on, pks_on, start_on, end_on, ended_on, value_idr, funding, version,"
                " coalesce(record->'verification', jsonb_build_object('state', verification)) AS verification")
"""The columns of the list; the status is the stage on the filters' day, the verification as it
stands (state, the last verdict with its note, and what changed since)."""


async def page(pool: asyncpg.Pool, filters: Filters, after: UUID | None,
               limit: int) -> tuple[int, list[dict[str, Any]]]:
    """How many agreements the filters select, and a page of them, the latest initiated first (then
    by id); `after` is the previous page's last id, `next_cursor` (keyset pagination: stable while
    new agreements arrive)."""
    cte, where = filters.selected()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        total = await conn.fetchval(f"{cte} SELECT count(*) FROM a WHERE {where.sql}", *where.args)
        if after is not None:
            where.clauses.append(f"(initiated_on, agreement_id) < ((SELECT initiated_on FROM agreements"
                                 f" WHERE agreement_id = {where.param(after)}), {where.param(after)})")
        # The page's ids first, then its columns for those alone: the status on the day and the
        # verification (read from the record, out of line) cost far more per row than the order.
        rows = await conn.fetch(
            f"{cte}, chosen AS (SELECT agreement_id FROM a WHERE {where.sql}"
            f" ORDER BY initiated_on DESC, agreement_id DESC LIMIT {where.param(limit)})"
            f" SELECT {LIST_COLUMNS} FROM a JOIN chosen USING (agreement_id)"
            " ORDER BY initiated_on DESC, agreement_id DESC", *where.args)
    return total, [_plain(r) for r in rows]


def next_cursor(items: list[dict[str, Any]], limit: int) -> str | None:
    return items[-1]["agreement_id"] if len(items) == limit else None


async def each(pool: asyncpg.Pool, filters: Filters, batch: int = 1000) -> AsyncIterator[list[dict[str, Any]]]:
    """Every agreement the filters select, in the list's order, in batches from a server-side
    cursor (an export never holds the whole register), each with its record and the rules mapping
    flagged on it."""
    cte, where = filters.selected()
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = conn.cursor(
            f"{cte} SELECT {LIST_COLUMNS}, record,"
            " ARRAY(SELECT DISTINCT m.rule FROM mapping_flags m WHERE m.agreement_id = a.agreement_id)"
            f" AS mapping_flags FROM a WHERE {where.sql} ORDER BY initiated_on DESC, agreement_id DESC",
            *where.args, prefetch=batch)
        chunk: list[dict[str, Any]] = []
        async for row in rows:
            chunk.append({**dict(row), "agreement_id": str(row["agreement_id"])})
            if len(chunk) == batch:
                yield chunk
                chunk = []
        yield chunk


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else str(v) if isinstance(v, UUID) else v)
            for k, v in dict(row).items()}


async def compiled(pool: asyncpg.Pool, agreement_id: UUID) -> dict[str, Any] | None:
    """The compiled record of one agreement as the API answers it (and `ksd audit replay` prints
    it): its current terms, its whole timeline, and the flags mapping raised on it."""
    async with pool.acquire() as conn:
        record = await conn.fetchval("SELECT record FROM agreements WHERE agreement_id = $1", agreement_id)
        if record is None:
            return None
        flags = await conn.fetch(
            "SELECT rule, detail, flagged_at FROM mapping_flags WHERE agreement_id = $1 ORDER BY event_id",
            agreement_id)
    return {
        "agreement_id": str(agreement_id),
        "terms": {k: v for k, v in record.items() if k != "timeline"},
        "timeline": record["timeline"],
        "mapping_flags": [{"rule": f["rule"], "detail": f["detail"], "flagged_at": f["flagged_at"].isoformat()}
                          for f in flags],
    }
