"""Intake's handlers: the nodes' submissions (one, or a batch), and the answers to them."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import IO, Any
from uuid import UUID

import asyncpg
from uuid6 import uuid7

from ksd_common import outbox
from ksd_common.audience import served
from ksd_common.consumer import consuming
from ksd_common.credentials import Caller
from ksd_common.db import unavailable
from ksd_common.problems import Problem, database_unavailable, invalid, outcome_uncertain
from ksd_contracts import labels
from ksd_contracts.envelope import Envelope
from ksd_contracts.events import (
    AGREEMENT_PROPOSED,
    PARTY_REPORTED,
    REGION_SUBMISSION_REJECTED,
    SUBMISSION_HELD,
    SUBMISSION_REJECTED,
    SubmissionHeld,
    SubmissionRejected,
    Submitted,
    submission_type,
)
from ksd_contracts.language import say
from ksd_contracts.submissions import Correct
from ksd_contracts.topics import SUBMISSIONS
from ksd_intake import imports, store
from ksd_intake.domain import (
    IDEMPOTENCY_KEY_MAX,
    MAX_BATCH_ITEMS,
    Submission,
    authorize,
    check_correction,
    check_idempotency_key,
    ensure_submits,
    idempotency_conflict,
    parse,
    parties_needed,
    request_hash,
)

SERVICE = "intake"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """One submission as a node sent it: its Idempotency-Key and its body."""

    key: str
    body: Any
    problem: Problem | None = None  # already known not to be acceptable (a batch item without a key)


@dataclass(frozen=True)
class Outcome:
    """The answer to one submission: accepted (with its id and status) or a problem."""

    id: UUID | None = None
    status: str | None = None
    problem: Problem | None = None
    agreement_id: UUID | None = None

    def accepted(self) -> dict[str, Any]:
        """The 202 answer: the submission's id, and the agreement's (a proposal's new agreement has
        its id from intake at once, so the node can send its next steps without waiting), with a
        link to follow the submission."""
        return {"id": str(self.id), "status": self.status,
                "agreement_id": str(self.agreement_id) if self.agreement_id else None,
                "links": {"status": status_link(self.id)}}

    def json(self) -> dict[str, Any]:
        if self.problem is not None:
            return {"status": self.problem.status, "problem": self.problem.body()}
        return {"status": 202, "result": self.accepted()}


def status_link(submission: UUID | None) -> str:
    return served("intake", f"/v1/submissions/{submission}")


async def submit(pool: asyncpg.Pool, caller: Caller, key: str, body: Any) -> Outcome:
    """One submission; its problem is raised as the answer. Recorded in a transaction shared with
    the single submissions that arrive meanwhile (`GroupCommit`), answered after that commit."""
    ensure_submits(caller)
    parsed = {0: (key, parse(body))}
    outcomes = await _check(pool, caller, parsed)
    if not outcomes:
        outcomes = await group_commit(pool).record(_prepare(caller, parsed))
    if outcomes[0].problem is not None:
        raise outcomes[0].problem
    return outcomes[0]


async def submit_many(pool: asyncpg.Pool, caller: Caller, requests: list[Request]) -> list[Outcome]:
    """Validate and authorize each submission, then record the valid ones with their events in one
    transaction (batched inserts, one outbox append). Answers in the order of `requests`.

    The same key with the same body answers the first submission again, with no second effect;
    the same key with another body is a 409, whether the first came earlier or in the same batch.
    """
    ensure_submits(caller)
    outcomes: dict[int, Outcome] = {}
    first_of_key: dict[str, int] = {}
    parsed: dict[int, tuple[str, Submission]] = {}
    for index, request in enumerate(requests):
        if request.key in first_of_key:
            continue  # answered as its first occurrence, below
        first_of_key[request.key] = index
        if request.problem is not None:
            outcomes[index] = Outcome(problem=request.problem)
            continue
        try:
            parsed[index] = (request.key, parse(request.body))
        except Problem as problem:
            outcomes[index] = Outcome(problem=problem)
    outcomes |= await submit_parsed(pool, caller, parsed)
    return [_answer(index, request, requests, first_of_key, outcomes) for index, request in enumerate(requests)]


async def submit_parsed(pool: asyncpg.Pool, caller: Caller,
                        parsed: dict[int, tuple[str, Submission]]) -> dict[int, Outcome]:
    """Authorize and record submissions already parsed (key, submission), by position."""
    outcomes = await _check(pool, caller, parsed)
    return outcomes | await commit(pool, _prepare(caller, parsed))


@dataclass(frozen=True)
class Prepared:
    """A submission ready to record: who sent it, the ids intake gave it, and its event (made in
    the request's own context, so it carries that request's trace and correlation id)."""

    caller: Caller
    new: store.NewSubmission
    event: Envelope


def _prepare(caller: Caller, parsed: dict[int, tuple[str, Submission]]) -> dict[int, Prepared]:
    prepared = {}
    for index, (key, submission) in parsed.items():
        new = store.NewSubmission(uuid7(), key, submission.with_ids())
        if new.subject is None:  # a proposal of a new agreement: intake gives it its id
            new.agreement_id = uuid7()
        prepared[index] = Prepared(caller, new, _event(caller, new))
    return prepared


async def commit(pool: asyncpg.Pool, prepared: dict[Any, Prepared]) -> dict[Any, Outcome]:
    """Record prepared submissions (any callers') in one transaction, by position.

    A database that fails answers truthfully, by when it failed: before the commit, nothing was
    written (503 database_unavailable); during the commit, it may have been (503
    outcome_uncertain); after it (the connection reset on its release), the outcomes stand and are
    answered. Either 503 tells the node to resend with the same Idempotency-Key, which is safe."""
    if not prepared:
        return {}
    outcomes: dict[Any, Outcome] = {}
    committing = committed = False
    try:
        async with pool.acquire() as conn:
            async with conn.transaction():
                outcomes = await _record(conn, prepared)
                committing = True
            committed = True
    except Exception as error:
        if not unavailable(error):
            raise
        if committed:
            log.warning("intake: the database failed after the commit (%r); the submissions stand", error)
            return outcomes
        log.warning("intake: the database failed %s the commit (%r)", "during" if committing else "before", error)
        raise (outcome_uncertain() if committing else database_unavailable()) from error
    return outcomes


GROUP_MAX = 500
"""Submissions in one group transaction at most: a batch's size."""
Waiting = tuple[dict[int, Prepared], "asyncio.Future[dict[int, Outcome]]"]


class GroupCommit:
    """Group commit of single submissions: those that arrive while a transaction is committing
    wait and are recorded together in the next one (one insert, one outbox append, one commit), the
    path of a batch. A lone submission is committed at once, so an idle intake answers as fast as
    before; under load the round trips and the commit's WAL flush are shared by the whole group.
    Each request is answered only after its group's commit. When a group fails for a reason other
    than the database (a submission the statements refuse), each of its requests is committed
    again alone, so one bad submission fails only its own request."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.waiting: list[Waiting] = []
        self.committer: asyncio.Task[None] | None = None

    async def record(self, prepared: dict[int, Prepared]) -> dict[int, Outcome]:
        future: asyncio.Future[dict[int, Outcome]] = asyncio.get_running_loop().create_future()
        self.waiting.append((prepared, future))
        if self.committer is None or self.committer.done():
            # A context of its own: the committer outlives the request that started it.
            self.committer = asyncio.create_task(self._commit_waiting(), context=contextvars.Context())
        return await future

    async def _commit_waiting(self) -> None:
        while self.waiting:
            group, self.waiting = self.waiting[:GROUP_MAX], self.waiting[GROUP_MAX:]
            await self._commit(group)

    async def _commit(self, group: list[Waiting]) -> None:
        joined = {(g, i): p for g, (prepared, _) in enumerate(group) for i, p in prepared.items()}
        try:
            outcomes = await commit(self.pool, joined)
        except Exception as error:
            if len(group) > 1 and not isinstance(error, Problem):
                for one in group:
                    await self._commit([one])
                return
            for _, future in group:
                if not future.done():
                    future.set_exception(error)
            return
        for g, (prepared, future) in enumerate(group):
            if not future.done():  # a request cancelled meanwhile has its submission recorded all the same
                future.set_result({i: outcomes[(g, i)] for i in prepared})


_groups: dict[int, GroupCommit] = {}


def group_commit(pool: asyncpg.Pool) -> GroupCommit:
    """The pool's one group committer (a process has one pool: the service's)."""
    group = _groups.get(id(pool))
    if group is None or group.pool is not pool:
        group = _groups[id(pool)] = GroupCommit(pool)
    return group


async def _check(pool: asyncpg.Pool, caller: Caller, parsed: dict[int, tuple[str, Submission]]) -> dict[int, Outcome]:
    """Authorize each parsed submission and check corrections; a failure leaves `parsed` for the
    outcomes returned. Reads only what the submissions name (a new proposal names nothing)."""
    submissions = [s for _, s in parsed.values()]
    parties = await store.parties(pool, {a for s in submissions if (a := parties_needed(s))})
    superseded = await store.superseded(pool, {s.data.supersedes for s in submissions if isinstance(s.data, Correct)})
    outcomes: dict[int, Outcome] = {}
    for index, (_, submission) in list(parsed.items()):
        try:
            authorize(caller, submission, parties)
            check_correction(submission, superseded)
        except Problem as problem:
            outcomes[index] = Outcome(problem=problem)
            del parsed[index]
    return outcomes


async def _record(conn: asyncpg.Connection, todo: dict[Any, Prepared]) -> dict[Any, Outcome]:
    """Insert the new ones, answer the repeated ones, and append the new ones' events."""
    created = await store.insert_submissions(conn, [(p.caller, p.new) for p in todo.values()])
    repeated = await store.submissions_by_key(
        conn, [(p.caller.node, p.new.key) for p in todo.values() if p.new.id not in created])
    await outbox.append(conn, SUBMISSIONS, [p.event for p in todo.values() if p.new.id in created])
    outcomes: dict[Any, Outcome] = {}
    for index, p in todo.items():
        if p.new.id in created:
            outcomes[index] = Outcome(p.new.id, "accepted", agreement_id=p.new.agreement_id)
        else:
            outcomes[index] = _repeat(repeated[(p.caller.node, p.new.key)], p.new.submission.request_hash)
    return outcomes


def _repeat(existing: asyncpg.Record, request_hash: str) -> Outcome:
    """A repeated key answers exactly what the first request was answered (INTERFACES.md), so a
    client retrying after a lost response cannot tell the two apart; the submission's later
    status is for `GET /v1/submissions/{id}`."""
    if existing["request_hash"] != request_hash:
        return Outcome(problem=idempotency_conflict(existing["id"]))
    return Outcome(existing["id"], "accepted", agreement_id=existing["agreement_id"])


def _answer(index: int, request: Request, requests: list[Request], first_of_key: dict[str, int],
            outcomes: dict[int, Outcome]) -> Outcome:
    """A key's first occurrence has its own outcome; a later one in the same batch repeats it, or
    conflicts with it when its body differs."""
    first = first_of_key[request.key]
    if first == index:
        return outcomes[index]
    if request_hash(request.body) != request_hash(requests[first].body):
        return Outcome(problem=idempotency_conflict(outcomes[first].id or UUID(int=0)))
    return outcomes[first]


def _event(caller: Caller, new: store.NewSubmission) -> Envelope:
    submission = new.submission
    data = Submitted(
        submission_id=new.id, submission_type=submission.type, role=caller.role, region=caller.region,
        agreement_id=new.agreement_id, payload=submission.payload(), actor=caller.actor,
    )
    return outbox.new_event(
        id=new.id, source=f"/nodes/{caller.region}", type=submission_type(submission.type),
        subject=new.stream, data=data.model_dump(mode="json"),
    )


def batch_requests(body: Any) -> list[Request]:
    """The submissions of a batch body `{"submissions": [{"idempotency_key", "type", "data"}, ...]}`;
    the shape of the batch itself is a 422 for the whole request, an item's key a 422 for that item."""
    items = body.get("submissions") if isinstance(body, dict) else None
    if not isinstance(body, dict) or not isinstance(items, list) or set(body) != {"submissions"}:
        raise invalid([{"loc": ["body", "submissions"], "code": "batch_shape",
                        "msg": say("harus {\"submissions\": [{\"idempotency_key\", \"type\", \"data\"}, ...]}",
                                   "must be {\"submissions\": [{\"idempotency_key\", \"type\", \"data\"}, ...]}")}])
    if not 1 <= len(items) <= MAX_BATCH_ITEMS:
        raise invalid([{"loc": ["body", "submissions"], "code": "batch_size",
                        "msg": say(f"antara 1 dan {MAX_BATCH_ITEMS} pengajuan",
                                   f"between 1 and {MAX_BATCH_ITEMS} submissions")}])
    return [_batch_request(i, item) for i, item in enumerate(items)]


def _batch_request(index: int, item: Any) -> Request:
    """One item; without a usable key it is answered with its problem (under a key no node can send)."""
    own = f"\x00item-{index}"
    if not isinstance(item, dict):
        return Request(own, item, invalid([{"loc": ["body", "submissions", index], "code": "object_type",
                                            "msg": say("harus objek", "must be an object")}]))
    key = item.get("idempotency_key")
    body = {k: v for k, v in item.items() if k != "idempotency_key"}
    try:
        return Request(check_idempotency_key(key if isinstance(key, str) else None), body)
    except Problem:
        return Request(own, body, invalid([{"loc": ["body", "submissions", index, "idempotency_key"],
                                            "code": "idempotency_key", "msg": say(
                                                f"teks tidak kosong, paling banyak {IDEMPOTENCY_KEY_MAX} karakter",
                                                f"a non-blank string of at most {IDEMPOTENCY_KEY_MAX} characters")}]))


def batch_answer(requests: list[Request], outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Each outcome with its index and key, in the order sent."""
    return [{"index": i, "idempotency_key": None if r.key.startswith("\x00") else r.key, **o.json()}
            for i, (r, o) in enumerate(zip(requests, outcomes, strict=True))]


IMPORT_CHUNK_ROWS = 250
"""Rows planned, then recorded in one transaction, at a time: a 10,000-row register is 40 short
transactions, with the event loop free for other nodes between them."""


async def import_register(pool: asyncpg.Pool, caller: Caller, upload: IO[bytes], filename: str) -> dict[str, Any]:
    """Each row of a register as ordinary submissions; a per-row report in the file's order."""
    ensure_submits(caller)
    assert caller.region is not None
    rows = imports.rows_of(upload, filename)
    report: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    while chunk := await asyncio.to_thread(_plan_chunk, rows, caller.region, caller.node):
        try:
            report += await _import_chunk(pool, caller, chunk, seen)
        except Problem as problem:
            if problem.status != 503 or not report:
                raise
            # Earlier chunks are recorded: not "nothing was written". Rows derive their keys from
            # their content, so uploading the same file again records only what is missing.
            raise outcome_uncertain(say(f"{len(report)} baris pertama sudah tercatat; sisanya belum pasti."
                                        " Unggah ulang berkas yang sama: baris yang sudah tercatat tidak ditulis"
                                        " dua kali.",
                                        f"The first {len(report)} rows are recorded; the rest is uncertain. Upload"
                                        " the same file again: rows already recorded are not written twice."),
                                    ) from problem
    accepted = sum(1 for r in report if r["status"] == "accepted")
    return {"rows": len(report), "accepted": accepted, "refused": len(report) - accepted, "report": report}


OUTCOMES = ("applied", "rejected")


async def decided(pool: asyncpg.Pool, rows: list[dict[str, Any]], seconds: float) -> None:
    """Each accepted row of an import report as the agreement service decided it, waiting up to
    `seconds` for the answers: every step's status (and, refused, its rules), and the row's
    `outcome` (`rejected` when any step was, `applied` when all were, else `pending`)."""
    steps = [s for row in rows for s in row.get("submissions", [])]
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = {r["id"]: r for r in await pool.fetch("SELECT id, status, reasons FROM submissions"
                                                      " WHERE id = ANY($1::uuid[])", [UUID(s["id"]) for s in steps])}
        if all(found[UUID(s["id"])]["status"] in OUTCOMES for s in steps) or (
                asyncio.get_running_loop().time() >= deadline):
            break
        await asyncio.sleep(0.25)
    for step in steps:
        answer = found[UUID(step["id"])]
        step["status"] = answer["status"]
        if answer["status"] == "rejected":
            reasons = json.loads(answer["reasons"]) if isinstance(answer["reasons"], str) else answer["reasons"]
            step["reasons"] = [labels.explained(r) for r in reasons]
    for row in rows:
        statuses = {s["status"] for s in row.get("submissions", [])}
        if row["status"] == "accepted":
            row["outcome"] = ("rejected" if "rejected" in statuses else "applied" if statuses <= {"applied"}
                              else "pending")


def _plan_chunk(rows: Iterator[tuple[int, dict[str, Any]]], own: str, node: str) -> list[imports.PlannedRow]:
    return [imports.plan_row(number, row, own, node) for number, row in islice(rows, IMPORT_CHUNK_ROWS)]


async def _import_chunk(pool: asyncpg.Pool, caller: Caller, chunk: list[imports.PlannedRow],
                        seen: dict[str, int]) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        await _identify(conn, caller, [row for row in chunk if row.row_keys and row.submissions], seen)
    where = [(r, s) for r, row in enumerate(chunk) for s in range(len(row.submissions))]
    outcomes = await submit_parsed(pool, caller, {i: chunk[r].submissions[s] for i, (r, s) in enumerate(where)})
    by_row: dict[int, list[tuple[str, Outcome]]] = {}
    for i, (r, s) in enumerate(where):
        by_row.setdefault(r, []).append((chunk[r].submissions[s][1].type, outcomes[i]))
    return [_row_report(row, by_row.get(r, [])) for r, row in enumerate(chunk)]


async def _identify(conn: asyncpg.Connection, caller: Caller, keyed: list[imports.PlannedRow],
                    seen: dict[str, int]) -> None:
    """Each keyed row as the agreement it created on an earlier upload (found by any of its keys, or,
    for a row imported before rows had keys, by its content), with only what changed to send: a step
    uploaded before as it is now is answered by that submission; a changed one becomes a correction
    of the step it changes (a refused step is sent again instead: it has nothing to correct)."""
    assert caller.region is not None
    for row in keyed:
        if clash := next((k for k in row.row_keys if k in seen), None):
            number = clash.partition(':')[2]
            row.errors.append(imports.RowError(imports.key_column(clash), "duplicate_row", say(
                f"{number} sudah dipakai baris {seen[clash]} berkas ini: satu nomor untuk satu kerja sama",
                f"{number} is used by row {seen[clash]} of this file already: one number for one agreement")))
            row.submissions = []
        for key in row.row_keys:
            seen.setdefault(key, row.number)  # the first row that used it is the one named
    keyed = [row for row in keyed if row.submissions]
    known = await store.register_rows(conn, caller.region, {k for row in keyed for k in row.row_keys})
    adopted = await store.proposed_by(conn, caller.node, {row.legacy_id for row in keyed if row.legacy_id})
    for row in keyed:
        agreement = next((known[k] for k in row.row_keys if k in known), None) or (
            row.legacy_id if row.legacy_id in adopted else row.agreement_id)
        assert agreement is not None
        if agreement != row.agreement_id:
            row.rebound(agreement)
        known |= {k: agreement for k in row.row_keys if k not in known}
    await store.record_register_rows(conn, caller.region, {k: known[k] for row in keyed for k in row.row_keys})
    earlier: dict[UUID, list[asyncpg.Record]] = {}
    for record in await store.imported_steps(conn, caller.node, {row.agreement_id for row in keyed
                                                                  if row.agreement_id}):
        earlier.setdefault(record["agreement_id"], []).append(record)
    for row in keyed:
        sent_before = earlier.get(row.agreement_id, []) if row.agreement_id else []
        row.submissions = [sent for _, submission in row.submissions
                           if (sent := _changed(row, submission, sent_before)) is not None]


def _changed(row: imports.PlannedRow, submission: Submission,
             earlier: list[asyncpg.Record]) -> tuple[str, Submission] | None:
    """What to send for one step of a keyed row, given what its uploads sent before; None when the
    step is as it was (recorded in `row.unchanged`)."""
    assert row.agreement_id is not None
    key = imports.step_key(row.agreement_id, submission)
    digest = imports.step_of_key(key)
    sent = [r for r in earlier if _slot(r) == imports.slot(submission)]
    if not sent:
        return key, submission
    current = sent[-1]
    if imports.step_of_key(current["idempotency_key"]) == digest or (
            current["idempotency_key"] == f"{row.content_key}:{submission.type}"):
        row.unchanged.append((submission.type, current["id"], current["status"]))
        return None
    original = next((r for r in reversed(sent) if r["type"] == submission.type and r["status"] != "rejected"), None)
    if original is None:
        return key, submission
    correction = parse({"type": "agreement.correct", "data": {
        "agreement_id": str(row.agreement_id), "supersedes": str(original["id"]), "data": submission.payload(),
        "reason": f"Baris {row.number} register diunggah ulang dengan isi yang berubah"}})
    return f"{key}:after:{current['id']}", correction


def _slot(record: asyncpg.Record) -> str:
    """The step of its row an imported submission records (`imports.slot`), read from its key: a
    correction's names the step it corrects; a key from before rows had keys, only its type."""
    if step := imports.step_of_key(record["idempotency_key"]):
        return step[0]
    return str(record["type"])


def _row_report(row: imports.PlannedRow, outcomes: list[tuple[str, Outcome]]) -> dict[str, Any]:
    problems = [o.problem for _, o in outcomes if o.problem is not None]
    errors = [e.json() for e in row.errors] + [
        {"column": None, "code": p.kind, "msg": p.detail} for p in problems]
    if errors:
        return {"row": row.number, "status": "refused", "errors": errors}
    steps = [{"type": t, "id": str(o.id), "status": o.status, "change": "corrected" if t == "agreement.correct"
              else "new"} for t, o in outcomes]
    steps += [{"type": t, "id": str(i), "status": status, "change": "unchanged"} for t, i, status in row.unchanged]
    return {"row": row.number, "status": "accepted", "agreement_id": str(row.agreement_id), "submissions": steps}


async def apply_answers(conn: asyncpg.Connection, events: list[Envelope]) -> None:
    """Consumer of ksd.agreement.events and ksd.mapping.events: keep each submission's status (an
    event caused by it means `applied`; a rejection means `rejected` with the rule; `submission.held`
    means `held` with the service's error, until the answer comes; a report joined
    to the other side's agreement shows that agreement's id), and the party regions of each
    agreement proposed, so intake can refuse a non-party's steps itself.

    Only events caused by a submission of this intake are traced and applied: the rest (events of
    the scheduler, of mapping's own classifications, or of another platform sharing the topic) are
    skipped after one query per batch, which is most of the cost of following a busy topic."""
    causes = {e.id: cause for e in events if (cause := _uuid(e.causationid or ""))}
    ours = await store.known_submissions(conn, set(causes.values()))
    answers: list[store.Answer] = []
    parties: dict[UUID, list[str]] = {}
    for event in events:
        if event.type == AGREEMENT_PROPOSED:
            parties[UUID(event.subject)] = _region_parties(event.data)
        cause = causes.get(event.id)
        if cause is None or cause not in ours:
            continue
        with consuming(SERVICE, event):
            if event.type in (SUBMISSION_REJECTED, REGION_SUBMISSION_REJECTED):
                rejected = SubmissionRejected.model_validate(event.data)
                answers.append((rejected.submission_id, "rejected", rejected.reasons, None))
            elif event.type == SUBMISSION_HELD:
                held = SubmissionHeld.model_validate(event.data)
                answers.append((held.submission_id, "held", [_held_reason(held)], None))
            else:
                joined = event.type == PARTY_REPORTED and event.data.get("reported_as")
                answers.append((cause, "applied", [], _uuid(event.subject) if joined else None))
    await store.record_answers(conn, answers)
    await store.record_parties(conn, parties)


def _held_reason(held: SubmissionHeld) -> dict[str, str]:
    """What the node reads while its submission is held: that it is not lost, and why it waits."""
    return {"rule": "submission.held",
            "detail": f"Pengajuan ditahan oleh layanan {held.held_by} karena belum dapat diproses"
                      f" ({held.error}); pengajuan akan diproses ulang setelah penyebabnya diperbaiki,"
                      " tidak perlu dikirim ulang.",
            "detail_en": f"The submission is held by the {held.held_by} service, which cannot process it yet"
                         f" ({held.error}); it is processed again once the cause is fixed, no need to send it"
                         " again."}


def _region_parties(data: dict[str, Any]) -> list[str]:
    return [p["code"] for p in data.get("parties", []) if isinstance(p, dict) and p.get("type") == "region"]


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def answer(row: asyncpg.Record, agreement_known: bool) -> dict[str, Any]:
    """A submission's status, its reasons in the reader's language, and links to follow: the
    submission itself and, once the agreement is on record, its compiled record (reporting) and
    its mapping (mapping), each a whole URL of the service that serves it."""
    reasons = row["reasons"] if not isinstance(row["reasons"], str) else json.loads(row["reasons"])
    agreement = row["agreement_id"]
    links = {"self": status_link(row["id"])}
    if agreement is not None and agreement_known:
        links |= {"agreement": served("reporting", f"/v1/agreements/{agreement}"),
                  "mapping": served("mapping", f"/v1/agreements/{agreement}/mapping")}
    return {
        "id": str(row["id"]), "type": row["type"], "status": row["status"],
        "reasons": [labels.explained(r) for r in reasons],
        "agreement_id": str(agreement) if agreement else None, "actor": row["actor"], "links": links,
    }
