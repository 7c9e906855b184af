"""`leadorch catalog list|set-price`: a tenant's services and a location's own prices.

Prices are typed in dollars (`450.00`) and stored in cents. The catalog itself comes from the CRM
(`leadorch catalog sync`, elsewhere); here an operator only overrides a price for one location.
"""

from __future__ import annotations

import argparse
from typing import Any

from leadorch.app.cli.tenants import actor_of, add_actor, config_command
from leadorch.app.config import validation
from leadorch.app.config.models import CatalogEntry
from leadorch.app.config.service import ConfigService


def register(subparsers: Any) -> None:
    commands = _catalog_actions(subparsers)

    listing = commands.add_parser("list", help="list the services, with a location's prices")
    listing.add_argument("tenant_id", metavar="TENANT")
    listing.add_argument("--location", metavar="ID", help="show this location's effective prices")
    listing.set_defaults(handler=config_command(_list))

    price = commands.add_parser("set-price", help="set (or clear) a location's own price for a service")
    price.add_argument("tenant_id", metavar="TENANT")
    price.add_argument("service_id", metavar="SERVICE")
    price.add_argument("--location", required=True, metavar="ID")
    amount = price.add_mutually_exclusive_group(required=True)
    amount.add_argument("--price", metavar="DOLLARS", help="e.g. 450.00")
    amount.add_argument("--clear", action="store_true", help="use the tenant-wide price again")
    add_actor(price)
    price.set_defaults(handler=config_command(_set_price))


def _catalog_actions(subparsers: Any) -> Any:
    """The `catalog` command's subcommands, shared with `catalog sync` (registered by another module)."""
    existing = subparsers.choices.get("catalog")
    if existing is None:
        parser = subparsers.add_parser("catalog", help="the service catalog and location prices")
        return parser.add_subparsers(dest="catalog_action", required=True, metavar="ACTION")
    return next(action for action in existing._actions if isinstance(action, argparse._SubParsersAction))


def _list(args: argparse.Namespace, config: ConfigService) -> int:
    entries = config.catalog(args.tenant_id, args.location)
    if not entries:
        print(f"{args.tenant_id} has no services yet (they come from the CRM: leadorch catalog sync)")
    for entry in entries:
        print(describe_entry(entry))
    return 0


def _set_price(args: argparse.Namespace, config: ConfigService) -> int:
    cents = None if args.clear else validation.dollars(args.price)
    entry = config.set_location_price(
        args.tenant_id, args.location, args.service_id, cents, actor=actor_of(args)
    )
    where = f"{args.tenant_id}/{args.location}"
    if args.clear:
        print(f"{where}: {entry.name} is back to the tenant-wide price {money(entry.price_cents)}")
    else:
        print(
            f"{where}: {entry.name} now costs {money(entry.price_cents)} (tenant-wide {money(entry.base_price_cents)})"
        )
    return 0


def describe_entry(entry: CatalogEntry) -> str:
    price = money(entry.price_cents) + (" (location price)" if entry.price_overridden else "")
    bookable = "bookable" if entry.bookable else "not bookable online"
    return f"{entry.service_id}\t{entry.name}\t{entry.duration_minutes} min\t{price}\t{bookable}"


def money(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"
