"""`GET /ready` and `projections status` tell the person on call what is wrong, by name.

A release that adds a column to a read model finds the old live table in place (tables are created
`IF NOT EXISTS`): its projection would fail on every write. Readiness then fails naming the read model
and the command that fixes it, and the rebuild makes the process ready again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.cli import main
from leadorch.app.http.app import create_app
from leadorch.app.projections.funnel import FUNNEL_SCHEDULES
from leadorch.app.projections.rebuild import rebuild
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.shape import out_of_shape
from leadorch.app.projections.tables import LIVE_PREFIX
from leadorch.app.settings import load_settings


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = bootstrap(load_settings({}, database_url=database_url))
    yield built
    built.close()


def ready(container: Container) -> tuple[int, dict[str, object]]:
    with TestClient(app=create_app(container)) as client:
        response = client.get("/ready")
    return response.status_code, response.json()


def make_the_funnel_table_old(container: Container) -> None:
    """What an upgrade finds: the live table as the previous release made it, one column short."""
    physical = FUNNEL_SCHEDULES.physical(LIVE_PREFIX)
    older = ", ".join(f"{name} {kind}" for name, kind in FUNNEL_SCHEDULES.columns if name != "time_zone")
    with container.db.transaction() as cur:
        cur.execute(f"DROP TABLE {physical}")
        cur.execute(f"CREATE TABLE {physical} ({older}, PRIMARY KEY ({', '.join(FUNNEL_SCHEDULES.key)}))")


def test_a_fresh_installation_is_ready_with_every_read_model_in_shape(container: Container) -> None:
    assert out_of_shape(container.db, all_projections()) == {}
    status, body = ready(container)
    assert status == 200 and body["status"] == "ready" and body["problems"] == []


def test_a_read_model_table_missing_a_column_makes_the_process_unready_naming_the_rebuild(
    container: Container, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_the_funnel_table_old(container)

    assert out_of_shape(container.db, all_projections()) == {
        "funnel": ["funnel_schedules lacks column time_zone"]
    }
    status, body = ready(container)
    assert status == 503
    assert body["problems"] == [
        "read models need a rebuild (funnel_schedules lacks column time_zone): "
        "run `leadorch projections rebuild funnel`"
    ]
    monkeypatch.setenv("DATABASE_URL", container.settings.database_url)
    assert main(["projections", "status"]) == 1
    assert "funnel: needs `leadorch projections rebuild funnel`" in capsys.readouterr().out

    funnel = [p for p in all_projections() if p.name == "funnel"]
    rebuild(container.db, container.store, funnel)

    assert out_of_shape(container.db, all_projections()) == {}
    assert ready(container)[0] == 200
    assert main(["projections", "status"]) == 0
