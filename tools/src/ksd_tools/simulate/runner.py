"""Sends a planned workload through the public HTTP API, as the nodes themselves would.

The steps of one track go in order, each after intake's answer to the previous one (intake
publishes an agreement's submissions in the order it accepts them); tracks run concurrently.
Batched (`rounds`), each node sends what it may send at once in `POST /v1/submissions/batch`
requests, round after round, as a node's own system (SIKERJA) does.
Then every accepted submission is followed until the platform answers it: applied or rejected
(batched, from each province's list of submissions rather than one GET each).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ksd_tools import http
from ksd_tools.admin import issue_tokens, wait_until_known
from ksd_tools.simulate.plan import Step, Track, Workload

ANSWERED = ("applied", "rejected")

PATIENCE = 900.0
"""Seconds a node's system keeps sending one request again while the platform is unreachable or
answers "try again later" (5xx): a node cannot tell a restart from an outage, and its submission
matters more than its wait. Fifteen minutes outlasts every restart the chaos suite measures."""

BACKOFF_CAP = 5.0
"""Longest pause between two tries (seconds): a platform back after an outage is tried within this."""

AGAIN = frozenset({500, 502, 503, 504})
"""Answers that mean "not now": the same request, under the same Idempotency-Key, is sent again. A
4xx is the platform's answer about the request itself and is never sent again unchanged."""


class RateLimit:
    """At most `per_second` submissions per second across all nodes (None: unlimited)."""

    def __init__(self, per_second: float | None) -> None:
        self.interval = 1 / per_second if per_second else 0.0
        self.next = time.perf_counter()
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            now = time.perf_counter()
            self.next = max(self.next, now) + self.interval
            delay = self.next - self.interval - now
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class Tally:
    """What the platform answered: HTTP status per submission, when and how fast, then the final
    status of each accepted one."""

    http: Counter[str] = field(default_factory=Counter)
    accepted: list[tuple[Step, str]] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    """Seconds each single POST took."""
    accepted_at: list[float] = field(default_factory=list)
    """`time.perf_counter()` at each accepted answer, in the order they came."""
    ledger: list[dict[str, Any]] = field(default_factory=list)
    """Every answer as a node would keep it: idempotency key, HTTP status, submission id (accepted),
    then its final status, each with the wall-clock time it came (`ksd simulate --ledger`: the chaos
    suite reads what the nodes were told, and when, against what the platform holds)."""

    def record(self, step: Step, status: int, body: dict[str, Any]) -> None:
        self.http["accepted" if status < 300 else "invalid" if status < 500 else "error"] += 1
        entry: dict[str, Any] = {"key": step.key, "type": step.type, "http": status, "at": time.time()}
        if status < 300:
            self.accepted.append((step, str(body["id"])))
            self.accepted_at.append(time.perf_counter())
            entry["id"] = str(body["id"])
        self.ledger.append(entry)
        if (status < 300) == (step.expect == "invalid"):
            self.wrong.append(f"{step.key} {step.type}: HTTP {status} {str(body)[:300]}")


def batch_item(step: Step) -> dict[str, Any]:
    """A step as an item of `POST /v1/submissions/batch`: its submission with its Idempotency-Key."""
    return {"idempotency_key": step.key} | step.body


class Sender:
    """One node's submissions: single POSTs for lifecycle steps, `POST /v1/submissions/batch` for
    its independent declarations."""

    def __init__(self, client: httpx.AsyncClient, tokens: dict[str, str], limit: RateLimit, tally: Tally,
                 patience: float = PATIENCE) -> None:
        self.client, self.tokens, self.limit, self.tally = client, tokens, limit, tally
        self.patience = patience

    def headers(self, node: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[node]}"}
        return headers | ({"Idempotency-Key": key} if key else {})

    async def one(self, step: Step) -> None:
        await self.limit.wait()
        started = time.perf_counter()
        response = await retrying(
            self.client.post, "/v1/submissions", json=step.body, headers=self.headers(step.node, step.key),
            patience=self.patience,
        )
        self.tally.latencies.append(time.perf_counter() - started)
        self.tally.record(step, response.status_code, _json(response))

    async def many(self, steps: list[Step]) -> None:
        """One node's independent steps in one batch; each item is answered on its own, in order."""
        for _ in steps:
            await self.limit.wait()
        body = {"submissions": [batch_item(s) for s in steps]}
        started = time.perf_counter()
        response = await retrying(
            self.client.post, "/v1/submissions/batch", json=body, headers=self.headers(steps[0].node),
            patience=self.patience,
        )
        self.tally.latencies.append(time.perf_counter() - started)
        answer = _json(response)
        if response.status_code >= 300:
            for step in steps:
                self.tally.record(step, response.status_code, answer)
            return
        for step, item in zip(steps, answer["results"], strict=True):
            self.tally.record(step, item["status"], item.get("result") or item.get("problem") or {})

    async def answers(self, accepted: list[tuple[Step, str]], timeout: float) -> Counter[str]:
        """Poll each accepted submission until applied or rejected; what stays `accepted` past
        `timeout` is counted as unanswered."""
        final: Counter[str] = Counter()
        deadline = time.perf_counter() + timeout
        gate = asyncio.Semaphore(32)

        async def follow(step: Step, submission: str) -> None:
            async with gate:
                while True:
                    answer = await self.status(step, submission)
                    if answer.get("status") in ANSWERED or time.perf_counter() > deadline:
                        self._answered(final, step, submission, answer)
                        return
                    await asyncio.sleep(0.25)

        await asyncio.gather(*(follow(s, i) for s, i in accepted))
        return final

    async def listed(self, accepted: list[tuple[Step, str]], timeout: float) -> Counter[str]:
        """Like `answers`, but as a province's own system follows its work: from its list
        (`GET /v1/submissions`, 200 a page, the province's and its regencies'/cities'), not one GET
        per submission; first every status, then only what is still `accepted` or `held` (what left
        that list is read on its own). A province that is no node here: `answers`."""
        provinces: dict[str, dict[str, Step]] = {}
        alone: list[tuple[Step, str]] = []
        for step, submission in accepted:
            if step.node[:2] in self.tokens:
                provinces.setdefault(step.node[:2], {})[submission] = step
            else:
                alone.append((step, submission))
        final: Counter[str] = Counter()
        deadline = time.perf_counter() + timeout

        async def province(code: str, waiting: dict[str, Step]) -> None:
            statuses: list[str | None] = [None]
            while waiting:
                seen = {item["id"]: item for status in statuses async for item in self._list(code, status)}
                for submission, step in list(waiting.items()):
                    answer = seen.get(submission)
                    if answer is None and statuses != [None]:  # answered since the last look
                        answer = await self.status(step, submission)
                    if (answer or {}).get("status") in ANSWERED or time.perf_counter() > deadline:
                        self._answered(final, step, submission, answer or {})
                        del waiting[submission]
                statuses = ["accepted", "held"]
                if waiting:
                    await asyncio.sleep(0.5)

        one_by_one, _ = await asyncio.gather(self.answers(alone, timeout),
                                             asyncio.gather(*(province(c, w) for c, w in provinces.items())))
        return final + one_by_one

    async def status(self, step: Step, submission: str) -> dict[str, Any]:
        """`GET /v1/submissions/{id}`, as the node that sent it."""
        got = await retrying(self.client.get, f"/v1/submissions/{submission}", headers=self.headers(step.node),
                             patience=self.patience)
        return _json(got)

    async def _list(self, province: str, status: str | None) -> AsyncIterator[dict[str, Any]]:
        """A province's submissions of `status` (any: None), page after page."""
        cursor: str | None = None
        while True:
            params = {"limit": "200"} | ({"status": status} if status else {}) | ({"cursor": cursor} if cursor else {})
            page = _json(await retrying(self.client.get, "/v1/submissions", params=params,
                                        headers=self.headers(province), patience=self.patience))
            for item in page.get("items", []):
                yield item
            cursor = page.get("next_cursor")
            if not cursor:
                return

    def _answered(self, final: Counter[str], step: Step, submission: str, answer: dict[str, Any]) -> None:
        """Count a submission's final status (what is not answered by now: `unanswered`), keep it in
        the ledger, and note an answer that differs from the plan."""
        status = answer.get("status")
        final[status if status in ANSWERED else "unanswered"] += 1
        self.tally.ledger.append({"key": step.key, "id": submission, "final": status or "unanswered",
                                  "at": time.time()})
        if status in ANSWERED and (status == "rejected") != (step.expect == "rejected"):
            self.tally.wrong.append(f"{step.key} {step.type}: {status} {answer.get('reasons')}")


async def retrying(send: Callable[..., Awaitable[httpx.Response]], url: str, *, patience: float = PATIENCE,
                   **kwargs: Any) -> httpx.Response:
    """Send until the platform answers, for up to `patience` seconds: after a dropped or refused
    connection (a server restarting, or closing an idle kept-alive connection as it is reused) and
    after a 5xx (`AGAIN`; a 503's Retry-After is honoured), with backoff doubling up to
    `BACKOFF_CAP`. Every submission carries its idempotency key, so a repeat is answered with the
    first result and has no second effect; a GET has none anyway. Past `patience` the last answer
    is returned, or the last connection error raised."""
    deadline = time.monotonic() + patience
    attempt = 0
    while True:
        try:
            response = await send(url, **kwargs)
            if response.status_code not in AGAIN or time.monotonic() >= deadline:
                return response
            pause = retry_after(response) or backoff(attempt)
        except httpx.TransportError:
            if time.monotonic() >= deadline:
                raise
            pause = backoff(attempt)
        attempt += 1
        await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))


def backoff(attempt: int) -> float:
    """Pause before try `attempt + 2`: 0.5 s doubling up to `BACKOFF_CAP`, each node's at a random
    point of its upper half, so that nodes cut off together do not all come back in the same instant."""
    return min(BACKOFF_CAP, 0.5 * 2.0**attempt) * random.uniform(0.5, 1.0)


def retry_after(response: httpx.Response) -> float | None:
    """The seconds a 503's Retry-After asks for (its delay-seconds form, the one the platform
    sends), at most `BACKOFF_CAP` times two; None when absent or not a number."""
    value = response.headers.get("Retry-After", "").strip()
    return min(float(value), 2 * BACKOFF_CAP) if value.isdigit() else None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def _track(sender: Sender, track: Track, gate: asyncio.Semaphore) -> None:
    async with gate:
        if track.name.startswith("r"):  # a region's declarations are independent of each other
            await sender.many(list(track.steps))
            return
        for step in track.steps:
            await sender.one(step)


def rounds(work: Workload, size: int = 500) -> list[list[list[Step]]]:
    """The workload as rounds of batches, for nodes that send in batches: each batch one node's
    steps in their order (at most `size`, intake's limit). An agreement's steps by one node in a
    row go together; the next node's step waits for the next round, sent once every batch of this
    one is answered, because it answers what the earlier node submitted. A region's declarations are
    independent of each other and of the agreements: all in the first round."""
    by_round: list[dict[str, list[Step]]] = []
    for track in work.tracks:
        runs = [list(track.steps)] if track.name.startswith("r") else _runs(track.steps)
        for index, run in enumerate(runs):
            if index == len(by_round):
                by_round.append({})
            by_round[index].setdefault(run[0].node, []).extend(run)
    return [[steps[i:i + size] for steps in nodes.values() for i in range(0, len(steps), size)]
            for nodes in by_round]


def _runs(steps: tuple[Step, ...]) -> list[list[Step]]:
    """`steps` cut where the node sending them changes."""
    runs: list[list[Step]] = []
    for step in steps:
        if runs and runs[-1][0].node == step.node:
            runs[-1].append(step)
        else:
            runs.append([step])
    return runs


async def _round(sender: Sender, batches: list[list[Step]], gate: asyncio.Semaphore) -> None:
    """One round's batches, a node's one after another (a run cut at `size` stays in order)."""
    nodes: dict[str, list[list[Step]]] = {}
    for batch in batches:
        nodes.setdefault(batch[0].node, []).append(batch)

    async def node(own: list[list[Step]]) -> None:
        for batch in own:
            async with gate:
                await sender.many(batch)

    await asyncio.gather(*(node(own) for own in nodes.values()))


def role_of(code: str) -> str:
    """A node's role: a province's code has two digits."""
    return "province" if len(code) == 2 else "regency"


async def node_tokens(base_url: str, nodes: list[str]) -> dict[str, str]:
    """A token for each node, once intake knows every one (credentials travel on a topic)."""
    tokens = dict(zip(nodes, await issue_tokens([(role_of(n), n, "simulated node") for n in nodes]), strict=True))
    await wait_until_known(f"{base_url}/v1/submissions/{uuid.UUID(int=0)}", *tokens.values(), timeout=600)
    return tokens


def _client(base_url: str, concurrency: int) -> httpx.AsyncClient:
    return http.client(base_url, connections=min(concurrency, 100), timeout=120)


async def send(steps: list[Step], base_url: str, tokens: dict[str, str], concurrency: int = 32,
               rate: float | None = None, tally: Tally | None = None) -> Tally:
    """Independent steps (e.g. one new proposal each), each a single POST, `concurrency` requests at
    a time, at most `rate` submissions per second: the freshness bench's background. Returns what
    was answered and how fast (`latencies` per request)."""
    tally = tally if tally is not None else Tally()
    gate = asyncio.Semaphore(concurrency)
    async with _client(base_url, concurrency) as client:
        sender = Sender(client, tokens, RateLimit(rate), tally)

        async def one(step: Step) -> None:
            async with gate:
                await sender.one(step)

        await asyncio.gather(*(one(s) for s in steps))
    return tally


async def answered(base_url: str, tokens: dict[str, str], tally: Tally, timeout: float) -> Counter[str]:
    """Follow every accepted submission of `tally` until applied or rejected."""
    async with _client(base_url, 32) as client:
        return await Sender(client, tokens, RateLimit(None), tally).answers(tally.accepted, timeout)


async def run(
    work: Workload, base_url: str, rate: float | None = None, burst: bool = False, answer_timeout: float = 120,
    patience: float = PATIENCE, ledger: str | None = None, *, batched: bool = False,
) -> dict[str, Any]:
    """Send the workload, each step in a POST of its own or, `batched`, in `rounds` of batches
    (their answers then followed from the provinces' lists, `Sender.listed`); return counts of HTTP
    answers and final answers, and the rate. `patience`: how long each request is tried again while
    the platform does not answer (`retrying`); `ledger`: a file to write every answer to, a JSON
    object a line (`Tally.ledger`)."""
    nodes = work.nodes
    tokens = await node_tokens(base_url, nodes)
    tally = Tally()
    concurrency = len(nodes) if burst else 32
    started = time.perf_counter()
    async with _client(base_url, concurrency) as client:
        sender = Sender(client, tokens, RateLimit(None if burst else rate), tally, patience)
        gate = asyncio.Semaphore(concurrency)
        if batched:
            for batches in rounds(work):
                await _round(sender, batches, gate)
        else:
            await asyncio.gather(*(_track(sender, t, gate) for t in work.tracks))
        sent = time.perf_counter() - started
        final = await (sender.listed if batched else sender.answers)(tally.accepted, answer_timeout)
    elapsed = time.perf_counter() - started
    if ledger:
        with open(ledger, "w") as out:
            out.writelines(json.dumps(entry) + "\n" for entry in tally.ledger)
    total = sum(tally.http.values())
    return {
        "agreements": sum(1 for t in work.tracks if t.name.startswith("a")),
        "nodes": len(nodes),
        "submissions": total,
        **{k: tally.http[k] for k in ("accepted", "invalid", "error")},
        **{k: final[k] for k in ("applied", "rejected", "unanswered")},
        "unexpected": len(tally.wrong),
        "requests": len(tally.latencies),
        "seconds": round(elapsed, 1),
        "sent_per_s": round(total / sent, 1) if sent else None,
        "wrong": tally.wrong[:5],
    }
