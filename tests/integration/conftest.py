"""Fixtures of the integration tests: people who log in, their sessions, a course."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import ApiClient, log_in

MakeBadge = Callable[..., dict[str, Any]]

PASSWORD = "correct horse battery"


@pytest.fixture
def people(runner: Any) -> dict[str, str]:
    """An admin and two learners who can log in; their e-mail addresses by role."""
    for email, name, admin in [
        ("boss@example.org", "Ada Admin", True),
        ("lea@example.org", "Lea Learner", False),
        ("otto@example.org", "Otto Other", False),
    ]:
        args = ["users", "create", email, "--name", name, "--password", PASSWORD]
        result = runner.invoke(args=[*args, "--admin"] if admin else args)
        assert result.exit_code == 0, result.output
    return {"admin": "boss@example.org", "learner": "lea@example.org", "other": "otto@example.org"}


@pytest.fixture
def as_admin(app: Flask, people: dict[str, str]) -> FlaskClient:
    """A browser session of the admin."""
    client = app.test_client()
    assert log_in(client, people["admin"], PASSWORD).status_code == 302
    return client


@pytest.fixture
def as_learner(app: Flask, people: dict[str, str]) -> FlaskClient:
    """A browser session of a learner."""
    client = app.test_client()
    assert log_in(client, people["learner"], PASSWORD).status_code == 302
    return client


@pytest.fixture
def course_badges(api: ApiClient, make_badge: MakeBadge) -> dict[str, dict[str, Any]]:
    """Badges of one issuer: four that courses may award, one private, one archived."""
    first = make_badge(name="Basics")
    issuer = first["issuer"]
    badges = {
        "basics": first,
        "advanced": make_badge(name="Advanced", issuer=issuer),
        "graduate": make_badge(name="Graduate", issuer=issuer),
        "certified": make_badge(name="Certified", issuer=issuer),
        "secret": make_badge(name="Night Owl", issuer=issuer, private=True),
        "old": make_badge(name="Retired", issuer=issuer),
    }
    assert api.patch(f"/badges/{badges['old']['id']}", {"archived": True}).status_code == 200
    return badges


@pytest.fixture
def course(api: ApiClient, course_badges: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A course of three stages (two with badges) and a completion badge, made through the API."""
    response = api.post(
        "/courses",
        {
            "name": "Python 101",
            "description": "From zero to scripts.",
            "stages": [
                {"name": "Basics", "badge": course_badges["basics"]["id"]},
                {"name": "Reading"},
                {"name": "Advanced", "badge": course_badges["advanced"]["id"]},
            ],
            "completion_badge": course_badges["graduate"]["id"],
        },
    )
    assert response.status_code == 201, response.json
    return dict(response.json or {})
