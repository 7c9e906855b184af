"""Jobs are enqueued one way: `app/worker/enqueue.py` with the job's `ActorSpec` constant.

Outside `app/worker` no module sends to the Dramatiq runtime itself (`runtime.send(...)`, an actor's
`.send`), and no module spells an actor's name as a string: the name is written once, in the job's
`ActorSpec(...)`, and everything else reaches the job through that constant, so "go to definition" leads
from every enqueue to the job, and renaming a job cannot leave a sender behind.
"""

from __future__ import annotations

import ast
from pathlib import Path

from leadorch.app.worker import registry

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "leadorch"
WORKER = PACKAGE_ROOT / "app" / "worker"
SENDS = {"send", "send_with_options"}


def _modules_outside_the_worker() -> list[Path]:
    return [path for path in sorted(PACKAGE_ROOT.rglob("*.py")) if WORKER not in path.parents]


def direct_sends(source: str) -> list[str]:
    """Each `….send(…)` / `….send_with_options(…)` on a runtime, an actor or a broker, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SENDS:
            receiver = ast.unparse(node.func.value)
            if any(word in receiver.lower() for word in ("runtime", "actor", "broker")):
                found.append(ast.unparse(node))
    return found


def actor_name_strings(source: str, names: set[str]) -> list[str]:
    """String literals equal to an actor's name, except the name given to its own `ActorSpec(...)`."""
    tree = ast.parse(source)
    declared: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("ActorSpec") and node.args:
            declared.add(id(node.args[0]))
        if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("ActorSpec"):
            declared.update(id(k.value) for k in node.keywords if k.arg == "name")
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in names and id(node) not in declared
    ]


def test_no_module_outside_app_worker_sends_to_the_runtime_itself() -> None:
    offenders = {
        str(path.relative_to(PACKAGE_ROOT)): sends
        for path in _modules_outside_the_worker()
        if (sends := direct_sends(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}, "enqueue through app/worker/enqueue.py with the job's ActorSpec instead"


def test_no_module_outside_app_worker_spells_an_actor_name() -> None:
    names = {spec.name for spec in registry.ACTORS}
    offenders = {
        str(path.relative_to(PACKAGE_ROOT)): strings
        for path in _modules_outside_the_worker()
        if (strings := actor_name_strings(path.read_text(encoding="utf-8"), names))
    }
    assert offenders == {}, "name the job by its ActorSpec constant (SPEC.name), not by a string copy"


def test_each_actor_name_is_declared_once() -> None:
    names = [spec.name for spec in registry.ACTORS]
    assert sorted(names) == sorted(set(names))
    declared = [
        name
        for path in sorted(PACKAGE_ROOT.rglob("*.py"))
        for name in _declared_names(path.read_text(encoding="utf-8"))
    ]
    assert sorted(declared) == sorted(names), "every ActorSpec is registered, and each name has one"


def _declared_names(source: str) -> list[str]:
    return [
        node.args[0].value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and ast.unparse(node.func).endswith("ActorSpec")
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ]


def test_the_checks_catch_a_direct_send_and_a_string_copy() -> None:
    source = (
        "from leadorch.app.touches.actors import DISPATCH_TOUCH\n"
        "def f(container, runtime):\n"
        "    runtime.send('dispatch_touch', 't', 's')\n"
        "    container.runtime.send_with_options(DISPATCH_TOUCH.name, args=(), delay_ms=5)\n"
        "    messenger.send(message)\n"  # not a job: a message to a customer
        "SPEC = ActorSpec('dispatch_touch', f)\n"
    )

    assert sorted(direct_sends(source)) == [
        "container.runtime.send_with_options(DISPATCH_TOUCH.name, args=(), delay_ms=5)",
        "runtime.send('dispatch_touch', 't', 's')",
    ]
    assert actor_name_strings(source, {"dispatch_touch"}) == ["dispatch_touch"]
