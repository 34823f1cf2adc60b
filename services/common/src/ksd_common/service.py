"""One bootstrap for every service: the same shape, wired the same way (ARCHITECTURE.md, "Layout").

A service is its FastAPI app (HTTP: health, readiness, metrics, AsyncAPI, its own routes) beside
one FastStream Kafka broker with its batch consumers, one PostgreSQL pool with its migrations, and
one outbox relay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.kafka import KafkaBroker
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic_core import to_json
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uuid6 import uuid7

from ksd_common import access, problems, telemetry
from ksd_common.audience import Audience
from ksd_common.auth import apply_credentials
from ksd_common.broker import make_broker
from ksd_common.collector import tune_collector
from ksd_common.consumer import BatchConsumer, Handler
from ksd_common.db import create_pool, migrate
from ksd_common.outbox import OutboxRelay
from ksd_common.parking import ParkHook, Redriver
from ksd_common.settings import settings
from ksd_common.topics import consumer_group
from ksd_contracts.asyncapi import Use
from ksd_contracts.asyncapi import document as asyncapi_document
from ksd_contracts.topics import CREDENTIALS, Topic

log = logging.getLogger(__name__)

REQUESTS = Counter("ksd_http_requests", "HTTP requests answered", ["service", "method", "route", "status"])
LATENCY = Histogram("ksd_http_seconds", "HTTP request latency", ["service", "method", "route"])


class Json(JSONResponse):
    """What an endpoint returns, written by pydantic-core's JSON writer (Rust): the same compact
    UTF-8 JSON as Starlette's `json.dumps`, at a fraction of the cost for a large answer (the
    national summary's 40 KB was 14% of reporting's loop under a dashboard's polling). A NaN or
    infinity, which no answer holds, would be `null` instead of an error."""

    def render(self, content: Any) -> bytes:
        return to_json(content, inf_nan_mode="null")


@dataclass
class Consumes:
    topic: Topic
    handle: Handler
    description: str
    on_park: ParkHook | None = None  # e.g. announce a held submission (ksd_common.parking.announce_held)


@dataclass
class Publishes:
    topic: Topic
    description: str


@dataclass
class Reads:
    """A topic read now and then without a consumer group (nothing is applied, no offset kept)."""

    topic: Topic
    description: str


@dataclass
class ServiceSpec:
    """What makes one service different from another; everything else is shared."""

    name: str
    description: str
    consumes: list[Consumes] = field(default_factory=list)
    publishes: list[Publishes] = field(default_factory=list)
    reads: list[Reads] = field(default_factory=list)
    routers: list[APIRouter] = field(default_factory=list)
    authenticates: bool = False  # serves callers with bearer tokens: keeps the credential hashes
    refold: Callable[[asyncpg.Pool], Awaitable[int]] | None = None
    """Brings state written by an older fold up to the current one, after the migrations and before
    the service consumes (`ksd_contracts.lifecycle.FOLD_VERSION`)."""
    periodic: list[Callable[[asyncpg.Pool], Coroutine[Any, Any, None]]] = field(default_factory=list)
    """Loops that run for the life of the service while its pool is open (the agreement scheduler,
    reporting's reminders); each is cancelled at stop."""

    @property
    def consumed(self) -> list[Consumes]:
        """Everything it consumes: its own topics, and the credentials when it authenticates."""
        credentials = [Consumes(CREDENTIALS, apply_credentials, "Token hashes this service answers to.")]
        return [*self.consumes, *(credentials if self.authenticates else [])]

    def group(self, topic: Topic) -> str:
        """Its consumer group on `topic` (`ksd_common.topics.consumer_group`)."""
        return consumer_group(settings().group_prefix, self.name, topic)

    @property
    def database(self) -> str:
        return f"ksd_{self.name}"

    @property
    def package(self) -> str:
        return f"ksd_{self.name}"


class PoolHolder:
    """The pool, created at start; consumers are registered before it exists."""

    def __init__(self) -> None:
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "the service has not started"
        return self._pool


def build(spec: ServiceSpec) -> FastAPI:
    broker = make_broker(access.principal(spec.name))
    holder = PoolHolder()
    consumes = spec.consumed
    consumers = [BatchConsumer(spec.name, holder, c.topic, c.handle, group=spec.group(c.topic), on_park=c.on_park)
                 for c in consumes]
    for consumer in consumers:
        consumer.register(broker, max_records=settings().batch_max_records,
                          idle_wait_ms=settings().consumer_idle_wait_ms,
                          session_timeout_ms=settings().kafka_session_timeout_ms)
    # The outbox relay does the sending: publishers are declared in the AsyncAPI document only.
    uses = [Use(c.topic, "receive", c.description, consumer.group)
            for consumer, c in zip(consumers, consumes, strict=True)]
    uses += [Use(p.topic, "send", p.description) for p in spec.publishes]
    uses += [Use(r.topic, "receive", r.description) for r in spec.reads]
    asyncapi = asyncapi_document(f"ksd-{spec.name}", spec.description, settings().kafka_bootstrap, uses)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        telemetry.setup(spec.name)
        holder._pool = await create_pool(spec.database)
        app.state.pool = holder.pool
        await migrate(holder.pool, ["ksd_common", spec.package])
        if spec.refold and (refolded := await spec.refold(holder.pool)):
            log.info("%s: %d states folded again by the current fold", spec.name, refolded)
        relay = OutboxRelay(holder.pool, settings().kafka_options(access.principal(spec.name)))
        app.state.relay = relay
        await relay.start()
        redriver = Redriver(holder.pool, consumers)
        await redriver.start()
        await broker.start()
        loops: list[asyncio.Task[None]] = [asyncio.create_task(loop(holder.pool)) for loop in spec.periodic]
        try:
            yield
        finally:
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            await broker.stop()
            await redriver.stop()
            await relay.stop()
            if (oidc := getattr(app.state, "oidc", None)) is not None:
                await oidc.close()
            await holder.pool.close()
            telemetry.shutdown()

    app = FastAPI(title=f"ksd-{spec.name}", description=spec.description, lifespan=lifespan,
                  default_response_class=Json)
    app.state.broker = broker
    problems.install(app)
    app.add_middleware(Audience)
    app.add_middleware(Observe, service=spec.name)
    app.include_router(_operations(spec.name, broker, asyncapi))
    for router in spec.routers:
        app.include_router(router)
    return app


class Observe:
    """A server span per request (continuing the caller's trace), the correlation id, and Prometheus
    figures: pure ASGI middleware. (Starlette's `BaseHTTPMiddleware`, behind `@app.middleware`, ran
    each request in a task group of its own, and anyio's cancel-scope delivery rescheduling itself
    there took some 10% of intake's event loop.)"""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        # The caller's correlation id (a local system's own reference), or a new one: every event
        # this request causes carries it, and so does every log line.
        correlation = (headers.get("x-correlation-id") or uuid7().hex)[:64]
        status = 500

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Correlation-Id"] = correlation
            await send(message)

        method = scope["method"]
        with telemetry.continuing(f"{method} {scope['path']}", headers.get("traceparent"), correlation,
                                  SpanKind.SERVER):
            await self.app(scope, receive, answer)
        # The template as the OpenAPI document writes it (`path_format`: no `:uuid` convertor).
        route = getattr(scope.get("route"), "path_format", "unmatched")
        REQUESTS.labels(self.service, method, route, status).inc()
        LATENCY.labels(self.service, method, route).observe(time.perf_counter() - started)


def _operations(service: str, broker: KafkaBroker, asyncapi: dict[str, Any]) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok", "service": service}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        """Ready: its PostgreSQL and Kafka answer, and its outbox relay is draining (not failing for
        longer than its grace: a relay that cannot publish leaves every answer unsent)."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(request.app.state.pool.fetchval("SELECT 1"), 2)
            checks["postgresql"] = "ok"
        except Exception as error:
            checks["postgresql"] = f"failed: {error!r}"
        checks["kafka"] = "ok" if await broker.ping(timeout=2) else "failed"
        checks["outbox_relay"] = request.app.state.relay.health.check(time.monotonic())
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                            status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @router.get("/asyncapi.json")
    async def asyncapi_json() -> dict[str, Any]:
        """What this service consumes and publishes on Kafka (AsyncAPI 3.0): every event type with
        its headers, key and payload schema, from the contracts (`ksd_contracts.asyncapi`)."""
        return asyncapi

    return router


def serve(app: FastAPI, service: str) -> None:
    """Run one service on its port (KSD_<SERVICE>_PORT), on uvloop's event loop with httptools'
    HTTP parser (both pinned): the stdlib's loop and h11 were a visible share of intake's profile
    (bench/notes-intake.md). The collector is tuned first (`tune_collector`)."""
    tune_collector()
    uvicorn.run(app, host=settings().host, port=settings().port_of(service), log_config=None,
                access_log=False, timeout_graceful_shutdown=15, loop="uvloop", http="httptools")
