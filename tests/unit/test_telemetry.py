"""`continuing` makes only as much of a span as is recorded, and a trace still crosses services.

Each case runs in its own interpreter: OpenTelemetry's tracer provider is set once per process, as
a service sets it at its start (`telemetry.setup`) and the `ksd` command never does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PARENT_TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN = "b7ad6b7169203331"
PARENT = f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"

APPLY_ONE_EVENT = """
import json, sys
from opentelemetry.trace import SpanKind, get_current_span
from ksd_common import telemetry
if sys.argv[1] == "service":
    telemetry.setup("uji")
with telemetry.continuing("uji apply proposed", sys.argv[2] or None, "korelasi-1", SpanKind.CONSUMER):
    inside = get_current_span().get_span_context()
    seen = {"trace_id": format(inside.trace_id, "032x") if inside.is_valid else None,
            "traceparent": telemetry.current_traceparent(), "correlation": telemetry.correlation_id.get()}
seen["correlation_after"] = telemetry.correlation_id.get()
telemetry.shutdown()
print(json.dumps(seen))
"""


def _apply_one_event(who: str, traceparent: str | None, traces: Path | None = None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("KSD_TRACES_FILE", "OTEL_EXPORTER_OTLP_ENDPOINT")}
    if traces is not None:
        env["KSD_TRACES_FILE"] = str(traces)
    done = subprocess.run([sys.executable, "-c", APPLY_ONE_EVENT, who, traceparent or ""], env=env,
                          capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_service_that_exports_spans_records_a_child_of_the_events_span(tmp_path: Path) -> None:
    traces = tmp_path / "traces.jsonl"
    seen = _apply_one_event("service", PARENT, traces)
    spans = [json.loads(line) for line in traces.read_text().splitlines()]
    assert [s["name"] for s in spans] == ["uji apply proposed"]
    assert spans[0]["context"]["trace_id"] == f"0x{PARENT_TRACE}"
    assert spans[0]["parent_id"] == f"0x{PARENT_SPAN}"
    assert spans[0]["attributes"]["ksd.correlation_id"] == "korelasi-1"
    # What the service writes into the events it causes names its own span, in the same trace.
    assert seen["traceparent"] == f"00-{PARENT_TRACE}-{spans[0]['context']['span_id'][2:]}-01"
    assert seen["correlation"] == "korelasi-1" and seen["correlation_after"] is None


def test_a_service_that_records_no_spans_still_carries_the_trace_into_logs_and_events() -> None:
    seen = _apply_one_event("service", PARENT)
    assert seen["trace_id"] == PARENT_TRACE
    assert seen["traceparent"] == PARENT
    assert seen["correlation"] == "korelasi-1" and seen["correlation_after"] is None


def test_a_request_without_a_trace_starts_one_even_when_no_span_is_recorded() -> None:
    seen = _apply_one_event("service", None)
    assert seen["trace_id"] is not None and seen["trace_id"] != PARENT_TRACE
    assert seen["traceparent"].split("-")[1] == seen["trace_id"]


def test_the_ksd_command_sets_up_no_tracer_so_only_the_correlation_is_set() -> None:
    seen = _apply_one_event("command", PARENT)
    assert seen["trace_id"] is None and seen["traceparent"] is None
    assert seen["correlation"] == "korelasi-1" and seen["correlation_after"] is None
