"""The command-line tools: init, users create, tokens create."""

import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.security import generate_password_hash

from issuer.extensions import db
from issuer.openbadges.keys import generate_private_key_pem
from issuer.services import users
from issuer.services.keystore import FileKeyStore
from tests.support import ApiClient, make_token


def test_init_is_idempotent_and_shows_secrets_once(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    keys_dir = tmp_path / "keys"
    cli_app = make_app(FileKeyStore(keys_dir), KEYS_DIR=keys_dir)
    runner = cli_app.test_cli_runner()
    first = runner.invoke(args=["init", "--admin-email", "Owner@Example.org"])
    assert first.exit_code == 0, first.output
    assert "login:     owner@example.org" in first.output
    password = re.search(r"password:\s+(\S+)", first.output)
    token = re.search(r"API token:\s+(\S+)", first.output)
    assert password and token
    assert "Created RSA key" in first.output
    assert "Created Ed25519 key" in first.output
    key_files = list(keys_dir.glob("*.pem"))
    assert len(key_files) == 2
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in key_files)
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700

    second = runner.invoke(args=["init"])
    assert second.exit_code == 0, second.output
    assert "password" not in second.output
    assert "API token" not in second.output
    assert "Created" not in second.output
    assert len(list(keys_dir.glob("*.pem"))) == 2

    api = ApiClient(cli_app.test_client(), token.group(1))
    assert api.get("/badges").status_code == 200


def test_users_and_tokens(app: Flask, client: FlaskClient, runner: Any) -> None:
    created = runner.invoke(
        args=[
            "users",
            "create",
            "Ada@Example.org",
            "--name",
            "Ada",
            "--admin",
            "--password",
            "s3cret-pass",
        ]
    )
    assert created.exit_code == 0, created.output
    assert "admin ada@example.org" in created.output
    token = runner.invoke(args=["tokens", "create", "ada@example.org"]).output.strip()
    assert token.startswith("obi_")
    assert ApiClient(client, token).get("/issuers").status_code == 200
    other = runner.invoke(args=["tokens", "create", "ada@example.org"]).output.strip()
    assert other != token


def test_cli_errors_are_clear(runner: Any) -> None:
    runner.invoke(args=["users", "create", "ada@example.org", "--name", "Ada"])
    duplicate = runner.invoke(args=["users", "create", "ada@example.org", "--name", "Ada"])
    assert duplicate.exit_code == 1
    assert "already exists" in duplicate.output
    invalid = runner.invoke(args=["users", "create", "not-an-email", "--name", "X"])
    assert invalid.exit_code == 1
    assert "not a valid e-mail" in invalid.output
    unknown = runner.invoke(args=["tokens", "create", "ghost@example.org"])
    assert unknown.exit_code == 1
    assert "no user" in unknown.output


def test_tokens_and_passwords_are_stored_hashed(
    app: Flask, runner: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import select

    from issuer.extensions import db
    from issuer.models import ApiToken, User

    # The app's own hashing, not the suite's cheap stand-in (tests/conftest.py).
    monkeypatch.setattr(users, "generate_password_hash", generate_password_hash)
    runner.invoke(
        args=["users", "create", "ada@example.org", "--name", "Ada", "--password", "plain-password"]
    )
    token = runner.invoke(args=["tokens", "create", "ada@example.org"]).output.strip()
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).all()
        password_hash = db.session.scalars(select(User.password_hash)).one()
    assert token not in stored
    assert all(len(h) == 64 for h in stored)
    assert password_hash is not None
    assert "plain-password" not in password_hash
    assert password_hash.startswith("scrypt:")


def test_init_refuses_a_database_without_the_indexes_and_triggers_queries_need(
    app: Flask,
) -> None:
    assertions = db.metadata.tables["assertions"]
    feed_index = next(i for i in assertions.indexes if i.name == "ix_assertions_feed")
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
        with db.engine.begin() as connection:
            feed_index.drop(connection)
            if postgresql:
                connection.execute(text("ALTER TABLE users DISABLE TRIGGER users_tally_insert"))
    try:
        result = app.test_cli_runner().invoke(args=["init"])
        assert result.exit_code != 0
        assert "index ix_assertions_feed on assertions" in result.output
        assert ("trigger users_tally_insert" in result.output) == postgresql
    finally:
        with app.app_context(), db.engine.begin() as connection:
            feed_index.create(connection)
            if postgresql:
                connection.execute(text("ALTER TABLE users ENABLE TRIGGER users_tally_insert"))
    assert app.test_cli_runner().invoke(args=["init"]).exit_code == 0


def test_init_adds_the_ed25519_key_an_older_install_lacks(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    keys_dir = tmp_path / "keys"
    store = FileKeyStore(keys_dir)
    store.add_key(generate_private_key_pem())  # as every release before Data Integrity did
    result = make_app(store, KEYS_DIR=keys_dir).test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "Created Ed25519 key" in result.output
    assert "Created RSA key" not in result.output
    assert len(store.list_keys()) == len(store.list_proof_keys()) == 1


def test_keys_rotate_and_list_cover_both_kinds(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    keys_dir = tmp_path / "keys"
    store = FileKeyStore(keys_dir)
    app = make_app(store, KEYS_DIR=keys_dir)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["init", "--admin-email", "owner@example.org"]).exit_code == 0
    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    assert "Created RSA key" in rotated.output
    assert "Created Ed25519 key" in rotated.output
    assert len(list(keys_dir.glob("*.pem"))) == 4
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in keys_dir.glob("*.pem"))
    api = ApiClient(app.test_client(), make_token(app, "admin@example.org", admin=True))
    issuer = (
        api.post(
            "/issuers",
            {"name": "Academy", "url": "https://academy.example.org", "email": "b@example.org"},
        ).json
        or {}
    )
    listed = runner.invoke(args=["keys", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    for kind in ("RSA", "Ed25519"):
        statuses = [line.rsplit("  ", 1)[-1] for line in lines if f"  {kind} " in line]
        assert statuses == ["retired, still published", "signing"], listed.output
    assert f"/public/issuers/{issuer['id']}/did.json" in listed.output
