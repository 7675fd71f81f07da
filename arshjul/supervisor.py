"""`arshjul up`: start the whole stack, show where it is, stop it all on Ctrl-C.

Order of start: lock, signing secret, PostgreSQL (embedded unless
DATABASE_URL is set), Kafka (embedded Tansu unless KAFKA_BOOTSTRAP is set),
topics, each service's migrations, the services; then the stack file. Stop
runs in reverse. Every child runs in its own process group (so a terminal's
Ctrl-C reaches only the supervisor, which stops them in order) and is bound
to the supervisor's life (PR_SET_PDEATHSIG), so even a SIGKILLed supervisor
leaves no service or broker behind; an embedded PostgreSQL is daemonised by
`pg_ctl` and is simply reused by the next `up`.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import grpc
import psutil
from grpc_health.v1 import health_pb2, health_pb2_grpc
from pydantic import AliasChoices
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import text as sql

import arshjul
from arshjul.stack import STACK_SERVICES, ServiceSpec, StackFile, StackService
from services.reporting.adapters.read_models import SCHEMA_PREFIX as READ_MODEL_SCHEMA_PREFIX
from shared.auth import load_or_create_secret
from shared.db import create_engine
from shared.embedded import die_with_parent
from shared.embedded.postgres import EmbeddedPostgres, EmbeddedPostgresError
from shared.embedded.tansu import EmbeddedTansu, EmbeddedTansuError, free_port, port_is_free
from shared.kafka import connection_options, make_broker, topic
from shared.kafka_admin import KafkaAdminError, ensure_topics
from shared.replay import replay
from shared.settings import Settings

__all__ = ["EMBEDDED_KAFKA_PORT", "up"]

EMBEDDED_KAFKA_PORT = 19092
HEALTH_TIMEOUT_S = 30.0
MIGRATE_TIMEOUT_S = 300.0
KAFKA_TIMEOUT_S = 60.0
SERVICE_STOP_GRACE_S = 10.0

# Client settings for the embedded broker: Tansu has no idempotent producer,
# and a short session timeout makes group joins take ~1 s instead of ~5 s.
EMBEDDED_KAFKA_ENV = {
    "ARSHJUL_KAFKA_IDEMPOTENCE": "false",
    "ARSHJUL_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "ARSHJUL_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
}

# The directory holding the `arshjul`, `services` and `shared` packages: put on
# the services' PYTHONPATH so `python -m services.x` works from any directory.
_PROJECT_ROOT = Path(arshjul.__file__).resolve().parent.parent

T = TypeVar("T")


def up(
    settings: Settings,
    services: Sequence[ServiceSpec] = STACK_SERVICES,
    *,
    console: Console | None = None,
) -> int:
    """Run the stack until SIGINT/SIGTERM (0) or a failure (1); return the exit code."""
    console = console or Console()
    home = settings.home.expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    lock_path = home / "up.lock"
    lock = _Lock.acquire(lock_path)
    if isinstance(lock, str):
        console.print(
            Text(
                f"another `arshjul up` is already running for {home} ({lock}); "
                "stop it first (Ctrl-C in its terminal)",
                style="red",
            )
        )
        return 1
    try:
        # Anything here is stale: we hold the lock, so no other `up` wrote it.
        StackFile.remove(home)
        secret_file = settings.secret_file().expanduser().resolve()
        load_or_create_secret(secret_file)
        supervisor = _Supervisor(settings, home, secret_file, list(services), console)
        return asyncio.run(supervisor.run())
    finally:
        StackFile.remove(home)
        lock.release()


@dataclass
class _Lock:
    """An flock on `<home>/up.lock`; the file holds the owner's pid for messages."""

    path: Path
    fd: int

    @classmethod
    def acquire(cls, path: Path) -> _Lock | str:
        """The lock, or a description of its holder when another process has it."""
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode(errors="replace").strip()
                os.close(fd)
                return f"pid {holder}" if holder else f"lock {path}"
            # The holder removes the file when it stops: if it did so between
            # our open and our flock, we locked a file nobody else will see.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(path))
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                return cls(path, fd)
            os.close(fd)

    def release(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(self.fd), os.stat(self.path)):
                self.path.unlink()
        os.close(self.fd)


class _UpFailed(Exception):
    """Start-up failed; the message tells the user why."""


class _Interrupted(Exception):
    """A stop was requested while starting."""


@dataclass
class _Service:
    spec: ServiceSpec
    address: str
    log_file: Path
    log_start: int = 0
    process: asyncio.subprocess.Process | None = None
    descendants: list[psutil.Process] = field(default_factory=list)


class _Supervisor:
    def __init__(
        self,
        settings: Settings,
        home: Path,
        secret_file: Path,
        services: list[ServiceSpec],
        console: Console,
    ) -> None:
        self.settings = settings
        self.home = home
        self.secret_file = secret_file
        self.console = console
        self.logs = home / "logs"
        host = _connect_host(settings.grpc_host)
        self.services = [
            _Service(spec, f"{host}:{spec.grpc_port}", self.logs / f"{spec.name}.log")
            for spec in services
        ]
        self.metrics_ports = {spec.name: spec.metrics_port or free_port() for spec in services}
        self.metrics_host = host
        self.postgres: EmbeddedPostgres | None = None
        self.tansu: EmbeddedTansu | None = None
        self.database_url = ""
        self.kafka_bootstrap = ""
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        self._stop_signal: str | None = None

    # -- the whole run ---------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)
        try:
            try:
                await self._start()
            except _Interrupted:
                self._say(f"{self._stop_signal} during start-up: stopping what was started")
                return 0
            except _UpFailed as exc:
                self._say(f"arshjul up failed: {exc}", style="red")
                return 1
            self._write_stack_file()
            self._print_endpoints()
            return await self._watch()
        finally:
            await self._stop_everything()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self._stop.is_set():
            # A second Ctrl-C: do not wait out the services' grace period.
            self._force.set()
            self._say(f"{sig.name} again: killing what is left", style="yellow")
            return
        self._stop_signal = sig.name
        self._stop.set()

    def _say(self, message: str, style: str = "") -> None:
        # Text, not markup: messages quote logs and URLs with brackets in them.
        self.console.print(Text(message, style=style))

    # -- start -----------------------------------------------------------------

    async def _start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self._say(f"Årshjul: starting the stack in {self.home}", style="bold")
        await self._start_postgres()
        self._check_stop()
        await self._start_kafka()
        self._check_stop()
        await self._create_topics()
        for service in self.services:
            self._check_stop()
            await self._migrate(service)
        self._check_stop()
        if self.tansu is not None:
            await self._restore_embedded_topics()
            self._check_stop()
        for service in self.services:
            await self._spawn(service)
        await self._wait_all_serving()

    async def _restore_embedded_topics(self) -> None:
        """Refill the embedded broker's topics from the event stores.

        Tansu keeps topics in memory, so every start begins with empty topics
        while the event stores in pgdata keep their history. Every stored event
        is republished in order (consumers de-duplicate by event id), and the
        reporting read models are dropped: their stored offsets belong to the
        old topics, so they are projected again from the new topics' start.
        """
        settings = self.settings.model_copy(
            update={
                "database_url": self.database_url,
                "kafka_bootstrap": self.kafka_bootstrap,
                "kafka_idempotence": False,
            }
        )
        engine = create_engine(settings, pool_size=2)
        broker = make_broker(settings)
        await broker.connect()
        try:
            for spec in (service.spec for service in self.services):
                if spec.schema is None:
                    continue
                for base in spec.topics:
                    result = await replay(engine, spec.schema, broker, topic(settings, base))
                    if result.published:
                        self._say(f"Replayed: {result.published} events of {spec.name}")
            async with engine.begin() as conn:
                found = await conn.execute(
                    sql(
                        "SELECT nspname FROM pg_namespace "
                        "WHERE left(nspname, length(:prefix)) = :prefix ORDER BY nspname"
                    ),
                    {"prefix": READ_MODEL_SCHEMA_PREFIX},
                )
                for (schema,) in found.all():
                    await conn.execute(sql(f'DROP SCHEMA "{schema}" CASCADE'))
        finally:
            await broker.stop()
            await engine.dispose()

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise _Interrupted

    async def _start_postgres(self) -> None:
        if self.settings.database_url:
            self.database_url = self.settings.database_url
            self._say("PostgreSQL: using DATABASE_URL")
            return
        self.postgres = EmbeddedPostgres(self.home / "pgdata")
        started = time.monotonic()
        try:
            with self.console.status("starting embedded PostgreSQL"):
                # initdb on a new directory takes about a second: keep the
                # loop (and so the signal handlers) free meanwhile.
                self.database_url = await asyncio.to_thread(self.postgres.start)
        except EmbeddedPostgresError as exc:
            raise _UpFailed(str(exc)) from exc
        self._say(
            f"PostgreSQL: embedded in {self.postgres.data_dir} ({time.monotonic() - started:.1f} s)"
        )

    async def _start_kafka(self) -> None:
        if self.settings.kafka_bootstrap:
            self.kafka_bootstrap = self.settings.kafka_bootstrap
            self._say(f"Kafka: using KAFKA_BOOTSTRAP={self.kafka_bootstrap}")
            return
        port = EMBEDDED_KAFKA_PORT if port_is_free(EMBEDDED_KAFKA_PORT) else free_port()
        self.tansu = EmbeddedTansu(port, log_file=self.logs / "tansu.log")
        try:
            # On this (the loop's) thread, not a worker: the broker's
            # parent-death signal is tied to the thread that spawned it.
            self.kafka_bootstrap = self.tansu.start()
        except EmbeddedTansuError as exc:
            raise _UpFailed(str(exc)) from exc
        self._say(f"Kafka: embedded Tansu broker on {self.kafka_bootstrap} (in-memory)")

    async def _create_topics(self) -> None:
        topics = [
            topic(self.settings, base) for service in self.services for base in service.spec.topics
        ]
        if not topics:
            return
        try:
            await self._unless_stopped(
                ensure_topics(
                    self.kafka_bootstrap,
                    topics,
                    self.settings.topic_partitions,
                    client_options=connection_options(self.settings),
                ),
                KAFKA_TIMEOUT_S,
            )
        except TimeoutError as exc:
            raise _UpFailed(
                f"Kafka at {self.kafka_bootstrap} did not answer within {KAFKA_TIMEOUT_S:.0f} s"
            ) from exc
        except (KafkaAdminError, OSError) as exc:
            raise _UpFailed(
                f"could not create the topics on {self.kafka_bootstrap}: {exc}"
            ) from exc
        self._say(f"Topics: {', '.join(topics)} ({self.settings.topic_partitions} partitions)")

    async def _migrate(self, service: _Service) -> None:
        spec = service.spec
        started = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            spec.module,
            "migrate",
            env=self._service_env(spec),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        try:
            with self.console.status(f"migrating {spec.name}"):
                stdout, stderr = await self._unless_stopped(
                    process.communicate(), MIGRATE_TIMEOUT_S
                )
        except TimeoutError as exc:
            raise _UpFailed(
                f"migrations of {spec.name} did not finish within {MIGRATE_TIMEOUT_S:.0f} s"
            ) from exc
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        with service.log_file.open("ab") as log:
            log.write(_banner(f"{spec.module} migrate (exit {process.returncode})"))
            log.write(stdout + stderr)
        if process.returncode != 0:
            output = (stderr or stdout).decode(errors="replace").strip()
            raise _UpFailed(
                f"migrations of {spec.name} failed (`python -m {spec.module} migrate` "
                f"exited with {process.returncode}):\n{_last_lines(output, 40)}"
            )
        self._say(f"Migrations: {spec.name} up to date ({time.monotonic() - started:.1f} s)")

    async def _spawn(self, service: _Service) -> None:
        spec = service.spec
        if _port_in_use(self.settings.grpc_host, spec.grpc_port):
            # A health check would then succeed against whatever listens there.
            raise _UpFailed(
                f"port {spec.grpc_port} for {spec.name} is already in use "
                "(another stack, or a service left running?)"
            )
        with service.log_file.open("ab") as log:
            log.write(_banner(f"{spec.module} serve"))
            service.log_start = log.tell()
            service.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                spec.module,
                "serve",
                env=self._service_env(spec),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )

    async def _wait_all_serving(self) -> None:
        started = time.monotonic()
        pending = {service.spec.name for service in self.services}
        with self.console.status("") as status:

            def show() -> None:
                status.update(f"waiting for {', '.join(sorted(pending))} to report SERVING")

            show()

            async def one(service: _Service) -> None:
                await self._wait_serving(service)
                pending.discard(service.spec.name)
                self._say(
                    f"Service: {service.spec.name} serving on {service.address} "
                    f"({time.monotonic() - started:.1f} s)"
                )
                show()

            tasks = [asyncio.ensure_future(one(service)) for service in self.services]
            try:
                await self._unless_stopped(asyncio.gather(*tasks), None)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    async def _wait_serving(self, service: _Service) -> None:
        assert service.process is not None
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        last = "no answer yet"
        async with self._channel(service.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                if service.process.returncode is not None:
                    raise _UpFailed(
                        f"{service.spec.name} exited with code {service.process.returncode} "
                        f"while starting; its log ({service.log_file}):\n{self._log_tail(service)}"
                    )
                try:
                    reply = await stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=1.0)
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        return
                    last = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
                except grpc.aio.AioRpcError as exc:
                    last = exc.code().name
                if time.monotonic() > deadline:
                    raise _UpFailed(
                        f"{service.spec.name} did not report SERVING on {service.address} within "
                        f"{HEALTH_TIMEOUT_S:.0f} s (last: {last}); its log ({service.log_file}):\n"
                        f"{self._log_tail(service)}"
                    )
                await asyncio.sleep(0.1)

    def _channel(self, address: str) -> Any:
        if self.settings.grpc_tls_cert is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=self.settings.grpc_tls_cert.read_bytes()
            )
            return grpc.aio.secure_channel(address, credentials)
        return grpc.aio.insecure_channel(address)

    async def _unless_stopped(self, work: Awaitable[T], timeout: float | None) -> T:
        """Await `work`, giving up with _Interrupted on a stop request or TimeoutError."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait(
                {task, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if stopper in done:
            raise _Interrupted
        raise TimeoutError

    # -- running ---------------------------------------------------------------

    def _write_stack_file(self) -> None:
        stack = StackFile(
            database_url=self.database_url,
            kafka_bootstrap=self.kafka_bootstrap,
            services=tuple(
                StackService(
                    name=service.spec.name,
                    grpc_address=service.address,
                    pid=service.process.pid if service.process else 0,
                    log_file=service.log_file,
                    metrics_address=f"{self.metrics_host}:{self.metrics_ports[service.spec.name]}",
                )
                for service in self.services
            ),
            supervisor_pid=os.getpid(),
            started_at=datetime.now(UTC),
            embedded_postgres=self.postgres is not None,
            embedded_kafka=self.tansu is not None,
        )
        path = stack.write(self.home)
        # It may carry a database password.
        path.chmod(0o600)

    def _print_endpoints(self) -> None:
        table = Table(title="Årshjul is running", title_justify="left")
        # Fold, not ellipsis: a cut URL or path is useless to copy.
        table.add_column("Service", overflow="fold")
        table.add_column("gRPC address", overflow="fold")
        table.add_column("Metrics", overflow="fold")
        table.add_column("Log", overflow="fold")
        for service in self.services:
            metrics = f"http://{self.metrics_host}:{self.metrics_ports[service.spec.name]}/metrics"
            table.add_row(service.spec.name, service.address, metrics, str(service.log_file))
        table.add_section()
        table.add_row("PostgreSQL", _without_password(self.database_url), "", "")
        table.add_row(
            "Kafka",
            self.kafka_bootstrap,
            "",
            str(self.tansu.log_file) if self.tansu and self.tansu.log_file else "",
        )
        self.console.print(table)
        self._say(f"Stack file: {StackFile.path(self.home)}. Ctrl-C stops everything.")

    async def _watch(self) -> int:
        exits = {
            asyncio.ensure_future(service.process.wait()): service
            for service in self.services
            if service.process is not None
        }
        stopper = asyncio.ensure_future(self._stop.wait())
        done, _ = await asyncio.wait({*exits, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for future in (*exits, stopper):
            future.cancel()
        if stopper in done:
            self._say(f"{self._stop_signal}: stopping the stack")
            return 0
        dead = next(exits[future] for future in exits if future in done)
        assert dead.process is not None
        self._say(
            f"{dead.spec.name} exited unexpectedly with code {dead.process.returncode}: "
            f"stopping the stack. Its log ({dead.log_file}):\n{self._log_tail(dead)}",
            style="red",
        )
        return 1

    # -- stop ------------------------------------------------------------------

    async def _stop_everything(self) -> None:
        for service in reversed(self.services):
            await self._stop_service(service)
        if self.tansu is not None:
            self.tansu.stop()
            self._say("Stopped: Kafka (Tansu)")
        if self.postgres is not None:
            try:
                await asyncio.to_thread(self.postgres.stop)
            except EmbeddedPostgresError as exc:
                self._say(str(exc), style="red")
            else:
                self._say("Stopped: PostgreSQL")

    async def _stop_service(self, service: _Service) -> None:
        process = service.process
        if process is None:
            return
        try:
            descendants = psutil.Process(process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            descendants = []
        if process.returncode is None:
            started = time.monotonic()
            # The whole group: the service and anything it started.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            force = asyncio.ensure_future(self._force.wait())
            exited = asyncio.ensure_future(process.wait())
            await asyncio.wait(
                {force, exited}, timeout=SERVICE_STOP_GRACE_S, return_when=asyncio.FIRST_COMPLETED
            )
            force.cancel()
            if process.returncode is None:
                if not self._force.is_set():
                    self._say(
                        f"{service.spec.name} did not stop within {SERVICE_STOP_GRACE_S:.0f} s: "
                        "killing it",
                        style="yellow",
                    )
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
            await exited
            self._say(
                f"Stopped: {service.spec.name} (exit {process.returncode}, "
                f"{time.monotonic() - started:.1f} s)"
            )
        # Children that outlived the service (they ignored SIGTERM, or were
        # not in its group any more): nothing of the stack may stay behind.
        for child in descendants:
            with contextlib.suppress(psutil.NoSuchProcess):
                if child.is_running():
                    child.kill()

    # -- helpers ---------------------------------------------------------------

    def _service_env(self, spec: ServiceSpec) -> dict[str, str]:
        env = dict(os.environ)
        _settings_env(self.settings, env)
        env.update(
            {
                "DATABASE_URL": self.database_url,
                "KAFKA_BOOTSTRAP": self.kafka_bootstrap,
                "ARSHJUL_GRPC_PORT": str(spec.grpc_port),
                "ARSHJUL_METRICS_PORT": str(self.metrics_ports[spec.name]),
                "ARSHJUL_HOME": str(self.home),
                "ARSHJUL_JWT_SECRET_FILE": str(self.secret_file),
                "PYTHONPATH": os.pathsep.join(
                    [str(_PROJECT_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
                ),
            }
        )
        if self.tansu is not None:
            env.update(EMBEDDED_KAFKA_ENV)
        return env

    def _log_tail(self, service: _Service, lines: int = 30) -> str:
        try:
            with service.log_file.open("rb") as log:
                log.seek(service.log_start)
                text = log.read().decode(errors="replace")
        except OSError:
            return "(no log)"
        return _last_lines(text, lines) or "(empty)"


def _settings_env(settings: Settings, env: dict[str, str]) -> None:
    """Write the settings into `env`, so a service reads what `up` was given.

    `up` may be handed Settings that were not built from this environment (the
    tests do): the services must still see the same values. A None value
    removes the variable, so the service keeps the field's None default.
    """
    prefix = str(Settings.model_config.get("env_prefix", ""))
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            keys = [choice for choice in alias.choices if isinstance(choice, str)]
        elif isinstance(alias, str):
            keys = [alias]
        else:
            keys = [f"{prefix}{name}".upper()]
        for key in keys:
            env.pop(key, None)
        value = getattr(settings, name)
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, datetime):
            text = value.isoformat()
        elif isinstance(value, str | int | float | Path):
            text = str(value)
        else:
            text = json.dumps(value, default=str)
        env[keys[0]] = text


def _connect_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host in ("::", "[::]"):
        return "[::1]"
    if ":" in host and not host.startswith("["):
        return f"[{host}]"
    return host


def _port_in_use(host: str, port: int) -> bool:
    target = _connect_host(host).strip("[]")
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:
        return False


def _banner(what: str) -> bytes:
    return f"\n=== {datetime.now(UTC).isoformat(timespec='seconds')} arshjul up: {what}\n".encode()


def _last_lines(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
