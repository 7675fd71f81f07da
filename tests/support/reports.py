"""Compiled reports in tests: reading cells, and an attacker of our own on suppressed tables.

`feasible_values` brute-forces every non-negative integer filling of a
disclosed COUNTS table's suppressed cells that agrees with every published
cell and total, independently of the code's own disclosure checks: a
suppressed cell that takes one value only in all fillings is recoverable.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from services.reporting.domain.compiled import (
    CompiledReport,
    Figure,
    SuppressedFigure,
    Table,
    TableKind,
)
from services.reporting.domain.disclosure import TOTAL, Position
from shared.api import clients_pb2 as cpb
from shared.api import clients_pb2_grpc as cpb_grpc
from shared.api import reports_pb2 as pb
from shared.api import reports_pb2_grpc as pb_grpc
from shared.embedded.tansu import free_port
from shared.kafka_admin import ensure_topics
from shared.roles import Role
from shared.settings import Settings
from tests.support import scheduler
from tests.support.measurements import Case, Measurements, send_case
from tests.support.service import AuthorisedStub, ServiceProcess, migrate, token
from tests.support.sessions import module_settings

SERVICES = ("scheduler", "sessions", "measurements", "reporting")
TOPICS = ("scheduler.events", "sessions.events", "measurements.events", "reporting.events")


def table(report: CompiledReport, table_id: str) -> Table:
    found = report.table(table_id)
    assert found is not None, (
        f"{table_id} not in {[t.table_id for s in report.sections for t in s.tables]}"
    )
    return found


def cell(report: CompiledReport, table_id: str, row: str, column: str) -> Figure:
    found = table(report, table_id).cell(row, column)
    assert isinstance(found, Figure), (table_id, row, column, found)
    return found


def value(report: CompiledReport, table_id: str, row: str, column: str) -> int:
    return cell(report, table_id, row, column).n


def hidden_cells(found: Table) -> set[tuple[str, str]]:
    """The (row key, column key) of every suppressed cell ("" for a total)."""
    return {keys_of(found, p) for p, c in found.positions() if isinstance(c, SuppressedFigure)}


def _constraints(found: Table) -> list[tuple[list[Position], Position]]:
    """Each published sum as (the positions added, the position of their total)."""
    n_rows, n_columns = len(found.rows), len(found.columns)
    sums: list[tuple[list[Position], Position]] = []
    if found.row_totals is not None:
        sums += [([(i, j) for j in range(n_columns)], (i, TOTAL)) for i in range(n_rows)]
    if found.column_totals is not None:
        sums += [([(i, j) for i in range(n_rows)], (TOTAL, j)) for j in range(n_columns)]
    if found.grand_total is not None:
        sums.append(([(TOTAL, j) for j in range(n_columns)], (TOTAL, TOTAL)))
        sums.append(([(i, TOTAL) for i in range(n_rows)], (TOTAL, TOTAL)))
    return sums


def feasible_values(found: Table) -> dict[Position, set[int]]:
    """Every value each suppressed cell takes over all consistent fillings.

    A cell on a line with a published total cannot exceed it; any other is
    tried up to twice the largest published figure plus ten, enough to show
    it is not pinned down (the search only has to find two values).
    """
    assert found.kind is TableKind.COUNTS, found.table_id
    cells = dict(found.positions())
    known = {p: c.n for p, c in cells.items() if isinstance(c, Figure)}
    unknown = sorted(p for p, c in cells.items() if isinstance(c, SuppressedFigure))
    sums = _constraints(found)
    cap = 2 * max(known.values(), default=0) + 10
    bound = {p: cap for p in unknown}
    for added, total in sums:
        if total in known:
            for p in added:
                if p in bound:
                    bound[p] = min(bound[p], known[total])
    seen: dict[Position, set[int]] = {p: set() for p in unknown}

    def consistent(filling: dict[Position, int], complete: bool) -> bool:
        for added, total in sums:
            values = [filling.get(p, known.get(p)) for p in [*added, total]]
            if all(v is not None for v in values):
                if sum(v for v in values[:-1] if v is not None) != values[-1]:
                    return False
            elif not complete and values[-1] is not None:
                partial = sum(v for v in values[:-1] if v is not None)
                if partial > values[-1]:
                    return False
        return True

    def fillings(at: int, filling: dict[Position, int]) -> Iterator[dict[Position, int]]:
        if at == len(unknown):
            if consistent(filling, complete=True):
                yield dict(filling)
            return
        position = unknown[at]
        for v in range(bound[position] + 1):
            filling[position] = v
            if consistent(filling, complete=False):
                yield from fillings(at + 1, filling)
            del filling[position]

    for solution in fillings(0, {}):
        for p, v in solution.items():
            seen[p].add(v)
    return seen


def keys_of(found: Table, position: Position) -> tuple[str, str]:
    """(row key, column key) of a position, "" for a total."""
    i, j = position
    return (
        "" if i == TOTAL else found.rows[i].key,
        "" if j == TOTAL else found.columns[j].key,
    )


def assert_nothing_recoverable(found: Table, truth: dict[tuple[str, str], int]) -> None:
    """Every suppressed cell of `found` takes at least two values over the fillings
    consistent with what is published, one of them its true value (`truth`, by
    row and column key, worked out by the test)."""
    for position, values in feasible_values(found).items():
        true = truth[keys_of(found, position)]
        assert true in values, (found.table_id, keys_of(found, position), true, values)
        assert len(values) >= 2, (
            f"{found.table_id}: the suppressed cell {keys_of(found, position)} can only be {values}"
        )


# --- driving the services ---------------------------------------------------------


@dataclass
class Stack:
    """The four services of a test, by name, and tokens for any caller."""

    settings: Settings
    channels: dict[str, grpc.aio.Channel]

    def bearer(self, tenant: str, role: Role, unit: str | None = None) -> str:
        return token(self.settings, tenant, role, unit)

    def reports(
        self, tenant: str, role: Role, unit: str | None = None, channel: str = "reporting"
    ) -> Any:
        return AuthorisedStub(
            pb_grpc.ReportsStub(self.channels[channel]), self.bearer(tenant, role, unit)
        )

    def stream(self, tenant: str, role: Role, request: pb.StreamRegionReportsRequest) -> Any:
        stub = pb_grpc.ReportsStub(self.channels["reporting"])
        metadata = (("authorization", f"Bearer {self.bearer(tenant, role)}"),)
        return stub.StreamRegionReports(request, metadata=metadata, timeout=60)

    def measurements(self, tenant: str, role: Role, unit: str | None = None) -> Measurements:
        return Measurements(self.channels["measurements"], self.bearer(tenant, role, unit))

    def scheduler(self, tenant: str, role: Role, unit: str | None = None) -> Any:
        return scheduler.Client(self.channels["scheduler"], self.bearer(tenant, role, unit))


@contextlib.asynccontextmanager
async def running_stack(settings: Settings, home: Path) -> AsyncIterator[Stack]:
    """The four services as processes on `settings`, their topics made first; stopped after."""
    assert settings.kafka_bootstrap
    await ensure_topics(
        settings.kafka_bootstrap, [f"{settings.topic_prefix}{t}" for t in TOPICS], 4
    )
    processes = {
        name: ServiceProcess(name, settings, free_port(), home / f"{name}.log") for name in SERVICES
    }
    channels: dict[str, grpc.aio.Channel] = {}
    try:
        for name, process in processes.items():
            migrate(settings, name)
            await process.start()
            channels[name] = grpc.aio.insecure_channel(process.address)
        yield Stack(settings, channels)
    finally:
        for channel in channels.values():
            await channel.close()
        for process in processes.values():
            process.stop()


@contextlib.asynccontextmanager
async def stack_with_cases(
    postgres_admin_url: str,
    kafka_bootstrap: str,
    home: Path,
    clock_start: datetime,
    cases: Mapping[str, Sequence[Case]],
) -> AsyncIterator[Stack]:
    """A module's whole stack, on the simulated clock from `clock_start`, with
    each tenant's cases sent through measurements by its follow-up role."""
    async with (
        module_settings(
            postgres_admin_url,
            kafka_bootstrap,
            home,
            simulated_clock_start=clock_start,
            scheduler_tick_seconds=0.2,
        ) as settings,
        running_stack(settings, home) as stack,
    ):
        for tenant, tenant_cases in cases.items():
            client = stack.measurements(tenant, Role.FOLLOW_UP)
            for one in tenant_cases:
                await send_case(client, one, tenant)
        yield stack


async def clients_projected(stack: Stack, tenant: str, events: int, years: Sequence[int]) -> None:
    """Wait until the clients read model holds `events` events of the tenant in `years`."""
    reports = AuthorisedStub(
        cpb_grpc.ClientReportsStub(stack.channels["reporting"]),
        stack.bearer(tenant, Role.FOLLOW_UP),
    )

    async def done() -> bool:
        got = 0
        for year in years:
            got += (
                await reports.GetClientReport(cpb.ClientReportRequest(tenant=tenant, year=year))
            ).events
        return bool(got == events)

    await eventually(done, f"{events} events of {tenant} projected")


async def get_report(
    stack: Stack,
    tenant: str,
    role: Role,
    scope: str,
    year: int,
    *,
    unit: str | None = None,
    municipality: str = "",
    version: int = 0,
    channel: str = "reporting",
) -> tuple[pb.RenderedReport, CompiledReport]:
    """A compiled report as JSON, as `role` of `tenant` reads it, and its model."""
    rendered = await stack.reports(tenant, role, unit, channel=channel).GetReport(
        pb.GetReportRequest(
            report=pb.ReportRef(scope=scope, municipality=municipality, year=year, version=version)
        )
    )
    assert rendered.media_type == "application/json"
    return rendered, CompiledReport.model_validate_json(rendered.content)


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.2)


async def refused(call: Awaitable[Any], code: grpc.StatusCode, field: str | None = None) -> str:
    """The call fails with `code` (its message naming `field`); its message."""
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    assert raised.value.code() == code, raised.value.details()
    details = raised.value.details() or ""
    if field is not None:
        assert details.startswith(f"{field}:"), details
    return details
