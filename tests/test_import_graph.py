"""The dependency rule, checked on the source: no layer imports what it must not know about.

- `domain/` is pure: the standard library's computation-only modules, `eventsourcing.domain`, and itself.
  No clock, no files, no network, no serialisation library, no outer layer.
- `ports/` knows the domain, its own Protocols, `msgspec` and the standard library.
- `adapters/` never reach into `app/` (the composition root wires adapters, not the other way round).

Every import counts, including ones inside functions and under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "leadorch"

# Standard-library modules that only compute: no I/O, no clock, no process or randomness.
PURE_STDLIB = frozenset(
    {
        "__future__",
        "abc",
        "bisect",
        "collections",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "fractions",
        "functools",
        "heapq",
        "itertools",
        "math",
        "numbers",
        "operator",
        "re",
        "statistics",
        "string",
        "textwrap",
        "types",
        "typing",
        "unicodedata",
        "uuid",
        "zoneinfo",
    }
)


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import statement in the module file `path`."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in `source`, a module of `package`."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module is None or (node.level == 0 and target in ("eventsourcing", "leadorch")):
                # `from . import ids` / `from leadorch import domain`: the imported names are the modules.
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, target


def layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE_ROOT / layer).rglob("*.py"))


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def domain_may_import(name: str) -> bool:
    top = name.split(".")[0]
    return top in PURE_STDLIB or within(name, "eventsourcing.domain") or within(name, "leadorch.domain")


def ports_may_import(name: str) -> bool:
    top = name.split(".")[0]
    return (
        within(name, "leadorch.domain")
        or within(name, "leadorch.ports")
        or within(name, "msgspec")
        or (top in sys.stdlib_module_names and top != "leadorch")
    )


def adapters_may_import(name: str) -> bool:
    return not within(name, "leadorch.app")


RULES = {
    "domain": (domain_may_import, "the pure standard library, eventsourcing.domain and leadorch.domain"),
    "ports": (ports_may_import, "leadorch.domain, leadorch.ports, msgspec and the standard library"),
    "adapters": (adapters_may_import, "anything but leadorch.app"),
}


@pytest.mark.parametrize("layer", sorted(RULES))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    allowed, description = RULES[layer]
    files = layer_files(layer)
    assert files, f"no source files found under {PACKAGE_ROOT / layer}"
    violations = [
        f"{path.relative_to(PACKAGE_ROOT.parent)}:{line} imports {name}"
        for path in files
        for line, name in imports_of(path)
        if not allowed(name)
    ]
    assert not violations, f"{layer}/ may import only {description}:\n" + "\n".join(violations)


def test_the_checker_sees_every_form_of_import() -> None:
    """Imports inside functions, relative imports and `from package import module` are all seen."""
    source = (
        "import msgspec\n"
        "from . import ids\n"
        "from ..ports import crm\n"
        "from leadorch import app\n"
        "def f():\n"
        "    import os\n"
        "    from time import monotonic\n"
    )
    found = {name for _, name in imports_in(source, "leadorch.domain")}
    assert found == {"msgspec", "leadorch.domain.ids", "leadorch.ports", "leadorch.app", "os", "time"}
    assert [name for name in sorted(found) if not domain_may_import(name)] == [
        "leadorch.app",
        "leadorch.ports",
        "msgspec",
        "os",
        "time",
    ]


def test_the_rules_say_what_each_layer_may_know() -> None:
    assert not domain_may_import("eventsourcing.persistence") and not domain_may_import(
        "leadorch.app.settings"
    )
    assert domain_may_import("eventsourcing.domain") and domain_may_import("zoneinfo")
    assert (
        not ports_may_import("httpx") and ports_may_import("msgspec.structs") and ports_may_import("typing")
    )
    assert not adapters_may_import("leadorch.app.bootstrap") and adapters_may_import("leadorch.ports.crm")
