"""Tracing, correlation and structured logs.

A submission's trace starts at intake's HTTP request; its `traceparent` is written into every event
it causes, and each consumer continues that trace per event (even inside a batch), so one trace
spans intake, agreement, mapping and reporting.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import IO, Any, Literal

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from ksd_common.settings import settings

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
tracer = trace.get_tracer("ksd")
_ids = RandomIdGenerator()

Tracing = Literal["off", "carried", "recorded"]
_tracing: Tracing = "off"
"""What a span would be for, set by `setup`: "off" with no tracer set up (the `ksd` command: a span
is recorded nowhere and carries no trace); "carried" when the service records spans nowhere (no
OTLP endpoint, no traces file): the caller's trace is carried into logs and events, but no span of
this process is made; "recorded" when spans are exported. A span costs ~100 µs of CPU under the
SDK, as much as folding an event, so `continuing` makes one only when it is recorded."""


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the correlation id and trace id of the work in hand."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": correlation_id.get(),
        }
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def _span_line(span: ReadableSpan) -> str:
    return str(span.to_json(indent=None)) + "\n"


def setup(service: str) -> None:
    """Logs as JSON on stderr; spans to OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and to a file
    when KSD_TRACES_FILE is set."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    logging.basicConfig(level=settings().log_level, handlers=[handler], force=True)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    logging.getLogger("ksd.broker").setLevel(logging.WARNING)  # FastStream's line per batch is noise

    global _tracing
    provider = TracerProvider(resource=Resource.create({"service.name": f"ksd-{service}"}))
    exported = bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or settings().traces_file)
    _tracing = "recorded" if exported else "carried"
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    if traces_file := settings().traces_file:
        out: IO[str] = open(traces_file, "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out, formatter=_span_line)))
    trace.set_tracer_provider(provider)


def shutdown() -> None:
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.shutdown()


def current_traceparent() -> str | None:
    """The W3C `traceparent` of the current span, as the propagator would write it, formatted
    here: every event written carries one, and the propagators' inject (a carrier, the baggage
    too) cost ~15 µs an event."""
    span = trace.get_current_span().get_span_context()
    if not span.is_valid:
        return None
    return f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"


def _new_trace() -> NonRecordingSpan:
    """A trace that starts here (a request without a traceparent) when no span is recorded: its
    ids, for logs and the events it causes, without the SDK's span (attributes, events, links and
    its end: ~5% of intake's event loop under load, for nothing exported)."""
    return NonRecordingSpan(SpanContext(_ids.generate_trace_id(), _ids.generate_span_id(), is_remote=False,
                                        trace_flags=TraceFlags(TraceFlags.SAMPLED)))


class continuing(AbstractContextManager[None]):
    """A span that continues the trace of `traceparent`, with the correlation id set for logs and
    events. Only as much as is recorded is made (`_tracing`): with spans exported, a child span;
    with none, the caller's trace (or a new trace's ids) as the current context (the same trace id
    in logs and in the events written, no span of our own); with no tracer (the `ksd` command), only
    the correlation. A class rather than a generator: every event a consumer applies enters one,
    and a generator's context manager cost as much again as the rest (a rebuild enters a million)."""

    def __init__(self, name: str, traceparent: str | None, correlation: str | None, kind: SpanKind) -> None:
        self.name, self.traceparent, self.correlation, self.kind = name, traceparent, correlation, kind
        self.inner: AbstractContextManager[Any] | None = None

    def __enter__(self) -> None:
        self.token = correlation_id.set(self.correlation)
        if _tracing == "off":
            return
        if _tracing == "carried":
            self.inner = _attached(propagate.extract({"traceparent": self.traceparent}) if self.traceparent
                                   else trace.set_span_in_context(_new_trace()))
        else:  # recorded
            self.inner = _recorded(self.name, self.traceparent, self.correlation, self.kind)
        try:
            self.inner.__enter__()
        except BaseException:
            correlation_id.reset(self.token)
            raise

    def __exit__(self, *exc: Any) -> None:
        try:
            if self.inner is not None:
                self.inner.__exit__(*exc)
        finally:
            correlation_id.reset(self.token)


@contextmanager
def _attached(carried: context.Context) -> Iterator[None]:
    token = context.attach(carried)
    try:
        yield
    finally:
        context.detach(token)


@contextmanager
def _recorded(name: str, traceparent: str | None, correlation: str | None, kind: SpanKind) -> Iterator[None]:
    parent = propagate.extract({"traceparent": traceparent} if traceparent else {})
    with tracer.start_as_current_span(name, context=parent, kind=kind) as span:
        if correlation:
            span.set_attribute("ksd.correlation_id", correlation)
        yield
