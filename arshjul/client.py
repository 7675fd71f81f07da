"""How the CLI's commands reach a service: the running stack's address, a token, one call.

Every command module uses `call(service, stub_class, as_, bearer, rpc)`; a
gRPC error is printed as `CODE: details` and exits 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import grpc
import typer
from rich.console import Console

from shared.auth import issuer_from_settings
from shared.errors import DomainError
from shared.roles import Role
from shared.settings import Settings

T = TypeVar("T")
Metadata = tuple[tuple[str, str], ...]

console = Console()
err = Console(stderr=True)

TokenOption = Annotated[
    str | None,
    typer.Option(envvar="ARSHJUL_TOKEN", help="Bearer token (default: mint one from --as)."),
]
AsOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="Mint a token locally (embedded default only): TENANT:ROLE[:UNIT], "
        "e.g. 1480:follow_up or 1480:unit_manager:ifo-vuxen.",
    ),
]


def call(
    service: str,
    stub_class: Callable[[grpc.aio.Channel], Any],
    as_: str,
    bearer: str | None,
    rpc: Callable[[Any, Metadata], Awaitable[T]],
) -> T:
    """Run one RPC against the running stack's `service` as the given caller."""
    from arshjul.stack import StackFile

    settings = Settings()
    address = StackFile.load(settings.home).service_address(service)
    metadata = (("authorization", f"Bearer {bearer or mint(settings, as_)}"),)

    async def run() -> T:
        async with grpc.aio.insecure_channel(address) as channel:
            return await rpc(stub_class(channel), metadata)

    try:
        return asyncio.run(run())
    except grpc.aio.AioRpcError as error:
        err.print(f"[red]{error.code().name}[/red]: {error.details()}")
        raise typer.Exit(1) from None


def mint(settings: Settings, as_: str) -> str:
    """`TENANT:ROLE[:UNIT]`; a region tenant is `region:NN`, so split from the right."""
    parts = as_.split(":")
    if parts[0] == "region" and len(parts) >= 3:
        parts = [f"region:{parts[1]}", *parts[2:]]
    if len(parts) not in (2, 3):
        err.print(f"[red]--as wants TENANT:ROLE[:UNIT], not {as_!r}[/red]")
        raise typer.Exit(2)
    try:
        return issuer_from_settings(settings).issue(
            tenant=parts[0], role=Role(parts[1]), unit=parts[2] if len(parts) == 3 else None
        )
    except (DomainError, ValueError) as error:
        err.print(f"[red]--as {as_}: {error}[/red]")
        raise typer.Exit(2) from None
