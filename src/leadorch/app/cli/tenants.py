"""`leadorch tenants …`: create and configure tenants (CRM binding, lead rule, demo mode, cadence).

Every command prints what it did; bad input exits with status 2 and one line saying what is wrong.
Secrets are never typed on the command line where avoidable: `--api-key-env VAR` reads the ShopMonkey
API key from an environment variable, so it stays out of shell history and process listings.
Also home of the plumbing the `locations` and `catalog` commands share (`config_command`, `--actor`).
"""

from __future__ import annotations

import argparse
import functools
import getpass
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from leadorch.app.cli import CliError
from leadorch.app.config.errors import ConfigError
from leadorch.app.config.models import TenantConfig, TouchTemplate
from leadorch.app.config.service import ConfigService
from leadorch.domain.errors import DomainError

Handler = Callable[[argparse.Namespace, ConfigService], int | None]


def config_command(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Run `handler` with the configuration service; configuration errors become one-line `CliError`s."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        from leadorch.app.bootstrap import bootstrap

        container = bootstrap(messaging=False)  # sends nothing: no provider SDK, no stand-ins
        try:
            return int(handler(args, container.config) or 0)
        except (ConfigError, DomainError) as error:
            raise CliError(str(error)) from None
        finally:
            container.close()

    return run


def default_actor() -> str:
    """Who the audit names when `--actor` is not given: the login name, else "cli"."""
    try:
        return os.environ.get("USER") or getpass.getuser() or "cli"
    except (KeyError, OSError):
        return "cli"


def add_actor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--actor", default=None, help="who is making the change, for the audit (default: $USER)"
    )


def actor_of(args: argparse.Namespace) -> str:
    return str(args.actor or default_actor())


def secret_from_env(variable: str | None, what: str) -> str | None:
    """The value of the environment variable named by `--…-env`, or a clear error if it is unset."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if not value:
        raise CliError(f"{what}: environment variable {variable} is not set")
    return value


def read_json_file(path: str, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CliError(f"{what}: cannot read {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise CliError(f"{what}: {path} is not valid JSON (line {error.lineno}: {error.msg})") from None


def register(subparsers: Any) -> None:
    tenants = subparsers.add_parser("tenants", help="create and configure tenants")
    commands = tenants.add_subparsers(dest="tenants_command", required=True, metavar="ACTION")

    create = commands.add_parser("create", help="create a tenant (demo mode on) and print its API token once")
    create.add_argument("tenant_id", metavar="ID", help="a slug, e.g. tintworld")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--website-status",
        action="append",
        default=[],
        metavar="STATUS_ID",
        help="a CRM workflow status id that marks website leads (repeatable)",
    )
    create.add_argument(
        "--api-key-env", metavar="VAR", help="environment variable holding the ShopMonkey API key"
    )
    secret = create.add_mutually_exclusive_group()
    secret.add_argument(
        "--webhook-secret", metavar="SECRET", help="the ShopMonkey webhook signing secret (whsec_…)"
    )
    secret.add_argument(
        "--webhook-secret-env", metavar="VAR", help="environment variable holding the webhook secret"
    )
    add_actor(create)
    create.set_defaults(handler=config_command(_create))

    listing = commands.add_parser("list", help="list the tenants")
    listing.set_defaults(handler=config_command(_list))

    show = commands.add_parser("show", help="show one tenant's configuration (secrets only as set/not set)")
    show.add_argument("tenant_id", metavar="ID")
    show.set_defaults(handler=config_command(_show))

    update = commands.add_parser(
        "update",
        help="change a tenant's name, website statuses, SMS length limit or how texts and emails are answered",
    )
    update.add_argument("tenant_id", metavar="ID")
    update.add_argument("--name")
    update.add_argument(
        "--website-status",
        action="append",
        metavar="STATUS_ID",
        help="replaces the list of website-lead workflow status ids (repeatable)",
    )
    update.add_argument("--max-sms-segments", type=int, metavar="N")
    update.add_argument(
        "--assistant-answers",
        choices=["on", "off"],
        help="whether the assistant answers texts and emailed replies (off: staff answer from the inbox)",
    )
    update.add_argument(
        "--live-conversation-minutes",
        type=int,
        metavar="MINUTES",
        help="an answer within this long of the customer's message goes at once, later ones keep quiet hours",
    )
    update.add_argument(
        "--generic-word",
        action="append",
        metavar="WORD",
        help="replaces the words the chat ignores when matching a service name (repeatable)",
    )
    add_actor(update)
    update.set_defaults(handler=config_command(_update))

    demo = commands.add_parser(
        "demo-mode", help="turn demo mode on or off (off: real customers get messages)"
    )
    demo.add_argument("tenant_id", metavar="ID")
    demo.add_argument("state", choices=["on", "off"])
    add_actor(demo)
    demo.set_defaults(handler=config_command(_demo_mode))

    allow = commands.add_parser("allow", help="add or remove an address on the demo-mode allow-list")
    allow.add_argument("tenant_id", metavar="ID")
    allow.add_argument("change", choices=["add", "remove"])
    allow.add_argument("address", metavar="ADDRESS", help="an email address or a phone number")
    add_actor(allow)
    allow.set_defaults(handler=config_command(_allow))

    crm = commands.add_parser(
        "crm", help="set the ShopMonkey API key and/or webhook secret (stored encrypted)"
    )
    crm.add_argument("tenant_id", metavar="ID")
    crm.add_argument(
        "--api-key-env", metavar="VAR", help="environment variable holding the ShopMonkey API key"
    )
    crm_secret = crm.add_mutually_exclusive_group()
    crm_secret.add_argument("--webhook-secret", metavar="SECRET")
    crm_secret.add_argument("--webhook-secret-env", metavar="VAR")
    add_actor(crm)
    crm.set_defaults(handler=config_command(_crm))

    rotate = commands.add_parser("rotate-token", help="issue a new API token (the old one stops working)")
    rotate.add_argument("tenant_id", metavar="ID")
    add_actor(rotate)
    rotate.set_defaults(handler=config_command(_rotate_token))

    plan = commands.add_parser(
        "touch-plan", help="set the tenant's own touch plan from a JSON file, or the default"
    )
    plan.add_argument("tenant_id", metavar="ID")
    plan_source = plan.add_mutually_exclusive_group(required=True)
    plan_source.add_argument(
        "--file", metavar="PLAN.json", help='[{"number": 1, "day": 0, "channels": ["email"]}, …]'
    )
    plan_source.add_argument("--default", action="store_true", help="use the default 13-touch plan")
    add_actor(plan)
    plan.set_defaults(handler=config_command(_touch_plan))

    templates = commands.add_parser(
        "templates", help="set the tenant's own message templates from a JSON file"
    )
    templates.add_argument("tenant_id", metavar="ID")
    templates_source = templates.add_mutually_exclusive_group(required=True)
    templates_source.add_argument(
        "--file",
        metavar="TEMPLATES.json",
        help='{"1": {"sms": "…", "email_subject": "…"}, …} (touch number -> parts)',
    )
    templates_source.add_argument("--default", action="store_true", help="use the default templates")
    add_actor(templates)
    templates.set_defaults(handler=config_command(_templates))


def _create(args: argparse.Namespace, config: ConfigService) -> int:
    webhook_secret = args.webhook_secret or secret_from_env(args.webhook_secret_env, "--webhook-secret-env")
    created = config.create_tenant(
        args.tenant_id,
        name=args.name,
        website_status_ids=args.website_status,
        crm_api_key=secret_from_env(args.api_key_env, "--api-key-env"),
        crm_webhook_secret=webhook_secret,
        actor=actor_of(args),
    )
    tenant = created.tenant
    print(
        f"created tenant {tenant.tenant_id} ({tenant.name}); demo mode is on: only allow-listed addresses get messages"
    )
    print(
        f"  website-lead statuses: {', '.join(tenant.website_status_ids) or '(none yet: no order will make a lead)'}"
    )
    print(
        f"  CRM API key: {_set(tenant.crm_api_key_set)}; webhook secret: {_set(tenant.crm_webhook_secret_set)}"
    )
    print(f"API token for {tenant.tenant_id} (shown once, store it now): {created.api_token}")
    return 0


def _list(_: argparse.Namespace, config: ConfigService) -> int:
    tenants = config.tenants()
    if not tenants:
        print("no tenants yet (create one with: leadorch tenants create ID --name NAME)")
        return 0
    for tenant in tenants:
        demo = "demo mode" if tenant.demo_mode else "LIVE"
        print(f"{tenant.tenant_id}\t{tenant.name}\t{demo}\tCRM key {_set(tenant.crm_api_key_set)}")
    return 0


def _show(args: argparse.Namespace, config: ConfigService) -> int:
    tenant = config.tenant(args.tenant_id)
    print(describe_tenant(tenant))
    locations = config.locations(tenant.tenant_id)
    print(f"locations: {', '.join(loc.location_id for loc in locations) or '(none)'}")
    return 0


def _update(args: argparse.Namespace, config: ConfigService) -> int:
    tenant = config.update_tenant(
        args.tenant_id,
        name=args.name,
        website_status_ids=args.website_status,
        max_sms_segments=args.max_sms_segments,
        catalog_generic_words=args.generic_word,
        assistant_answers_messages=on_off(args.assistant_answers),
        live_conversation_minutes=args.live_conversation_minutes,
        actor=actor_of(args),
    )
    print(f"updated tenant {tenant.tenant_id}")
    print(describe_tenant(tenant))
    return 0


def _demo_mode(args: argparse.Namespace, config: ConfigService) -> int:
    # Whoever runs the CLI on the server is the operator, and typing the tenant's id is the confirmation.
    tenant = config.set_demo_mode(
        args.tenant_id, args.state == "on", actor=actor_of(args), by_operator=True, confirm=args.tenant_id
    )
    if tenant.demo_mode:
        print(
            f"demo mode is on for {tenant.tenant_id}: only {len(tenant.allow_list)} allow-listed address(es) get messages"
        )
    else:
        print(f"demo mode is OFF for {tenant.tenant_id}: messages now go to real customers")
    return 0


def _require_deployment_key() -> None:
    """A CRM secret sealed with the demo key is unreadable by a deployment's server (every webhook of the
    tenant would fail): outside the embedded demo, storing one needs the server's LEADORCH_SECRET_KEY."""
    from leadorch.app.cli import CliError
    from leadorch.app.settings import load_settings

    settings = load_settings()
    if settings.is_production_secret or settings.database_url.startswith("sqlite:///"):
        return
    raise CliError(
        "LEADORCH_SECRET_KEY is not set: the secret would be sealed with the demo key and the server could "
        "not read it. Run this in the server's environment (under compose: docker compose exec api "
        "leadorch tenants crm …)"
    )


def _allow(args: argparse.Namespace, config: ConfigService) -> int:
    if args.change == "add":
        tenant = config.allow_address(args.tenant_id, args.address, actor=actor_of(args))
        print(f"{tenant.tenant_id}: allow-list is now {', '.join(tenant.allow_list)}")
    else:
        tenant = config.disallow_address(args.tenant_id, args.address, actor=actor_of(args))
        print(f"{tenant.tenant_id}: allow-list is now {', '.join(tenant.allow_list) or '(empty)'}")
    return 0


def _crm(args: argparse.Namespace, config: ConfigService) -> int:
    _require_deployment_key()
    webhook_secret = args.webhook_secret or secret_from_env(args.webhook_secret_env, "--webhook-secret-env")
    api_key = secret_from_env(args.api_key_env, "--api-key-env")
    tenant = config.set_crm_credentials(
        args.tenant_id, api_key=api_key, webhook_secret=webhook_secret, actor=actor_of(args)
    )
    changed = [name for name, value in (("API key", api_key), ("webhook secret", webhook_secret)) if value]
    print(f"{tenant.tenant_id}: stored CRM {' and '.join(changed)} (encrypted)")
    return 0


def _rotate_token(args: argparse.Namespace, config: ConfigService) -> int:
    token = config.rotate_api_token(args.tenant_id, actor=actor_of(args))
    print(f"new API token for {args.tenant_id} (shown once; the previous token no longer works): {token}")
    return 0


def _touch_plan(args: argparse.Namespace, config: ConfigService) -> int:
    plan = None if args.default else read_json_file(args.file, "--file")
    tenant = config.set_touch_plan(args.tenant_id, plan, actor=actor_of(args))
    touches = tenant.touch_plan().touches
    kind = "the default plan" if tenant.custom_touch_plan is None else "its own plan"
    days = ", ".join(str(touch.day) for touch in touches)
    print(f"{tenant.tenant_id} uses {kind}: {len(touches)} touches on days {days}")
    return 0


def _templates(args: argparse.Namespace, config: ConfigService) -> int:
    templates: dict[int, TouchTemplate] = {}
    if not args.default:
        raw = read_json_file(args.file, "--file")
        try:
            templates = msgspec.convert(raw, dict[int, TouchTemplate], strict=False)
        except msgspec.ValidationError as error:
            raise CliError(f"--file: {error}") from None
    tenant = config.set_templates(args.tenant_id, templates, actor=actor_of(args))
    own = ", ".join(str(number) for number in sorted(tenant.templates)) or "none"
    print(f"{tenant.tenant_id}: own templates for touches: {own}; the others use the defaults")
    return 0


def describe_tenant(tenant: TenantConfig) -> str:
    plan = (
        "default (13 touches)"
        if tenant.custom_touch_plan is None
        else f"own ({len(tenant.custom_touch_plan)} touches)"
    )
    lines = [
        f"tenant {tenant.tenant_id}: {tenant.name}",
        f"  demo mode: {'on' if tenant.demo_mode else 'OFF (live)'}",
        f"  allow-list: {', '.join(tenant.allow_list) or '(empty)'}",
        f"  website-lead statuses: {', '.join(tenant.website_status_ids) or '(none)'}",
        f"  CRM API key: {_set(tenant.crm_api_key_set)}; webhook secret: {_set(tenant.crm_webhook_secret_set)}",
        f"  touch plan: {plan}; own templates: {', '.join(map(str, sorted(tenant.templates))) or 'none'}",
        f"  max SMS segments: {tenant.max_sms_segments}",
        f"  catalog generic words: {', '.join(tenant.catalog_generic_words) or '(none)'}",
        f"  assistant answers texts and emails: {'on' if tenant.assistant_answers_messages else 'off'}; "
        f"live conversation: {tenant.live_conversation_minutes} min",
    ]
    return "\n".join(lines)


def on_off(choice: str | None) -> bool | None:
    """An "on"/"off" option as the setting (None: left out, unchanged)."""
    return None if choice is None else choice == "on"


def _set(flag: bool) -> str:
    return "set" if flag else "not set"
