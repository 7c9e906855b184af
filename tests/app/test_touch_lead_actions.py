"""Staff pause, resume and hand leads to the shop, through the tenant-scoped API and the admin CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from litestar.testing import TestClient
from tests.support.touch_world import Providers, TouchWorld

from leadorch.app.cli import main as cli_main
from leadorch.domain.values import LeadStatus


def auth(world: TouchWorld, actor: str = "ana") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.api_token}", "X-Actor": actor}


def test_pausing_stops_touches_and_resuming_reschedules_from_now_without_a_burst(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = touch_world.new_lead()
    touch_world.dispatch(schedule_id)
    base = f"/api/tenants/{touch_world.tenant_id}/leads/{lead_id}"

    paused = touch_client.post(f"{base}/pause", json={"reason": "calling her now"}, headers=auth(touch_world))
    touch_world.clock.advance(timedelta(days=6))  # touches 2 and 3 would have been due meanwhile
    while_paused = touch_world.dispatch(schedule_id)
    resumed = touch_client.post(f"{base}/resume", headers=auth(touch_world))
    after = [touch_world.dispatch(schedule_id) for _ in range(3)]

    assert paused.status_code == 200
    assert paused.json() | {"lead_id": lead_id} == {
        "lead_id": lead_id,
        "status": "contacting",
        "automation_paused": True,
        "paused_by": "ana via tenant-token:" + touch_world.tenant_id,
        "cadence": "paused",
    }
    assert while_paused.touch_number is None
    assert resumed.status_code == 200 and resumed.json()["cadence"] == "active"
    assert [result.touch_number for result in after] == [2, None, None]  # one touch now, the rest later
    assert touch_world.schedule(schedule_id).next_due_at > touch_world.clock.now() + timedelta(hours=12)


def test_pausing_twice_is_refused_with_the_reason(touch_world: TouchWorld, touch_client: TestClient) -> None:
    lead_id, _ = touch_world.new_lead()
    base = f"/api/tenants/{touch_world.tenant_id}/leads/{lead_id}"

    touch_client.post(f"{base}/pause", headers=auth(touch_world, "ana"))
    again = touch_client.post(f"{base}/pause", headers=auth(touch_world, "bo"))

    assert again.status_code == 422
    assert "already paused by ana" in again.json()["detail"]


def test_handing_to_the_shop_stops_the_cadence_for_good(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = touch_world.new_lead()

    response = touch_client.post(
        f"/api/tenants/{touch_world.tenant_id}/leads/{lead_id}/hand-to-shop",
        json={"reason": "customer called the shop"},
        headers=auth(touch_world),
    )

    assert response.status_code == 200 and response.json()["status"] == "handled_by_shop"
    assert touch_world.lead(lead_id).status is LeadStatus.HANDLED_BY_SHOP
    assert touch_world.schedule(schedule_id).is_stopped
    assert touch_world.dispatch(schedule_id).touch_number is None
    missing_reason = touch_client.post(
        f"/api/tenants/{touch_world.tenant_id}/leads/{lead_id}/hand-to-shop",
        json={},
        headers=auth(touch_world),
    )
    assert missing_reason.status_code == 400


def test_another_tenants_token_or_no_token_gets_nothing(
    touch_world: TouchWorld, touch_client: TestClient, shared_database_url: str, shared_providers: Providers
) -> None:
    lead_id, _ = touch_world.new_lead()
    path = f"/api/tenants/{touch_world.tenant_id}/leads/{lead_id}/pause"

    other_token = touch_world.container.config.create_tenant(
        "other-shop-" + touch_world.tenant_id[2:], name="Other", actor="t"
    ).api_token

    as_other = touch_client.post(path, headers={"Authorization": f"Bearer {other_token}"})
    anonymous = touch_client.post(path)
    unknown_lead = touch_client.post(
        f"/api/tenants/{touch_world.tenant_id}/leads/00000000-0000-0000-0000-000000000000/pause",
        headers=auth(touch_world),
    )

    assert (as_other.status_code, anonymous.status_code, unknown_lead.status_code) == (404, 401, 404)
    assert not touch_world.lead(lead_id).automation_paused


def test_the_cli_pauses_and_resumes_a_lead(
    touch_world: TouchWorld, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lead_id, _ = touch_world.new_lead()
    monkeypatch.setenv("DATABASE_URL", touch_world.container.settings.database_url)

    paused = cli_main(
        ["leads", "pause", lead_id, "--tenant", touch_world.tenant_id, "--actor", "ana", "--reason", "vip"]
    )
    paused_out = capsys.readouterr().out
    again = cli_main(["leads", "pause", lead_id, "--tenant", touch_world.tenant_id, "--actor", "ana"])
    again_err = capsys.readouterr().err
    resumed = cli_main(["leads", "resume", lead_id, "--tenant", touch_world.tenant_id, "--actor", "ana"])
    resumed_out = capsys.readouterr().out
    wrong_tenant = cli_main(["leads", "resume", lead_id, "--tenant", "nobody"])
    wrong_err = capsys.readouterr().err

    assert (paused, again, resumed, wrong_tenant) == (0, 2, 0, 2)
    assert f"lead {lead_id}: automation paused by ana" in paused_out
    assert "already paused by ana" in again_err
    assert "resumed by ana" in resumed_out
    assert f"no lead {lead_id} in tenant nobody" in wrong_err
    assert not touch_world.lead(lead_id).automation_paused
