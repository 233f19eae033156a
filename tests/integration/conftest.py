"""Fixtures of the web tests: people who can log in, and their browser sessions."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import log_in

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
