"""`leadorch leads pause|resume|hand-to-shop LEAD_ID --tenant T`: staff take a lead over, or give it back.

Each prints what it did; an unknown lead, or a refused transition ("already paused"), exits with status 2
and one line saying why.
"""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("leads", help="act on one lead (pause, resume, hand to the shop)")
    actions = parser.add_subparsers(dest="leads_command", required=True, metavar="ACTION")
    pause = actions.add_parser("pause", help="stop automated messages to the lead until resumed")
    pause.add_argument("--reason", default="", help="why (shown in the lead's history)")
    resume = actions.add_parser("resume", help="hand the lead back to the automation")
    hand = actions.add_parser("hand-to-shop", help="the shop takes the lead over for good")
    hand.add_argument("--reason", required=True, help="why (shown in the lead's history)")
    for action, handler in ((pause, _pause), (resume, _resume), (hand, _hand_to_shop)):
        action.add_argument("lead_id", metavar="LEAD_ID")
        action.add_argument("--tenant", required=True, help="the tenant the lead belongs to")
        action.add_argument("--actor", default=None, help="who is acting (default: $USER)")
        action.set_defaults(handler=_run(handler))


def _actor(args: argparse.Namespace) -> str:
    if args.actor:
        return str(args.actor)
    try:
        return os.environ.get("USER") or getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


def _run(action: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        from leadorch.app.bootstrap import bootstrap
        from leadorch.app.cli import CliError
        from leadorch.app.eventstore.store import ConcurrencyConflict, NotFound
        from leadorch.domain.errors import DomainError

        container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
        try:
            print(action(container, args))
            return 0
        except NotFound:
            raise CliError(f"no lead {args.lead_id} in tenant {args.tenant}") from None
        except (DomainError, ConcurrencyConflict) as error:
            raise CliError(str(error)) from None
        finally:
            container.close()

    return run


def _pause(container: Container, args: argparse.Namespace) -> str:
    from leadorch.app.leads import pause

    actor = _actor(args)
    pause(container, args.tenant, args.lead_id, by=actor, reason=args.reason)
    return f"lead {args.lead_id}: automation paused by {actor}"


def _resume(container: Container, args: argparse.Namespace) -> str:
    from leadorch.app.leads import resume

    actor = _actor(args)
    resume(container, args.tenant, args.lead_id, by=actor)
    return f"lead {args.lead_id}: automation resumed by {actor}; the next touch is rescheduled from now"


def _hand_to_shop(container: Container, args: argparse.Namespace) -> str:
    from leadorch.app.leads import hand_to_shop

    actor = _actor(args)
    hand_to_shop(container, args.tenant, args.lead_id, reason=f"{args.reason} ({actor})")
    return f"lead {args.lead_id}: handed to the shop; no more automated messages"
