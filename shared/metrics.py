"""Prometheus metrics of every service, and the HTTP endpoint that serves them.

Every figure an operator watches is defined here, in one place: the shared
kernel records them (gRPC calls in `shared.grpc.metrics`, appends in the event
store, the outbox relay, the effectively-once consumer), a service only starts
the endpoint (`serve_metrics`), and the Grafana dashboard
(`deploy/grafana/arshjul.json`) and `arshjul status` read the same names (a
unit test checks the dashboard against `METRIC_NAMES`).

Labels name what the kernel knows: the gRPC service and method, the producing
service of an appended event, the schema whose outbox a relay publishes, the
consumer (projection) with its topic and partition. The scraper adds which
process it was (`job`, `instance`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Final
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import (
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    start_http_server,
)

from shared.settings import Settings

log = structlog.get_logger(__name__)

# A `_created` series beside every counter doubles what is stored and is not used.
disable_created_metrics()  # type: ignore[no-untyped-call]

# -- gRPC (shared.grpc.metrics) ----------------------------------------------------

GRPC_HANDLED: Final = Counter(
    "arshjul_grpc_server_handled",
    "gRPC calls completed, by service, method and status code.",
    ["grpc_service", "grpc_method", "grpc_code"],
)
GRPC_HANDLING_SECONDS: Final = Histogram(
    "arshjul_grpc_server_handling_seconds",
    "Seconds from a gRPC call's start to its status, by service and method.",
    ["grpc_service", "grpc_method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# -- write side: event store and outbox relay ------------------------------------

EVENTS_APPENDED: Final = Counter(
    "arshjul_events_appended",
    "Events appended to a service's event store (committed or not), by producer and type.",
    ["producer", "event_type"],
)
OUTBOX_BACKLOG: Final = Gauge(
    "arshjul_outbox_backlog",
    "Outbox rows not yet published, sampled by the relay every few seconds.",
    ["schema"],
)
OUTBOX_PUBLISHED: Final = Counter(
    "arshjul_outbox_published",
    "Events the outbox relay published and the broker acknowledged.",
    ["schema"],
)
OUTBOX_RELAY_LAG_SECONDS: Final = Gauge(
    "arshjul_outbox_relay_lag_seconds",
    "Seconds since this relay last found its outbox empty: at most how long the oldest "
    "unpublished event has waited (near 0 while it keeps up; take the min over replicas).",
    ["schema"],
)

# -- read side: effectively-once consumers and projections -----------------------

CONSUMER_LAG: Final = Gauge(
    "arshjul_consumer_lag",
    "Records of a partition not yet handled: the high watermark minus the next offset.",
    ["consumer", "topic", "partition"],
)
CONSUMER_EVENTS_HANDLED: Final = Counter(
    "arshjul_consumer_events_handled",
    "New events a consumer handled (committed with its read model), by topic.",
    ["consumer", "topic"],
)
CONSUMER_DUPLICATES: Final = Counter(
    "arshjul_consumer_duplicates_skipped",
    "Redelivered events a consumer skipped because it had handled their id before.",
    ["consumer", "topic"],
)

# -- projection rebuilds (RebuildMetrics) -----------------------------------------

REBUILD_RUNNING: Final = Gauge(
    "arshjul_rebuild_running",
    "1 while a projection is being rebuilt into its shadow schema, else 0.",
    ["projection"],
)
REBUILD_EVENTS_TO_READ: Final = Gauge(
    "arshjul_rebuild_events_to_read",
    "Events the running (or last) rebuild of a projection has to read.",
    ["projection"],
)
REBUILD_EVENTS_READ: Final = Gauge(
    "arshjul_rebuild_events_read",
    "Events the running (or last) rebuild of a projection has read so far.",
    ["projection"],
)
REBUILD_COMPLETED: Final = Gauge(
    "arshjul_rebuild_completed_timestamp_seconds",
    "Unix time the last rebuild of a projection was swapped in.",
    ["projection"],
)

#: Every metric family this module defines, as exposed (a counter adds `_total`).
METRIC_NAMES: Final[frozenset[str]] = frozenset(
    {
        "arshjul_grpc_server_handled_total",
        "arshjul_grpc_server_handling_seconds",
        "arshjul_events_appended_total",
        "arshjul_outbox_backlog",
        "arshjul_outbox_published_total",
        "arshjul_outbox_relay_lag_seconds",
        "arshjul_consumer_lag",
        "arshjul_consumer_events_handled_total",
        "arshjul_consumer_duplicates_skipped_total",
        "arshjul_rebuild_running",
        "arshjul_rebuild_events_to_read",
        "arshjul_rebuild_events_read",
        "arshjul_rebuild_completed_timestamp_seconds",
    }
)


class RebuildMetrics:
    """The progress gauges of one projection's rebuild.

    The rebuild calls `progressed(read=..., to_read=...)` as it goes (records
    read so far in this run; records the run has to read, None until known),
    and `finished(swapped=...)` at the end (swapped False when it was
    cancelled or failed). With the reporting rebuild's progress callback:
    `on_progress=lambda p: metrics.progressed(read=p.read, to_read=p.total)`.
    """

    def __init__(self, projection: str) -> None:
        self.projection = projection

    def progressed(self, *, read: int, to_read: int | None) -> None:
        REBUILD_RUNNING.labels(self.projection).set(1)
        REBUILD_EVENTS_READ.labels(self.projection).set(read)
        if to_read is not None:
            REBUILD_EVENTS_TO_READ.labels(self.projection).set(to_read)

    def finished(self, *, swapped: bool) -> None:
        REBUILD_RUNNING.labels(self.projection).set(0)
        if swapped:
            REBUILD_COMPLETED.labels(self.projection).set(time.time())


# -- the endpoint ----------------------------------------------------------------


@dataclass
class MetricsEndpoint:
    """A running /metrics endpoint (port None: none was asked for)."""

    port: int | None
    _server: WSGIServer | None = None
    _thread: threading.Thread | None = None

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def serve_metrics(settings: Settings, *, service: str) -> MetricsEndpoint:
    """Serve the metrics over HTTP on ARSHJUL_GRPC_HOST:ARSHJUL_METRICS_PORT.

    Port 0 (the default) serves none: `arshjul up` and the deployments give
    each service its own port (9161 scheduler, 9162 sessions, 9163
    measurements, 9164 reporting). A port that is taken fails loudly.
    """
    if not settings.metrics_port:
        return MetricsEndpoint(port=None)
    try:
        server, thread = start_http_server(settings.metrics_port, addr=settings.grpc_host)
    except OSError as error:
        raise OSError(
            f"cannot serve metrics on {settings.grpc_host}:{settings.metrics_port}: {error}"
        ) from error
    port = int(server.server_address[1])
    log.info("metrics serving", service=service, port=port, path="/metrics")
    return MetricsEndpoint(port=port, _server=server, _thread=thread)
