"""Rate limits: logins and badge checks per client address, shared by every worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from issuer.config import ConfigError, load_config
from issuer.extensions import db
from issuer.models import RateLimitCounter
from issuer.services.keystore import MemoryKeyStore
from tests.support import csrf_token

MakeApp = Callable[..., Flask]


def limited_app(make_app: MakeApp, keystore: MemoryKeyStore, **config: Any) -> Flask:
    """An app with rate limits on, as in production."""
    return make_app(keystore, RATELIMIT_ENABLED=True, **config)


def client_at(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from this address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def try_login(client: FlaskClient) -> Any:
    """A login with a wrong password, with the form's CSRF token."""
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"csrf_token": token, "email": "a@example.org", "password": "guess"},
        headers={"Accept": "text/html"},  # as a browser asks
    )


def test_too_many_logins_get_429_with_retry_after(
    make_app: MakeApp, keystore: MemoryKeyStore
) -> None:
    app = limited_app(make_app, keystore, RATELIMIT_LOGIN="3 per minute")
    guesser = client_at(app, "203.0.113.7")
    assert [try_login(guesser).status_code for _ in range(3)] == [400, 400, 400]
    refused = try_login(guesser)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    assert "Too many requests from your address: at most 3 per 1 minute." in page
    assert refused.headers["Content-Security-Policy"]  # an ordinary page, with its headers
    assert guesser.get("/login").status_code == 200  # reading the form is not limited
    # Another address has its own count.
    assert try_login(client_at(app, "198.51.100.1")).status_code == 400


def test_the_verify_page_and_api_share_one_count(
    make_app: MakeApp, keystore: MemoryKeyStore
) -> None:
    app = limited_app(make_app, keystore, RATELIMIT_VERIFY="2 per minute")
    client = client_at(app, "203.0.113.8")
    assert client.post("/api/v1/verify", json={"url": "https://x.example/1"}).status_code == 400
    token = csrf_token(client, "/verify")
    page = client.post("/verify", data={"csrf_token": token, "jws": "not a jws"})
    assert page.status_code == 400
    refused = client.post("/api/v1/verify", json={"url": "https://x.example/1"})
    assert refused.status_code == 429
    assert refused.json == {
        "error": "Too Many Requests",
        "message": "Too many requests from your address: at most 2 per 1 minute. Wait a little "
        "and try again (the Retry-After header says how long).",
    }
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/verify").status_code == 200


def test_every_worker_and_host_shares_the_count(
    make_app: MakeApp, keystore: MemoryKeyStore
) -> None:
    # Two apps on one database: two workers, or two hosts.
    first, second = (
        limited_app(make_app, keystore, RATELIMIT_VERIFY="2 per hour") for _ in range(2)
    )
    body = {"url": "https://x.example/1"}
    assert client_at(first, "203.0.113.9").post("/api/v1/verify", json=body).status_code == 400
    assert client_at(second, "203.0.113.9").post("/api/v1/verify", json=body).status_code == 400
    assert client_at(first, "203.0.113.9").post("/api/v1/verify", json=body).status_code == 429
    assert client_at(second, "203.0.113.9").post("/api/v1/verify", json=body).status_code == 429
    # When the window ends, the client may come back.
    with first.app_context():
        db.session.execute(update(RateLimitCounter).values(expires_at=0.0))
        db.session.commit()
    assert client_at(second, "203.0.113.9").post("/api/v1/verify", json=body).status_code == 400


def test_behind_a_proxy_each_client_has_its_own_count(
    make_app: MakeApp, keystore: MemoryKeyStore
) -> None:
    app = limited_app(make_app, keystore, RATELIMIT_VERIFY="1 per minute", PROXY_HOPS=1)
    proxy = client_at(app, "10.0.0.2")
    for client in ("203.0.113.10", "203.0.113.11"):
        headers = {"X-Forwarded-For": client}
        answer = proxy.post("/api/v1/verify", json={"url": "https://x.example"}, headers=headers)
        assert answer.status_code == 400  # not one of our URLs, but checked
    again = proxy.post(
        "/api/v1/verify", json={"url": "https://x"}, headers={"X-Forwarded-For": "203.0.113.10"}
    )
    assert again.status_code == 429


def test_limits_are_on_by_default_and_configurable() -> None:
    defaults = load_config({})
    assert defaults["RATELIMIT_ENABLED"] is True
    assert defaults["RATELIMIT_STORAGE"] == "database"
    assert defaults["RATELIMIT_LOGIN"] == "10 per minute; 100 per hour"
    custom = load_config({"ISSUER_RATELIMITS": "off", "ISSUER_RATELIMIT_VERIFY": "5/second"})
    assert (custom["RATELIMIT_ENABLED"], custom["RATELIMIT_VERIFY"]) == (False, "5/second")
    with pytest.raises(ConfigError, match="on or off"):
        load_config({"ISSUER_RATELIMITS": "sometimes"})


def test_a_malformed_limit_is_refused_at_start(make_app: MakeApp, keystore: MemoryKeyStore) -> None:
    with pytest.raises(ConfigError, match="ISSUER_RATELIMIT_LOGIN"):
        limited_app(make_app, keystore, RATELIMIT_LOGIN="ten a minute")


def test_tests_run_without_limits(app: Flask, client: FlaskClient) -> None:
    assert app.config["RATELIMIT_ENABLED"] is False
    statuses = {client.post("/api/v1/verify", json={"url": "x"}).status_code for _ in range(40)}
    assert statuses == {400}
