"""`leadorch projections rebuild [NAME…]`, `verify` and `status`: operate the read models."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from leadorch.app.projections.registry import NAMES

BAR_WIDTH = 30


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("projections", help="rebuild, verify or inspect the read models")
    commands = parser.add_subparsers(dest="projections_command", required=True, metavar="ACTION")

    rebuild = commands.add_parser(
        "rebuild", help="rebuild read models from the event log (all when none named)"
    )
    rebuild.add_argument(
        "names", nargs="*", metavar="NAME", help=f"read models to rebuild: {', '.join(NAMES)}"
    )
    rebuild.add_argument("--quiet", action="store_true", help="no progress bar")
    rebuild.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="replay in N processes, each rebuilding a share of the read models (default 1; helps only "
        "with idle cores to spare: each process also reads and decodes the whole log)",
    )
    rebuild.set_defaults(handler=run_rebuild)

    verify = commands.add_parser(
        "verify",
        help="replay the log into scratch tables and print every difference with the live read models",
    )
    verify.add_argument(
        "names", nargs="*", metavar="NAME", help="read models to verify (all when none named)"
    )
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.set_defaults(handler=run_verify)

    status = commands.add_parser("status", help="print each read model's position and lag behind the log")
    status.set_defaults(handler=run_status)


def run_rebuild(args: argparse.Namespace) -> int:
    from leadorch.app.cli import CliError
    from leadorch.app.projections.rebuild import rebuild

    if args.workers < 1:
        raise CliError(f"--workers must be at least 1, not {args.workers}")
    projections = _named(args.names)
    with _container() as container:
        started = time.monotonic()
        reached = rebuild(
            container.db,
            container.store,
            projections,
            progress=None if args.quiet else ProgressBar("rebuild"),
            workers=args.workers,
            database_url=container.settings.database_url,
            codec=container.settings.event_codec,
        )
        elapsed = time.monotonic() - started
    for name, position in reached.items():
        print(f"rebuilt {name} up to event #{position}")
    print(f"done in {elapsed:.1f} s")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from leadorch.app.projections.verify import verify

    projections = _named(args.names)
    with _container() as container:
        differences = verify(
            container.db, container.store, projections, progress=None if args.quiet else ProgressBar("verify")
        )
    for difference in differences:
        print(difference.describe())
    checked = ", ".join(projection.name for projection in projections)
    if differences:
        print(f"{len(differences)} difference(s) between the live read models and a replay of the log")
        return 1
    print(f"no differences: {checked} match a replay of the log")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from leadorch.app.projections.shape import out_of_shape
    from leadorch.app.projections.wiring import projection_runner

    with _container() as container:
        runner = projection_runner(container)
        positions = runner.positions()
        head = runner.head()
        stale = out_of_shape(container.db, runner.projections)
    print(f"event log head: #{head}")
    for name, position in positions.items():
        print(f"{name:<14} at #{position:<10} lag {head - position}")
    for name, differences in sorted(stale.items()):
        print(f"{name}: needs `leadorch projections rebuild {name}` ({'; '.join(differences)})")
    return 1 if stale else 0


class ProgressBar:
    """A one-line text progress bar on stderr: `rebuild [#####     ] 51% 51000/100000 events 48000/s`."""

    def __init__(
        self, label: str, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.clock = clock
        self.started = clock()

    def __call__(self, position: int, total: int) -> None:
        fraction = 1.0 if total <= 0 else min(1.0, position / total)
        filled = round(fraction * BAR_WIDTH)
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = position / elapsed
        bar = "#" * filled + " " * (BAR_WIDTH - filled)
        end = "\n" if fraction >= 1.0 else ""
        self.stream.write(
            f"\r{self.label} [{bar}] {fraction:4.0%} {position}/{total} events {rate:,.0f}/s{end}"
        )
        self.stream.flush()


def _named(names: list[str]) -> list[Any]:
    from leadorch.app.cli import CliError
    from leadorch.app.projections.registry import UnknownProjection, projections_named

    try:
        return projections_named(names)
    except UnknownProjection as exc:
        raise CliError(str(exc)) from None


@contextmanager
def _container() -> Iterator[Any]:
    """The application container for one command, closed afterwards."""
    from leadorch.app.bootstrap import bootstrap

    container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
    try:
        yield container
    finally:
        container.close()
