"""A rebuild shared between processes (one group of read models each) gives exactly the tables that
incremental processing gave."""

from __future__ import annotations

from bench.histories import save_whole_lives
from tests.support.projection_history import START, read_model_tables

from leadorch.app.bootstrap import Container
from leadorch.app.projections.rebuild import balanced_groups, rebuild
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ReadModelRunner


def test_a_rebuild_shared_between_two_processes_gives_the_same_tables(
    history_container: Container, database_url: str
) -> None:
    save_whole_lives(history_container.store, 8, start=START)
    runner = ReadModelRunner(history_container.db, history_container.store, all_projections())
    runner.catch_up()
    incremental = read_model_tables(history_container)

    reached = rebuild(
        history_container.db, history_container.store, all_projections(), workers=2, database_url=database_url
    )

    assert reached == runner.positions()
    assert read_model_tables(history_container) == incremental


def test_the_processes_of_a_rebuild_get_about_equal_shares_of_the_work() -> None:
    groups = balanced_groups(all_projections(), 2)

    costs = [sum(projection.replay_cost for projection in group) for group in groups]
    assert sorted(p.name for group in groups for p in group) == sorted(p.name for p in all_projections())
    assert max(costs) - min(costs) <= max(p.replay_cost for p in all_projections())
