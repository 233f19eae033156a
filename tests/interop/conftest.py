"""Fixtures of the interop tests: the app served on a loopback port, and awards made on it."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from issuer.services.keystore import MemoryKeyStore, ensure_signing_keys
from tests.support import ORACLES, ApiClient, data_uri, make_token, png_bytes


def require_oracle(tool: Path) -> None:
    """Skip (fail under CI) when an oracle of ../shared/oracles is missing."""
    if not tool.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Open Badges oracles, but {tool} is missing")
        pytest.skip(f"the Open Badges oracles are not here ({ORACLES} is absent)")


def run_checker(tool: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run check-ob2 or check-ob3; return its exit status and JSON report."""
    done = subprocess.run(
        [str(tool), *args], capture_output=True, text=True, timeout=300, check=False
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"{tool.name} printed no JSON (exit {done.returncode}): {done.stderr[-2000:]}")
    return done.returncode, report


@pytest.fixture
def live_keys() -> MemoryKeyStore:
    """Signing keys of the live app's own (so rotating them touches no other test)."""
    store = MemoryKeyStore()
    ensure_signing_keys(store)
    return store


@pytest.fixture
def live(make_app: Callable[..., Flask], live_keys: MemoryKeyStore) -> Iterator[Flask]:
    """The app served over HTTP on a loopback port, with its base URL set to that address."""
    holder: dict[str, Flask] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    app = make_app(live_keys, BASE_URL=f"http://127.0.0.1:{server.server_port}")
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def live_api(live: Flask) -> ApiClient:
    """An admin API client for the live app."""
    return ApiClient(live.test_client(), make_token(live, "admin@example.org", admin=True))


@pytest.fixture
def hosted_award(live_api: ApiClient) -> Callable[..., dict[str, Any]]:
    """Create an issuer, a badge and an award; return the award."""

    def make(
        recipient: str = "Ada@Example.org",
        image: str | None = None,
        description: str = "Won it.",
    ) -> dict[str, Any]:
        issuer = (
            live_api.post(
                "/issuers",
                {
                    "name": "Example Academy",
                    "url": "https://academy.example.org",
                    "email": "badges@academy.example.org",
                    "description": "We teach.",
                    "image": data_uri(png_bytes()),
                },
            ).json
            or {}
        )
        badge = (
            live_api.post(
                "/badges",
                {
                    "issuer": issuer["id"],
                    "name": "Contest <Winner>",
                    "description": description,
                    "image": image or data_uri(png_bytes()),
                    "criteria": {
                        "narrative": "Win the *spring* contest.",
                        "url": "https://academy.example.org/criteria",
                    },
                    "tags": ["contest"],
                    "expires_after_days": 365,
                    "alignment": [
                        {
                            "targetName": "Teamwork",
                            "targetUrl": "https://example.org/tw",
                            "targetCode": "TW1",
                        }
                    ],
                },
            ).json
            or {}
        )
        response = live_api.post(
            f"/badges/{badge['id']}/awards",
            {
                "recipients": [recipient],
                "narrative": "Led the team.",
                "evidence": [
                    {
                        "url": "https://example.org/proof",
                        "name": "Proof",
                        "narrative": "The winning entry.",
                    },
                    {"narrative": "Jury notes."},
                ],
            },
        )
        assert response.status_code == 201, response.json
        return dict((response.json or {})["awards"][0])

    return make
