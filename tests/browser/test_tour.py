"""The README's tour, page by page, on a phone and on a desktop.

Every page of the tour must fit a 360 px wide screen without scrolling sideways, and axe-core
must find no critical, serious or moderate problem on it. The main pages are photographed at
1280 and 390 px into tests/browser/screenshots/tour/ for a reviewer to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.browser.accessibility import serious_violations
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_flows import create_people, log_in
from tests.conftest import LiveServer
from tests.support import ApiClient, data_uri, make_token, png_bytes

TOUR_SHOTS = SCREENSHOTS / "tour"
PHONE, SMALL_PHONE, DESKTOP = 390, 360, 1280
LONG_EVIDENCE = "https://portfolio.example.org/learners/lea-learner/projects/" + "x" * 120


@dataclass(frozen=True)
class Stop:
    """One page of the tour: who looks at it, and whether it is photographed."""

    name: str
    path: str
    who: str  # "visitor", "learner" or "admin"
    main: bool = False


@dataclass(frozen=True)
class Site:
    """The tour's data, made through the API as an integration would."""

    badge: str
    private_badge: str
    issuer: str
    award: str
    revoked: str
    learner: str
    course: str


def seed(live: LiveServer) -> Site:
    """An issuer, public and private badges, a course, awards (one revoked)."""
    create_people(live)
    api = ApiClient(live.app.test_client(), make_token(live.app, "ops@example.org", admin=True))
    issuer = api.post(
        "/issuers",
        {"name": "Example Academy", "url": "https://academy.example", "email": "a@academy.example"},
    ).json
    assert issuer is not None
    image = data_uri(png_bytes())

    def badge(name: str, **fields: Any) -> str:
        body = {"issuer": issuer["id"], "name": name, "description": f"{name}: a tour badge."}
        body |= {"image": image, "criteria": {"narrative": f"Earn {name}."}} | fields
        response = api.post("/badges", body)
        assert response.status_code == 201, response.json
        return str((response.json or {})["id"])

    explorer, night_owl, finisher = (
        badge("Explorer"),
        badge("Night Owl", private=True),
        badge("Finisher"),
    )
    awarded = api.post(
        f"/badges/{explorer}/awards",
        {
            "recipients": ["lea@example.org", "otto@example.org"],
            "narrative": "Explored every corner of the course.",
            "evidence": [{"url": LONG_EVIDENCE, "name": LONG_EVIDENCE}],
        },
    ).json
    assert awarded is not None
    lea_award, otto_award = (a["id"] for a in awarded["awards"])
    api.post(f"/badges/{night_owl}/awards", {"recipients": ["lea@example.org"]})
    revoked = api.post(f"/assertions/{otto_award}/revoke", {"reason": "Awarded by mistake."})
    assert revoked.status_code == 200, revoked.json
    course = api.post(
        "/courses",
        {
            "name": "Python 101",
            "stages": [{"name": "Basics", "badge": explorer}, {"name": "Functions"}],
            "completion_badge": finisher,
        },
    ).json
    assert course is not None, course
    stage = course["stages"][1]["id"]
    done = api.post(
        f"/courses/{course['id']}/stages/{stage}/completions", {"users": ["lea@example.org"]}
    )
    assert done.status_code in (200, 201), done.json
    return Site(
        badge=explorer,
        private_badge=night_owl,
        issuer=issuer["id"],
        award=lea_award,
        revoked=otto_award,
        learner=awarded["awards"][0]["recipient_id"],
        course=course["id"],
    )


def stops(site: Site) -> list[Stop]:
    """Every page of the tour."""
    return [
        Stop("home", "/", "visitor", main=True),
        Stop("catalogue", "/badges", "visitor", main=True),
        Stop("badge", f"/public/badges/{site.badge}", "visitor"),
        Stop("issuer", f"/public/issuers/{site.issuer}", "visitor"),
        Stop("award-visitor", f"/public/assertions/{site.award}", "visitor", main=True),
        Stop("award-revoked", f"/public/assertions/{site.revoked}", "visitor"),
        Stop("profile-visitor", f"/users/{site.learner}", "visitor"),
        Stop("verify", "/verify", "visitor"),
        Stop("login", "/login", "visitor"),
        Stop("forgot-password", "/password/forgot", "visitor"),
        Stop("not-found", "/no/such/page", "visitor"),
        Stop("award-owner", f"/public/assertions/{site.award}", "learner", main=True),
        Stop("profile-own", f"/users/{site.learner}", "learner", main=True),
        Stop("feed", "/feed", "learner", main=True),
        Stop("notifications", "/notifications", "learner"),
        Stop("studio", "/studio", "admin", main=True),
        Stop("studio-badges", "/studio/badges", "admin", main=True),
        Stop("studio-badge", f"/studio/badges/{site.badge}", "admin"),
        Stop("new-badge", "/studio/badges/new", "admin"),
        Stop("edit-badge", f"/studio/badges/{site.badge}/edit", "admin"),
        Stop("award-csv", f"/studio/badges/{site.badge}/award-csv", "admin"),
        Stop("issuers", "/studio/issuers", "admin"),
        Stop("new-issuer", "/studio/issuers/new", "admin"),
        Stop("people", "/studio/users", "admin", main=True),
        Stop("invite", "/studio/users/invite", "admin"),
        Stop("profile-admin", f"/users/{site.learner}", "admin"),
        Stop("award-form", f"/studio/users/{site.learner}/award", "admin", main=True),
        Stop("revoke", f"/studio/assertions/{site.award}/revoke", "admin"),
        Stop("courses", "/studio/courses", "admin"),
        Stop("course", f"/studio/courses/{site.course}", "admin", main=True),
        Stop("new-course", "/studio/courses/new", "admin"),
        Stop("settings", "/studio/settings", "admin"),
    ]


@pytest.fixture
def tour(live: LiveServer, browser: Any) -> Iterator[tuple[Site, Callable[[str, int], Any]]]:
    """The seeded site, and a page per person and screen width (logged in as needed)."""
    site = seed(live)
    contexts: dict[tuple[str, int], Any] = {}
    emails = {"learner": "lea@example.org", "admin": "admin@example.org"}

    def page_for(who: str, width: int) -> Any:
        if (who, width) not in contexts:
            context = browser.new_context(viewport={"width": width, "height": 800})
            page = context.new_page()
            if who in emails:
                log_in(page, live, emails[who])
            contexts[who, width] = context
        return contexts[who, width].pages[0]

    yield site, page_for
    for context in contexts.values():
        context.close()


def test_every_page_fits_a_phone_and_passes_axe(
    live: LiveServer, tour: tuple[Site, Callable[[str, int], Any]]
) -> None:
    site, page_for = tour
    TOUR_SHOTS.mkdir(parents=True, exist_ok=True)
    too_wide: dict[str, int] = {}
    problems: dict[str, list[dict[str, Any]]] = {}
    for stop in stops(site):
        phone = page_for(stop.who, SMALL_PHONE)
        phone.goto(f"{live.url}{stop.path}")
        phone.wait_for_load_state()
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        if width > SMALL_PHONE:
            too_wide[stop.name] = width
        found = serious_violations(phone)
        if found:
            problems[stop.name] = found
        if stop.main:
            for shot_width in (DESKTOP, PHONE):
                page = page_for(stop.who, shot_width)
                page.goto(f"{live.url}{stop.path}")
                page.wait_for_load_state()
                page.screenshot(
                    path=str(TOUR_SHOTS / f"{stop.name}-{shot_width}.png"), full_page=True
                )
    assert (too_wide, problems) == ({}, {}), f"wider than {SMALL_PHONE} px, and axe-core's finds"


def test_the_menu_is_compact_on_a_phone(
    live: LiveServer, tour: tuple[Site, Callable[[str, int], Any]]
) -> None:
    _, page_for = tour
    for who in ("visitor", "admin"):
        page = page_for(who, PHONE)
        page.goto(f"{live.url}/badges")
        header = page.locator("header").bounding_box()
        assert header is not None and header["height"] < 80, (who, header)
        menu = page.get_by_role("button", name="Menu")
        menu.click()
        links = page.locator("header nav a")
        assert links.count() >= 3
        page.get_by_role("link", name="Badges", exact=True).first.click()
        assert page.url.endswith("/badges")


def test_the_accessibility_check_can_fail(browser: Any) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content('<html lang="en"><title>Bare</title><main><img src="x.png"></main></html>')
        assert "image-alt" in {v["id"] for v in serious_violations(page)}
    finally:
        context.close()
