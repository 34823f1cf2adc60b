"""One submission's latency on an idle platform, and intake's PostgreSQL round trips per submission.

Starts intake alone (its own database and topics, the test suite's slot scheme: KSD_TEST_SLOT) and,
with `--before <tree>` (a checkout of an earlier commit), a second intake running that tree's code
beside it. Then, in turn, a sequential `POST /v1/submissions` (a new proposal each time) and
`GET /healthz` to each, a pause after each request (an idle platform), the two intakes taking turns
to go first: every figure comes from the same minutes on the same machine, so the other
developers' load falls on all of them alike. With `--round-trips`, each intake's PostgreSQL
connections go through a counting TCP proxy (a round trip is counted each time the client speaks
after the server has answered; TLS passes through untouched); the proxy adds its own latency, so the
latency figures are taken without it. Run from the work tree:

    KSD_TEST_SLOT=2 .venv/bin/python bench/submission_latency.py --before /tmp/h2-base --requests 500

Or against intakes started by hand (each with its own KSD_DB_SUFFIX, KSD_INTAKE_PORT and
KSD_GROUP_PREFIX, and KSD_TOPIC_PREFIX=test<slot>.), optionally with their KSD_PG_DSN on a
`--serve-proxy PORT --count-file FILE` process of this script:

    KSD_TEST_SLOT=2 .venv/bin/python bench/submission_latency.py --url before=http://127.0.0.1:18211 \
        --url after=http://127.0.0.1:18212 [--count-file before=FILE --count-file after=FILE]

bench/notes-startup-and-latency.md has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

SLOT = int(os.environ.get("KSD_TEST_SLOT", "0"))
os.environ["KSD_TOPIC_PREFIX"] = f"test{SLOT}."  # before ksd_contracts.topics is imported

import httpx  # noqa: E402

from ksd_common.access import setup_kafka  # noqa: E402
from ksd_common.db import recreate_database  # noqa: E402
from ksd_common.settings import settings  # noqa: E402
from ksd_tools.admin import issue_tokens, wait_until_known  # noqa: E402

PACKAGES = ["contracts/src", "services/common/src", "services/intake/src", "services/agreement/src",
            "services/mapping/src", "services/reporting/src", "tools/src"]
BODY = {"type": "agreement.propose", "data": {
    "kind": "KSDD", "title": "Pengelolaan sampah regional bersama", "initiated_on": "2024-07-02",
    "parties": [{"type": "region", "code": "53.71"}, {"type": "region", "code": "53.01"}], "urusan": ["2.11"]}}


class CountingProxy:
    """Forwards TCP to PostgreSQL, counting client->server turns (one per round trip)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port, self.turns = host, port, 0

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, state: list[str],
                    side: str) -> None:
        try:
            while data := await reader.read(65536):
                if side == "client" and state[0] != "client":
                    self.turns += 1
                state[0] = side
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(self.host, self.port)
        state = ["server"]
        await asyncio.gather(self._pipe(client_r, server_w, state, "client"),
                             self._pipe(server_r, client_w, state, "server"))

    async def start(self, port: int = 0) -> int:
        server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        listening: int = server.sockets[0].getsockname()[1]
        return listening


class Intake:
    """One intake process: its address, its proxy (or none), its token, its figures."""

    def __init__(self, name: str, index: int, tree: Path | None, url: str | None = None) -> None:
        self.name, self.tree, self.given = name, tree, url is not None
        self.port = 18181 + 10 * SLOT + index
        self.suffix = f"_bench{SLOT}{name}"
        self.url = url or f"http://127.0.0.1:{self.port}"
        self.proxy: CountingProxy | FileCount | None = None
        self.token = ""
        self.ready = 0.0
        self.posts: list[float] = []
        self.health: list[float] = []
        self.per_submission = 0.0
        self.errors: list[str] = []

    @asynccontextmanager
    async def running(self, round_trips: bool) -> AsyncIterator[Intake]:
        if self.given:  # started by the caller (--url)
            yield self
            return
        dsn = settings().pg_dsn
        if round_trips:
            parts = urlsplit(dsn)
            self.proxy = CountingProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
            netloc = f"{parts.username}:{parts.password}@127.0.0.1:{await self.proxy.start()}"
            dsn = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        await recreate_database(f"ksd_intake{self.suffix}")
        # Consumer groups of its own (two intakes must not share the answers' partitions), under
        # the broker's ACLs: the slot's topics and this prefix's grants, made as the setup user.
        groups = f"ksd-bench{SLOT}{self.name}"
        await setup_kafka(settings().model_copy(update={"group_prefix": groups}))
        env = {**os.environ, "KSD_PG_DSN": dsn, "KSD_DB_SUFFIX": self.suffix,
               "KSD_GROUP_PREFIX": groups, "KSD_INTAKE_PORT": str(self.port)}
        if self.tree:
            env["PYTHONPATH"] = os.pathsep.join(str(self.tree / p) for p in PACKAGES)
        log = Path(tempfile.mkstemp(prefix=f"intake-bench-{self.name}-", suffix=".log")[1])
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "ksd_intake"], env=env, stdout=log.open("wb"),
                                   stderr=subprocess.STDOUT)
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                while True:
                    if process.poll() is not None:
                        raise RuntimeError(f"{self.name} intake exited with {process.returncode}: {log.read_text()}")
                    try:
                        if (await client.get(f"{self.url}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.05)
            self.ready = time.perf_counter() - started
            yield self
        finally:
            process.terminate()
            await asyncio.to_thread(process.wait, 20)  # a proxy in this loop must keep serving meanwhile

    async def post(self, client: httpx.AsyncClient) -> float:
        t = time.perf_counter()
        answer = await client.post(f"{self.url}/v1/submissions", json=BODY,
                                   headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": str(uuid4())})
        assert answer.status_code == 202, answer.text
        return (time.perf_counter() - t) * 1000

    async def healthz(self, client: httpx.AsyncClient) -> float:
        t = time.perf_counter()
        await client.get(f"{self.url}/healthz")
        return (time.perf_counter() - t) * 1000


async def serve_proxy(port: int, count_file: Path) -> None:
    """A counting proxy of its own (for intakes started by hand, `--url`): the count is written to
    `count_file` ten times a second."""
    dsn = urlsplit(settings().pg_dsn)
    proxy = CountingProxy(dsn.hostname or "127.0.0.1", dsn.port or 5432)
    await proxy.start(port)
    while True:
        count_file.write_text(str(proxy.turns))
        await asyncio.sleep(0.1)


class FileCount:
    """The turns a `serve_proxy` of another process has counted so far."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def turns(self) -> int:
        return int(self.path.read_text() or 0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


async def measure(intakes: list[Intake], requests: int, round_trips: bool, pause: float) -> None:
    async with AsyncExitStack() as stack:
        for intake in intakes:
            await stack.enter_async_context(intake.running(round_trips))
        tokens = await issue_tokens([("regency", "53.71", "bench")])
        for intake in intakes:
            intake.token = tokens[0]
            await wait_until_known(f"{intake.url}/v1/submissions/{UUID(int=0)}", intake.token)
        async with httpx.AsyncClient(timeout=30) as client:
            for _ in range(20):  # warm-up: connections, caches, first paths
                for intake in intakes:
                    await intake.post(client)
                    await intake.healthz(client)
            if round_trips:
                await asyncio.sleep(2)
                idle = {i.name: i.proxy.turns for i in intakes if i.proxy}
                idle_started = time.perf_counter()
                await asyncio.sleep(5)
                rate = {i.name: (i.proxy.turns - idle[i.name]) / (time.perf_counter() - idle_started)
                        for i in intakes if i.proxy}
                start = {i.name: i.proxy.turns for i in intakes if i.proxy}
                measured_from = time.perf_counter()
            for n in range(requests):
                for intake in intakes[::-1] if n % 2 else intakes:  # each goes first every other time
                    try:
                        intake.posts.append(await intake.post(client))
                        await asyncio.sleep(pause)  # idle: its relay has published before the next request
                        intake.health.append(await intake.healthz(client))
                    except httpx.TransportError as error:  # a dropped connection is counted, not timed
                        intake.errors.append(repr(error))
                    await asyncio.sleep(pause)
            if round_trips:
                await asyncio.sleep(2)  # the relay publishes and deletes the last outbox rows
                elapsed = time.perf_counter() - measured_from
                for i in intakes:
                    assert i.proxy is not None
                    i.per_submission = (i.proxy.turns - start[i.name] - rate[i.name] * elapsed) / requests


async def main(before: Path | None, requests: int, round_trips: bool, pause: float, urls: list[str],
               counts: list[str]) -> None:
    if urls:
        intakes = [Intake(u.split("=", 1)[0], i, None, u.split("=", 1)[1]) for i, u in enumerate(urls)]
        files = dict(c.split("=", 1) for c in counts)
        for intake in intakes:
            if intake.name in files:
                intake.proxy = FileCount(Path(files[intake.name]))
        round_trips = bool(files)
    else:
        intakes = ([Intake("before", 1, before)] if before else []) + [Intake("after", 0, None)]
    await measure(intakes, requests, round_trips, pause)
    for i in intakes:
        started = "" if i.given else f"intake ready after {i.ready:.2f} s; "
        print(f"{i.name}: {started}POST /v1/submissions p50 {statistics.median(i.posts):.2f}"
              f" ms p99 {percentile(i.posts, 0.99):.2f} ms; GET /healthz p50 {statistics.median(i.health):.2f} ms"
              f" p99 {percentile(i.health, 0.99):.2f} ms (n={requests} each"
              f"{', through the counting proxy' if round_trips else ''}; {len(i.errors)} dropped connections)")
        if round_trips:
            print(f"{i.name}: PostgreSQL round trips per submission {i.per_submission:.2f}"
                  " (the relay's included, the idle background subtracted)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="a checkout of the earlier commit, run beside this tree")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--round-trips", action="store_true", help="count PostgreSQL round trips (slower figures)")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between requests (an idle platform)")
    parser.add_argument("--url", action="append", default=[],
                        help="NAME=URL of an intake already running (on this slot's topics), instead of starting one")
    parser.add_argument("--count-file", action="append", default=[],
                        help="NAME=FILE: the round trips of the --url intake NAME, counted by a --serve-proxy")
    parser.add_argument("--serve-proxy", type=int, metavar="PORT",
                        help="only run a counting proxy on PORT (writing its count to --count-file's FILE)")
    a = parser.parse_args()
    if a.serve_proxy:
        asyncio.run(serve_proxy(a.serve_proxy, Path(a.count_file[0])))
    else:
        asyncio.run(main(a.before, a.requests, a.round_trips, a.pause, a.url, a.count_file))
