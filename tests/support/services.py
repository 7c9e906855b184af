"""Start real PostgreSQL and Redis servers for the test run (never mocks of them).

If `TEST_DATABASE_URL` / `TEST_REDIS_URL` point at running servers they are used as they are; otherwise
a throw-away PostgreSQL cluster and Redis server are started on loopback ports under /tmp and stopped at
the end of the session. PostgreSQL refuses to run as root, so as root the cluster runs as `postgres`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import redis

PG_PORT = int(os.environ.get("TEST_PG_PORT", "54329"))
REDIS_PORT = int(os.environ.get("TEST_REDIS_PORT", "63799"))


def find_chromium() -> str | None:
    """The Chromium (or Chrome) binary on PATH, whatever the distribution calls it."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class ServerDidNotStart(RuntimeError):
    """A test server failed to start; the message carries the server's own error output."""


def _run_or_explain(cmd: list[str], what: str, log: Path | None = None) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        own = (done.stderr or done.stdout).strip()
        if log is not None and log.exists():
            own += "\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise ServerDidNotStart(f"{what} failed (exit {done.returncode}):\n{own}")


def _started_marker(kind: str, port: int) -> Path:
    """Written when this module starts a server, so `stop` ends only servers it started."""
    return Path(tempfile.gettempdir()) / f"leadorch-test-{kind}-{port}.started-here"


def _pg_bin(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    found = shutil.which(name)
    if found:
        candidates.append(found)
    if not candidates:
        raise RuntimeError(f"PostgreSQL's {name} not found: install Debian's postgresql package")
    return candidates[0]


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _pg_ready(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin URL (database `postgres`) of a running server."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    url = f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres"
    if _pg_ready(url):  # left running by an earlier run: reuse it
        yield url
        return
    data_dir = _pg_data_dir()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(data_dir, pw.pw_uid, pw.pw_gid)
    _run_or_explain(
        _as_postgres([_pg_bin("initdb"), "-D", str(data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8"]),
        "initdb",
    )
    options = (
        f"-p {PG_PORT} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    _run_or_explain(
        _as_postgres(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(data_dir),
                "-o",
                options,
                "-l",
                str(data_dir / "log"),
                "-w",
                "start",
            ]
        ),
        f"PostgreSQL on port {PG_PORT}",
        data_dir / "log",
    )
    _started_marker("pg", PG_PORT).touch()
    # Left running on purpose: parallel test runs share it; `python -m tests.support.services stop` ends it.
    yield url


def create_database(admin_url: str) -> str:
    """Create an empty database for one test and return its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_database(admin_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_server() -> Iterator[str]:
    given = os.environ.get("TEST_REDIS_URL")
    if given:
        yield given
        return
    url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    try:
        redis.Redis.from_url(url).ping()
        yield url
        return
    except redis.RedisError:
        pass
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerDidNotStart("redis-server not found on PATH: install Debian's redis-server package")
    work = Path(tempfile.gettempdir()) / f"leadorch-test-redis-{REDIS_PORT}"
    work.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            binary,
            "--daemonize",
            "yes",
            "--pidfile",
            str(work / "redis.pid"),
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
            "--logfile",
            str(work / "redis.log"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline or proc.poll() not in (None, 0):
                own = proc.stdout.read() if proc.stdout and proc.poll() is not None else ""
                log = work / "redis.log"
                if log.exists():
                    own += "\n".join(log.read_text(errors="replace").splitlines()[-10:])
                raise ServerDidNotStart(
                    f"redis-server on port {REDIS_PORT} did not start:\n{own.strip()}"
                ) from None
            time.sleep(0.05)
    _started_marker("redis", REDIS_PORT).touch()
    yield url  # left running for parallel runs, like PostgreSQL


def _pg_data_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"leadorch-test-pg-{PG_PORT}"


def stop_servers() -> None:
    """Stop the servers this module started (used by scripts/test.sh at exit), never one it found running."""
    data_dir = _pg_data_dir()
    pg_marker, redis_marker = _started_marker("pg", PG_PORT), _started_marker("redis", REDIS_PORT)
    if pg_marker.exists() and (data_dir / "postmaster.pid").exists():
        pg_marker.unlink()
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
    pid_file = Path(tempfile.gettempdir()) / f"leadorch-test-redis-{REDIS_PORT}" / "redis.pid"
    if redis_marker.exists() and pid_file.exists():
        redis_marker.unlink()
        with suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text().strip()), 15)


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["stop"]:
        stop_servers()
    elif sys.argv[1:] == ["start"]:
        with postgres_server() as pg, redis_server() as rd:
            print(f"TEST_DATABASE_URL={pg}")
            print(f"TEST_REDIS_URL={rd}")
    else:
        raise SystemExit("usage: python -m tests.support.services start|stop")
