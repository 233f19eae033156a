"""The Studio dashboard and a badge's Studio page in a real browser: charts and their figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_flows import create_people, log_in
from tests.conftest import LiveServer
from tests.support import ApiClient, data_uri, make_token, png_bytes

SMALL_PHONE = 360
# Photographs of both pages at these widths, for a reviewer to look at.
SHOTS = SCREENSHOTS / "dashboard"
WIDTHS = (1280, 390)


def seed(live: LiveServer) -> str:
    """A badge awarded to two learners (one award revoked since), made through the API."""
    create_people(live)
    api = ApiClient(live.app.test_client(), make_token(live.app, "ops@example.org", admin=True))
    issuer = api.post(
        "/issuers",
        {"name": "Example Academy", "url": "https://academy.example", "email": "a@academy.example"},
    ).json
    assert issuer is not None
    badge = api.post(
        "/badges",
        {
            "issuer": issuer["id"],
            "name": "Explorer",
            "description": "Explored the course.",
            "image": data_uri(png_bytes()),
            "criteria": {"narrative": "Explore."},
        },
    ).json
    assert badge is not None
    awarded = api.post(
        f"/badges/{badge['id']}/awards",
        {"recipients": ["lea@example.org", "otto@example.org", "nia@example.org"]},
    ).json
    assert awarded is not None
    revoked = api.post(
        f"/assertions/{awarded['awards'][1]['id']}/revoke", {"reason": "Awarded by mistake."}
    )
    assert revoked.status_code == 200, revoked.json
    course = api.post(
        "/courses",
        {"name": "Python 101", "stages": [{"name": "Basics"}, {"name": "Functions and modules"}]},
    ).json
    assert course is not None
    first = f"/courses/{course['id']}/stages/{course['stages'][0]['id']}/completions"
    done = api.post(first, {"users": ["lea@example.org", "otto@example.org"]})
    assert done.status_code in (200, 201), done.json
    return str(badge["id"])


def test_the_dashboard_and_a_badge_page_show_charts_and_figures(
    live: LiveServer, new_page: Callable[[], Any]
) -> None:
    badge = seed(live)
    page = new_page()
    log_in(page, live, "admin@example.org")
    page.get_by_role("link", name="Studio", exact=True).click()
    expect(page).to_have_url(f"{live.url}/studio")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    dashboard_link = page.get_by_role("navigation", name="Studio").get_by_role(
        "link", name="Dashboard"
    )
    expect(dashboard_link).to_have_attribute("aria-current", "page")

    chart = page.get_by_role("img", name=re.compile(r"^Awards per week, the last 12 weeks: 2"))
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["height"] > 100
    expect(page.locator("svg.chart rect.bar")).to_have_count(12)
    expect(page.locator(".figures-line")).to_contain_text("2 awards in the last 12 weeks")
    expect(page.locator(".figures-line")).to_contain_text("2 this week")
    page.get_by_text("Figures by week").click()
    figures = page.locator("details.figures table")
    expect(figures).to_be_visible()
    expect(figures.locator("tbody tr")).to_have_count(12)
    expect(figures.locator("tbody tr").first).to_contain_text("2")
    expect(page.locator("ol.top-badges")).to_contain_text("Explorer")
    expect(page.locator("ol.top-badges")).to_contain_text("2 awards")
    expect(page.locator("#outbox-waiting")).to_be_visible()
    revocations = page.get_by_role("heading", name="Recent revocations").locator("..")
    expect(revocations).to_contain_text("Awarded by mistake.")
    expect(revocations).to_contain_text("Otto Other")

    page.locator("ol.top-badges").get_by_role("link", name="Explorer").click()
    expect(page).to_have_url(f"{live.url}/studio/badges/{badge}")
    expect(page.get_by_role("heading", name="Explorer", level=1)).to_be_visible()
    expect(page.locator("#award-counts")).to_have_text("2 held · 1 revoked")
    expect(
        page.get_by_role("img", name=re.compile(r"^Awards of Explorer per month"))
    ).to_be_visible()
    expect(page.locator(".figures-line")).to_contain_text("2 awards in the last 12 months")
    holders = page.get_by_role("heading", name="Holders").locator("..")
    expect(holders.locator("tbody tr")).to_have_count(2)
    expect(holders).to_contain_text("Lea Learner")
    expect(holders).not_to_contain_text("Otto Other")
    page.get_by_role("link", name="By week").click()
    expect(page.get_by_role("img", name=re.compile(r"per week, the last 12 weeks"))).to_be_visible()

    # Both pages fit a small phone: the charts shrink with the screen.
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("dashboard", "/studio"), ("badge", f"/studio/badges/{badge}")):
        for width in (SMALL_PHONE, *WIDTHS):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{live.url}{path}")
            expect(page.locator("svg.chart")).to_be_visible()
            if width == SMALL_PHONE:
                wide = page.evaluate("() => document.documentElement.scrollWidth")
                assert wide <= SMALL_PHONE, (path, wide)
            else:
                page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
