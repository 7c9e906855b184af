"""Shared fixtures: real PostgreSQL and Redis for the whole run, a fresh database per test.

The worlds the application tests start from live in `tests/support/` and are registered here as
plugins, so a test asks for one by its fixture name (`chat_world`, `touch_world`, `shopmonkey_world`, …)
and "go to definition" on the name's module in `pytest_plugins` finds it; no test module re-exports them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import create_database, drop_database, postgres_server, redis_server

pytest_plugins = [
    "tests.support.touch_world",  # shared_database_url, shared_providers, shared_client, touch_world, touch_client
    "tests.support.chat_world",  # chat_servers_on, chat_world (on touch_world's shared_database_url)
    "tests.support.shopmonkey_world",  # shared_world, shopmonkey_world, shopmonkey_module_world, shopmonkey_client
    "tests.support.projection_history",  # history_container
]

ROOT = Path(__file__).resolve().parents[1]


def shared_fixtures_dir() -> Path:
    """The ShopMonkey fixtures shipped beside the project (../shared), or the copy the demo bundles."""
    shared = ROOT.parent / "shared" / "fixtures" / "shopmonkey"
    if shared.is_dir():
        return shared
    return ROOT / "src" / "leadorch" / "adapters" / "standins" / "data" / "shopmonkey"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test."""
    url = create_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, url)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def clean_redis(redis_url: str) -> str:
    import redis

    redis.Redis.from_url(redis_url).flushall()
    return redis_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'events.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs a test once on the embedded SQLite store and once on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests configure the app explicitly; the developer's environment must not leak in."""
    for name in list(os.environ):
        if name.startswith(("LEADORCH_", "SHOPMONKEY_", "SENDGRID_", "TWILIO_", "ANTHROPIC_")) or name in (
            "DATABASE_URL",
            "REDIS_URL",
        ):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _process_logging_undone() -> Iterator[None]:
    """A test that runs `serve`/`worker`/`demo` in-process configures the root logger on its captured
    stderr; left in place, the next tests' log lines would go to that closed stream (a "Logging error"
    on their own stderr). Pytest's own capture handlers are subclasses, and stay."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in list(root.handlers):
        if type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(False)
