"""The demo tenant: a San Diego window-tint shop matching the ShopMonkey fixtures, in demo mode.

Its ids are the fixtures' (website-lead workflow status, location, canned services), so the
ShopMonkey stand-in's orders become leads and its services are this catalog. Demo mode is on and only
the fixture customer (and the shop's own manager) are allow-listed, so nothing reaches anyone else.
Seeding is idempotent: what exists is kept, what is missing is added, and nothing unchanged is audited.
"""

from __future__ import annotations

from leadorch.app.config.errors import UnknownLocation, UnknownTenant
from leadorch.app.config.hours import parse_weekly_hours
from leadorch.app.config.models import CatalogService
from leadorch.app.config.repository import ConfigRepository
from leadorch.app.config.service import ConfigService
from leadorch.ports.clock import Clock
from leadorch.ports.crm import CrmService

DEMO_TENANT = "demo-tint"
DEMO_LOCATION = "san-diego"
DEMO_CRM_LOCATION = "6198139a5391fa197fac13e7"
WEBSITE_LEADS_STATUS = "619813fb2c9c3e8ce527be48"
FIXTURE_CUSTOMER_EMAIL = "maya.ortega@example.com"
FIXTURE_CUSTOMER_PHONE = "+16195550142"
SEED_ACTOR = "demo-seed"

MANAGER_NAME = "Alex Rivera"
MANAGER_EMAIL = "manager@demo-tint.example.com"
MANAGER_PHONE = "+16195550199"

# (CRM canned-service id, name, minutes, cents, bookable online, description) as in canned-services.json.
DEMO_SERVICES: tuple[tuple[str, str, int, int, bool, str], ...] = (
    ("66a0cs000000000000000000", "Ultimate Tint Package", 180, 60000, True,
     "Top-tier ceramic film on every side and rear window: maximum heat rejection, 99% UV block, lifetime warranty."),
    ("66a0cs000000000000000001", "Supreme Tint Package", 150, 45000, True,
     "Carbon-ceramic film on every side and rear window: strong heat rejection and no signal interference."),
    ("66a0cs000000000000000002", "Premium Tint Package", 120, 30000, True,
     "Quality dyed-carbon film on every side and rear window: privacy, glare and UV protection."),
    ("66a0cs000000000000000003", "Windshield Ceramic Tint", 90, 24900, False,
     "A clear ceramic film on the windshield that cuts heat without darkening the view."),
    ("66a0cs000000000000000004", "Front Two Windows Tint", 60, 10900, False,
     "Match the front door windows to the factory-tinted rear glass."),
    ("66a0cs000000000000000005", "Tint Removal", 90, 12900, False,
     "Careful removal of old, bubbled or purple film, adhesive included."),
)  # fmt: skip


def seed_demo_tenant(repo: ConfigRepository, clock: Clock) -> str | None:
    """Configure the demo tenant; returns its new API token when it was created now, else None."""
    service = ConfigService(repo)
    token = _tenant(service)
    _location(service)
    _catalog(service, repo, clock)
    return token


def _tenant(service: ConfigService) -> str | None:
    token = None
    try:
        service.tenant(DEMO_TENANT)
    except UnknownTenant:
        token = service.create_tenant(
            DEMO_TENANT, name="Demo Tint", website_status_ids=[WEBSITE_LEADS_STATUS], actor=SEED_ACTOR
        ).api_token
    for address in (FIXTURE_CUSTOMER_EMAIL, FIXTURE_CUSTOMER_PHONE, MANAGER_EMAIL):
        service.allow_address(DEMO_TENANT, address, actor=SEED_ACTOR)
    return token


DEMO_SHOP_NUMBER = "+16195550100"  # the demo shop's phone, and the number its texts come from


def _location(service: ConfigService) -> None:
    try:
        location = service.location(DEMO_TENANT, DEMO_LOCATION)
    except UnknownLocation:
        location = service.add_location(
            DEMO_TENANT,
            DEMO_LOCATION,
            name="Demo Tint San Diego",
            crm_location_id=DEMO_CRM_LOCATION,
            time_zone="America/Los_Angeles",
            phone=DEMO_SHOP_NUMBER,
            sms_from_number=DEMO_SHOP_NUMBER,
            email_from="hello@demo-tint.example.com",
            address="2150 Camino del Rio S, San Diego, CA 92108",
            weekly_hours=parse_weekly_hours("mon-fri 09:00-18:00; sat 10:00-16:00; sun closed"),
            capacity=2,
            min_lead_minutes=120,
            slot_granularity_minutes=30,
            actor=SEED_ACTOR,
        )
    if any(contact.name == MANAGER_NAME for contact in location.staff):
        return
    service.set_staff_contact(
        DEMO_TENANT,
        DEMO_LOCATION,
        name=MANAGER_NAME,
        email=MANAGER_EMAIL,
        phone=MANAGER_PHONE,
        alerts=["new_lead", "handoff"],
        actor=SEED_ACTOR,
    )


def _catalog(service: ConfigService, repo: ConfigRepository, clock: Clock) -> None:
    """The catalog as a CRM sync of the fixtures would make it, plus the descriptions the shop wrote."""
    known = {entry.service_id for entry in repo.catalog(DEMO_TENANT, include_inactive=True)}
    missing = [row for row in DEMO_SERVICES if row[0] not in known]
    if missing:
        repo.upsert_crm_services(
            DEMO_TENANT,
            [
                CrmService(
                    id=crm_id,
                    name=name,
                    price_cents=cents,
                    duration_minutes=minutes,
                    bookable=bookable,
                    deleted=False,
                    location_id=DEMO_CRM_LOCATION,
                )
                for crm_id, name, minutes, cents, bookable, _ in DEMO_SERVICES
            ],
            clock.now(),
            actor=SEED_ACTOR,
        )
    for crm_id, name, minutes, cents, bookable, description in missing:
        service.put_service(
            DEMO_TENANT,
            CatalogService(
                service_id=crm_id,
                crm_service_id=crm_id,
                name=name,
                description=description,
                duration_minutes=minutes,
                price_cents=cents,
                bookable=bookable,
            ),
            actor=SEED_ACTOR,
        )
