"""The app factory, configuration from the environment, and migrations."""

import os
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import text

from issuer import create_app
from issuer.config import ConfigError, load_config
from issuer.extensions import db


def test_config_comes_from_issuer_environment(tmp_path: Path) -> None:
    config = load_config(
        {
            "ISSUER_DATABASE_URL": "postgresql+psycopg://u@db/issuer",
            "ISSUER_BASE_URL": "https://badges.example.org/",
            "ISSUER_SECRET_KEY": "s",
            "ISSUER_KEYS_DIR": str(tmp_path / "k"),
            "ISSUER_MAX_IMAGE_BYTES": "1000",
        }
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/issuer"
    assert config["BASE_URL"] == "https://badges.example.org/"
    assert config["KEYS_DIR"] == tmp_path / "k"
    assert config["MAX_IMAGE_BYTES"] == 1000


def test_defaults_keep_data_in_an_ignored_folder() -> None:
    config = load_config({})
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("/data/issuer.db")
    assert config["BASE_URL"] == "http://127.0.0.1:5000"  # what `flask run` prints
    assert config["KEYS_DIR"].name == "keys"


def test_create_app_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ISSUER_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("ISSUER_BASE_URL", "https://badges.example.org/")
    monkeypatch.setenv("ISSUER_DATA_DIR", str(tmp_path))
    app = create_app()
    assert app.config["BASE_URL"] == "https://badges.example.org"
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert app.config["SECRET_KEY"] == create_app().config["SECRET_KEY"]


@pytest.mark.parametrize("url", ["ftp://x.org", "badges.example.org", "https://x.org/?a=1", ""])
def test_bad_base_url_is_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="ISSUER_BASE_URL"):
        create_app({"BASE_URL": url, "DATA_DIR": tmp_path, "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_bad_number_is_refused() -> None:
    with pytest.raises(ConfigError, match="ISSUER_MAX_IMAGE_BYTES"):
        load_config({"ISSUER_MAX_IMAGE_BYTES": "lots"})


def test_plain_postgresql_url_uses_psycopg(tmp_path: Path) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "postgresql://u@127.0.0.1/x", "DATA_DIR": tmp_path}
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_migrations_match_the_models(app: Flask) -> None:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, db.metadata) == []


def test_database_and_secret_are_private_in_an_existing_open_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)  # an operator's folder, readable by everyone
    old_umask = os.umask(0o022)
    try:
        database = f"sqlite:///{data / 'issuer.db'}"
        app = create_app(
            {"DATA_DIR": data, "KEYS_DIR": tmp_path / "keys", "SQLALCHEMY_DATABASE_URI": database}
        )
        with app.app_context():
            assert db.engine.url.database == str(data / "issuer.db")
            with db.engine.begin() as connection:  # WAL mode: -wal and -shm files appear
                connection.execute(text("CREATE TABLE probe (x INTEGER)"))
                connection.execute(text("INSERT INTO probe VALUES (1)"))
            files = ["issuer.db", "issuer.db-wal", "issuer.db-shm", "secret_key"]
            modes = {name: stat.S_IMODE((data / name).stat().st_mode) for name in files}
            db.engine.dispose()
    finally:
        os.umask(old_umask)
    assert modes == dict.fromkeys(files, 0o600)
