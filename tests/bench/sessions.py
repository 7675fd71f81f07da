"""`make bench`: knowledge follow-up. Sessions recorded per second end to end, and
the knowledge projection's events per second beside a raw aiokafka → asyncpg
loop over the same topic, all from one run.

- sessions: the sessions service runs as its own process on the run's database
  and broker; 8 clients record sessions (each a command: load the work group
  with its sessions, check the session against the members and relevant parts
  on its date, append, commit) to work groups of their own; the rate counts
  replies, each after its event is committed (the relay publishes meanwhile);
- projection: once the outbox is empty, the raw loop reads every record of
  the topic, decodes it and inserts one row per event, one transaction per
  batch; then the knowledge projection (services/reporting/projections/
  knowledge.py) consumes the same records effectively once into a schema of
  its own, recomputing each touched group's figures per batch. Both include
  the consumer's start (the projection's group join is about a second).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import grpc
from rich.console import Console
from sqlalchemy.ext.asyncio import create_async_engine

from services.reporting.projections.knowledge import KnowledgeProjection
from services.sessions.adapters.repository import SCHEMA, TOPIC
from services.sessions.service import MIGRATIONS
from shared.api import sessions_pb2 as pb
from shared.api import sessions_pb2_grpc as pb_grpc
from shared.auth import TokenIssuer, load_or_create_secret
from shared.embedded.tansu import free_port
from shared.kafka import topic
from shared.kafka_admin import ensure_topics
from shared.migrations import upgrade
from shared.roles import Role
from shared.settings import Settings
from tests.bench.pipeline import projected, raw_loop, relayed
from tests.support.service import ServiceProcess

SESSIONS = int(os.environ.get("BENCH_SESSIONS", "2000"))
WRITERS = 8
GROUPS = 200
MEMBERS = 8
PARTS = ("flyttningsforbud", "utreseforbud", "umgange", "omedelbart")
RECORDED = "sessions: recorded, gRPC → committed event"
RAW = "sessions: raw aiokafka → asyncpg loop"
PROJECTED = "sessions: knowledge projection (effectively once)"
console = Console()
Metadata = tuple[tuple[str, str], ...]


async def _groups(stub: pb_grpc.SessionsStub, metadata: Metadata) -> list[str]:
    ids = []
    for g in range(GROUPS):
        group = f"bench-{g}"
        await stub.FormWorkGroup(
            pb.FormWorkGroupRequest(
                work_group_id=group, unit=f"enhet-{g % 5}", name=group, forums=["apt"]
            ),
            metadata=metadata,
        )
        for m in range(MEMBERS):
            await stub.JoinWorkGroup(
                pb.JoinWorkGroupRequest(
                    work_group_id=group,
                    member_id=f"m{m}",
                    display_name=f"Medarbetare {m}",
                    joined_on="2025-04-01",
                ),
                metadata=metadata,
            )
        await stub.ChooseRelevantParts(
            pb.ChooseRelevantPartsRequest(
                work_group_id=group, parts=list(PARTS), valid_from="2025-04-01"
            ),
            metadata=metadata,
        )
        ids.append(group)
    return ids


def _session(n: int) -> pb.SessionContent:
    members = [f"m{m}" for m in range(MEMBERS)]
    part = PARTS[n % len(PARTS)]
    return pb.SessionContent(
        held_on=(date(2025, 5, 6) + timedelta(days=7 * (n % 50))).isoformat(),
        forum="apt",
        participants=members,
        taken_part=[
            pb.PartUptake(
                member_id=m,
                part=part,
                taken_part=(i + n) % 3 != 0,
                plan="" if (i + n) % 3 else "Läser till nästa APT",
            )
            for i, m in enumerate(members)
        ],
        cases=[pb.PartCases(part=part, cases=n % 4)],
        practice=[pb.PracticeChange(part=part, changed=n % 2 == 0, description="Ny rutin")],
        in_depth=[pb.InDepthKnowledge(member_id="m0", parts=[part])],
    )


async def _record(stub: pb_grpc.SessionsStub, metadata: Metadata, groups: list[str]) -> float:
    """Sessions per second: WRITERS clients, each on work groups of its own."""

    async def writer(mine: list[str], count: int) -> int:
        for n in range(count):
            await stub.RecordSession(
                pb.RecordSessionRequest(work_group_id=mine[n % len(mine)], session=_session(n)),
                metadata=metadata,
            )
        return count

    started = time.perf_counter()
    done = await asyncio.gather(
        *(writer(groups[w::WRITERS], SESSIONS // WRITERS) for w in range(WRITERS))
    )
    return sum(done) / (time.perf_counter() - started)


async def bench(database_url: str, bootstrap: str) -> list[tuple[str, float]]:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(
            home=Path(home),
            database_url=database_url,
            kafka_bootstrap=bootstrap,
            kafka_idempotence=False,
            kafka_session_timeout_ms=2000,
            kafka_heartbeat_interval_ms=500,
            topic_prefix=f"bs{uuid.uuid4().hex[:6]}.",
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
        service = ServiceProcess("sessions", settings, settings.grpc_port, Path(home) / "s.log")
        await service.start()
        engine = create_async_engine(database_url, pool_size=4)
        try:
            async with grpc.aio.insecure_channel(service.address) as channel:
                stub = pb_grpc.SessionsStub(channel)
                with console.status(f"forming {GROUPS} work groups…"):
                    groups = await _groups(stub, metadata)
                with console.status(f"recording {SESSIONS:,} sessions…"):
                    recorded = await _record(stub, metadata, groups)
            with console.status("relaying the sessions…"):
                total = await relayed(engine, SCHEMA)
            with console.status(f"raw aiokafka → asyncpg loop ({total:,} events)…"):
                raw = await raw_loop(database_url, bootstrap, name, total, "bench_sessions_raw")
            with console.status(f"knowledge projection ({total:,} events)…"):
                knowledge = KnowledgeProjection()
                # Only the sessions topic: the bench publishes no scheduler events.
                knowledge.topics = (TOPIC,)
                rate = await projected(
                    settings, engine, knowledge, "bench_reporting_knowledge", total
                )
        finally:
            service.stop()
            await engine.dispose()
    console.print(
        f"sessions: {recorded:,.0f} sessions/s end to end; the knowledge projection "
        f"{rate:,.0f} events/s, {rate / raw:.0%} of the raw loop's {raw:,.0f}"
    )
    return [(RECORDED, recorded), (RAW, raw), (PROJECTED, rate)]
