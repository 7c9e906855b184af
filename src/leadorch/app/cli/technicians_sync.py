"""`leadorch locations technicians-from-crm TENANT ID [--days N]`: take the location's bookable
technicians from its ShopMonkey calendar.

Every technician the calendar names at the location over the next `--days` days (appointments and the
recurring blocks shown with them) is added to the location's list, after the ones already listed (whose
order, the booking order, is kept). Nobody is removed: a technician on holiday has an empty calendar
too; `locations update --technician …` edits the list by hand.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

from leadorch.app.cli.tenants import actor_of, add_actor


def add_parser(commands: Any) -> None:
    sync = commands.add_parser(
        "technicians-from-crm", help="add the technicians the location's ShopMonkey calendar names"
    )
    sync.add_argument("tenant_id", metavar="TENANT")
    sync.add_argument("location_id", metavar="ID")
    sync.add_argument("--days", type=int, default=30, help="how far ahead to read the calendar (default 30)")
    add_actor(sync)
    sync.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leadorch.app.booking.shop_calendar import CalendarUnavailable, technicians_on_calendar
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.config.errors import ConfigError

    if not 1 <= args.days <= 366:
        raise CliError(f"--days must be between 1 and 366, not {args.days}")
    container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
    where = f"{args.tenant_id}/{args.location_id}"
    try:
        config = container.config
        location = config.location(args.tenant_id, args.location_id)
        now = container.clock.now()
        seen = technicians_on_calendar(
            container, args.tenant_id, location, now, now + timedelta(days=args.days)
        )
        added = [t for t in seen if t not in location.technician_ids]
        if added:
            location = config.update_location(
                args.tenant_id,
                args.location_id,
                technician_ids=[*location.technician_ids, *added],
                actor=actor_of(args),
            )
    except (ConfigError, CalendarUnavailable) as exc:
        raise CliError(f"technicians of {where} not taken from the CRM: {exc}") from None
    finally:
        container.close()
    print(f"{where}: {len(added)} technician(s) added from the CRM calendar")
    print(f"  technicians: {', '.join(location.technician_ids) or 'none listed (capacity counts the bays)'}")
    return 0
