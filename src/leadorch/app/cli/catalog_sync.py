"""`leadorch catalog sync --tenant ID`: import the tenant's canned services from its CRM now.

The `catalog` command group belongs to the configuration CLI (`catalog list`, `catalog set-price`);
this module only adds `sync` to it. `register` attaches to the group when it is already registered and
creates it otherwise; `register_sync(catalog_actions)` lets the group's owner attach it directly.
"""

from __future__ import annotations

import argparse
from typing import Any

from leadorch.app.cli.tenants import actor_of, add_actor


def register(subparsers: Any) -> None:
    catalog = subparsers.choices.get("catalog")
    if catalog is None:
        catalog = subparsers.add_parser("catalog", help="the service catalog")
        actions = catalog.add_subparsers(dest="catalog_action", required=True, metavar="ACTION")
    else:
        actions = next(a for a in catalog._actions if isinstance(a, argparse._SubParsersAction))
    register_sync(actions)


def register_sync(catalog_actions: Any) -> None:
    sync = catalog_actions.add_parser("sync", help="import the tenant's canned services from its CRM")
    sync.add_argument("--tenant", required=True, help="tenant id")
    add_actor(sync)
    sync.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.config.errors import ConfigError
    from leadorch.app.ingestion.catalog import sync_catalog
    from leadorch.ports.crm import CrmError

    container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
    try:
        result = sync_catalog(container, args.tenant, actor=actor_of(args))
    except (ConfigError, CrmError) as exc:
        raise CliError(f"catalog sync of tenant {args.tenant!r} failed: {exc}") from None
    finally:
        container.close()
    print(
        f"catalog of tenant {args.tenant}: {len(result.added)} added, {len(result.updated)} updated, "
        f"{len(result.deactivated)} deactivated"
    )
    for label, ids in (
        ("added", result.added),
        ("updated", result.updated),
        ("deactivated", result.deactivated),
    ):
        for service_id in ids:
            print(f"  {label}: {service_id}")
    return 0
