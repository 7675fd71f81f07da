"""What the stack runs (as data) and what a running `arshjul up` started (the stack file).

The CLI's other commands find the running stack through `StackFile.load(home)`:
database URL, Kafka bootstrap and each service's gRPC address.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

import psutil
from pydantic import BaseModel, ConfigDict, ValidationError

from services.reporting.adapters.store import SCHEMA as REPORTING_SCHEMA
from services.reporting.adapters.store import TOPIC as REPORTING_TOPIC
from services.reporting.service import DEFAULT_GRPC_PORT as REPORTING_GRPC_PORT
from services.reporting.service import DEFAULT_METRICS_PORT as REPORTING_METRICS_PORT
from services.scheduler.adapters.repository import SCHEMA as SCHEDULER_SCHEMA
from services.scheduler.adapters.repository import TOPIC as SCHEDULER_TOPIC
from services.scheduler.service import DEFAULT_GRPC_PORT as SCHEDULER_GRPC_PORT
from services.scheduler.service import DEFAULT_METRICS_PORT as SCHEDULER_METRICS_PORT

__all__ = [
    "STACK_SERVICES",
    "ServiceSpec",
    "StackFile",
    "StackNotRunning",
    "StackService",
]


@dataclass(frozen=True)
class ServiceSpec:
    """One service process of the stack.

    `module` is run as `python -m <module> migrate` and `python -m <module> serve`;
    `topics` are the base names of the topics it publishes (before the prefix);
    `schema` is the PostgreSQL schema of its event store (what `arshjul replay`
    republishes), None for a service that keeps none; `metrics_port` is where
    it serves Prometheus metrics (0: `arshjul up` picks a free port).
    """

    name: str
    module: str
    grpc_port: int
    topics: tuple[str, ...]
    schema: str | None = None
    metrics_port: int = 0


STACK_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "scheduler",
        "services.scheduler",
        SCHEDULER_GRPC_PORT,
        (SCHEDULER_TOPIC,),
        SCHEDULER_SCHEMA,
        metrics_port=SCHEDULER_METRICS_PORT,
    ),
    ServiceSpec("sessions", "services.sessions", 50062, ("sessions.events",), "sessions", 9162),
    ServiceSpec(
        "measurements",
        "services.measurements",
        50063,
        ("measurements.events",),
        "measurements",
        metrics_port=9163,
    ),
    ServiceSpec(
        "reporting",
        "services.reporting",
        REPORTING_GRPC_PORT,
        (REPORTING_TOPIC,),
        REPORTING_SCHEMA,
        metrics_port=REPORTING_METRICS_PORT,
    ),
)


class StackNotRunning(RuntimeError):
    """No `arshjul up` is running for this home directory."""


_NOT_RUNNING = "the stack is not running: start it with `make run`"


class StackService(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    grpc_address: str
    pid: int
    log_file: Path
    #: host:port of its Prometheus metrics (None: it serves none).
    metrics_address: str | None = None


class StackFile(BaseModel):
    """`<home>/stack.json`: written by `arshjul up` once every service serves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database_url: str
    kafka_bootstrap: str
    services: tuple[StackService, ...]
    supervisor_pid: int
    started_at: datetime
    embedded_postgres: bool
    embedded_kafka: bool

    FILE_NAME: ClassVar[str] = "stack.json"

    @staticmethod
    def path(home: Path) -> Path:
        return home / StackFile.FILE_NAME

    def service(self, name: str) -> StackService:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(f"the running stack has no service {name!r}")

    def service_address(self, name: str) -> str:
        """The gRPC address (host:port) of service `name`."""
        return self.service(name).grpc_address

    def write(self, home: Path) -> Path:
        """Write atomically (a reader never sees half a file)."""
        target = self.path(home)
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        temporary.write_text(self.model_dump_json(indent=2) + "\n")
        temporary.replace(target)
        return target

    @classmethod
    def load(cls, home: Path) -> StackFile:
        """The running stack's file; StackNotRunning if there is none (or it is stale)."""
        target = cls.path(home)
        try:
            text = target.read_text()
        except FileNotFoundError:
            raise StackNotRunning(_NOT_RUNNING) from None
        try:
            stack = cls.model_validate_json(text)
        except ValidationError as exc:
            raise StackNotRunning(f"{_NOT_RUNNING} ({target} is unreadable: {exc})") from exc
        if not _alive(stack.supervisor_pid):
            # The supervisor was killed before it could remove its file.
            raise StackNotRunning(
                f"{_NOT_RUNNING} ({target} is stale: supervisor pid {stack.supervisor_pid} is gone)"
            )
        return stack

    @classmethod
    def remove(cls, home: Path) -> None:
        cls.path(home).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
