"""Helpers shared by the tests, the interop checks and the benchmarks."""

from __future__ import annotations

import base64
import http.client
import io
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image as PILImage
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.test import TestResponse

from issuer import create_app
from issuer.services.keystore import KeyStore

BASE_URL = "http://issuer.test"
ORACLES = Path(__file__).resolve().parents[2] / "shared" / "oracles"
VENDOR = Path(__file__).resolve().parents[2] / "shared" / "vendor"
# The official OB 3.0 AchievementCredential schema: where present (always in CI), every
# credential the tests make is checked against it before it is signed.
OFFICIAL_CREDENTIAL_SCHEMA = VENDOR / "ob3" / "schema" / "ob_v3p0_achievementcredential_schema.json"

# Sample payloads for baking tests: a hosted assertion (with non-ASCII text), a JWS, a URL.
ASSERTION_ID = "https://issuer.example.org/public/assertions/5b0f6c5e"
HOSTED_JSON = json.dumps(
    {
        "@context": "https://w3id.org/openbadges/v2",
        "type": "Assertion",
        "id": ASSERTION_ID,
        "recipient": {"type": "email", "hashed": True, "identity": "sha256$abc"},
        "badge": "https://issuer.example.org/public/badges/1",
        "verification": {"type": "hosted"},
        "issuedOn": "2024-05-01T12:00:00+00:00",
        "narrative": "Zoë led the team ✓",
    },
    ensure_ascii=False,
)
JWS = "eyJhbGciOiJSUzI1NiJ9.eyJpZCI6InVybjp1dWlkOjEifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU_-w"
URL = "https://issuer.example.org/public/assertions/7"


def needs_vendor(path: Path) -> Path:
    """A file or folder of ../shared/vendor: skip the test without ../shared, but fail in CI."""
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the vendored Open Badges files, but {path} is missing")
        pytest.skip(f"the vendored Open Badges files are not here ({path} is absent)")
    return path


def build_app(database_url: str, keystore: KeyStore, data_dir: Path, **extra: Any) -> Flask:
    """Create an app for tests (also used by the interop tests and benchmarks)."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": BASE_URL,
        "KEY_STORE": keystore,
        "DATA_DIR": data_dir,
        "SECRET_KEY": "test-secret",
        # Deterministic tests: e-mail is delivered only where a test asks for it.
        "OUTBOX_DELIVERY": "off",
        # Rate limits only where a test asks for them.
        "RATELIMIT_ENABLED": False,
        # The test client calls itself localhost, not BASE_URL's host.
        "REDIRECT_TO_BASE_URL": False,
    }
    if OFFICIAL_CREDENTIAL_SCHEMA.is_file():
        config["OB3_SCHEMA"] = str(OFFICIAL_CREDENTIAL_SCHEMA)
    config.update(extra)
    return create_app(config)


class ApiClient:
    """Calls the admin API with a bearer token."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        """GET an API path."""
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        """POST JSON to an API path."""
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> TestResponse:
        """PATCH JSON to an API path."""
        return self.client.patch(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)


def issuer_and_badge(api: ApiClient, png_uri: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create an issuer and a badge through the API of an app of the test's own."""
    issuer = api.post("/issuers", {"name": "I", "url": "https://i.example", "email": "i@i.example"})
    body = {
        "issuer": (issuer.json or {})["id"],
        "name": "B",
        "description": "D",
        "image": png_uri,
        "criteria": {"narrative": "n"},
    }
    return issuer.json or {}, api.post("/badges", body).json or {}


def award_one(api: ApiClient, badge_id: str, recipient: str) -> dict[str, Any]:
    """Award a badge to one recipient through the API; return the award."""
    response = api.post(f"/badges/{badge_id}/awards", {"recipients": [recipient]})
    assert response.status_code == 201, response.json
    return dict((response.json or {})["awards"][0])


def make_token(app: Flask, email: str, *, admin: bool) -> str:
    """Create a user with an API token through the CLI, as an operator would."""
    runner = app.test_cli_runner()
    args = ["users", "create", email, "--name", email.split("@")[0]]
    result = runner.invoke(args=[*args, "--admin"] if admin else args)
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["tokens", "create", email])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def png_bytes(width: int = 150, height: int = 150, color: str = "#c0392b") -> bytes:
    """A real PNG image of the given size."""
    buffer = io.BytesIO()
    PILImage.new("RGBA", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    """Wrap bytes in a base64 data URI."""
    return f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"


SVG_150 = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="150" viewBox="0 0 150 150">'
    '<circle cx="75" cy="75" r="70" fill="#2e86de"/></svg>'
)


def csrf_token(client: FlaskClient, path: str) -> str:
    """The CSRF token of the form on a page."""
    import re

    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match is not None, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: FlaskClient, email: str, password: str) -> TestResponse:
    """Log in through the login form, as a person would."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def post_json(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST JSON with a bearer token over real HTTP; the status and the JSON answer."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        connection.request(
            "POST",
            parts.path,
            body=json.dumps(body),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def race(
    calls: list[Callable[[], tuple[int, dict[str, Any]]]],
) -> list[tuple[int, dict[str, Any]]]:
    """Run the calls in threads released together; return their answers in order."""
    start = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@contextmanager
def recorded_statements(engine: Engine) -> Iterator[list[tuple[str, Any, bool]]]:
    """Each SQL statement run on the engine meanwhile: (text, parameters, executemany)."""
    seen: list[tuple[str, Any, bool]] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        seen.append((statement, parameters, many))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    """Poll a condition until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)
