"""Where to point SendGrid's Inbound Parse, per tenant: the URL, and the domains replies are sent to.

Customers answer the address a touch came from (each location's `email_from`, else the deployment's
default sender). For their answers to reach us, each of those domains needs an MX record pointing at
`mx.sendgrid.net` and an Inbound Parse setting for that host whose destination is the URL below.

Decision: one URL per deployment, not per tenant. A deployment sends through one SendGrid account,
whose Inbound Parse settings are per receiving host, and an emailed reply is matched to its lead by the
sender's address (and the lead's location's sender), so the URL need not name the tenant; its key is
derived from LEADORCH_SECRET_KEY (`webhook_key`), which rotates it for every tenant at once. Because the
key lets whoever holds it post "replies" for any tenant's customers, the full URL is shown only to the
operator (the CLI on the server, the operator's console session); a tenant's console session sees the
host and path with the key hidden. Should tenants ever bring their own SendGrid accounts, the key would
be derived per tenant (`webhook_key(f"{KEY_PURPOSE}:{tenant}")`) and the URL carry the tenant, like the
ShopMonkey webhook's `/webhooks/shopmonkey/{tenant}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.senders import senders_for

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

MX_HOST = "mx.sendgrid.net"
HIDDEN_KEY = "(hidden: ask the operator)"


@dataclass(frozen=True)
class ReplyDomain:
    """A domain the tenant's emails are sent from, and the locations using it."""

    domain: str
    senders: tuple[str, ...]
    locations: tuple[str, ...]


@dataclass(frozen=True)
class InboundParseSetup:
    tenant_id: str
    url: str
    reply_domains: tuple[ReplyDomain, ...]

    def lines(self) -> list[str]:
        """What the CLI prints."""
        out = [f"tenant {self.tenant_id}: SendGrid Inbound Parse destination URL:", f"  {self.url}"]
        if not self.reply_domains:
            out.append("  (no location yet: add one, then set up the domain it sends from)")
        for domain in self.reply_domains:
            out.append(
                f"  receiving host {domain.domain}: MX {MX_HOST}; sent from {', '.join(domain.senders)} "
                f"by {', '.join(domain.locations)}"
            )
        return out


def inbound_parse_setup(
    container: Container, tenant_id: str, *, reveal_key: bool = True
) -> InboundParseSetup:
    """The tenant's Inbound Parse setup; `reveal_key=False` hides the key (for a tenant's own session).

    Raises `UnknownTenant` for a tenant that does not exist."""
    container.config.tenant(tenant_id)
    url = inbound_parse_url(container)
    if not reveal_key:
        url = url.split("?key=", 1)[0] + f"?key={HIDDEN_KEY}"
    by_domain: dict[str, tuple[list[str], list[str]]] = {}
    for location in container.config.locations(tenant_id):
        sender = senders_for(location, container.settings).email_from
        domain = sender.rsplit("@", 1)[-1].lower()
        senders, names = by_domain.setdefault(domain, ([], []))
        if sender not in senders:
            senders.append(sender)
        names.append(location.name)
    return InboundParseSetup(
        tenant_id=tenant_id,
        url=url,
        reply_domains=tuple(
            ReplyDomain(domain, tuple(senders), tuple(names))
            for domain, (senders, names) in sorted(by_domain.items())
        ),
    )
