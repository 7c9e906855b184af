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
    subprocess.run(
        _as_postgres([_pg_bin("initdb"), "-D", str(data_dir), "-U", "postgres", "-A", "trust", "-E", "UTF8"]),
        check=True,
        capture_output=True,
    )
    options = (
        f"-p {PG_PORT} -k {data_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    subprocess.run(
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
        check=True,
        capture_output=True,
    )
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
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
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
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.RedisError:
            if time.monotonic() > deadline or proc.poll() not in (None, 0):
                raise RuntimeError(
                    "redis-server did not start: install Debian's redis-server package"
                ) from None
            time.sleep(0.05)
    yield url  # left running for parallel runs, like PostgreSQL


def _pg_data_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"leadorch-test-pg-{PG_PORT}"


def stop_servers() -> None:
    """Stop the servers this module started (used by scripts/test.sh at exit)."""
    data_dir = _pg_data_dir()
    if (data_dir / "postmaster.pid").exists():
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(data_dir), "-m", "fast", "-w", "stop"]),
            capture_output=True,
        )
    pid_file = Path(tempfile.gettempdir()) / f"leadorch-test-redis-{REDIS_PORT}" / "redis.pid"
    if pid_file.exists():
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
