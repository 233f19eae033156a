"""Studio home (the dashboard) and each badge's Studio page: their figures and who sees them."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, update

from issuer.extensions import db
from issuer.models import Assertion, OutboxEmail
from issuer.services import dashboard
from issuer.services.outbox import MAX_ATTEMPTS
from tests.integration import test_query_plans
from tests.integration.test_query_plans import explain, recorded
from tests.support import ApiClient, log_in

MakeBadge = Callable[..., dict[str, Any]]
# Thousands of awards loaded in bulk, from the query plan tests: a fixture of this module too.
loaded = test_query_plans.loaded
Award = Callable[..., dict[str, Any]]
# A Wednesday afternoon: its week began on Monday 2025-03-10 at 00:00 UTC.
NOW = datetime(2025, 3, 12, 15, 30, tzinfo=UTC)


def page(client: FlaskClient, path: str) -> str:
    """GET a page that must answer 200, as text."""
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def made_at(app: Flask, award_ids: list[str], moment: datetime) -> None:
    """Move awards back in time, as if they had been made then."""
    with app.app_context():
        db.session.execute(
            update(Assertion)
            .where(Assertion.id.in_([uuid.UUID(award_id) for award_id in award_ids]))
            .values(created_at=moment, issued_on=moment)
        )
        db.session.commit()


def figures(app: Flask, now: datetime = NOW) -> dashboard.Dashboard:
    """The dashboard's figures at a given time."""
    with app.app_context():
        return dashboard.studio_dashboard(now)


def test_week_and_month_bounds_are_whole_periods_in_utc() -> None:
    weeks = dashboard.week_bounds(NOW, 3)
    assert weeks == [
        datetime(2025, 2, 24, tzinfo=UTC),
        datetime(2025, 3, 3, tzinfo=UTC),
        datetime(2025, 3, 10, tzinfo=UTC),
        datetime(2025, 3, 17, tzinfo=UTC),
    ]
    assert dashboard.week_bounds(datetime(2025, 3, 10, tzinfo=UTC), 1)[0] == weeks[2]
    months = dashboard.month_bounds(datetime(2025, 2, 28, 23, 59, tzinfo=UTC), 3)
    assert months == [
        datetime(2024, 12, 1, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 2, 1, tzinfo=UTC),
        datetime(2025, 3, 1, tzinfo=UTC),
    ]
    assert dashboard.month_bounds(NOW, 12)[0] == datetime(2024, 4, 1, tzinfo=UTC)
    assert dashboard.month_bounds(NOW, 12)[-1] == datetime(2025, 4, 1, tzinfo=UTC)


def test_awards_per_week_count_the_standing_awards_of_each_week(
    app: Flask, api: ApiClient, make_badge: MakeBadge, award: Award
) -> None:
    badge = make_badge(name="Weekly")
    ids = [a["id"] for a in award(badge["id"], *(f"w{n}@example.org" for n in range(7)))["awards"]]
    made_at(app, ids[:3], datetime(2025, 3, 10, tzinfo=UTC))  # this week's first instant
    made_at(app, ids[3:4], datetime(2025, 3, 9, 23, 59, 59, tzinfo=UTC))  # last week's last
    made_at(app, ids[4:6], datetime(2024, 12, 23, tzinfo=UTC))  # the window's first instant
    made_at(app, ids[6:], datetime(2024, 12, 22, 23, 59, 59, tzinfo=UTC))  # just before it
    assert api.post(f"/assertions/{ids[1]}/revoke", {"reason": "Oops."}).status_code == 200

    series = figures(app).awards_per_week
    assert series.period == "week"
    assert len(series.buckets) == dashboard.WEEKS
    assert series.buckets[-1].start == datetime(2025, 3, 10, tzinfo=UTC)
    assert series.buckets[0].start == datetime(2024, 12, 23, tzinfo=UTC)
    counts = [bucket.count for bucket in series.buckets]
    assert counts == [2] + [0] * 9 + [1, 2]  # the revoked award is not counted
    assert series.total == 5
    assert series.busiest is not None and series.busiest.start == series.buckets[-1].start


def test_top_badges_count_unrevoked_awards_private_badges_included(
    app: Flask, api: ApiClient, make_badge: MakeBadge, award: Award
) -> None:
    first = make_badge(name="Popular")
    issuer = first["issuer"]
    flair = make_badge(name="Night Owl", issuer=issuer, private=True)
    middling = make_badge(name="Middling", issuer=issuer)
    make_badge(name="Never Awarded", issuer=issuer)
    award(first["id"], "a@example.org", "b@example.org", "c@example.org")
    owls = award(flair["id"], "a@example.org", "b@example.org", "c@example.org", "d@example.org")
    award(middling["id"], "a@example.org", "b@example.org")
    for gone in owls["awards"][:2]:
        assert api.post(f"/assertions/{gone['id']}/revoke", {"reason": "No."}).status_code == 200

    top = figures(app, datetime.now(UTC)).top_badges
    assert [(entry.badge.name, entry.awards) for entry in top] == [
        ("Popular", 3),
        ("Middling", 2),
        ("Night Owl", 2),
    ]


def test_the_dashboard_page_shows_every_figure(
    app: Flask,
    api: ApiClient,
    as_admin: FlaskClient,
    make_badge: MakeBadge,
    award: Award,
) -> None:
    badge = make_badge(name="Explorer")
    flair = make_badge(name="Night Owl", issuer=badge["issuer"], private=True)
    made = award(badge["id"], "lea@example.org", "otto@example.org")["awards"]
    award(flair["id"], "lea@example.org")
    revoked = api.post(f"/assertions/{made[1]['id']}/revoke", {"reason": "Awarded by mistake."})
    assert revoked.status_code == 200

    html = page(as_admin, "/studio")
    assert '<svg class="chart"' in html and 'role="img"' in html
    assert "Awards per week, the last 12 weeks: 2 awards in total" in html
    assert re.search(r"<strong>2</strong> awards in the last 12 weeks", html)
    assert "Figures by week" in html
    assert "Night Owl" in html and '<span class="marker">Private</span>' in html
    # Recent awards (the revoked one too, marked) and the revocation, linking to award pages.
    recent = html.split("<h2>Recent awards</h2>")[1].split("<h2>Recent revocations</h2>")
    for award_made in made:
        assert f'href="http://issuer.test/public/assertions/{award_made["id"]}"' in recent[0]
    assert recent[0].count('<span class="marker">Revoked</span>') == 1
    assert f"/public/assertions/{made[1]['id']}" in recent[1]
    assert "Awarded by mistake." in recent[1]
    assert f"/public/assertions/{made[0]['id']}" not in recent[1]
    # The policy allows no inline style: the chart uses attributes and classes only.
    assert "style=" not in html and "<style" not in html


def test_the_outbox_health_counts_waiting_and_failed_mail(
    app: Flask, as_admin: FlaskClient
) -> None:
    now = datetime.now(UTC)
    rows = [
        # (attempts, sent): one sent, two waiting (one of them retrying), one given up.
        (0, True),
        (0, False),
        (2, False),
        (MAX_ATTEMPTS, False),
    ]
    with app.app_context():
        db.session.execute(
            insert(OutboxEmail),
            [
                {
                    "id": uuid.uuid4(),
                    "to_address": f"m{index}@example.org",
                    "subject": "Hello",
                    "body_text": "Hello.",
                    "created_at": now - timedelta(hours=index),
                    "attempts": attempts,
                    "next_attempt_at": now,
                    "sent_at": now if sent else None,
                    "last_error": "refused" if attempts else None,
                }
                for index, (attempts, sent) in enumerate(rows)
            ],
        )
        db.session.commit()
        health = dashboard.outbox_health()
    assert (health.waiting, health.retrying, health.failed) == (2, 1, 1)
    assert health.oldest_waiting is not None
    assert abs(health.oldest_waiting - (now - timedelta(hours=2))) < timedelta(seconds=1)
    html = page(as_admin, "/studio")
    assert '<dd id="outbox-waiting">2</dd>' in html
    assert '<dd id="outbox-retrying">1</dd>' in html
    assert '<dd id="outbox-failed"><span class="alert">1</span></dd>' in html


def test_course_funnels_count_each_step(
    app: Flask, api: ApiClient, as_admin: FlaskClient, course: dict[str, Any]
) -> None:
    stages = [stage["id"] for stage in course["stages"]]

    def complete(stage: str, *users: str) -> None:
        path = f"/courses/{course['id']}/stages/{stage}/completions"
        response = api.post(path, {"users": list(users)})
        assert response.status_code in (200, 201), response.json

    complete(stages[0], "a@example.org", "b@example.org", "c@example.org")
    complete(stages[1], "a@example.org", "b@example.org")
    complete(stages[2], "a@example.org")

    with app.app_context():
        funnels, total = dashboard.course_funnels()
        steps = [(step.label, step.count) for step in funnels[0].steps]
    assert total == 1
    assert steps == [
        ("Started", 3),
        ("Basics", 3),
        ("Reading", 2),
        ("Advanced", 1),
        ("Finished", 1),
    ]
    html = page(as_admin, "/studio")
    assert "Python 101" in html
    assert "Stage 2: Reading" in html
    assert '<meter min="0" max="3" value="2"' in html
    assert "67%" in html


def test_the_badge_page_shows_counts_chart_and_pages_its_holders(
    app: Flask, api: ApiClient, as_admin: FlaskClient, make_badge: MakeBadge, award: Award
) -> None:
    badge = make_badge(name="Crowded", private=True)
    other = make_badge(name="Elsewhere", issuer=badge["issuer"])
    made = award(badge["id"], *(f"h{n:02d}@example.org" for n in range(55)))["awards"]
    award(other["id"], "outsider@example.org")
    gone = made[0]["id"]
    assert api.post(f"/assertions/{gone}/revoke", {"reason": "Left."}).status_code == 200

    listing = page(as_admin, "/studio/badges")
    assert f'href="/studio/badges/{badge["id"]}"' in listing
    path = f"/studio/badges/{badge['id']}"
    first = page(as_admin, path)
    assert "<h1>Crowded</h1>" in first
    assert '<span class="marker">Private</span>' in first
    assert '<dd id="award-counts">54 held · 1 revoked</dd>' in first
    assert "Awards of Crowded per month, the last 12 months: 54 awards in total" in first
    assert first.count("View award<span") == dashboard.HOLDERS_PAGE
    assert f'href="{path}?page=2"' in first
    assert "outsider@example.org" not in first
    assert f"/public/assertions/{gone}" not in first
    second = page(as_admin, f"{path}?page=2")
    assert second.count("View award<span") == 4
    assert "Previous" in second and f'href="{path}?page=1"' in second
    weekly = page(as_admin, f"{path}?by=week")
    assert "Awards of Crowded per week, the last 12 weeks: 54 awards in total" in weekly
    assert re.search(r'by=week" aria-current="true" class="here">By week', weekly)
    # Unknown periods and pages fall back to sensible ones.
    assert "per month" in page(as_admin, f"{path}?by=decade&page=-3")
    assert as_admin.get(f"/studio/badges/{uuid.uuid4()}").status_code == 404


def test_the_studio_link_lands_on_the_dashboard(
    as_admin: FlaskClient, make_badge: MakeBadge
) -> None:
    badge = make_badge()
    html = page(as_admin, "/studio")
    assert '<a href="/studio">Studio</a>' in html
    for path, label in (
        ("/studio", "Dashboard"),
        (f"/studio/badges/{badge['id']}", "Badges"),
        ("/studio/badges", "Badges"),
        ("/studio/users", "People"),
    ):
        marked = re.findall(r'aria-current="page" class="here">([^<]+)</a>', page(as_admin, path))
        assert marked == [label], (path, marked)
    nav = re.search(r'<nav class="studio-nav".*?</nav>', html, re.S)
    assert nav is not None
    assert re.findall(r">(\w+)</a>", nav.group(0))[0] == "Dashboard"


@pytest.mark.parametrize("which", ["dashboard", "badge"])
def test_the_pages_are_for_admins(
    client: FlaskClient,
    as_learner: FlaskClient,
    as_admin: FlaskClient,
    make_badge: MakeBadge,
    which: str,
) -> None:
    path = "/studio" if which == "dashboard" else f"/studio/badges/{make_badge()['id']}"
    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    assert as_learner.get(path).status_code == 403
    assert as_admin.get(path).status_code == 200


def test_badge_names_are_escaped_in_pages_and_charts(
    as_admin: FlaskClient, make_issuer: Any, make_badge: MakeBadge, award: Award
) -> None:
    evil = '<script>alert("x")</script>'
    badge = make_badge(issuer=make_issuer(name=evil)["id"], name=evil, description=evil)
    award(badge["id"], "lea@example.org", narrative=evil)
    for path in ("/studio", f"/studio/badges/{badge['id']}", f"/studio/badges/{badge['id']}"):
        html = page(as_admin, path)
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;" in html, path


def test_the_pages_read_the_big_tables_through_indexes(app: Flask, loaded: dict[str, Any]) -> None:
    """Thousands of awards (see test_query_plans): every statement reads them by an index."""
    admin = app.test_client()
    assert log_in(admin, "admin@plans.example", "admin-password").status_code == 302
    badge = loaded["badges"][0]["id"]
    pages = {
        "dashboard": "/studio",
        "badge page": f"/studio/badges/{badge}",
        "badge page by week, page 3": f"/studio/badges/{badge}?by=week&page=3",
    }
    for name, path in pages.items():
        with recorded(app) as seen:
            response = admin.get(path)
        assert response.status_code == 200, name
        plans = [(statement, explain(app, statement, parameters)) for statement, parameters in seen]
        scans = [f"{plan.scans} in {statement}" for statement, plan in plans if plan.scans]
        assert scans == [], (name, scans)
        # Awards over time, the newest awards and revocations: each badge's part of the index
        # that serves them (on the badge and time made, or of revoked awards), not all of it.
        checked = 0
        for statement, plan in plans:
            if "assertions.revoked IS" in statement and "revoked_at >=" in statement:
                assert "ix_assertions_revoked" in plan.indexes, (name, statement, plan)
                checked += 1
            elif "assertions.created_at >=" in statement:
                assert "ix_assertions_badge_created" in plan.indexes, (name, statement, plan)
                checked += 1
        assert checked >= 2, name
