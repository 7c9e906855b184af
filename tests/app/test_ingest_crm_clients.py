"""`crm_for(container, tenant_id)`: one pooled ShopMonkey client per tenant, usable from plain threads and
from any event loop, rebuilt when the tenant's API key changes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.support.shopmonkey_world import CUSTOMER, LEAD_ORDER, TENANT, ShopMonkeyWorld, shopmonkey_world

from leadorch.app.config.errors import UnknownTenant
from leadorch.app.crm import CrmNotConfigured, call_crm, crm_for


@pytest.fixture
def world(sqlite_url: str) -> Iterator[ShopMonkeyWorld]:
    with shopmonkey_world(sqlite_url) as world:
        yield world


def test_the_same_client_serves_every_thread_and_event_loop(world: ShopMonkeyWorld) -> None:
    crm = crm_for(world.container, TENANT)

    def in_its_own_loop(_: int) -> str:
        customer = asyncio.run(crm.get_customer(CUSTOMER))
        return str(customer.first_name)

    with ThreadPoolExecutor(max_workers=4) as pool:
        names = list(pool.map(in_its_own_loop, range(8)))
    order = call_crm(world.container, TENANT, lambda crm: crm.get_order(LEAD_ORDER))

    assert names == ["Maya"] * 8
    assert order.id == LEAD_ORDER
    assert crm_for(world.container, TENANT) is crm


def test_a_new_api_key_gets_a_new_client_and_a_tenant_without_one_is_refused(world: ShopMonkeyWorld) -> None:
    first = crm_for(world.container, TENANT)
    config = world.container.config
    config.set_crm_credentials(TENANT, api_key="another-key-0123456789", actor="test")
    assert crm_for(world.container, TENANT) is not first

    config.create_tenant("no-crm", name="No CRM yet", actor="test")
    with pytest.raises(CrmNotConfigured, match="'no-crm' has no CRM API key"):
        crm_for(world.container, "no-crm")
    with pytest.raises(UnknownTenant, match="nobody"):
        crm_for(world.container, "nobody")
