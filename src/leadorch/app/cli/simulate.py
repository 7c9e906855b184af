"""`leadorch simulate …`: drive a running demo server the way the outside world would.

`webhook` — a customer asks for a quote (ShopMonkey creates the order and sends its signed webhook);
`reply TEXT` — the latest lead texts back (e.g. "STOP", "what does ceramic cost?");
`clock +3d` — move the demo clock forward so later touches come due; `outbox` — what was sent.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("simulate", help="drive a running demo (webhook, reply, clock, outbox)")
    parser.add_argument("--url", default=os.environ.get("LEADORCH_PUBLIC_BASE_URL", "http://127.0.0.1:8000"))
    parser.add_argument(
        "--token", default=None, help="operator token (default: LEADORCH_ADMIN_TOKEN or the demo's)"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    webhook = actions.add_parser("webhook", help="a new website quote arrives from ShopMonkey")
    webhook.add_argument("--stranger", action="store_true", help="a customer not on the demo allow-list")
    webhook.set_defaults(handler=_webhook)
    reply = actions.add_parser("reply", help="the latest lead texts back")
    reply.add_argument("text")
    reply.add_argument("--lead", default=None, help="lead id (default: the newest lead with a phone)")
    reply.set_defaults(handler=_reply)
    clock = actions.add_parser("clock", help="advance the demo clock, e.g. +3d, +12h")
    clock.add_argument("advance")
    clock.set_defaults(handler=_clock)
    outbox = actions.add_parser("outbox", help="messages the email and SMS stand-ins received")
    outbox.set_defaults(handler=_outbox)


def _call(args: argparse.Namespace, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    import httpx

    from leadorch.app.cli import CliError
    from leadorch.app.settings import load_settings

    token = args.token or load_settings().admin_token
    try:
        response = httpx.request(
            method,
            f"{args.url.rstrip('/')}/api/demo{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        raise CliError(
            f"cannot reach the demo server at {args.url} ({exc}); is `leadorch demo` running?"
        ) from None
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise CliError(f"{method} {path} answered {response.status_code}: {detail}")
    return response.json()


def _print(value: Any) -> int:
    print(json.dumps(value, indent=2, ensure_ascii=False))
    return 0


def _webhook(args: argparse.Namespace) -> int:
    return _print(_call(args, "POST", "/quotes", {"stranger": args.stranger}))


def _reply(args: argparse.Namespace) -> int:
    return _print(_call(args, "POST", "/replies", {"text": args.text, "lead_id": args.lead}))


def _clock(args: argparse.Namespace) -> int:
    return _print(_call(args, "POST", "/clock", {"advance": args.advance}))


def _outbox(args: argparse.Namespace) -> int:
    return _print(_call(args, "GET", "/outbox"))
