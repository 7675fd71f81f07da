"""Running a real service (`python -m services.<name>`) as a process in a test."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from shared.auth import TokenIssuer, load_or_create_secret
from shared.roles import Role
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def service_env(settings: Settings, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "KAFKA_BOOTSTRAP": settings.kafka_bootstrap or "",
        "ARSHJUL_HOME": str(settings.home),
        "ARSHJUL_TOPIC_PREFIX": settings.topic_prefix,
        "ARSHJUL_KAFKA_IDEMPOTENCE": "false",
        "ARSHJUL_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "ARSHJUL_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "ARSHJUL_CLOCK": settings.clock,
        "ARSHJUL_SIMULATED_CLOCK_START": settings.simulated_clock_start.isoformat(),
        "ARSHJUL_GRPC_PORT": str(port),
        "ARSHJUL_SCHEDULER_TICK_SECONDS": str(settings.scheduler_tick_seconds),
    }


def migrate(settings: Settings, service: str) -> None:
    """`python -m services.<service> migrate` against the test's database."""
    subprocess.run(
        [sys.executable, "-m", f"services.{service}", "migrate"],
        env=service_env(settings, 0),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


@dataclass
class ServiceProcess:
    """One service process; `kill()` is SIGKILL, `stop()` a clean SIGTERM."""

    service: str
    settings: Settings
    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        load_or_create_secret(self.settings.secret_file())
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"services.{self.service}", "serve"],
                env=service_env(self.settings, self.port),
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        await wait_serving(self.address, self.process, self.log, self.service)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


async def wait_serving(
    address: str,
    process: subprocess.Popen[bytes],
    log: Path,
    service: str,
    timeout: float = 30.0,
) -> None:
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"{service} exited: {log.read_text()[-3000:]}")
            try:
                reply = await health.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError(f"{service} not SERVING in {timeout} s: {log.read_text()[-3000:]}")


def token(settings: Settings, tenant: str, role: Role, unit: str | None = None) -> str:
    secret = load_or_create_secret(settings.secret_file())
    return TokenIssuer(secret, settings.jwt_issuer, settings.jwt_audience).issue(
        tenant=tenant, role=role, unit=unit
    )


class AuthorisedStub:
    """Wraps a generated stub so every call carries one caller's bearer token."""

    def __init__(self, stub: Any, bearer: str) -> None:
        self.stub = stub
        self.metadata = (("authorization", f"Bearer {bearer}"),)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.stub, name)

        async def call(request: Any) -> Any:
            return await method(request, metadata=self.metadata, timeout=60)

        return call
