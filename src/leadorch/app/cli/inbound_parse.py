"""`leadorch inbound-parse-url [--tenant T]`: where to point SendGrid's Inbound Parse.

Prints the destination URL (with its key: this runs on the server, as the operator) and, per tenant,
the domains its emails are sent from, which need an MX record to SendGrid and an Inbound Parse setting.
The URL is one per deployment (see `leadorch.app.inbound_parse` for why). The last line is the
Event Webhook's HTTP POST URL (also one per deployment), which settles uncertain emails (issue 17).
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "inbound-parse-url", help="the URL to set as SendGrid's Inbound Parse destination, per tenant"
    )
    parser.add_argument(
        "--tenant", default=None, metavar="T", help="only this tenant (default: every tenant)"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from leadorch.app.bootstrap import bootstrap
    from leadorch.app.cli import CliError
    from leadorch.app.config.errors import ConfigNotFound
    from leadorch.app.inbound_parse import inbound_parse_setup

    container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
    try:
        tenants = [args.tenant] if args.tenant else [t.tenant_id for t in container.config.tenants()]
        if not tenants:
            from leadorch.app.http.webhooks_sendgrid import inbound_parse_url

            print(f"SendGrid Inbound Parse destination URL: {inbound_parse_url(container)}")
            print("no tenants yet: each tenant's sending domains are listed once it has locations")
            _print_event_webhook_url(container)
            return 0
        for tenant_id in tenants:
            try:
                setup = inbound_parse_setup(container, tenant_id)
            except ConfigNotFound as error:
                raise CliError(str(error)) from None
            print("\n".join(setup.lines()))
        _print_event_webhook_url(container)
        return 0
    finally:
        container.close()


def _print_event_webhook_url(container: Any) -> None:
    from leadorch.app.http.webhooks_sendgrid_events import email_events_url

    print(
        f"SendGrid Event Webhook HTTP POST URL (signed, processed/delivered/bounce/dropped): {email_events_url(container)}"
    )
