"""`GET /metrics`: Prometheus text, built per scrape from the database by a custom collector
(a fresh registry each time, nothing registered at import time).

No workspace labels: the endpoint needs no sign-in, so it says how the service is doing,
never whose incidents they are.
"""

from collections.abc import Iterator, Mapping
from typing import Any

import anyio.to_thread
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.fsm import Status
from core.metrics import MEASURES
from core.severity import Severity
from services import ops_metrics
from store.db import Database
from store.types import utcnow

LATENCY_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class DatabaseCollector(Collector):
    def __init__(self, snapshot: ops_metrics.OpsSnapshot) -> None:
        self.snap = snapshot

    def collect(self) -> Iterator[Metric]:
        snap = self.snap
        incidents = GaugeMetricFamily("vigilo_incidents", "Incidents by status and severity",
                                      labels=["status", "severity"])
        for status in Status:
            for sev in Severity:
                incidents.add_metric([status.value, sev.value],
                                     snap.incidents.get((status.value, sev.value), 0))
        yield incidents
        for measure in MEASURES:
            family = GaugeMetricFamily(
                f"vigilo_time_to_{measure}_seconds",
                f"Time from detection to {measure} (median and p90, incidents detected in "
                "the period)", labels=["period", "severity", "quantile"])
            for days, by_sev in snap.stats.figures.items():
                for level, figures in by_sev.items():
                    fig = figures[measure]
                    for quantile, value in (("0.5", fig.median), ("0.9", fig.p90)):
                        if value is not None:
                            family.add_metric([f"{days}d", level, quantile], value)
            yield family
        yield gauge("vigilo_outbox_effects", "Side effects waiting or dead",
                    ["integration", "status"], snap.outbox)
        yield gauge("vigilo_outbox_oldest_pending_seconds",
                    "Age of the oldest pending side effect", ["integration"],
                    snap.oldest_pending)
        latency = HistogramMetricFamily(
            "vigilo_delivery_latency_seconds",
            "Recorded → delivered, effects delivered in the last hour", labels=["integration"])
        for name, values in sorted(snap.latencies.items()):
            buckets = [(str(b), sum(v <= b for v in values)) for b in LATENCY_BUCKETS]
            buckets.append(("+Inf", len(values)))
            latency.add_metric([name], buckets, sum(values))
        yield latency
        yield gauge("vigilo_rate_limited_recent",
                    "Deliveries rate-limited (HTTP 429) in the last hour", ["integration"],
                    snap.rate_limited)
        yield gauge("vigilo_inbox_lag_seconds",
                    "Age of the oldest inbound delivery not processed yet", ["source"],
                    snap.inbox_lag)


def gauge(name: str, documentation: str, labels: list[str],
          values: Mapping[Any, float]) -> GaugeMetricFamily:
    """One gauge per key, in key order; a key is the label value, or a tuple of them."""
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key) if isinstance(key, tuple) else [key], value)
    return family


def render(db: Database) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(ops_metrics.snapshot(db, utcnow())))
    return generate_latest(registry)


def routes(db: Database) -> list[Route]:
    async def metrics(request: Request) -> Response:
        body = await anyio.to_thread.run_sync(render, db)
        return Response(body, media_type=CONTENT_TYPE_LATEST,
                        headers={"cache-control": "no-store"})

    return [Route("/metrics", metrics, methods=["GET"])]
