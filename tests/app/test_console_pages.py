"""Each console page shows the scripted history's real data: the funnel and speed-to-lead, the lead list,
a lead's page, the outbox. (Nothing here changes the history, so the file shares one world.)"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from tests.app.test_console_world import ADMIN_TOKEN, OTHER_TENANT, TENANT, ConsoleWorld, build_world, log_in

from leadorch.app.http.app import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleWorld]:
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('console-pages') / 'events.db'}")
    yield built
    built.container.close()


@pytest.fixture(scope="module")
def client(world: ConsoleWorld) -> Iterator[TestClient]:
    with TestClient(create_app(world.container), base_url="http://testserver.local") as test_client:
        log_in(test_client, ADMIN_TOKEN)
        yield test_client


def section(page: str, element_id: str) -> str:
    """The markup of the element with `element_id` up to its closing tag (sections do not nest here)."""
    start = page.index(f'id="{element_id}"')
    tag = page.rfind("<", 0, start)
    name = re.match(r"<(\w+)", page[tag:]).group(1)  # type: ignore[union-attr]
    return page[tag : page.index(f"</{name}>", start)]


def bars(markup: str) -> dict[str, str]:
    return {
        html.unescape(label): value
        for label, value in re.findall(
            r'class="bar[^"]*"[^>]*data-label="([^"]*)" data-value="([^"]*)"', markup
        )
    }


def text(markup: str) -> str:
    """What a person reads: tags dropped, whitespace squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


# ---------------------------------------------------------------------------------------- dashboard


def test_the_dashboard_draws_the_tenant_funnel_per_location_and_in_total(client: TestClient) -> None:
    page = client.get(f"/console/t/{TENANT}").text
    assert bars(section(page, "funnel-tenant")) == {
        "Received": "5", "Contacted": "4", "Engaged": "1", "Booked": "1", "Lost": "1", "Opted out": "1",
    }  # fmt: skip
    assert bars(section(page, "funnel-austin")) == {
        "Received": "4", "Contacted": "3", "Engaged": "1", "Booked": "1", "Lost": "1", "Opted out": "1",
    }  # fmt: skip
    assert bars(section(page, "funnel-dallas"))["Received"] == "1"
    assert "Handed to shop" in text(section(page, "funnel-dallas"))
    assert "4 (80%)" in text(section(page, "funnel-tenant"))  # contacted, as a share of received


def test_the_dashboard_shows_conversion_and_speed_to_lead_at_a_glance(client: TestClient) -> None:
    page = client.get(f"/console/t/{TENANT}").text
    assert text(section(page, "stat-received")) == "5"
    assert text(section(page, "stat-conversion")) == "20%"  # 1 booked of 5
    assert text(section(page, "stat-speed")) == "45 s"  # median of 30 s, 45 s, 2 min, 10 min
    assert bars(section(page, "speed")) == {
        "< 1 min": "2", "1–5 min": "1", "5–15 min": "1", "15–60 min": "0", "1–4 h": "0", "4–24 h": "0",
        "> 1 day": "0",
    }  # fmt: skip
    assert "median speed to lead 10 min" in text(section(page, "funnel-dallas"))
    daily = section(page, "daily")
    assert 'data-label="Jun 2" data-value="5"' in daily


def test_a_date_range_without_the_leads_shows_an_empty_funnel(client: TestClient) -> None:
    page = client.get(f"/console/t/{TENANT}?from=2025-06-03&to=2025-06-09").text
    assert bars(section(page, "funnel-tenant"))["Received"] == "0"
    assert text(section(page, "stat-conversion")) == "—"
    assert text(section(page, "stat-speed")) == "—"
    assert "No data for this period" not in section(page, "funnel-tenant")  # the stages still show, at zero


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "'from' must be a date written YYYY-MM-DD"),
        ("from=2025-06-09&to=2025-06-01", "'to' (2025-06-01) is before 'from' (2025-06-09)"),
        ("from=2020-01-01&to=2025-06-01", "a range covers at most 400 days"),
    ],
)
def test_a_bad_date_range_is_explained_next_to_the_dates(
    client: TestClient, query: str, message: str
) -> None:
    answer = client.get(f"/console/t/{TENANT}?{query}")
    assert answer.status_code == 400
    assert message in text(section(answer.text, "range-error"))
    assert bars(section(answer.text, "funnel-tenant"))["Received"] == "5"  # the default 30 days instead


# -------------------------------------------------------------------------------------------- leads


def lead_names(page: str) -> list[str]:
    return [text(row) for row in re.findall(r'<tr data-lead-id="[^"]+">\s*<td><a [^>]*>([^<]*)</a>', page)]


def test_the_lead_list_shows_every_lead_newest_first_with_masked_names(client: TestClient) -> None:
    page = client.get(f"/console/t/{TENANT}/leads").text
    assert lead_names(page) == ["D*** B***", "L*** R***", "M*** G***", "J*** S***", "J*** D***"]
    assert lead_names(client.get(f"/console/t/{TENANT}/leads?show=1").text) == [
        "Dan Brown", "Lou Reed", "Maria Garcia", "John Smith", "Jane Doe",
    ]  # fmt: skip
    matrix = text(section(page, "status-matrix"))
    assert "Sunshield Austin 0 2 0 1 1 0" in matrix  # new, contacting, engaged, booked, lost, handled by shop
    assert "Sunshield Dallas 0 0 0 0 0 1" in matrix


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=booked", ["Jane Doe"]),
        ("status=contacting&location=austin", ["Maria Garcia", "John Smith"]),
        ("location=dallas", ["Dan Brown"]),
        ("q=garcia", ["Maria Garcia"]),
        ("q=camry+jane", ["Jane Doe"]),
        ("q=1002", ["John Smith"]),
        ("q=nobody", []),
    ],
)
def test_the_lead_list_filters_by_status_and_location_and_searches(
    client: TestClient, query: str, expected: list[str]
) -> None:
    page = client.get(f"/console/t/{TENANT}/leads?{query}&show=1")
    assert page.status_code == 200
    assert lead_names(page.text) == expected


def test_a_filter_that_cannot_be_used_is_explained_and_dropped(client: TestClient) -> None:
    answer = client.get(f"/console/t/{TENANT}/leads?status=sleeping&location=paris&page=zero")
    assert answer.status_code == 400
    page = answer.text
    assert "status must be one of new, contacting, engaged, booked, lost, handled_by_shop" in text(page)
    assert "no location 'paris' in this tenant" in text(page)
    assert "page must be a whole number" in text(page)
    assert len(lead_names(page)) == 5


# --------------------------------------------------------------------------------------------- lead


def test_a_lead_page_shows_contact_masked_consent_touches_conversation_appointment(
    client: TestClient, world: ConsoleWorld
) -> None:
    page = client.get(f"/console/t/{TENANT}/leads/{world.leads['Jane']}").text
    contact = text(section(page, "contact"))
    assert "j***@example.com" in contact and "+1******1001" in contact and "J*** D***" in contact
    assert "jane@example.com" not in page and "Doe" not in page
    assert text(section(page, "lead-status")) == "booked"
    assert text(section(page, "consent-email")) == "may be contacted"
    assert text(section(page, "cadence")) == "stopped"
    touches = section(page, "touches")
    assert re.findall(r'data-touch="(\d+)" data-channel="(\w+)" data-status="(\w+)"', touches) == [
        ("1", "email", "sent"),
        ("1", "sms", "sent"),
    ]
    assert "2025-06-02 10:00 CDT" in text(touches)  # the shop's own clock
    assert "customer · sms" in text(section(page, "conversation"))
    assert "how much for ceramic on my Camry?" in text(section(page, "conversation"))
    appointment = text(section(page, "appointments"))
    assert "2025-06-05 10:00 CDT – 2025-06-05 12:00 CDT" in appointment and "$450.00" in appointment
    assert 'id="hand-to-shop"' not in page  # a booked lead cannot be handed to the shop


def test_a_lead_page_shows_where_each_channels_consent_came_from(
    client: TestClient, world: ConsoleWorld
) -> None:
    jane = client.get(f"/console/t/{TENANT}/leads/{world.leads['Jane']}").text
    evidence = text(section(jane, "consent-sms-evidence"))
    assert "from shopmonkey: the phone number is opted in to automatic texts in the CRM" in evidence
    assert "phoneNumbers[0].optIn = true" in evidence and "phoneNumbers[0].type = Mobile" in evidence
    assert "verified 2025-06-02 10:00 CDT · read 2025-06-02 10:00 CDT" in evidence
    assert "imported before consent evidence was kept" in text(section(jane, "consent-email-evidence"))


def test_a_lead_page_shows_the_complete_timeline_in_order(client: TestClient, world: ConsoleWorld) -> None:
    page = client.get(f"/console/t/{TENANT}/leads/{world.leads['Jane']}").text
    events = re.findall(r'<li data-event="([^"]+)">', section(page, "timeline"))
    assert events == [
        "Lead.Registered",
        "TouchPointSchedule.Started",
        "Lead.Contacted",
        "TouchPointSchedule.Touch claimed",
        "TouchPointSchedule.Touch sent",
        "TouchPointSchedule.Touch sent",
        "TouchPointSchedule.Touch completed",
        "Lead.Reply recorded",
        "TouchPointSchedule.Stopped",
        "Lead.Appointment booked",
        "Appointment.Booked",
    ]
    assert "j***@example.com" in section(page, "timeline")


def test_show_reveals_the_contact_details_and_the_unmasked_timeline(
    client: TestClient, world: ConsoleWorld
) -> None:
    page = client.get(f"/console/t/{TENANT}/leads/{world.leads['Jane']}?show=1").text
    assert text(section(page, "contact-email")) == "jane@example.com"
    assert text(section(page, "contact-phone")) == "+15125551001"
    assert "jane@example.com" in section(page, "timeline")


def test_a_lead_page_offers_to_settle_an_uncertain_touch(client: TestClient, world: ConsoleWorld) -> None:
    page = client.get(f"/console/t/{TENANT}/leads/{world.leads['John']}").text
    touches = section(page, "touches")
    assert re.findall(r'data-touch="(\d+)" data-channel="(\w+)" data-status="(\w+)"', touches) == [
        ("1", "email", "sent"),
        ("1", "sms", "suppressed"),
        ("2", "email", "uncertain"),
    ]
    assert f'action="/console/t/{TENANT}/leads/{world.leads["John"]}/touches/2/resolve"' in touches
    assert "demo mode: not on the allow-list" in text(touches)


def test_a_permanently_failed_message_and_an_opt_out_show_on_the_lead(
    client: TestClient, world: ConsoleWorld
) -> None:
    page = client.get(f"/console/t/{TENANT}/leads/{world.leads['Maria']}").text
    assert text(section(page, "consent-sms")) == "opted out"
    assert "21211 invalid 'To' phone number — the address is bad, this channel is off" in text(
        section(page, "touches")
    )


@pytest.mark.parametrize("lead", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_lead_is_a_page_saying_so(client: TestClient, lead: str) -> None:
    answer = client.get(f"/console/t/{TENANT}/leads/{lead}")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert "not found" in text(answer.text)


# ------------------------------------------------------------------------------------------- outbox


def outbox_rows(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<tr data-status="(\w+)" data-channel="(\w+)">', page)


def test_the_outbox_lists_every_message_sent_suppressed_failed_or_uncertain(client: TestClient) -> None:
    page = client.get(f"/console/t/{TENANT}/outbox").text
    rows = outbox_rows(page)
    assert len(rows) == 9
    assert sorted(status for status, _ in rows) == [
        "failed",
        "sent",
        "sent",
        "sent",
        "sent",
        "sent",
        "suppressed",
        "suppressed",
        "uncertain",
    ]
    assert rows[0] == ("uncertain", "email")  # the newest claim first: John's touch 2, the next day
    assert "Olga" not in page and "O***" not in page  # the other tenant's messages are not here


@pytest.mark.parametrize(
    ("query", "count"),
    [("status=suppressed", 2), ("channel=sms", 4), ("location=dallas", 2), ("status=sent&channel=email", 4)],
)
def test_the_outbox_filters(client: TestClient, query: str, count: int) -> None:
    assert len(outbox_rows(client.get(f"/console/t/{TENANT}/outbox?{query}").text)) == count


def test_an_unknown_outbox_filter_is_explained(client: TestClient) -> None:
    answer = client.get(f"/console/t/{TENANT}/outbox?status=lost&channel=fax")
    assert answer.status_code == 400
    assert "status must be one of in_flight, sent, failed, suppressed, uncertain, not_sent" in text(
        answer.text
    )
    assert "channel must be one of email, sms" in text(answer.text)


def test_the_operator_picks_a_tenant_and_no_demo_button_shows_outside_the_demo(client: TestClient) -> None:
    picker = client.get("/console/").text
    assert f'href="/console/t/{TENANT}"' in picker and f'href="/console/t/{OTHER_TENANT}"' in picker
    assert "Simulate a website quote" not in client.get(f"/console/t/{TENANT}").text


def test_the_stylesheet_is_served_by_the_app_itself(client: TestClient) -> None:
    answer = client.get("/console/static/console.css")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/css")
    assert "svg.chart .bar-booked" in answer.text


def test_every_console_page_links_the_icon_the_app_serves(client: TestClient, world: ConsoleWorld) -> None:
    for path in (
        "/console/login",
        f"/console/t/{TENANT}/leads",
        f"/console/t/{TENANT}/leads/{world.leads['Jane']}",
    ):
        assert '<link rel="icon" href="/favicon.svg" type="image/svg+xml">' in client.get(path).text, path
    for path in ("/favicon.svg", "/favicon.ico"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("image/svg+xml")
        icon = ElementTree.fromstring(answer.content)
        assert icon.tag == "{http://www.w3.org/2000/svg}svg" and icon.get("viewBox") == "0 0 32 32"
