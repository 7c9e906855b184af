"""Clean starts and stops of the real processes: `serve` ends a SIGTERM in its documented close order with
exit 0; ten processes starting together on an empty PostgreSQL all start; start-up failures are one line."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from tests.support.processes import ROOT, child_environment, free_port, start_api

pytestmark = pytest.mark.postgres


def _messages(log: str) -> list[str]:
    messages = []
    for line in log.splitlines():
        try:
            messages.append(str(json.loads(line)["msg"]))
        except (ValueError, KeyError, TypeError):
            messages.append(line)
    return messages


def test_serve_exits_0_on_sigterm_after_its_close_order(tmp_path: Path) -> None:
    api = start_api({"DATABASE_URL": f"sqlite:///{tmp_path / 'events.db'}"}, tmp_path / "api.log")

    assert api.stop(timeout=60) == 0, api.tail()

    order = [
        "API stopped: no request in flight",
        "worker runtime stopped: jobs in flight finished",
        "clients and database closed",
    ]
    messages = _messages(api.log())
    positions = [next(i for i, m in enumerate(messages) if m.startswith(step)) for step in order]
    assert positions == sorted(positions), messages


def test_ten_concurrent_cold_starts_on_an_empty_postgres_all_succeed(pg_url: str, tmp_path: Path) -> None:
    env = child_environment({"DATABASE_URL": pg_url})
    argv = [sys.executable, "-m", "leadorch.app.cli", "projections", "status"]
    children = [
        subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for _ in range(10)
    ]
    outputs = [
        (child.wait(timeout=120), child.stdout.read().decode() if child.stdout else "") for child in children
    ]

    for code, output in outputs:
        assert code == 0, output
        assert "Violation" not in output and "Traceback" not in output, output


@pytest.mark.parametrize(
    ("settings", "argv", "says"),
    [
        (
            {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"},
            ["serve", "--port", "0"],
            "leadorch: error: cannot reach the database at 127.0.0.1:1 (DATABASE_URL) within 5 s",
        ),
        (
            {"LEADORCH_LOG_LEVEL": "LOUD"},
            ["serve", "--port", "0"],
            "leadorch: error: setting LEADORCH_LOG_LEVEL",
        ),
        ({}, ["serve", "--port", "70000"], "leadorch: error: --port must be between 0 and 65535"),
        (
            {},
            ["serve", "--host", "203.0.113.9", "--port", "0"],
            "leadorch: error: cannot listen on 203.0.113.9:0",
        ),
    ],
)
def test_a_start_up_failure_is_one_line_within_seconds(
    settings: dict[str, str], argv: list[str], says: str, tmp_path: Path
) -> None:
    env = child_environment({"DATABASE_URL": f"sqlite:///{tmp_path / 'events.db'}", **settings})
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "leadorch.app.cli", *argv], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert time.monotonic() - started < 15
    lines = [line for line in done.stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(says), done.stderr.decode()


def test_two_api_processes_serve_one_port_and_stop_cleanly(
    pg_url: str, clean_redis: str, tmp_path: Path
) -> None:
    port = free_port()
    env = child_environment({"DATABASE_URL": pg_url, "REDIS_URL": clean_redis})
    argv = [sys.executable, "-m", "leadorch.app.cli", "serve", "--workers", "2", "--port", str(port)]
    log_path = tmp_path / "api.log"
    with log_path.open("wb") as log_file:
        parent = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while log_path.read_text().count("leadorch: serving on") < 2:
            assert parent.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        assert len(children) == 2
        for _ in range(20):
            assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    finally:
        parent.send_signal(signal.SIGTERM)
        code = parent.wait(timeout=60)
    assert code == 0, log_path.read_text()
    assert _messages(log_path.read_text()).count("clients and database closed") == 2
