"""The test script's servers: a server that cannot start fails with its own error, `stop` ends only the
servers this module started, and Chromium is found on PATH."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.services import find_chromium

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _services(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "TEST_REDIS_URL")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "tests.support.services", command],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_redis_that_cannot_start_fails_with_its_own_error(taken_port: int, tmp_path: Path) -> None:
    # The port answers TCP but not Redis: redis-server itself must say why it cannot listen.
    done = _services(
        "start", TEST_PG_PORT=os.environ.get("TEST_PG_PORT", "55408"), TEST_REDIS_PORT=str(taken_port)
    )
    assert done.returncode != 0
    assert "redis-server on port" in done.stderr
    assert "Address already in use" in done.stderr or "bind" in done.stderr.lower(), done.stderr


def test_postgres_that_cannot_start_fails_with_its_own_error(taken_port: int) -> None:
    done = _services(
        "start", TEST_PG_PORT=str(taken_port), TEST_REDIS_PORT=os.environ.get("TEST_REDIS_PORT", "63808")
    )
    assert done.returncode != 0
    assert f"PostgreSQL on port {taken_port} failed" in done.stderr
    assert "could not" in done.stderr.lower() or "in use" in done.stderr.lower(), done.stderr


def test_stop_leaves_a_server_it_did_not_start_running(tmp_path: Path) -> None:
    import redis

    work = tmp_path / "redis"
    work.mkdir()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(work)],
        stdout=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.RedisError:
                import time

                time.sleep(0.05)
        assert (
            _services(
                "start", TEST_PG_PORT=os.environ.get("TEST_PG_PORT", "55408"), TEST_REDIS_PORT=str(port)
            ).returncode
            == 0
        )
        _services("stop", TEST_PG_PORT="1", TEST_REDIS_PORT=str(port))
        assert client.ping(), "stop ended a Redis server the test module did not start"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_chromium_is_found_on_path_under_any_of_its_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser = tmp_path / "chromium-browser"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(browser)
    browser.unlink()
    assert find_chromium() is None
