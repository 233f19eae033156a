"""Shared fixtures: an app on a migrated temporary database, API clients, test images."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, make_url, text
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from issuer import delivery
from issuer.extensions import db
from issuer.services import users
from issuer.services.keystore import KeyStore, MemoryKeyStore, ensure_signing_keys
from tests.support import ApiClient, build_app, data_uri, make_token, png_bytes


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """The test database: ISSUER_TEST_DATABASE_URL (PostgreSQL in CI) or a temporary SQLite file.

    Under pytest-xdist (``-n``), every worker on PostgreSQL gets a database of its own, made
    beside the given one (``<name>_gw0`` ...) and dropped at the end."""
    url = os.environ.get("ISSUER_TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'issuer-test.db'}"
        return
    if worker_id == "master":
        yield url
        return
    given = make_url(url)
    worker_url = given.set(database=f"{given.database}_{worker_id}")
    server = create_engine(given.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = server.dialect.identifier_preparer.quote(str(worker_url.database))
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield worker_url.render_as_string(hide_password=False)
    finally:
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


# werkzeug's default, scrypt, costs about 0.13 s a call on purpose: with a user or two and a
# log-in in most tests, it was a third of the suite's time. Tests hash with the same function
# at a cost of one PBKDF2 round (stored hashes name their method, so checking them follows);
# test_users.py checks that the app itself stores scrypt hashes.
CHEAP_PASSWORD_HASH = "pbkdf2:sha256:1"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Hash passwords with one PBKDF2 round for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            users,
            "generate_password_hash",
            partial(generate_password_hash, method=CHEAP_PASSWORD_HASH),
        )
        yield


@pytest.fixture(scope="session")
def keystore() -> MemoryKeyStore:
    """Signing keys generated once per session, in memory only."""
    store = MemoryKeyStore()
    ensure_signing_keys(store)
    return store


@pytest.fixture(scope="session")
def migrated(
    database_url: str, keystore: MemoryKeyStore, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """Bring the test database to the newest migration once per session, from empty."""
    app = build_app(database_url, keystore, tmp_path_factory.mktemp("data"))
    with app.app_context():
        _drop_everything()
        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    return database_url


def _drop_everything() -> None:
    """Leave the database as new: no tables, and on PostgreSQL no trigger functions either."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
            return
    db.drop_all()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
def app(migrated: str, keystore: MemoryKeyStore, tmp_path: Path) -> Iterator[Flask]:
    """An app on the migrated test database; every table is emptied afterwards."""
    app = build_app(migrated, keystore, tmp_path)
    yield app
    empty_tables(app)


@pytest.fixture
def make_app(migrated: str, tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Build extra apps on the test database (own keys, base URL ...); cleaned up afterwards."""
    apps: list[Flask] = []

    def make(keystore: KeyStore, **config: Any) -> Flask:
        app = build_app(migrated, keystore, tmp_path, **config)
        apps.append(app)
        return app

    yield make
    for app in apps:
        empty_tables(app)


def empty_tables(app: Flask) -> None:
    """Delete every row, so the next test starts from an empty (but migrated) database."""
    delivery.stop_all()
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            for table in reversed(db.metadata.sorted_tables):
                connection.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client without credentials."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> ApiClient:
    """An API client holding an admin's token."""
    return ApiClient(client, make_token(app, "admin@example.org", admin=True))


@pytest.fixture
def png_uri() -> str:
    """A 150x150 PNG as a data URI."""
    return data_uri(png_bytes())


@pytest.fixture
def make_issuer(api: ApiClient) -> Callable[..., dict[str, Any]]:
    """Create issuers through the API."""

    def make(**fields: Any) -> dict[str, Any]:
        body = {
            "name": "Example Academy",
            "url": "https://academy.example.org",
            "email": "badges@academy.example.org",
            **fields,
        }
        response = api.post("/issuers", body)
        assert response.status_code == 201, response.json
        return dict(response.json or {})

    return make


@pytest.fixture
def make_badge(
    api: ApiClient, make_issuer: Callable[..., dict[str, Any]], png_uri: str
) -> Callable[..., dict[str, Any]]:
    """Create badges through the API (with a new issuer unless one is given)."""

    def make(**fields: Any) -> dict[str, Any]:
        if "issuer" not in fields:
            fields["issuer"] = make_issuer()["id"]
        body = {
            "name": "First Steps",
            "description": "Completed the first stage.",
            "image": png_uri,
            "criteria": {"narrative": "Finish stage one."},
            **fields,
        }
        response = api.post("/badges", body)
        assert response.status_code == 201, response.json
        return dict(response.json or {})

    return make


@pytest.fixture
def award(api: ApiClient) -> Callable[..., dict[str, Any]]:
    """Award a badge through the API and return the response body."""

    def make(badge_id: str, *recipients: str, **fields: Any) -> dict[str, Any]:
        body = {"recipients": list(recipients), **fields}
        response = api.post(f"/badges/{badge_id}/awards", body)
        assert response.status_code in (200, 201), response.json
        return dict(response.json or {})

    return make


@dataclass(frozen=True)
class LiveServer:
    """The app served over HTTP on a loopback port."""

    app: Flask
    url: str


@pytest.fixture
def live(
    make_app: Callable[..., Flask], keystore: MemoryKeyStore, request: pytest.FixtureRequest
) -> Iterator[LiveServer]:
    """Serve the app on a free loopback port (threaded, as a browser or HTTP client needs).

    A test marked ``@pytest.mark.live_config(NAME=value)`` gets that configuration too.
    """
    marker = request.node.get_closest_marker("live_config")
    extra = marker.kwargs if marker else {}
    holder: dict[str, Flask] = {}
    server = make_server(
        "127.0.0.1", 0, lambda env, start: holder["app"](env, start), threaded=True
    )
    base_url = f"http://127.0.0.1:{server.server_port}"
    holder["app"] = make_app(keystore, BASE_URL=base_url, OUTBOX_DELIVERY="off", **extra)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(holder["app"], base_url)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
