"""`leadorch ingest-log TENANT [--location ID] [--rejected | --accepted] [--limit N] [--json]`.

Every ShopMonkey order version the tenant's CRM showed us, newest first, with what was decided and each
reason, so "why is this quote not a lead?" is answered from a shell without the worker's logs. The read
model is brought up to date first (a bounded catch-up), so an order a moment old is already listed.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("ingest-log", help="the CRM orders we were shown, with every reason")
    parser.add_argument("tenant_id", metavar="TENANT")
    parser.add_argument("--location", default=None, help="only this location (our location id)")
    decision = parser.add_mutually_exclusive_group()
    decision.add_argument("--rejected", action="store_true", help="only the versions that were rejected")
    decision.add_argument("--accepted", action="store_true", help="only the versions that were accepted")
    parser.add_argument("--limit", type=int, default=50, help="how many versions (1 to 1000, default 50)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--full", action="store_true", help="show addresses in reasons (masked by default)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.config.errors import ConfigNotFound

    if not 1 <= args.limit <= 1000:
        raise CliError(f"--limit must be between 1 and 1000, not {args.limit}")
    container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
    try:
        try:
            lines = ingest_lines(container, args)
        except ConfigNotFound as error:
            raise CliError(str(error)) from None
        for line in lines:
            print(line)
        if not lines:
            print(f"no order versions for tenant {args.tenant_id}")
        return 0
    finally:
        container.close()


def ingest_lines(container: Container, args: argparse.Namespace) -> list[str]:
    from leadorch.app.console import display
    from leadorch.app.console.read_your_writes import catch_up_briefly
    from leadorch.app.readmodels.ingest_log import ingest_log

    locations = container.config.locations(args.tenant_id)  # raises UnknownTenant
    crm_location_id = None
    if args.location is not None:
        chosen = container.config.location(args.tenant_id, args.location)  # raises for an unknown one
        crm_location_id = chosen.crm_location_id or chosen.location_id
    by_crm_id = {location.crm_location_id: location for location in locations if location.crm_location_id}
    catch_up_briefly(container)
    entries = ingest_log(
        container.db,
        args.tenant_id,
        limit=args.limit,
        accepted=True if args.accepted else False if args.rejected else None,
        crm_location_id=crm_location_id,
    )
    lines = []
    for entry in entries:
        reasons = [display.private(reason, reveal=args.full) for reason in entry.reasons]
        location = by_crm_id.get(entry.location_id)
        if args.json:
            lines.append(
                json.dumps(
                    {
                        "seen_at": display.iso(entry.seen_at),
                        "order_id": entry.order_id,
                        "location_id": location.location_id if location else None,
                        "crm_location_id": entry.location_id,
                        "source": entry.source,
                        "accepted": entry.accepted,
                        "outcome": entry.outcome,
                        "reasons": reasons,
                        "lead_id": entry.lead_id,
                    }
                )
            )
            continue
        seen = display.local_time(entry.seen_at, location.time_zone if location else None)
        where = location.location_id if location else f"CRM location {entry.location_id}"
        because = f": {'; '.join(reasons)}" if reasons else ""
        lead = f" (lead {entry.lead_id})" if entry.lead_id else ""
        lines.append(
            f"{seen}  order {entry.order_id}  {where}  {entry.source}  {entry.outcome}{lead}{because}"
        )
    return lines
