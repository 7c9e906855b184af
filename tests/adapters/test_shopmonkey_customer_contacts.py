"""Which email and phone of a ShopMonkey customer we would contact, and how they are normalised."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.shopmonkey import ShopMonkeyCrm
from leadorch.adapters.shopmonkey_models import WireCustomer, WireEmail, WirePhoneNumber, customer_from_wire
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.ports.crm import CrmCustomer

CUSTOMER_ID = "66a1f0c1b7e4d9a1c2f3e3a9"


@pytest.fixture(scope="module")
def fake() -> FakeShopMonkey:
    return FakeShopMonkey.from_fixtures(shared_fixtures_dir())


@pytest.fixture(scope="module")
def url(fake: FakeShopMonkey) -> Iterator[str]:
    server = serve_in_thread(fake)
    yield server.url
    server.stop()


@pytest.fixture
async def crm(fake: FakeShopMonkey, url: str) -> AsyncIterator[ShopMonkeyCrm]:
    async with ShopMonkeyCrm(fake.api_key, url, timeout=5.0) as client:
        yield client


async def fetch_variant(crm: ShopMonkeyCrm, fake: FakeShopMonkey, **changes: Any) -> CrmCustomer:
    """Serve the fixture customer with `changes` applied under a fresh id, and read it back."""
    row = copy.deepcopy(fake.customers[CUSTOMER_ID])
    row.update(changes, id=f"variant{len(fake.customers)}")
    fake.add_customer(row)
    return await crm.get_customer(row["id"])


def phone(number: str, *, kind: str = "Mobile", primary: bool = False, opt_in: bool = True) -> dict[str, Any]:
    """A phone number as ShopMonkey writes one: `type` and `optIn`, no `subscribed`."""
    return {"id": number, "number": number, "type": kind, "primary": primary, "optIn": opt_in}


def email(address: str, *, primary: bool = False, subscribed: bool = True) -> dict[str, Any]:
    return {"id": address, "email": address, "primary": primary, "subscribed": subscribed}


@pytest.mark.anyio
@pytest.mark.parametrize(
    "written", ["(619) 555-0142", "+1 619-555-0142", "619.555.0142", "6195550142", " +1 (619) 555 0142 "]
)
async def test_us_phone_formats_become_e164(crm: ShopMonkeyCrm, fake: FakeShopMonkey, written: str) -> None:
    customer = await fetch_variant(crm, fake, phoneNumbers=[phone(written, primary=True)])
    assert customer.phone == "+16195550142"


@pytest.mark.anyio
async def test_an_international_number_keeps_its_country(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    customer = await fetch_variant(crm, fake, phoneNumbers=[phone("+44 20 7946 0958", primary=True)])
    assert customer.phone == "+442079460958"


@pytest.mark.anyio
async def test_a_mobile_is_preferred_over_a_primary_landline(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    customer = await fetch_variant(
        crm,
        fake,
        phoneNumbers=[
            phone("(619) 555-0100", kind="Landline", primary=True, opt_in=True),
            phone("(619) 555-0177", kind="Mobile", opt_in=False),
        ],
    )
    assert (customer.phone, customer.sms_subscribed) == ("+16195550177", False)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("kind", "opt_in", "texted"),
    [
        ("Mobile", True, True),
        ("VoIP", True, True),
        ("Mobile", False, False),
        ("Mobile", None, False),
        ("Landline", True, False),
    ],
)
async def test_sms_consent_is_the_numbers_opt_in_and_never_for_a_landline(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, kind: str, opt_in: bool | None, texted: bool
) -> None:
    number = {"id": "p1", "number": "(619) 555-0142", "type": kind, "primary": True, "optIn": opt_in}
    customer = await fetch_variant(crm, fake, phoneNumbers=[number])
    assert (customer.phone, customer.sms_subscribed) == ("+16195550142", texted)


@pytest.mark.anyio
async def test_the_orders_phone_number_and_email_are_used_instead_of_the_primary_ones(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    row = copy.deepcopy(fake.customers[CUSTOMER_ID])
    row.update(
        id="variant-order-contacts",
        phoneNumbers=[phone("(619) 555-0101", primary=True), phone("(619) 555-0102", opt_in=False)],
        emails=[email("main@example.com", primary=True), email("work@example.com", subscribed=False)],
    )
    fake.add_customer(row)

    customer = await crm.get_customer(
        row["id"], email_id="work@example.com", phone_number_id="(619) 555-0102"
    )

    assert (customer.phone, customer.sms_subscribed) == ("+16195550102", False)
    assert (customer.email, customer.email_subscribed) == ("work@example.com", False)


@pytest.mark.anyio
async def test_the_primary_mobile_wins_among_mobiles(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    customer = await fetch_variant(
        crm, fake, phoneNumbers=[phone("(619) 555-0101"), phone("(619) 555-0102", primary=True)]
    )
    assert customer.phone == "+16195550102"


@pytest.mark.anyio
async def test_without_a_mobile_the_primary_number_wins(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    customer = await fetch_variant(
        crm,
        fake,
        phoneNumbers=[
            phone("(619) 555-0103", kind="Work"),
            phone("(619) 555-0104", kind="Home", primary=True),
        ],
    )
    assert customer.phone == "+16195550104"


def test_an_unknown_default_region_is_refused() -> None:
    with pytest.raises(ValueError, match="default_region 'XX'"):
        ShopMonkeyCrm("key", default_region="XX")


@pytest.mark.anyio
async def test_an_unusable_number_is_passed_over(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    customer = await fetch_variant(
        crm, fake, phoneNumbers=[phone("555-0142", primary=True), phone("(858) 555-0199", kind="Work")]
    )
    assert customer.phone == "+18585550199"


@pytest.mark.anyio
@pytest.mark.parametrize("numbers", [[], None, [phone("call me maybe")], [{"id": "x", "number": None}]])
async def test_no_usable_phone_means_no_phone_and_no_sms_consent(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, numbers: Any
) -> None:
    customer = await fetch_variant(crm, fake, phoneNumbers=numbers)
    assert (customer.phone, customer.sms_subscribed) == (None, False)


@pytest.mark.anyio
async def test_emails_are_stripped_and_lower_cased(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    customer = await fetch_variant(crm, fake, emails=[email("  MAYA.Ortega@Example.COM ", primary=True)])
    assert customer.email == "maya.ortega@example.com"


@pytest.mark.anyio
async def test_the_primary_email_wins_even_when_unsubscribed(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    customer = await fetch_variant(
        crm,
        fake,
        emails=[email("first@example.com"), email("main@example.com", primary=True, subscribed=False)],
    )
    assert (customer.email, customer.email_subscribed) == ("main@example.com", False)


@pytest.mark.anyio
async def test_without_a_primary_the_first_subscribed_email_wins(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    customer = await fetch_variant(
        crm, fake, emails=[email("old@example.com", subscribed=False), email("new@example.com")]
    )
    assert (customer.email, customer.email_subscribed) == ("new@example.com", True)


@pytest.mark.anyio
async def test_without_any_subscription_the_first_email_is_kept(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    customer = await fetch_variant(
        crm, fake, emails=[email("a@example.com", subscribed=False), email("b@example.com", subscribed=False)]
    )
    assert (customer.email, customer.email_subscribed) == ("a@example.com", False)


@pytest.mark.anyio
@pytest.mark.parametrize("emails", [[], None, [email("   ")], [email("not-an-address")]])
async def test_no_usable_email_means_no_email_and_no_email_consent(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey, emails: Any
) -> None:
    customer = await fetch_variant(crm, fake, emails=emails)
    assert (customer.email, customer.email_subscribed) == (None, False)


@pytest.mark.anyio
async def test_a_legacy_top_level_email_is_used_but_never_counted_as_consent(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    customer = await fetch_variant(crm, fake, emails=[], email="Legacy@Example.com")
    assert (customer.email, customer.email_subscribed) == ("legacy@example.com", False)


@pytest.mark.anyio
async def test_unicode_names_unknown_fields_and_nulls_are_tolerated(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    customer = await fetch_variant(
        crm,
        fake,
        firstName="  Zoë ",
        lastName="Nguyễn-Ødegård",
        marketingOptIn=None,
        preferredContactMethod=None,
        brandNewField={"nested": [1, 2, 3]},
        emails=[{**email("zoe@example.com", primary=True), "verifiedAt": None, "subscribed": None}],
    )
    assert (customer.first_name, customer.last_name) == ("Zoë", "Nguyễn-Ødegård")
    assert (customer.marketing_opt_in, customer.preferred_contact_method) == (None, None)
    assert (customer.email, customer.email_subscribed) == ("zoe@example.com", False)


@pytest.mark.anyio
async def test_missing_names_are_none_not_empty_strings(crm: ShopMonkeyCrm, fake: FakeShopMonkey) -> None:
    customer = await fetch_variant(crm, fake, firstName=None, lastName="")
    assert (customer.first_name, customer.last_name) == (None, None)


raw_text = st.text(st.characters(codec="utf-8"), max_size=30)


@given(
    emails=st.lists(
        st.builds(
            WireEmail,
            email=st.none() | raw_text,
            primary=st.none() | st.booleans(),
            subscribed=st.none() | st.booleans(),
        ),
        max_size=4,
    ),
    phones=st.lists(
        st.builds(
            WirePhoneNumber,
            number=st.none()
            | raw_text
            | st.from_regex(r"\+?1? ?\(?[2-9]\d\d\)? ?\d{3}-?\d{4}", fullmatch=True),
            type=st.sampled_from([None, "Mobile", "Landline", "VoIP", "Other"]),
            primary=st.none() | st.booleans(),
            opt_in=st.none() | st.booleans(),
        ),
        max_size=4,
    ),
)
def test_whatever_the_contacts_the_customer_is_normalised_or_absent(
    emails: list[WireEmail], phones: list[WirePhoneNumber]
) -> None:
    customer = customer_from_wire(WireCustomer(id="c1", emails=emails, phone_numbers=phones), "US")

    if customer.email is None:
        assert not customer.email_subscribed
    else:
        assert customer.email == customer.email.strip().lower()
        assert "@" in customer.email
    if customer.phone is None:
        assert not customer.sms_subscribed
    else:
        assert customer.phone.startswith("+") and customer.phone[1:].isdigit()
    if customer.sms_subscribed:  # only ever from an opted-in number that is not a landline
        assert any(p.opt_in is True and p.type != "Landline" for p in phones)


@pytest.mark.anyio
async def test_the_landline_customer_fixture_reads_with_no_sms_and_no_email_consent() -> None:
    """`customer-landline-not-opted-in.json` byte for byte: a landline without optIn is never texted."""
    answer = (shared_fixtures_dir() / "customer-landline-not-opted-in.json").read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer))

    async with ShopMonkeyCrm("key", "https://api.example.test", transport=transport) as crm:
        customer = await crm.get_customer("66a1f0c1b7e4d9a1c2f3e3c7")

    assert customer.phone is not None
    assert (customer.sms_subscribed, customer.email_subscribed) == (False, False)
    # the evidence names the ShopMonkey fields that say so, as data for people
    assert customer.sms_consent_record is not None and customer.email_consent_record is not None
    assert customer.sms_consent_record.source == "shopmonkey"
    assert customer.sms_consent_record.fields["phoneNumbers[0].type"] == "Landline"
    assert customer.sms_consent_record.fields["phoneNumbers[0].optIn"] is False
    assert customer.sms_consent_record.verified_at is None
    assert customer.email_consent_record.fields["emails[0].subscribed"] is False
    assert customer.email_consent_record.fields["marketingOptIn"] is False


@pytest.mark.anyio
async def test_the_number_an_order_names_is_the_evidence_with_the_order_field_that_chose_it(
    crm: ShopMonkeyCrm, fake: FakeShopMonkey
) -> None:
    row = copy.deepcopy(fake.customers[CUSTOMER_ID])
    row.update(
        id="c-chosen-number",
        phoneNumbers=[
            phone("(619) 555-0101", primary=True),
            {**phone("(619) 555-0102"), "optInVerifiedDate": "2026-10-01T12:00:00.000Z"},
        ],
    )
    fake.add_customer(row)

    customer = await crm.get_customer("c-chosen-number", phone_number_id="(619) 555-0102")

    record = customer.sms_consent_record
    assert record is not None
    assert record.fields["order.phoneNumberId"] == "(619) 555-0102"
    assert (record.fields["phoneNumbers[1].optIn"], record.fields["phoneNumbers[1].type"]) == (True, "Mobile")
    assert record.verified_at == datetime(2026, 10, 1, 12, tzinfo=UTC)


@pytest.mark.anyio
async def test_the_corrected_customer_fixture_reads_with_sms_consent_from_opt_in() -> None:
    answer = (shared_fixtures_dir() / "customer.json").read_bytes()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer))

    async with ShopMonkeyCrm("key", "https://api.example.test", transport=transport) as crm:
        customer = await crm.get_customer(CUSTOMER_ID)

    assert (customer.phone, customer.sms_subscribed) == ("+16195550142", True)
