"""`make bench`: client follow-up. Ratings submitted per second end to end, and the
client projection's events per second beside a raw aiokafka → asyncpg loop over
the same topic, all from one run.

- ratings: the measurements service runs as its own process on the run's
  database and broker; 8 clients submit ratings (each a command: load the follow-up,
  decide, append, commit) to follow-ups of their own; the rate counts replies,
  each after its event is committed (the relay publishes meanwhile);
- projection: BENCH_FOLLOW_UPS imported follow-ups (about 11 events each) are
  relayed to the topic; then the raw loop reads every record, decodes it and
  inserts one row per event, one transaction per batch; and the client
  projection (services/reporting/projections/clients.py) consumes the same
  records effectively once into a schema of its own. Both include the
  consumer's start (the projection's group join is about a second).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

import grpc
from rich.console import Console
from sqlalchemy.ext.asyncio import create_async_engine

from services.measurements.adapters.repository import SCHEMA, TOPIC
from services.measurements.service import MIGRATIONS
from services.reporting.projections.clients import ClientsProjection
from shared.api import measurements_pb2 as pb
from shared.api import measurements_pb2_grpc as pb_grpc
from shared.auth import TokenIssuer, load_or_create_secret
from shared.embedded.tansu import free_port
from shared.kafka import topic
from shared.kafka_admin import ensure_topics
from shared.migrations import upgrade
from shared.roles import Role
from shared.settings import Settings
from tests.bench.pipeline import projected, raw_loop, relayed
from tests.support.service import ServiceProcess

RATINGS = int(os.environ.get("BENCH_RATINGS", "4000"))
FOLLOW_UPS = int(os.environ.get("BENCH_FOLLOW_UPS", "4000"))
WRITERS = 8
WEEKS = 50  # ratings per follow-up: one per week of a goal's series
RATED = "measurements: ratings submitted, gRPC → committed event"
RAW = "measurements: raw aiokafka → asyncpg loop"
PROJECTED = "measurements: client projection (effectively once)"
console = Console()


async def _rate(stub: pb_grpc.MeasurementsStub, metadata: tuple[tuple[str, str], ...]) -> float:
    """Ratings per second: WRITERS clients, each on follow-ups of its own."""
    follow_ups = max(WRITERS, RATINGS // WEEKS)
    ids = []
    for i in range(follow_ups):
        reply = await stub.OpenFollowUp(
            pb.OpenFollowUpRequest(
                unit="bench", client=f"B-{i}", client_group="bench", opened_on="2025-05-01"
            ),
            metadata=metadata,
        )
        await stub.SetGoal(
            pb.SetGoalRequest(
                follow_up_id=reply.follow_up_id,
                goal_id="g1",
                title="Fler samtal utan konflikt",
                scale_id="veckoantal",
                set_on="2025-05-01",
            ),
            metadata=metadata,
        )
        ids.append(reply.follow_up_id)

    async def writer(mine: list[str]) -> int:
        done = 0
        for week in range(1, WEEKS + 1):
            for follow_up_id in mine:
                if done >= RATINGS // WRITERS:
                    return done
                rating = pb.Rating(
                    scale_id="veckoantal",
                    occasion="during",
                    phase="A" if week <= 10 else "B",
                    week=week,
                    goal_id="g1",
                    value=week % 7,
                    rated_on="2025-06-01",
                )
                await stub.SubmitRating(
                    pb.SubmitRatingRequest(follow_up_id=follow_up_id, rating=rating),
                    metadata=metadata,
                )
                done += 1
        return done

    started = time.perf_counter()
    done = await asyncio.gather(*(writer(ids[w::WRITERS]) for w in range(WRITERS)))
    return sum(done) / (time.perf_counter() - started)


async def _import(stub: pb_grpc.MeasurementsStub, metadata: tuple[tuple[str, str], ...]) -> None:
    for start in range(0, FOLLOW_UPS, 1000):
        rows = [
            pb.ImportRow(
                line=i,
                fields={
                    "unit": f"enhet-{i % 7}",
                    "client": f"I-{i}",
                    "opened_on": "2025-05-02",
                    "client_group": ["missbruk", "arbete", "våld"][i % 3],
                    "main_problems": "alkohol;boende",
                    "gender": ["female", "male", "other", ""][i % 4],
                    "goal": "Minska riskabel alkoholkonsumtion",
                    "goal_scale": "audit",
                    "intake_audit": str(i % 41),
                    "intake_livssituation": str(6 + i % 25),
                    "intervention": "MI-samtal",
                    "intervention_end": "2025-10-01",
                    "intervention_outcome": "completed" if i % 3 else "ended_early",
                    "exit_audit": str((i * 7) % 41),
                    "exit_livssituation": str(6 + (i * 3) % 25),
                    "exit_on": "2025-10-01",
                    "goal_outcome": ["achieved", "partly_achieved", "not_achieved"][i % 3],
                    "survey_bemotande": str(1 + i % 5),
                    "survey_insatser": str(1 + (i // 5) % 5),
                    "closed_on": "2025-10-03",
                },
            )
            for i in range(start, min(start + 1000, FOLLOW_UPS))
        ]
        await stub.ImportRecords(pb.ImportRequest(rows=rows), metadata=metadata, timeout=600)


async def bench(database_url: str, bootstrap: str) -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home),
            database_url=database_url,
            kafka_bootstrap=bootstrap,
            kafka_idempotence=False,
            kafka_session_timeout_ms=2000,
            kafka_heartbeat_interval_ms=500,
            topic_prefix=f"bm{uuid.uuid4().hex[:6]}.",
            grpc_port=free_port(),
            log_level="WARNING",
        )
        secret = load_or_create_secret(settings.secret_file())
        bearer = TokenIssuer(secret, settings.jwt_issuer, settings.jwt_audience).issue(
            tenant="1480", role=Role.FOLLOW_UP
        )
        metadata = (("authorization", f"Bearer {bearer}"),)
        name = topic(settings, TOPIC)
        await ensure_topics(bootstrap, [name], 4)
        await upgrade(database_url, MIGRATIONS, SCHEMA)
        service = ServiceProcess(
            "measurements", settings, settings.grpc_port, Path(home) / "measurements.log"
        )
        await service.start()
        engine = create_async_engine(database_url, pool_size=4)
        try:
            async with grpc.aio.insecure_channel(service.address) as channel:
                stub = pb_grpc.MeasurementsStub(channel)
                with console.status(f"submitting {RATINGS:,} ratings…"):
                    rated = await _rate(stub, metadata)
                with console.status(f"importing {FOLLOW_UPS:,} follow-ups…"):
                    await _import(stub, metadata)
            with console.status("relaying the imported events…"):
                total = await relayed(engine, SCHEMA)
            with console.status(f"raw aiokafka → asyncpg loop ({total:,} events)…"):
                raw = await raw_loop(database_url, bootstrap, name, total, "bench_measurements_raw")
            with console.status(f"client projection ({total:,} events)…"):
                rate = await projected(
                    settings, engine, ClientsProjection(), "bench_reporting_clients", total
                )
        finally:
            service.stop()
            await engine.dispose()
    console.print(
        f"measurements: {rated:,.0f} ratings/s end to end; the client projection "
        f"{rate:,.0f} events/s, {rate / raw:.0%} of the raw loop's {raw:,.0f}"
    )
    return [(RATED, rated), (RAW, raw), (PROJECTED, rate)]
