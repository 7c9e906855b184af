"""Every unexpected error leaves a trace: the traceback is logged with the request's correlation id and
an error id, it is counted by route and status, and the answer carries the error id to quote. Bad JSON
(too deep, too big) is the caller's mistake: 400/413, not a 500."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import get
from litestar.params import FromPath
from litestar.testing import TestClient

from leadorch.app.bootstrap import bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.observability.logging import configure_logging
from leadorch.app.observability.metrics import REGISTRY
from leadorch.app.settings import load_settings

ADMIN_TOKEN = "operator-admin-token-0001"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}", "content-type": "application/json"}


@get("/api/test-bug/{thing:str}", sync_to_thread=False)
def buggy(thing: FromPath[str]) -> dict[str, str]:
    raise KeyError(f"no such {thing}")


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient[Any]]:
    container = bootstrap(load_settings({}, database_url=sqlite_url, admin_token=ADMIN_TOKEN))
    app = create_app(container)
    app.register(buggy)
    with TestClient(app) as test_client:
        yield test_client
    container.close()


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    configure_logging("INFO", json_lines=True, stream=stream)
    try:
        yield stream
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def _errors_counted(route: str) -> float:
    value = REGISTRY.get_sample_value("leadorch_http_errors_total", {"route": route, "status": "500"})
    return value or 0.0


def test_a_forced_500_is_logged_with_its_error_id_and_correlation_id_and_counted(
    client: TestClient[Any], logs: io.StringIO
) -> None:
    route = "/api/test-bug/{thing}"
    before = _errors_counted(route)

    response = client.get("/api/test-bug/widget", headers={"X-Request-Id": "req_from_proxy_1"})

    assert response.status_code == 500
    error_id = response.json()["error_id"]
    assert error_id in response.json()["detail"]
    assert "KeyError" not in response.text, "the answer shows no internals"
    [entry] = [json.loads(line) for line in logs.getvalue().splitlines() if error_id in line]
    assert entry["level"] == "error"
    assert entry["error_id"] == error_id
    assert entry["correlation_id"] == "req_from_proxy_1"
    assert "KeyError: 'no such widget'" in entry["exc"]
    assert _errors_counted(route) == before + 1


def test_without_a_request_id_the_error_id_is_the_correlation_id(
    client: TestClient[Any], logs: io.StringIO
) -> None:
    error_id = client.get("/api/test-bug/gadget").json()["error_id"]
    [entry] = [json.loads(line) for line in logs.getvalue().splitlines() if error_id in line]
    assert entry["correlation_id"] == error_id


def test_deeply_nested_json_is_a_400(client: TestClient[Any]) -> None:
    response = client.post("/api/admin/tenants", content="[" * 100_000 + "]" * 100_000, headers=ADMIN)
    assert response.status_code == 400
    assert response.json()["detail"] == "the request body is nested too deeply"


def test_an_oversized_json_body_is_a_413(client: TestClient[Any]) -> None:
    body = json.dumps({"tenant_id": "t", "name": "x" * (2 * 1024 * 1024)})
    assert client.post("/api/admin/tenants", content=body, headers=ADMIN).status_code == 413
