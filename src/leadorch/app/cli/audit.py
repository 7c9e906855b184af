"""`leadorch audit LEAD_ID`: a lead's complete history, for a person or (`--json`) for a program."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="print a lead's complete history (its events, touch schedule and appointments) in time order",
    )
    parser.add_argument("lead_id", metavar="LEAD_ID", help="the lead's id (a UUID)")
    parser.add_argument("--tenant", help="refuse a lead that does not belong to this tenant")
    parser.add_argument(
        "--full", action="store_true", help="show contact details unmasked (secrets stay hidden)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leadorch.app.audit import lead_history, render_json, render_text
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.eventstore.store import NotFound

    container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
    try:
        history = lead_history(container.store, args.lead_id, tenant_id=args.tenant, full=args.full)
    except NotFound as exc:
        raise CliError(str(exc)) from None
    finally:
        container.close()
    print(render_json(history) if args.json else render_text(history))
    return 0
