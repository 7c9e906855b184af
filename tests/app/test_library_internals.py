"""The `eventsourcing` internals our code leans on are still there, with the shape we wrote against.

None of these is the library's public API, which is why pyproject pins one minor version:
- `EventStore.save` (app/eventstore/store.py) repeats `Application.save` without its per-object
  runtime `Protocol` checks: it fills a `ProcessingEvent` itself and calls the private `_record`,
  `_take_snapshots` and `_notify`.
- `GroupCommitRecorder` (app/eventstore/recorder.py) subclasses `PostgresApplicationRecorder`, reads
  its `sql_create_statements`, `channel_name` and `datastore` (`schema`, `originator_id_type`,
  `lock_timeout`, `get_connection`), and takes the same `LOCK TABLE … IN EXCLUSIVE MODE` and `NOTIFY`
  as the library's `_insert_stored_events`, in a function of its own.
- The read-model runner's fast decoder (app/projections/runner.py, `_fast_decoder`) repeats
  `Mapper.to_domain_event` step by step.

When an upgrade fails here: read the named library code against ours, adapt ours, then update the
expectation below (and `WRITTEN_AGAINST` and the pin, together).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import textwrap
import tomllib
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.application import Application, ProcessingEvent, Repository
from eventsourcing.persistence import Mapper
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

WRITTEN_AGAINST = "9.5"
PIN = ">=9.5,<9.6"


def test_the_pin_is_the_minor_version_these_checks_were_written_against() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    specs = [d for d in pyproject["project"]["dependencies"] if d.startswith("eventsourcing")]
    assert specs == [f"eventsourcing{PIN}"], (
        f"pyproject.toml requires {specs}, but this file checked the library's internals against "
        f"{WRITTEN_AGAINST} only: pin eventsourcing{PIN}, or re-check the internals and move both"
    )
    installed = version("eventsourcing")
    assert installed.startswith(f"{WRITTEN_AGAINST}."), (
        f"eventsourcing {installed} is installed; the pin allows only {WRITTEN_AGAINST}.x (run uv sync)"
    )


_USED_BY: dict[type, str] = {
    Application: "EventStore (app/eventstore/store.py)",
    ProcessingEvent: "EventStore.save (app/eventstore/store.py)",
    PostgresApplicationRecorder: "GroupCommitRecorder (app/eventstore/recorder.py)",
    PostgresDatastore: "GroupCommitRecorder (app/eventstore/recorder.py)",
    Mapper: "ReadModelRunner._fast_decoder (app/projections/runner.py)",
}

# (owner, method, parameters as (name, kind, default)) for every library method we call or override.
_KW = inspect.Parameter.KEYWORD_ONLY
_POS = inspect.Parameter.POSITIONAL_OR_KEYWORD
_VAR_KW = inspect.Parameter.VAR_KEYWORD
_EMPTY = inspect.Parameter.empty
SIGNATURES: list[tuple[type, str, list[tuple[str, Any, Any]]]] = [
    (Application, "_record", [("self", _POS, _EMPTY), ("processing_event", _POS, _EMPTY)]),
    (Application, "_take_snapshots", [("self", _POS, _EMPTY), ("processing_event", _POS, _EMPTY)]),
    (Application, "_notify", [("self", _POS, _EMPTY), ("recordings", _POS, _EMPTY)]),
    (
        Application,
        "save",
        [
            ("self", _POS, _EMPTY),
            ("objs", inspect.Parameter.VAR_POSITIONAL, _EMPTY),
            ("kwargs", _VAR_KW, _EMPTY),
        ],
    ),
    (ProcessingEvent, "__init__", [("self", _POS, _EMPTY), ("tracking", _POS, None)]),
    (
        PostgresApplicationRecorder,
        "__init__",
        [("self", _POS, _EMPTY), ("datastore", _POS, _EMPTY), ("events_table_name", _KW, "stored_events")],
    ),
    (
        PostgresApplicationRecorder,
        "insert_events",
        [("self", _POS, _EMPTY), ("stored_events", _POS, _EMPTY), ("kwargs", _VAR_KW, _EMPTY)],
    ),
    (PostgresDatastore, "get_connection", [("self", _POS, _EMPTY)]),
    (Mapper, "to_domain_event", [("self", _POS, _EMPTY), ("stored_event", _POS, _EMPTY)]),
]


@pytest.mark.parametrize(
    ("owner", "method", "expected"), SIGNATURES, ids=[f"{o.__name__}.{m}" for o, m, _ in SIGNATURES]
)
def test_the_library_methods_we_call_keep_their_names_and_signatures(
    owner: type, method: str, expected: list[tuple[str, Any, Any]]
) -> None:
    function = getattr(owner, method, None)
    assert callable(function), (
        f"eventsourcing {version('eventsourcing')} has no {owner.__qualname__}.{method}, which "
        f"{_USED_BY[owner]} calls: adapt it"
    )
    parameters = [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]
    assert parameters == expected, (
        f"{owner.__qualname__}.{method} changed its signature in eventsourcing {version('eventsourcing')} "
        f"(now {inspect.signature(function)}): {_USED_BY[owner]} calls it; adapt that, then this list"
    )


def test_the_repository_still_takes_a_projector_function() -> None:
    # `EventStore.load` replays with its own projector (no per-event Protocol check).
    assert "projector_func" in inspect.signature(Repository.get).parameters, (
        "Repository.get no longer takes projector_func, which EventStore.load passes"
    )


def test_a_processing_event_still_holds_what_event_store_save_fills_in() -> None:
    processing_event: ProcessingEvent[Any] = ProcessingEvent()
    held = {
        name: type(getattr(processing_event, name, None)) for name in ("events", "aggregates", "saved_kwargs")
    }
    assert held == {"events": list, "aggregates": dict, "saved_kwargs": dict}, (
        f"ProcessingEvent now holds {held}; EventStore.save fills events, aggregates and saved_kwargs itself"
    )


@pytest.mark.parametrize(
    ("owner", "attribute"),
    [
        (PostgresApplicationRecorder, "sql_create_statements"),
        (PostgresApplicationRecorder, "channel_name"),
        (PostgresApplicationRecorder, "datastore"),
        (PostgresDatastore, "schema"),
        (PostgresDatastore, "originator_id_type"),
        (PostgresDatastore, "lock_timeout"),
    ],
)
def test_the_attributes_the_group_commit_recorder_reads_are_still_set(owner: type, attribute: str) -> None:
    assert attribute in set(_assigned_in_init(owner)), (
        f"{owner.__qualname__}.__init__ no longer sets self.{attribute}, which GroupCommitRecorder reads"
    )


def test_the_library_still_serialises_inserts_with_the_lock_the_group_commit_recorder_copies() -> None:
    # Notification ids issued in commit order are what lets the read-model runner read `> position`.
    source = inspect.getsource(PostgresApplicationRecorder.__init__)
    assert "LOCK TABLE {0}.{1} IN EXCLUSIVE MODE" in source and "SET LOCAL lock_timeout" in source, (
        "PostgresApplicationRecorder no longer locks the events table IN EXCLUSIVE MODE with a lock "
        "timeout before inserting; GroupCommitRecorder's insert function does, to keep ids in commit order"
    )


# Library code whose body ours repeats: a fingerprint of its syntax tree (not of its formatting,
# comments or docstring), so any change in what it does fails here with what to compare.
BODIES: list[tuple[Callable[..., Any], str, str]] = [
    (
        Application.save,
        "EventStore.save (app/eventstore/store.py) repeats these steps",
        "ac0da9dea9949116",
    ),
    (
        ProcessingEvent.collect_events,
        "EventStore.save collects an Aggregate's events and keeps it by id the same way",
        "60087d398c5b4255",
    ),
    (
        PostgresApplicationRecorder._insert_stored_events,
        "GroupCommitRecorder's insert function does the same lock, notify and insert",
        "2e78d56cab685a31",
    ),
    (
        PostgresApplicationRecorder._lock_table,
        "GroupCommitRecorder's insert function takes the same lock",
        "f22cdbd8de3e829d",
    ),
    (
        Mapper.to_domain_event,
        "ReadModelRunner._fast_decoder (app/projections/runner.py) repeats these steps",
        "00919ff6aca9b689",
    ),
]


@pytest.mark.parametrize(
    ("function", "ours", "fingerprint"), BODIES, ids=[f.__qualname__ for f, _, _ in BODIES]
)
def test_the_library_code_we_repeat_is_unchanged(
    function: Callable[..., Any], ours: str, fingerprint: str
) -> None:
    actual = _fingerprint(function)
    assert actual == fingerprint, (
        f"{function.__module__}.{function.__qualname__} changed in eventsourcing {version('eventsourcing')} "
        f"(fingerprint {actual}, was {fingerprint}): {ours}; compare them, adapt ours, then update it here"
    )


def _function_node(function: Callable[..., Any]) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(inspect.getsource(function))).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _fingerprint(function: Callable[..., Any]) -> str:
    node = _function_node(function)
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        body = body[1:]  # the docstring
    tokens = [token for statement in body for token in _shape(statement)]
    return hashlib.sha256("\x1f".join(tokens).encode()).hexdigest()[:16]


def _shape(node: ast.AST) -> Iterator[str]:
    """Node types, names and constants in order: what the code does, stable across Python versions
    (fields that are empty or only bookkeeping, like `ctx`, are left out)."""
    yield type(node).__name__
    for field, value in ast.iter_fields(node):
        if field in {"ctx", "type_comment", "kind", "type_params"} or value is None or value == []:
            continue
        yield field
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, ast.AST):
                yield from _shape(item)
            else:
                yield repr(item)


def _assigned_in_init(owner: type) -> Iterator[str]:
    """The `self.NAME` attributes assigned in the `__init__` of `owner` and its bases."""
    for cls in owner.__mro__:
        init = cls.__dict__.get("__init__")
        if init is None or not inspect.isfunction(init):
            continue
        for node in ast.walk(_function_node(init)):
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Name)
                    and target.value.id == "self"
                ):
                    yield target.attr
