"""Operator commands that work on the data directly: `arshjul replay` and
`arshjul reporting rebuild`.

Both talk to PostgreSQL and Kafka themselves, not to a service's gRPC API:
the running stack's file says where they are (or, with no stack running,
DATABASE_URL and KAFKA_BOOTSTRAP, as in a real deployment).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from arshjul.client import console, err
from arshjul.stack import STACK_SERVICES, ServiceSpec, StackFile, StackNotRunning
from services.reporting.adapters.rebuild import RebuildProgress
from services.reporting.adapters.rebuild import rebuild as rebuild_projection
from services.reporting.projections import PROJECTIONS, get_projection
from services.reporting.projections.base import Projection
from shared.db import create_engine
from shared.errors import DomainError
from shared.kafka import bootstrap, connection_options, make_broker, topic
from shared.kafka_admin import ensure_topics
from shared.replay import replay as replay_store
from shared.settings import Settings

T = TypeVar("T")

reporting_app = typer.Typer(no_args_is_help=True, help="Reporting read models.")


class RateColumn(ProgressColumn):
    """Events per second over the last half minute."""

    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text(f"{speed:,.0f}/s" if speed else "–/s", style="cyan")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[note]}"),
        console=console,
    )


def stack_settings() -> Settings:
    """The settings with the running stack's database and broker."""
    settings = Settings()
    try:
        stack = StackFile.load(settings.home)
    except StackNotRunning:
        if settings.database_url and settings.kafka_bootstrap:
            return settings
        raise
    update: dict[str, object] = {
        "database_url": stack.database_url,
        "kafka_bootstrap": stack.kafka_bootstrap,
    }
    if stack.embedded_kafka:
        update["kafka_idempotence"] = False
    return settings.model_copy(update=update)


def _run(work: Callable[[Settings], Coroutine[Any, Any, T]], *, cancelled: str) -> T:
    """Run `work` against the stack; errors are printed, Ctrl-C exits 130."""
    try:
        return asyncio.run(work(stack_settings()))
    except StackNotRunning as error:
        err.print(f"[red]{error}[/red] (or set DATABASE_URL and KAFKA_BOOTSTRAP)")
        raise typer.Exit(1) from None
    except DomainError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err.print(f"[yellow]cancelled[/yellow]: {cancelled}")
        raise typer.Exit(130) from None


def _replayable() -> dict[str, ServiceSpec]:
    """The services with an event store and the one topic it is published to."""
    return {
        spec.name: spec
        for spec in STACK_SERVICES
        if spec.schema is not None and len(spec.topics) == 1
    }


def replay(
    service: Annotated[
        list[str] | None,
        typer.Option(help="A service whose event store to republish (repeatable)."),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Every service with an event store.")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Events per acknowledged batch.")] = 1000,
) -> None:
    """Republish services' event stores to their topics, in order.

    For after an embedded broker restart; consumers skip what they have already seen.
    """
    known = _replayable()
    names = list(known) if every else list(service or [])
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        err.print(
            f"[red]--service wants one of {', '.join(known)}"
            + (f", not {', '.join(unknown)}" if unknown else "")
            + " (or --all)[/red]"
        )
        raise typer.Exit(2)
    for name in names:
        _run(
            functools.partial(_replay, spec=known[name], batch_size=batch_size),
            cancelled="replay again: consumers skip the events they have already seen",
        )


async def _replay(settings: Settings, *, spec: ServiceSpec, batch_size: int) -> None:
    assert spec.schema is not None
    target = topic(settings, spec.topics[0])
    await ensure_topics(
        bootstrap(settings),
        [target],
        settings.topic_partitions,
        client_options=connection_options(settings),
    )
    engine = create_engine(settings, pool_size=2)
    broker = make_broker(settings)
    await broker.connect()
    try:
        with _progress() as progress:
            task = progress.add_task(f"replay {spec.name}", total=None, note="")

            def show(published: int, total: int) -> None:
                progress.update(task, completed=published, total=total)

            result = await replay_store(
                engine, spec.schema, broker, target, batch_size=batch_size, on_progress=show
            )
    finally:
        await broker.stop()
        await engine.dispose()
    console.print(f"replayed {result.published:,} events of {spec.schema}.events → {target}")
    if not result.held_relay_lock:
        console.print(
            f"{spec.name}'s relay was publishing meanwhile: harmless on a topic that kept its "
            "history; on a fresh topic, its newest events may have gone out before the replay's"
        )


@reporting_app.command("rebuild")
def rebuild(
    projection: Annotated[
        str | None, typer.Option(help="Only this projection (default: every one).")
    ] = None,
    fresh: Annotated[
        bool, typer.Option(help="Discard what a cancelled rebuild left and start over.")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Records per transaction.")] = 5000,
) -> None:
    """Rebuild read models from the earliest offsets and swap them in.

    Each is filled into a shadow schema while the live one keeps serving, then
    swapped in in one transaction. Ctrl-C cancels; the same command resumes.
    """
    try:
        chosen = [get_projection(projection)] if projection else list(PROJECTIONS)
    except KeyError as error:
        err.print(f"[red]{error.args[0]}[/red]")
        raise typer.Exit(2) from None
    if not chosen:
        err.print("[red]no projections are registered[/red]")
        raise typer.Exit(1)
    for one in chosen:
        _run(
            functools.partial(_rebuild, projection=one, fresh=fresh, batch_size=batch_size),
            cancelled=f"the shadow schema keeps what {one.name}'s rebuild did; "
            "the same command resumes it",
        )


async def _rebuild(
    settings: Settings, *, projection: Projection, fresh: bool, batch_size: int
) -> None:
    engine = create_engine(settings, pool_size=2)
    try:
        with _progress() as progress:
            task = progress.add_task(f"rebuild {projection.name}", total=None, note="")

            def show(report: RebuildProgress) -> None:
                note = f"{report.handled:,} new, {report.duplicates:,} seen"
                if report.resumed:
                    note += " (resumed)"
                progress.update(task, completed=report.read, total=report.total, note=note)

            result = await rebuild_projection(
                settings,
                engine,
                projection,
                batch_size=batch_size,
                fresh=fresh,
                on_progress=show,
            )
    finally:
        await engine.dispose()
    console.print(
        f"{result.projection}: rebuilt from {result.read:,} records "
        f"({result.handled:,} events) in {result.seconds:.1f} s and swapped in"
    )
