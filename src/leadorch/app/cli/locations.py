"""`leadorch locations …`: a tenant's shops, their hours, holidays, sending window and staff contacts.

Hours are typed compactly: `--hours "mon-fri 09:00-18:00; sat 10:00-16:00; sun closed"` (several
intervals a day with commas: `"mon-fri 09:00-12:00,13:00-18:00"`). Every command prints the result.
"""

from __future__ import annotations

import argparse
from typing import Any

from leadorch.app.cli import CliError, technicians_sync
from leadorch.app.cli.tenants import actor_of, add_actor, config_command, on_off
from leadorch.app.config import validation
from leadorch.app.config.hours import format_days, format_weekly_hours, parse_days, parse_weekly_hours
from leadorch.app.config.models import (
    DEFAULT_BOOKING_HORIZON_DAYS,
    STAFF_ALERTS,
    LocationConfig,
    SendingWindowConfig,
)
from leadorch.app.config.service import ConfigService
from leadorch.app.crm_health import check_location_exists
from leadorch.app.senders import refusal_for, senders_lacking
from leadorch.app.settings import load_settings
from leadorch.ports.crm import CrmError


def register(subparsers: Any) -> None:
    locations = subparsers.add_parser("locations", help="configure a tenant's locations")
    commands = locations.add_subparsers(dest="locations_command", required=True, metavar="ACTION")

    add = commands.add_parser("add", help="add a location")
    add.add_argument("tenant_id", metavar="TENANT")
    add.add_argument("location_id", metavar="ID", help="a slug, e.g. san-diego")
    add.add_argument("--name", required=True)
    add.add_argument("--crm-location-id", required=True, help="the ShopMonkey location id")
    add.add_argument("--time-zone", required=True, help="IANA name, e.g. America/Los_Angeles")
    _add_location_options(add)
    add.add_argument("--hours", help='e.g. "mon-fri 09:00-18:00; sat 10:00-16:00" (days left out are closed)')
    add.add_argument("--window", metavar="HH:MM-HH:MM", help="sending window (default 09:00-20:00)")
    add.add_argument(
        "--window-days", metavar="DAYS", help="days messages may go out, e.g. mon-sat (default every day)"
    )
    add_actor(add)
    add.set_defaults(handler=config_command(_add))

    listing = commands.add_parser("list", help="list a tenant's locations")
    listing.add_argument("tenant_id", metavar="TENANT")
    listing.set_defaults(handler=config_command(_list))

    show = commands.add_parser("show", help="show a location")
    show.add_argument("tenant_id", metavar="TENANT")
    show.add_argument("location_id", metavar="ID")
    show.set_defaults(handler=config_command(_show))

    update = commands.add_parser(
        "update", help='change a location\'s details ("" clears phone, address, senders)'
    )
    update.add_argument("tenant_id", metavar="TENANT")
    update.add_argument("location_id", metavar="ID")
    update.add_argument("--name")
    update.add_argument("--crm-location-id")
    update.add_argument("--time-zone")
    _add_location_options(update)
    update.add_argument(
        "--assistant-answers",
        choices=["on", "off"],
        help="whether the assistant answers this shop's texts and emailed replies (the tenant's must be on too)",
    )
    technicians = update.add_mutually_exclusive_group()
    technicians.add_argument(
        "--technician",
        dest="technicians",
        action="append",
        metavar="CRM_USER_ID",
        help="a bookable technician (repeat for each, in the order to book them); replaces the list",
    )
    technicians.add_argument(
        "--no-technicians", action="store_true", help="list no technicians: capacity counts the bays"
    )
    add_actor(update)
    update.set_defaults(handler=config_command(_update))
    technicians_sync.add_parser(commands)

    hours = commands.add_parser("hours", help="set the weekly opening hours")
    hours.add_argument("tenant_id", metavar="TENANT")
    hours.add_argument("location_id", metavar="ID")
    hours.add_argument(
        "hours", metavar="HOURS", help='e.g. "mon-fri 09:00-18:00; sat 10:00-16:00; sun closed"'
    )
    add_actor(hours)
    hours.set_defaults(handler=config_command(_hours))

    holiday = commands.add_parser("holiday", help="close (or set special hours) on a date, or remove that")
    holiday.add_argument("tenant_id", metavar="TENANT")
    holiday.add_argument("location_id", metavar="ID")
    holiday.add_argument("date", metavar="YYYY-MM-DD")
    holiday.add_argument(
        "--hours", default="", metavar="INTERVALS", help="open these hours instead, e.g. 10:00-14:00"
    )
    holiday.add_argument("--note", default="", help="e.g. Thanksgiving")
    holiday.add_argument("--remove", action="store_true", help="remove the special hours of that date")
    add_actor(holiday)
    holiday.set_defaults(handler=config_command(_holiday))

    window = commands.add_parser("window", help="set when messages may go out (within 08:00-21:00)")
    window.add_argument("tenant_id", metavar="TENANT")
    window.add_argument("location_id", metavar="ID")
    window.add_argument("window", metavar="HH:MM-HH:MM")
    window.add_argument("--days", metavar="DAYS", help="e.g. mon-sat (default every day)")
    add_actor(window)
    window.set_defaults(handler=config_command(_window))

    staff = commands.add_parser("staff", help="add, replace or remove a staff contact to alert")
    staff.add_argument("tenant_id", metavar="TENANT")
    staff.add_argument("location_id", metavar="ID")
    staff.add_argument("change", choices=["set", "remove"])
    staff.add_argument("name", metavar="NAME")
    staff.add_argument("--email")
    staff.add_argument("--phone")
    staff.add_argument(
        "--alerts", default="", metavar="ALERTS", help=f"comma-separated: {', '.join(STAFF_ALERTS)}"
    )
    add_actor(staff)
    staff.set_defaults(handler=config_command(_staff))


def _add_location_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--phone", help="the shop's phone (message footers)")
    parser.add_argument(
        "--address",
        help="the shop's postal address: every marketing email carries it (CAN-SPAM), so without one no follow-up email goes out",
    )
    parser.add_argument("--capacity", type=int, metavar="BAYS", help="appointments at once (default 1)")
    parser.add_argument(
        "--min-lead-minutes", type=int, metavar="MINUTES", help="earliest booking from now (default 120)"
    )
    parser.add_argument("--slot-minutes", type=int, metavar="MINUTES", help="slot granularity (default 30)")
    parser.add_argument(
        "--booking-horizon-days",
        type=int,
        metavar="DAYS",
        help=f"how far ahead customers may book (default {DEFAULT_BOOKING_HORIZON_DAYS})",
    )
    parser.add_argument(
        "--sms-from",
        metavar="PHONE",
        help="the number texts are sent from (default LEADORCH_DEFAULT_SMS_FROM or _MESSAGING_SERVICE_SID)",
    )
    parser.add_argument(
        "--email-from",
        metavar="EMAIL",
        help="the address emails are sent from (default LEADORCH_DEFAULT_EMAIL_FROM)",
    )


def _add(args: argparse.Namespace, config: ConfigService) -> int:
    _refuse_missing_senders(args)
    _refuse_unknown_crm_location(args, config)
    window = SendingWindowConfig()
    if args.window or args.window_days:
        window = _window_config(args.window or f"{window.start}-{window.end}", args.window_days)
    location = config.add_location(
        args.tenant_id,
        args.location_id,
        name=args.name,
        crm_location_id=args.crm_location_id,
        time_zone=args.time_zone,
        phone=args.phone,
        address=args.address,
        weekly_hours=parse_weekly_hours(args.hours) if args.hours else None,
        window=window,
        capacity=1 if args.capacity is None else args.capacity,
        min_lead_minutes=120 if args.min_lead_minutes is None else args.min_lead_minutes,
        slot_granularity_minutes=30 if args.slot_minutes is None else args.slot_minutes,
        booking_horizon_days=DEFAULT_BOOKING_HORIZON_DAYS
        if args.booking_horizon_days is None
        else args.booking_horizon_days,
        sms_from_number=args.sms_from,
        email_from=args.email_from,
        actor=actor_of(args),
    )
    print(f"added location {location.tenant_id}/{location.location_id}")
    print(describe_location(location))
    return 0


def _refuse_unknown_crm_location(args: argparse.Namespace, config: ConfigService) -> None:
    """With the tenant's ShopMonkey connected, its location id must be one ShopMonkey lists: a filter on
    an unknown one answers with every location's rows (`app/crm_health.py`)."""
    api_key = config.repository.crm_credentials(args.tenant_id).api_key
    if api_key is None:
        return  # no CRM yet: checked at start once one is connected
    try:
        check_location_exists(load_settings(), api_key.reveal(), args.tenant_id, args.crm_location_id)
    except CrmError as error:
        raise CliError(f"locations add: {error}") from None


def _refuse_missing_senders(args: argparse.Namespace) -> None:
    """With real provider credentials a location without a sender fails every message: refuse it now."""
    gaps = senders_lacking(args.sms_from, args.email_from, load_settings())
    if gaps:
        raise CliError(f"locations add: {refusal_for(gaps, named=lambda gap: gap.flag)}")


def _list(args: argparse.Namespace, config: ConfigService) -> int:
    locations = config.locations(args.tenant_id)
    if not locations:
        print(
            f"{args.tenant_id} has no locations yet (add one with: leadorch locations add {args.tenant_id} ID …)"
        )
    for location in locations:
        print(
            f"{location.location_id}\t{location.name}\tCRM {location.crm_location_id}\t{location.time_zone}"
        )
    return 0


def _show(args: argparse.Namespace, config: ConfigService) -> int:
    print(describe_location(config.location(args.tenant_id, args.location_id)))
    return 0


def _update(args: argparse.Namespace, config: ConfigService) -> int:
    location = config.update_location(
        args.tenant_id,
        args.location_id,
        name=args.name,
        crm_location_id=args.crm_location_id,
        time_zone=args.time_zone,
        phone=args.phone,
        address=args.address,
        capacity=args.capacity,
        min_lead_minutes=args.min_lead_minutes,
        slot_granularity_minutes=args.slot_minutes,
        booking_horizon_days=args.booking_horizon_days,
        sms_from_number=args.sms_from,
        email_from=args.email_from,
        technician_ids=[] if args.no_technicians else args.technicians,
        assistant_answers_messages=on_off(args.assistant_answers),
        actor=actor_of(args),
    )
    print(f"updated location {location.tenant_id}/{location.location_id}")
    print(describe_location(location))
    return 0


def _hours(args: argparse.Namespace, config: ConfigService) -> int:
    location = config.set_hours(
        args.tenant_id, args.location_id, parse_weekly_hours(args.hours), actor=actor_of(args)
    )
    print(f"{location.tenant_id}/{location.location_id} hours: {format_weekly_hours(location.weekly_hours)}")
    return 0


def _holiday(args: argparse.Namespace, config: ConfigService) -> int:
    where = f"{args.tenant_id}/{args.location_id}"
    if args.remove:
        config.remove_date_exception(args.tenant_id, args.location_id, args.date, actor=actor_of(args))
        print(f"{where}: {args.date} follows the weekly hours again")
        return 0
    intervals = [piece.strip() for piece in args.hours.split(",") if piece.strip()]
    config.set_date_exception(
        args.tenant_id, args.location_id, args.date, intervals, note=args.note, actor=actor_of(args)
    )
    hours = ",".join(validation.intervals(intervals, "hours")) if intervals else "closed"
    print(f"{where}: {args.date} is {hours}{f' ({args.note})' if args.note else ''}")
    return 0


def _window(args: argparse.Namespace, config: ConfigService) -> int:
    window = _window_config(args.window, args.days)
    location = config.set_sending_window(
        args.tenant_id,
        args.location_id,
        start=window.start,
        end=window.end,
        days=window.days,
        actor=actor_of(args),
    )
    print(f"{location.tenant_id}/{location.location_id} sends messages {_describe_window(location.window)}")
    return 0


def _staff(args: argparse.Namespace, config: ConfigService) -> int:
    where = f"{args.tenant_id}/{args.location_id}"
    if args.change == "remove":
        config.remove_staff_contact(args.tenant_id, args.location_id, args.name, actor=actor_of(args))
        print(f"{where}: removed staff contact {args.name}")
        return 0
    alerts = [alert.strip() for alert in args.alerts.split(",") if alert.strip()]
    location = config.set_staff_contact(
        args.tenant_id,
        args.location_id,
        name=args.name,
        email=args.email,
        phone=args.phone,
        alerts=alerts,
        actor=actor_of(args),
    )
    contact = next(c for c in location.staff if c.name.casefold() == args.name.strip().casefold())
    print(f"{where}: staff contact {_describe_contact(contact)}")
    return 0


def _window_config(window: str, days: str | None) -> SendingWindowConfig:
    start, end = validation.interval(window, "sending window")
    return SendingWindowConfig(
        start=f"{start:%H:%M}",
        end=f"{end:%H:%M}",
        days=parse_days(days) if days else SendingWindowConfig().days,
    )


def _describe_window(window: SendingWindowConfig) -> str:
    return f"{window.start}-{window.end} on {format_days(window.days)}"


def _describe_contact(contact: Any) -> str:
    reach = ", ".join(part for part in (contact.email, contact.phone) if part)
    return f"{contact.name} <{reach}> alerts: {', '.join(contact.alerts) or 'none'}"


def describe_location(location: LocationConfig) -> str:
    exceptions = [
        f"{e.day.isoformat()} {','.join(e.hours) or 'closed'}{f' ({e.note})' if e.note else ''}"
        for e in location.exceptions
    ]
    lines = [
        f"location {location.tenant_id}/{location.location_id}: {location.name}",
        f"  CRM location: {location.crm_location_id}; time zone: {location.time_zone}",
        f"  phone: {location.phone or '-'}; address: {location.address or '-'}",
        f"  hours: {format_weekly_hours(location.weekly_hours)}",
        f"  special dates: {'; '.join(exceptions) or 'none'}",
        f"  sending window: {_describe_window(location.window)}",
        f"  capacity: {location.capacity} bay(s); min lead time: {location.min_lead_minutes} min; "
        f"slots every {location.slot_granularity_minutes} min; bookings up to "
        f"{location.booking_horizon_days} days ahead",
        f"  technicians: {', '.join(location.technician_ids) or 'none listed (capacity counts the bays)'}",
        f"  senders: sms {location.sms_from_number or '(default)'}; email {location.email_from or '(default)'}",
        f"  staff: {'; '.join(_describe_contact(c) for c in location.staff) or 'none'}",
        f"  assistant answers texts and emails here: {'on' if location.assistant_answers_messages else 'off'}",
    ]
    return "\n".join(lines)
