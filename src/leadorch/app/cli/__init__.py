"""The `leadorch` command line: one entry point, a subcommand per concern.

Each module in `COMMAND_MODULES` exposes `register(subparsers)` adding its subcommands; a subcommand's
handler takes the parsed arguments and returns an exit code. Errors meant for the operator are raised as
`CliError` and printed as one line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from leadorch.app.db import DatabaseUnreachable
from leadorch.app.settings import SettingsError

COMMAND_MODULES: list[str] = [
    "leadorch.app.cli.projections",
    "leadorch.app.cli.audit",
    "leadorch.app.cli.serve",
    "leadorch.app.cli.worker",
    "leadorch.app.cli.demo",
    "leadorch.app.cli.simulate",
    "leadorch.app.cli.catalog_sync",
    "leadorch.app.cli.tenants",
    "leadorch.app.cli.locations",
    "leadorch.app.cli.catalog",
    "leadorch.app.cli.leads",
    "leadorch.app.cli.ingest_log",
    "leadorch.app.cli.inbound_parse",
]


class CliError(Exception):
    """A message for the operator; exits with status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadorch", description="Lead Orchestrator")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (CliError, SettingsError, DatabaseUnreachable) as exc:
        print(f"leadorch: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
