"""A private PostgreSQL server that a test may start late, kill with -9 and restart.

    from support.pg_server import PgProc, pg_available

    with PgProc(password="s3cret") as pg:      # initdb in a temp dir (about 0.5 s)
        pg.start()                              # returns once it accepts connections
        engine = create_async_engine(pg.url())  # postgresql+asyncpg://postgres:s3cret@...
        pg.kill9()                              # the postmaster and its backends, reaped
        pg.start_later(1.5)                     # a thread starts it again after 1.5 s
    # leaving the block stops it and removes the directory

Never touches the machine's shared server: each ``PgProc`` has its own data directory,
port and socket directory. As root, initdb and the postmaster run as the ``postgres``
user (initdb refuses root); the server is the Popen child itself, so ``wait()`` reaps it
and a restart on the same port works at once. Needs PostgreSQL's server binaries
(``PGBIN``, default ``/usr/lib/postgresql/15/bin``) and ``psycopg`` for the readiness probe.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any, Self

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))

__all__ = ["PGBIN", "PgProc", "free_port", "pg_available", "shared_pg_url"]


def free_port() -> int:
    """A port nobody listens on right now (a small race with other processes is fine)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_available() -> bool:
    """Whether a private server can be made here (binaries, and a non-root user if root)."""
    if not (PGBIN / "initdb").exists():
        return False
    if os.geteuid() != 0:
        return True
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


def shared_pg_url(driver: str = "postgresql+asyncpg") -> str | None:
    """The machine's shared server (``STEINRESIL_TEST_PG`` or 127.0.0.1:5432/test), or None
    when nothing answers there. Use it with a unique schema or table names per test."""
    url = os.environ.get("STEINRESIL_TEST_PG", "postgres@127.0.0.1:5432/test")
    host_port = url.split("@", 1)[-1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    try:
        socket.create_connection((host, int(port or 5432)), timeout=0.5).close()
    except OSError:
        return None
    return f"{driver}://{url}"


def _as_postgres() -> dict[str, Any]:
    """Popen arguments that run the child as the postgres user when we are root."""
    if os.geteuid() != 0:
        return {}
    user = pwd.getpwnam("postgres")
    env = {**os.environ, "HOME": user.pw_dir, "USER": "postgres"}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "env": env}


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class PgProc:
    """One private PostgreSQL: a data directory, a port, a postmaster we own.

    With ``password`` the cluster asks for it (SCRAM) on every connection, so a wrong
    password is a real authentication failure; without, any local user is trusted.
    """

    def __init__(self, *, password: str | None = None, user: str = "postgres") -> None:
        self.user = user
        self.password = password
        self.port = free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="steinresil-pg-"))
        self.data = self.tmp / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._starter: threading.Thread | None = None
        self.start_error: BaseException | None = None
        """What a ``start_later`` thread failed with, if it did."""
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.tmp, owner.pw_uid, owner.pw_gid)
        command = [str(PGBIN / "initdb"), "-D", str(self.data), "-U", user, "-E", "UTF8"]
        command += ["--no-sync", "--no-instructions"]
        if password is None:
            command.append("--auth=trust")
        else:
            pwfile = self.tmp / "pwfile"
            pwfile.write_text(password + "\n")
            if os.geteuid() == 0:
                os.chown(pwfile, owner.pw_uid, owner.pw_gid)
            command += ["--auth=scram-sha-256", f"--pwfile={pwfile}"]
        try:
            subprocess.run(
                command,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                cwd=self.tmp,
                **_as_postgres(),
            )
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise

    # ---- addresses ----

    @property
    def dsn(self) -> str:
        """A libpq connection string (psycopg)."""
        secret = f" password={self.password}" if self.password is not None else ""
        return (
            f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres "
            f"connect_timeout=2{secret}"
        )

    def url(self, driver: str = "postgresql+asyncpg", *, password: str | None = None) -> str:
        """A SQLAlchemy URL; ``password`` overrides the server's (to test a wrong one)."""
        secret = password if password is not None else self.password
        auth = self.user if secret is None else f"{self.user}:{secret}"
        return f"{driver}://{auth}@127.0.0.1:{self.port}/postgres"

    # ---- life cycle ----

    def start(self, timeout: float = 30.0) -> None:
        """Start the postmaster and return once it accepts connections."""
        import psycopg  # noqa: PLC0415 - only tests that start a server need it

        if self._log is None:
            self._log = (self.tmp / "log").open("ab")
        # fsync and full-page writes off: a test server trades durability on power loss
        # for speed; a kill -9 still loses nothing (commits stay synchronous).
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.tmp),
            "fsync": "off",
            "full_page_writes": "off",
        }
        command = [str(PGBIN / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        self.proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            cwd=self.tmp,
            **_as_postgres(),
        )
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(psycopg.OperationalError), psycopg.connect(self.dsn):
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"postgres exited {self.proc.returncode}: {self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"postgres not ready after {timeout} s: {self.log_tail()}")
            time.sleep(0.05)

    def start_later(self, delay: float) -> threading.Thread:
        """Start the server from a thread after ``delay`` seconds; ``join()`` the result."""

        def run() -> None:
            time.sleep(delay)
            try:
                self.start()
            except BaseException as exc:  # the test reads it from start_error
                self.start_error = exc

        self._starter = threading.Thread(target=run, name=f"pg-start-{self.port}", daemon=True)
        self._starter.start()
        return self._starter

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self, timeout: float = 10.0) -> None:
        """SIGKILL the postmaster and every backend, and wait until they are gone.

        Backends call setsid(), so a process-group kill misses them; they are found
        through /proc. A backend left alive keeps answering its open connection.
        """
        if not self.running or self.proc is None:
            return
        pid = self.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        kids = [int(child) for child in children]
        self.proc.send_signal(signal.SIGKILL)
        for kid in kids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.monotonic() + timeout
        while kids := [kid for kid in kids if _alive(kid)]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"postgres backends {kids} still alive after SIGKILL")
            time.sleep(0.02)

    def stop(self) -> None:
        """Fast shutdown (SIGINT); SIGKILL if it takes more than 10 s."""
        if self._starter is not None:
            self._starter.join(30)
        if self.running and self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.tmp / "log").read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def close(self) -> None:
        """Stop the server and remove its directory."""
        try:
            self.stop()
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
