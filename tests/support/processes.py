"""Real processes for fault-injection tests and benchmarks: `leadorch serve`/`leadorch worker` as children,
and dedicated PostgreSQL and Redis servers that a test may stop, restart or kill without disturbing the
shared ones every other test uses.

Each child runs in its own session (process group), writes its output to a log file, and is stopped by
its own pid only. Peak memory is read from the kernel (`VmHWM` in /proc/PID/status).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import redis

from tests.support.services import _as_postgres, _pg_bin

ROOT = Path(__file__).resolve().parents[2]
# Settings a child must not inherit from the developer's shell: the test or benchmark decides them.
_APP_PREFIXES = ("LEADORCH_", "SHOPMONKEY_", "SENDGRID_", "TWILIO_", "ANTHROPIC_")
_APP_NAMES = ("DATABASE_URL", "REDIS_URL", "EVENT_CODEC")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def child_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The parent's environment without any app setting, plus `settings` (env names, e.g. DATABASE_URL)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_APP_PREFIXES) and name not in _APP_NAMES
    }
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("LEADORCH_LOG_JSON", "true")
    return env


def memory_peak_bytes(pid: int) -> int:
    """The process's peak resident set size so far (`VmHWM`), in bytes."""
    return _status_kib(pid, "VmHWM") * 1024


def memory_now_bytes(pid: int) -> int:
    return _status_kib(pid, "VmRSS") * 1024


def _status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/status has no {key}")


@dataclass
class ChildProcess:
    """One child process started by a test or benchmark, with its log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    url: str | None = None

    @property
    def pid(self) -> int:
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def peak_memory_bytes(self) -> int:
        return memory_peak_bytes(self.pid)

    def wait_for_log(self, text: str, *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if not self.alive:
                raise RuntimeError(
                    f"{self.name} exited ({self.popen.returncode}) before saying {text!r}:\n{self.tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not say {text!r} within {timeout} s:\n{self.tail()}")
            time.sleep(0.05)

    def wait_healthy(self, *, timeout: float = 30.0) -> None:
        """Wait until the API answers `/health`."""
        assert self.url is not None, f"{self.name} serves no HTTP"
        deadline = time.monotonic() + timeout
        while True:
            if not self.alive:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not healthy within {timeout} s:\n{self.tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no cleanup, exactly like a crash or the OOM killer."""
        if self.alive:
            self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, *, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait (the graceful shutdown path); SIGKILL if it does not end in time."""
        if self.alive:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.popen.returncode

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


def _spawn(
    name: str, argv: list[str], env: Mapping[str, str], log_path: Path, url: str | None
) -> ChildProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log_file:
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return ChildProcess(name=name, popen=popen, log_path=log_path, url=url)


def start_api(
    settings: Mapping[str, str], log_path: Path, *, port: int | None = None, wait: bool = True
) -> ChildProcess:
    """`leadorch serve` on a loopback port with the given settings (environment variable names)."""
    port = port or free_port()
    argv = [sys.executable, "-m", "leadorch.app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    child = _spawn("api", argv, child_environment(settings), log_path, f"http://127.0.0.1:{port}")
    if wait:
        child.wait_healthy(timeout=60)
    return child


def start_worker(
    settings: Mapping[str, str],
    log_path: Path,
    *,
    threads: int = 8,
    scheduler: bool = True,
    wait: bool = True,
) -> ChildProcess:
    """`leadorch worker` (needs REDIS_URL in `settings`)."""
    argv = [sys.executable, "-m", "leadorch.app.cli", "worker", "--threads", str(threads)]
    if not scheduler:
        argv.append("--no-scheduler")
    child = _spawn("worker", argv, child_environment(settings), log_path, None)
    if wait:
        child.wait_for_log("worker running", timeout=60)
    return child


def start_python(name: str, argv: list[str], log_path: Path, *, url: str | None = None) -> ChildProcess:
    """Any Python program of this project as a child (a benchmark's baseline server, say)."""
    return _spawn(name, [sys.executable, *argv], child_environment({}), log_path, url)


# --------------------------------------------------------------------------------- dedicated servers


@dataclass
class DedicatedPostgres:
    """A PostgreSQL cluster of this test's own, on its own port, that it may stop and start at will.

    `durable=False` uses the shared test cluster's speed settings (no fsync); `durable=True` keeps
    PostgreSQL's defaults, so a commit really is on disk.
    """

    port: int = field(default_factory=free_port)
    durable: bool = False
    data_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="leadorch-pg-")))

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str = "leadorch") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> DedicatedPostgres:
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            _as_postgres(
                [_pg_bin("initdb"), "-D", str(self.data_dir / "data"), "-U", "postgres", "-A", "trust"]
            ),
            check=True,
            capture_output=True,
        )
        self.start()
        return self

    def create_database(self, name: str = "leadorch") -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._pg_ctl("-o", options, "-l", str(self.data_dir / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast` disconnects every client at once; `immediate` is a crash)."""
        self._pg_ctl("-m", mode, "-w", "stop")

    def ready(self) -> bool:
        try:
            with psycopg.connect(self.admin_url, connect_timeout=1):
                return True
        except psycopg.Error:
            return False

    def destroy(self) -> None:
        if (self.data_dir / "data" / "postmaster.pid").exists():
            self._pg_ctl("-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def _pg_ctl(self, *args: str, check: bool = True) -> None:
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data_dir / "data"), *args]),
            check=check,
            capture_output=True,
            timeout=60,
        )


@dataclass
class DedicatedRedis:
    """A redis-server of this test's own (no persistence), which it may stop and start again."""

    port: int = field(default_factory=free_port)
    work_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="leadorch-redis-")))
    _popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> DedicatedRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._popen = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.work_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.RedisError:
                if time.monotonic() > deadline or self._popen.poll() is not None:
                    raise RuntimeError("dedicated redis-server did not start") from None
                time.sleep(0.02)

    def stop(self) -> None:
        if self._popen is not None and self._popen.poll() is None:
            self._popen.terminate()
            self._popen.wait(timeout=10)
        self._popen = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.work_dir, ignore_errors=True)


# ------------------------------------------------------------------------------ the app's processes


def app_settings(database_url: str, redis_url: str, shopmonkey_url: str, **extra: str) -> dict[str, str]:
    """Environment for `leadorch serve`/`worker` against these servers (providers: the built-in stand-ins)."""
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SHOPMONKEY_BASE_URL": shopmonkey_url,
        "LEADORCH_PUBLIC_BASE_URL": "https://leads.tint.example.com",
        "LEADORCH_LOG_LEVEL": "INFO",
        **extra,
    }


def lead_counts_by_order(database_url: str) -> dict[str, int]:
    """How many `Lead.Registered` events each CRM order produced (one, always, is the promise)."""
    from leadorch.app.eventstore.store import open_event_store

    store = open_event_store(database_url)
    try:
        counts: dict[str, int] = {}
        for notification in store.recorder.select_notifications(start=1, limit=10_000_000):
            if notification.topic.endswith("Lead.Registered"):
                event = store.mapper.to_domain_event(notification)
                counts[event.crm_order_id] = counts.get(event.crm_order_id, 0) + 1
        return counts
    finally:
        store.close()
